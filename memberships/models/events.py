import secrets

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import validate_time_zone

from ..enums import (
    LIVE_REGISTRATION_STATUSES,
    EventFormat,
    EventKind,
    EventStatus,
    RegistrationStatus,
)

# Why registration for an event is shut (Event.registration_shut_reason).
REGISTRATION_NOT_PUBLISHED = "not_published"
REGISTRATION_NOT_YET_OPEN = "not_yet_open"
REGISTRATION_CLOSED = "closed"

# The text search configuration of the stored vector and of every query against it: the
# index serves a query only when both use the same one.
SEARCH_CONFIG = "english"


class SearchVectorIndex(GinIndex):
    """A GIN index on PostgreSQL; elsewhere (SQLite for `make run`) a plain index on the
    same column, so the schema and every later migration stay valid there too."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return models.Index.create_sql(self, model, schema_editor, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class Topic(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), unique=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    """A workshop, webinar, conference, meetup, well-being or career session hosted by a partner."""

    partner = models.ForeignKey(
        "memberships.Partner",
        verbose_name=_("host partner"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind)
    topics = models.ManyToManyField(
        Topic, verbose_name=_("topics"), blank=True, related_name="events"
    )
    summary = models.CharField(_("summary"), max_length=500)
    body = models.TextField(
        _("description"),
        blank=True,
        help_text=_(
            "Markdown: **bold**, *italic*, [a link](https://example.org), lists with - or 1., "
            "### headings. HTML is shown as text."
        ),
    )
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    time_zone = models.CharField(
        _("event time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("The zone the event is planned in, e.g. Asia/Karachi."),
    )
    format = models.CharField(_("format"), max_length=20, choices=EventFormat)
    venue = models.CharField(_("venue"), max_length=300, blank=True)
    join_url = models.URLField(
        _("join link"), blank=True, help_text=_("Shown only to confirmed registrants.")
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty means unlimited.")
    )
    content_note_label = models.CharField(
        _("content note"),
        max_length=100,
        blank=True,
        help_text=_(
            "A short label, e.g. “Graphic content”, for sessions with distressing material."
        ),
    )
    content_note = models.TextField(
        _("content note details"), blank=True, help_text=_("Shown before registering.")
    )
    registration_opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(
        _("registration closes"), null=True, blank=True, help_text=_("Empty means at the start.")
    )
    is_members_only = models.BooleanField(_("members only"), default=False)
    shares_attendee_contact = models.BooleanField(
        _("share attendee name and e-mail with the host"),
        default=False,
        help_text=_(
            "Registrants without a membership of the host are told that their name and "
            "e-mail go to the host."
        ),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=EventStatus, default=EventStatus.DRAFT
    )
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True, editable=False)
    roster_sent_at = models.DateTimeField(_("roster sent"), null=True, blank=True, editable=False)
    # Title (weight A), summary (B) and description (C) as a PostgreSQL tsvector in the search
    # language; written by the services (`event_search_refresh`) whenever they write those
    # fields. Empty on SQLite, where search falls back to a plain substring match.
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at", "pk"]
        indexes = [
            # Upcoming (ascending) and past (descending) lists of published events.
            models.Index(fields=["status", "starts_at"], name="event_status_start_idx"),
            # The lists' counts (published events ended or not yet ended), from the index.
            models.Index(fields=["status", "ends_at"], name="event_status_end_idx"),
            # Without the pending list (fastupdate), a new event's terms go straight into the
            # index, and the planner does not shun an index whose list awaits a vacuum.
            SearchVectorIndex(fields=["search_vector"], name="event_search_idx", fastupdate=False),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_content_note(self) -> bool:
        return bool(self.content_note_label or self.content_note)

    @property
    def is_well_being(self) -> bool:
        return self.kind == EventKind.WELL_BEING

    @property
    def registration_closes(self):
        return self.registration_closes_at or self.starts_at

    def registration_shut_reason(self, now=None) -> str | None:
        """The one "registration is open" rule: None when open, else why it is shut
        (`REGISTRATION_NOT_PUBLISHED`, `REGISTRATION_NOT_YET_OPEN`, `REGISTRATION_CLOSED`)."""
        now = now or timezone.now()
        if self.status != EventStatus.PUBLISHED:
            return REGISTRATION_NOT_PUBLISHED
        if self.registration_opens_at and now < self.registration_opens_at:
            return REGISTRATION_NOT_YET_OPEN
        if now >= self.registration_closes:
            return REGISTRATION_CLOSED
        return None

    def registration_is_open(self, now=None) -> bool:
        return self.registration_shut_reason(now) is None


def registration_closed_q(now) -> Q:
    """The database form of "registration has closed" (see `Event.registration_closes`)."""
    return Q(registration_closes_at__lte=now) | Q(
        registration_closes_at__isnull=True, starts_at__lte=now
    )


class Registration(models.Model):
    """A person's seat (confirmed) or waitlist place at an event. `created_at` is arrival order."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="event_registrations",
    )
    status = models.CharField(_("status"), max_length=20, choices=RegistrationStatus)
    created_at = models.DateTimeField(_("registered"), default=timezone.now, db_index=True)
    promoted_at = models.DateTimeField(_("promoted from the waitlist"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(status__in=LIVE_REGISTRATION_STATUSES),
                name="one_live_registration_per_user_per_event",
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status", "created_at"], name="registration_queue_idx")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.event} ({self.get_status_display()})"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_REGISTRATION_STATUSES


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """The secret token of a person's calendar subscription. Resetting it breaks old links."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    reset_at = models.DateTimeField(_("last reset"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)
