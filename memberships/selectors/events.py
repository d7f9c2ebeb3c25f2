"""Read side of events: annotated querysets for the pages, so each runs a constant number of
queries however many events and registrations there are."""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..enums import (
    LIVE_REGISTRATION_STATUSES,
    SHARED_MEMBERSHIP_STATUSES,
    EventKind,
    EventStatus,
    RegistrationStatus,
)
from ..models import Event, Membership, Registration, Resource, UrgentHelpLine
from ..models.events import SEARCH_CONFIG

# Memberships whose consented data the partner already holds.


def _waitlist_ahead() -> Subquery:
    """How many waitlisted registrations of the same event arrived before this one."""
    ahead = (
        Registration.objects.filter(event=OuterRef("event"), status=RegistrationStatus.WAITLISTED)
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .values("event")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(ahead, output_field=IntegerField())


def registrations_with_position(qs: QuerySet[Registration]) -> QuerySet[Registration]:
    """`waitlist_position` is 1 for the head of the waitlist, None when not waitlisted."""
    return qs.annotate(
        waitlist_position=Case(
            When(
                status=RegistrationStatus.WAITLISTED,
                then=Coalesce(_waitlist_ahead(), Value(0)) + 1,
            ),
            default=None,
            output_field=IntegerField(),
        )
    )


def waitlist_position(*, registration: Registration) -> int | None:
    """1 for the head of the waitlist, None when not waitlisted (one query)."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    return (
        registrations_with_position(Registration.objects.filter(pk=registration.pk))
        .values_list("waitlist_position", flat=True)
        .get()
    )


def _registration_count(status: RegistrationStatus) -> Subquery:
    """The event's registrations in `status`, as a correlated subquery: the database counts
    only for the rows it returns, so a page of 20 events counts 20 events' registrations
    however many events match, and the paginator's COUNT leaves it out altogether."""
    count = (
        Registration.objects.filter(event=OuterRef("pk"), status=status)
        .order_by()
        .values("event")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(count, output_field=IntegerField()), Value(0))


def events_with_counts(qs: QuerySet[Event]) -> QuerySet[Event]:
    """Annotate `confirmed_count`, `waitlisted_count` and `seats_left` (None: unlimited)."""
    return qs.annotate(
        confirmed_count=_registration_count(RegistrationStatus.CONFIRMED),
        waitlisted_count=_registration_count(RegistrationStatus.WAITLISTED),
    ).annotate(
        seats_left=Case(
            When(capacity__isnull=True, then=Value(None)),
            When(capacity__lte=F("confirmed_count"), then=Value(0)),
            default=F("capacity") - F("confirmed_count"),
            output_field=IntegerField(),
        )
    )


def _for_viewer(qs: QuerySet[Event], *, user) -> QuerySet[Event]:
    """Preload the viewer's own live registration (as `viewer_registrations`)."""
    mine = registrations_with_position(
        Registration.objects.filter(user=user, status__in=LIVE_REGISTRATION_STATUSES)
    )
    return qs.prefetch_related(
        Prefetch("registrations", queryset=mine, to_attr="viewer_registrations")
    )


SEARCH_MAX_WORDS = 8
SEARCH_MAX_WORD_LENGTH = 40
_SEARCH_WORD = re.compile(r"\w+(?:-\w+)*")


def _search_words(text: str) -> list[str]:
    """Lower-case words (hyphenated ones kept whole); quotes and operators never get through."""
    words = [w[:SEARCH_MAX_WORD_LENGTH] for w in _SEARCH_WORD.findall(text.lower()) if len(w) > 1]
    return words[:SEARCH_MAX_WORDS]


# Closed spellings people type for the programme's hyphenated words.
HYPHENATED_COMPOUNDS = {
    "wellbeing": "well-being",
    "selfcare": "self-care",
    "followup": "follow-up",
    "cyberbullying": "cyber-bullying",
}


def _word_alternatives(word: str) -> list[str]:
    """tsquery alternatives for one typed word, so that a prefix and simple spelling variants
    match the English-stemmed text:
    - the prefix itself (`'moderat':*`);
    - the shorter lexemes the stemmer may have cut it to: "moderators" is stored as `moder`,
      which `'moderat':*` alone does not reach;
    - a hyphenated word also written closed ("well-being" as "wellbeing"), and the
      programme's closed compounds also hyphenated ("wellbeing" as "well-being").
    Splitting every word at every position would also match, but gives the planner a query
    it cannot estimate, so it stops using the search index."""
    alternatives = [f"'{word}':*"]
    if len(word) >= 5 and word.isalpha():
        alternatives += [f"'{word[:n]}'" for n in range(max(4, len(word) - 2), len(word))]
    if "-" in word:
        alternatives.append(f"'{word.replace('-', '')}':*")
    elif word in HYPHENATED_COMPOUNDS:
        alternatives.append(f"'{HYPHENATED_COMPOUNDS[word]}'")
    return alternatives


def search_tsquery(text: str) -> str:
    """A raw tsquery: every typed word must match, each through any of its alternatives."""
    return " & ".join(
        "(" + " | ".join(_word_alternatives(word)) + ")" for word in _search_words(text)
    )


def _search(qs: QuerySet[Event], text: str) -> QuerySet[Event]:
    """PostgreSQL: the stored vector, in the language it was built with, so that its GIN
    index serves the query. SQLite: a substring match."""
    if connection.vendor == "postgresql":
        tsquery = search_tsquery(text)
        if not tsquery:
            return qs.none()
        return qs.filter(
            search_vector=SearchQuery(tsquery, search_type="raw", config=SEARCH_CONFIG)
        )
    # SQLite (development): every word somewhere in the text, as typed.
    for word in _search_words(text) or [text]:
        qs = qs.filter(
            Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
        )
    return qs


def event_list(
    *,
    user,
    past: bool = False,
    kind: str = "",
    topic=None,
    format: str = "",  # noqa: A002 -- the field's name
    date_from=None,
    date_to=None,
    q: str = "",
    hide_content_notes: bool = False,
    now=None,
) -> QuerySet[Event]:
    """Published events (upcoming, or past when `past`) matching the filters, with seat counts
    and the viewer's own registration. Dates are the viewer's local calendar days."""
    now = now or timezone.now()
    qs = Event.objects.filter(status=EventStatus.PUBLISHED)
    if past:
        qs = qs.filter(ends_at__lte=now).order_by("-starts_at", "-pk")
    else:
        qs = qs.filter(ends_at__gt=now).order_by("starts_at", "pk")
    if kind:
        qs = qs.filter(kind=kind)
    if topic is not None:
        qs = qs.filter(topics=topic)
    if format:
        qs = qs.filter(format=format)
    if date_from:
        qs = qs.filter(starts_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(starts_at__date__lte=date_to)
    if hide_content_notes:
        qs = qs.filter(content_note_label="", content_note="")
    if q:
        qs = _search(qs, q)
    qs = events_with_counts(qs).select_related("partner").prefetch_related("topics")
    return _for_viewer(qs, user=user)


def event_for_viewer(*, user, slug: str) -> Event | None:
    """One event as its page shows it; drafts only for staff. None if there is no such event."""
    qs = Event.objects.filter(slug=slug)
    if not user.is_staff:
        qs = qs.exclude(status=EventStatus.DRAFT)
    qs = events_with_counts(qs).select_related("partner").prefetch_related("topics")
    return _for_viewer(qs, user=user).first()


def my_registrations(*, user) -> QuerySet[Registration]:
    """The person's live registrations for events that have not ended, soonest first."""
    qs = Registration.objects.filter(
        user=user, status__in=LIVE_REGISTRATION_STATUSES, event__ends_at__gt=timezone.now()
    ).exclude(event__status=EventStatus.DRAFT)
    return (
        registrations_with_position(qs)
        .select_related("event", "event__partner")
        .order_by("event__starts_at", "pk")
    )


def feed_events(*, user) -> QuerySet[Event]:
    """Events in the person's calendar feed: their confirmed seats, cancelled events included
    (so calendar apps show them as cancelled)."""
    return (
        Event.objects.filter(
            registrations__user=user, registrations__status=RegistrationStatus.CONFIRMED
        )
        .exclude(status=EventStatus.DRAFT)
        .select_related("partner")
        .order_by("starts_at", "pk")
        .distinct()
    )


def event_roster(*, event: Event) -> list[dict]:
    """Confirmed attendees as the host may see them. Per attendee: what they agreed to share
    with this partner when they claimed their membership (the membership's snapshot), else
    name and e-mail if the event says they are shared with the host, else nothing but a
    reference number."""
    memberships = Membership.objects.filter(
        sponsorship__partner_id=event.partner_id, status__in=SHARED_MEMBERSHIP_STATUSES
    ).order_by("-claimed_at")
    registrations = (
        event.registrations.filter(status=RegistrationStatus.CONFIRMED)
        .select_related("user")
        .prefetch_related(
            Prefetch("user__memberships", queryset=memberships, to_attr="host_memberships")
        )
        .order_by("created_at", "pk")
    )
    roster = []
    for registration in registrations:
        entry = {
            "registration_id": registration.pk,
            "registered_at": registration.created_at.isoformat(),
        }
        membership = next(iter(registration.user.host_memberships), None)
        if membership is not None:
            entry.update({key: str(value) for key, value in membership.partner_data.items()})
            if membership.member_number:
                entry["member_number"] = membership.member_number
        elif event.shares_attendee_contact:
            entry.update({"name": registration.user.display_name, "email": registration.user.email})
        roster.append(entry)
    return roster


def resource_list(*, kind: str = "") -> QuerySet[Resource]:
    """Resources, well-being support first (people looking for it should not have to scroll):
    the kinds in descending order of their values (well_being, guide, career), which the
    index `resource_list_idx` serves as it is."""
    qs = Resource.objects.select_related("partner").order_by("-kind", "title", "pk")
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def urgent_help_lines() -> list[UrgentHelpLine]:
    return list(UrgentHelpLine.objects.filter(is_active=True).order_by("order", "name", "pk"))


def well_being_events(*, user) -> QuerySet[Event]:
    """Upcoming well-being sessions, as the event list shows them."""
    return event_list(user=user, kind=EventKind.WELL_BEING)
