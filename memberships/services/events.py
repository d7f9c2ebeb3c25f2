"""Events: registration with capacity and waitlist, changes and cancellations, reminders and
the partner's attendee roster. Every e-mail goes through the outbox, in the same transaction."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ..csv_export import csv_text
from ..enums import (
    LIVE_REGISTRATION_STATUSES,
    EventStatus,
    NotificationKind,
    RegistrationStatus,
)
from ..exceptions import (
    EventNotOpen,
    MembersOnly,
    RegistrationClosed,
    RegistrationNotYetOpen,
)
from ..models import Event, Registration
from ..selectors.claims import membership_is_active
from ..selectors.events import event_roster, waitlist_position
from .audit import audit_record
from .calendar import calendar_for_events, event_absolute_url
from .locks import event_lock
from .notifications import notify_employee, notify_partner

# A change to any of these moves the event in people's calendars and is announced.
ANNOUNCED_FIELDS = ("starts_at", "ends_at", "time_zone", "venue", "join_url", "format")
# A new title is not announced, but calendars must pick it up.
CALENDAR_FIELDS = (*ANNOUNCED_FIELDS, "title")
EDITABLE_FIELDS = (
    "partner",
    "title",
    "slug",
    "kind",
    "summary",
    "body",
    "starts_at",
    "ends_at",
    "time_zone",
    "format",
    "venue",
    "join_url",
    "capacity",
    "content_note_label",
    "content_note",
    "registration_opens_at",
    "registration_closes_at",
    "is_members_only",
    "shares_attendee_contact",
    "status",
)


# Payloads ---------------------------------------------------------------------------------


def _zone_for(user, event: Event) -> zoneinfo.ZoneInfo:
    name = getattr(user, "time_zone", "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(event.time_zone)


def event_when(*, event: Event, zone: zoneinfo.ZoneInfo) -> str:
    """`Tuesday 12 May 2026, 15:00–16:30 (Asia/Karachi)` in `zone`."""
    starts = timezone.localtime(event.starts_at, zone)
    ends = timezone.localtime(event.ends_at, zone)
    start_text = formats.date_format(starts, "l j F Y, H:i")
    end_format = "H:i" if starts.date() == ends.date() else "l j F Y, H:i"
    return f"{start_text}–{formats.date_format(ends, end_format)} ({zone.key})"


def event_payload(*, event: Event, user=None, registration: Registration | None = None) -> dict:
    """What the e-mail templates need, as JSON values. The join link only goes to seat holders."""
    zone = _zone_for(user, event)
    payload = {
        "event_id": event.pk,
        "event_title": event.title,
        "event_url": event_absolute_url(event),
        "event_kind": str(event.get_kind_display()),
        "event_format": str(event.get_format_display()),
        "venue": event.venue,
        "when": event_when(event=event, zone=zone),
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "event_time_zone": event.time_zone,
        "host": event.partner.name,
        "my_events_url": settings.SITE_URL + reverse("memberships:my-events"),
    }
    if user is not None:
        payload["name"] = user.display_name
    if registration is not None:
        payload["registration_id"] = registration.pk
        if registration.status == RegistrationStatus.CONFIRMED:
            payload["join_url"] = event.join_url
    return payload


def _with_calendar(payload: dict, event: Event) -> dict:
    payload["attachments"] = [
        {
            "filename": f"{event.slug}.ics",
            "content": calendar_for_events([event]).decode(),
            "mimetype": "text/calendar",
        }
    ]
    return payload


# Registration -----------------------------------------------------------------------------


def _registration_check(*, user, event: Event, now) -> None:
    if event.status != EventStatus.PUBLISHED:
        raise EventNotOpen
    if event.registration_opens_at and now < event.registration_opens_at:
        raise RegistrationNotYetOpen
    if now >= event.registration_closes:
        raise RegistrationClosed
    if event.is_members_only and not membership_is_active(user=user, partner=event.partner):
        raise MembersOnly


def _confirmed_count(event: Event) -> int:
    return event.registrations.filter(status=RegistrationStatus.CONFIRMED).count()


def _has_seat_free(event: Event) -> bool:
    return event.capacity is None or _confirmed_count(event) < event.capacity


@transaction.atomic(durable=True)
def registration_create(*, user, event: Event) -> Registration:
    """Give `user` a seat, or a waitlist place when the event is full, and e-mail them.

    Locks the event row, so concurrent registrations queue up and the lock order is the
    waitlist order. Idempotent: a live registrant gets their registration back, no e-mail."""
    now = timezone.now()
    _registration_check(user=user, event=event, now=now)
    event = event_lock(event_id=event.pk)
    _registration_check(user=user, event=event, now=now)  # the row may have changed meanwhile
    existing = event.registrations.filter(user=user, status__in=LIVE_REGISTRATION_STATUSES).first()
    if existing is not None:
        return existing
    status = (
        RegistrationStatus.CONFIRMED if _has_seat_free(event) else RegistrationStatus.WAITLISTED
    )
    registration = Registration.objects.create(
        event=event, user=user, status=status, created_at=timezone.now()
    )
    payload = event_payload(event=event, user=user, registration=registration)
    if status == RegistrationStatus.CONFIRMED:
        notify_employee(
            user=user,
            kind=NotificationKind.REGISTRATION_CONFIRMED,
            payload=_with_calendar(payload, event),
            key=f"registration:{registration.pk}:confirmed",
        )
    else:
        payload["position"] = waitlist_position(registration=registration)
        notify_employee(
            user=user,
            kind=NotificationKind.REGISTRATION_WAITLISTED,
            payload=payload,
            key=f"registration:{registration.pk}:waitlisted",
        )
    return registration


def _waitlist_promote(*, event: Event) -> list[Registration]:
    """Fill free seats from the head of the waitlist. Runs with the event row locked."""
    if event.status != EventStatus.PUBLISHED:
        return []
    free = None if event.capacity is None else event.capacity - _confirmed_count(event)
    waitlist = event.registrations.filter(status=RegistrationStatus.WAITLISTED).select_related(
        "user"
    )
    heads = list(waitlist.order_by("created_at", "pk")[:free] if free is not None else waitlist)
    now = timezone.now()
    for registration in heads:
        registration.status = RegistrationStatus.CONFIRMED
        registration.promoted_at = now
        registration.save(update_fields=["status", "promoted_at"])
        payload = event_payload(event=event, user=registration.user, registration=registration)
        notify_employee(
            user=registration.user,
            kind=NotificationKind.REGISTRATION_PROMOTED,
            payload=_with_calendar(payload, event),
            key=f"registration:{registration.pk}:promoted",
        )
    return heads


@transaction.atomic(durable=True)
def registration_cancel(*, registration: Registration, actor) -> Registration:
    """Cancel a seat or waitlist place; a freed seat goes to the head of the waitlist at once.

    Locks the event row. Idempotent: cancelling a cancelled registration changes nothing."""
    event = event_lock(event_id=registration.event_id)
    registration = Registration.objects.select_related("user").get(pk=registration.pk)
    if not registration.is_live:
        return registration
    old_status = registration.status
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at"])
    if actor is not None and actor.pk != registration.user_id:
        audit_record(
            actor=actor,
            obj=event,
            action="registration_cancelled",
            changes={"registration": registration.pk, "status": [old_status, "cancelled"]},
        )
    if old_status == RegistrationStatus.CONFIRMED:
        _waitlist_promote(event=event)
    return registration


# Admin changes ----------------------------------------------------------------------------


def _json(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _announce(*, event: Event, kind: NotificationKind, key_part: str, reason: str = "") -> int:
    registrations = event.registrations.filter(
        status__in=LIVE_REGISTRATION_STATUSES
    ).select_related("user")
    count = 0
    for registration in registrations:
        payload = event_payload(event=event, user=registration.user, registration=registration)
        if reason:
            payload["reason"] = reason
        notify_employee(
            user=registration.user,
            kind=kind,
            payload=payload,
            key=f"event:{event.pk}:{key_part}:{event.sequence}:{registration.pk}",
        )
        count += 1
    return count


# Not durable: the admin calls it from save_model, inside the admin's own transaction.
@transaction.atomic
def event_update(*, event: Event, actor, data: dict, reason: str = "") -> Event:
    """Apply `data` (field -> new value) to the event, with its consequences: a change of time,
    place or join link raises the calendar sequence and tells every live registrant; more
    capacity promotes from the waitlist; status cancelled cancels. Locks the event row."""
    locked = event_lock(event_id=event.pk)
    changes = {}
    for field, value in data.items():
        if field not in EDITABLE_FIELDS:
            raise ValueError(f"{field} cannot be changed here")
        old = getattr(locked, field)
        if old != value:
            changes[field] = [_json(old), _json(value)]
            setattr(locked, field, value)
    if not changes:
        return locked
    new_status = changes.get("status", [None, None])[1]
    if any(field in changes for field in CALENDAR_FIELDS) or new_status == EventStatus.CANCELLED:
        locked.sequence += 1
    locked.full_clean()
    locked.save()
    audit_record(actor=actor, obj=locked, action="event_changed", changes=changes, reason=reason)
    if new_status == EventStatus.CANCELLED:
        _announce(
            event=locked,
            kind=NotificationKind.EVENT_CANCELLED,
            key_part="cancelled",
            reason=reason,
        )
    elif any(field in changes for field in ANNOUNCED_FIELDS):
        _announce(event=locked, kind=NotificationKind.EVENT_CHANGED, key_part="changed")
    if "capacity" in changes or new_status == EventStatus.PUBLISHED:
        _waitlist_promote(event=locked)
    return locked


def event_publish(*, event: Event, actor) -> Event:
    """Make a draft visible. Idempotent; a cancelled event stays cancelled."""
    if event.status != EventStatus.DRAFT:
        return event
    return event_update(event=event, actor=actor, data={"status": EventStatus.PUBLISHED})


def event_cancel(*, event: Event, actor, reason: str = "") -> Event:
    """Cancel the event and tell every live registrant (once). Idempotent."""
    if event.status == EventStatus.CANCELLED:
        return event
    return event_update(
        event=event, actor=actor, data={"status": EventStatus.CANCELLED}, reason=reason
    )


@transaction.atomic(durable=True)
def event_duplicate(*, event: Event, actor) -> Event:
    """A draft copy (same topics, no registrations) for the next edition."""
    base = slugify(f"{event.slug}-copy")[:190]
    slug, n = base, 1
    while Event.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    # "(copy)" tells the two apart in every list until the admin retitles the new edition.
    title = _("%(title)s (copy)") % {"title": event.title}
    copy = Event.objects.create(
        **{field: getattr(event, field) for field in EDITABLE_FIELDS if field != "slug"}
        | {"slug": slug, "status": EventStatus.DRAFT, "title": title[:200]},
    )
    copy.topics.set(event.topics.all())
    audit_record(actor=actor, obj=copy, action="event_duplicated", changes={"from": event.pk})
    return copy


# Periodic work ----------------------------------------------------------------------------


def event_reminders_send(*, now=None) -> int:
    """Remind confirmed registrants of events starting within EVENT_REMINDER_HOURS.

    Once only per registration: the `reminder_sent_at` compare-and-set and the outbox key
    `reminder:<registration>` both guard it, so overlapping runs send nothing twice."""
    now = now or timezone.now()
    horizon = now + timedelta(hours=settings.EVENT_REMINDER_HOURS)
    due = Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED,
        reminder_sent_at__isnull=True,
        event__status=EventStatus.PUBLISHED,
        event__starts_at__gt=now,
        event__starts_at__lte=horizon,
    ).select_related("event__partner", "user")
    sent = 0
    for registration in due.iterator(chunk_size=500):
        with transaction.atomic():
            claimed = Registration.objects.filter(
                pk=registration.pk,
                status=RegistrationStatus.CONFIRMED,
                reminder_sent_at__isnull=True,
            ).update(reminder_sent_at=now)
            if claimed != 1:
                continue
            payload = event_payload(
                event=registration.event, user=registration.user, registration=registration
            )
            notify_employee(
                user=registration.user,
                kind=NotificationKind.EVENT_REMINDER,
                payload=payload,
                key=f"reminder:{registration.pk}",
            )
            sent += 1
    return sent


def _roster_csv(attendees: list[dict]) -> str:
    columns = sorted({key for attendee in attendees for key in attendee})
    return csv_text(
        header=columns, rows=([row.get(key, "") for key in columns] for row in attendees)
    )


@transaction.atomic(durable=True)
def event_roster_send(*, event: Event) -> bool:
    """Send the host partner the attendee roster (consented fields only), once per event.

    Locks the event row; returns False if it was already sent."""
    event = event_lock(event_id=event.pk)
    if event.roster_sent_at is not None:
        return False
    attendees = event_roster(event=event)
    payload = {
        "event_id": event.pk,
        "event_slug": event.slug,
        "event_title": event.title,
        "event_kind": event.kind,
        "event_url": event_absolute_url(event),
        "starts_at": event.starts_at.isoformat(),
        "when": event_when(event=event, zone=zoneinfo.ZoneInfo(event.time_zone)),
        "attendee_count": len(attendees),
        "attendees": attendees,
        "attachments": [
            {
                "filename": f"{event.slug}-attendees.csv",
                "content": _roster_csv(attendees),
                "mimetype": "text/csv",
            }
        ],
    }
    notify_partner(
        partner=event.partner,
        kind=NotificationKind.PARTNER_EVENT_ROSTER,
        payload=payload,
        key=f"event:{event.pk}:roster",
    )
    event.roster_sent_at = timezone.now()
    event.save(update_fields=["roster_sent_at"])
    return True


def event_rosters_send(*, now=None) -> int:
    """Send the roster of every published event whose registration has closed and that has not
    ended yet. Each event in its own transaction, so one failure does not hold back the rest."""
    now = now or timezone.now()
    due = (
        Event.objects.filter(
            status=EventStatus.PUBLISHED, roster_sent_at__isnull=True, ends_at__gt=now
        )
        .filter(
            # registration closes at registration_closes_at, or at the start when that is empty
            Q(registration_closes_at__lte=now)
            | Q(registration_closes_at__isnull=True, starts_at__lte=now)
        )
        .values_list("pk", flat=True)
    )
    return sum(event_roster_send(event=Event(pk=pk)) for pk in list(due))


# Viewer settings --------------------------------------------------------------------------


def user_time_zone_update(*, user, time_zone: str):
    """Store the zone the person wants times shown in ('' means the site's)."""
    user.time_zone = time_zone
    user.full_clean(validate_unique=False, exclude=["password"])
    user.save(update_fields=["time_zone"])
    return user
