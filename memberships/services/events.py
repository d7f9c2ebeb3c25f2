"""Events: registration with capacity and waitlist, changes and cancellations, reminders and
the partner's attendee roster. Every e-mail goes through the outbox, in the same transaction."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ..capacity import has_place, places_left
from ..csv_export import csv_text
from ..enums import (
    LIVE_REGISTRATION_STATUSES,
    EventFormat,
    EventStatus,
    NotificationKind,
    RegistrationStatus,
)
from ..exceptions import (
    EventNotOpen,
    InvalidEventChange,
    MembersOnly,
    RegistrationClosed,
    RegistrationNotYetOpen,
)
from ..models import Event, Registration
from ..models.events import (
    REGISTRATION_CLOSED,
    REGISTRATION_NOT_PUBLISHED,
    REGISTRATION_NOT_YET_OPEN,
    SEARCH_CONFIG,
    registration_closed_q,
)
from ..selectors.claims import membership_is_active
from ..selectors.events import event_roster, waitlist_position
from .audit import audit_record, audit_value, audited_delete, audited_save
from .calendar import METHOD_CANCEL, METHOD_REQUEST, calendar_attachment, event_absolute_url
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


def _with_calendar(payload: dict, event: Event, *, user, method: str = METHOD_REQUEST) -> dict:
    """Attach the iTIP message, so the recipient's calendar adds, updates or removes the
    entry by itself."""
    payload["attachments"] = [calendar_attachment(event=event, user=user, method=method)]
    return payload


# Search -----------------------------------------------------------------------------------

SEARCH_FIELDS = ("title", "summary", "body")


def event_search_vector() -> SearchVector:
    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body", weight="C", config=SEARCH_CONFIG)
    )


def event_search_refresh(*, events: QuerySet[Event]) -> int:
    """Recompute the stored search vector of `events` (one UPDATE). Every service that
    writes a title, summary or description calls it in the same transaction. SQLite keeps no
    vector (its search is a substring match), so there it does nothing."""
    if connection.vendor != "postgresql":
        return 0
    return events.order_by().update(search_vector=event_search_vector())


# Registration -----------------------------------------------------------------------------


REGISTRATION_SHUT_ERRORS = {
    REGISTRATION_NOT_PUBLISHED: EventNotOpen,
    REGISTRATION_NOT_YET_OPEN: RegistrationNotYetOpen,
    REGISTRATION_CLOSED: RegistrationClosed,
}


def _registration_check(*, user, event: Event, now) -> None:
    shut = event.registration_shut_reason(now)
    if shut is not None:
        raise REGISTRATION_SHUT_ERRORS[shut]
    if event.is_members_only and not membership_is_active(user=user, partner=event.partner):
        raise MembersOnly


def _confirmed_count(event: Event) -> int:
    return event.registrations.filter(status=RegistrationStatus.CONFIRMED).count()


def _has_seat_free(event: Event) -> bool:
    return has_place(limit=event.capacity, used=_confirmed_count(event))


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
            payload=_with_calendar(payload, event, user=user),
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
    free = places_left(limit=event.capacity, used=_confirmed_count(event))
    waitlist = event.registrations.filter(status=RegistrationStatus.WAITLISTED).select_related(
        "user"
    )
    ordered = waitlist.order_by("created_at", "pk")
    # A capacity lowered below the confirmed count leaves no free seat (never negative).
    heads = list(ordered if free is None else ordered[:free])
    now = timezone.now()
    for registration in heads:
        registration.status = RegistrationStatus.CONFIRMED
        registration.promoted_at = now
        registration.save(update_fields=["status", "promoted_at"])
        payload = event_payload(event=event, user=registration.user, registration=registration)
        notify_employee(
            user=registration.user,
            kind=NotificationKind.REGISTRATION_PROMOTED,
            payload=_with_calendar(payload, event, user=registration.user),
            key=f"registration:{registration.pk}:promoted",
        )
    return heads


# Who cancelled a registration, as the e-mail tells it.
CANCELLED_BY_EMPLOYEE = "employee"
CANCELLED_BY_ADMIN = "admin"
CANCELLED_BY_PORTAL = "portal"


def _registration_cancel_locked(
    *, event: Event, registration: Registration, actor, by: str, reason: str = ""
) -> Registration:
    """Cancel a live registration of the locked `event`, e-mail the person (with a calendar
    cancellation when they held a seat) and promote from the waitlist."""
    old_status = registration.status
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at"])
    if by != CANCELLED_BY_EMPLOYEE:
        audit_record(
            actor=actor,
            obj=event,
            action="registration_cancelled",
            changes={"registration": registration.pk, "status": [old_status, "cancelled"]},
            reason=reason,
        )
    payload = event_payload(event=event, user=registration.user)
    payload.update(
        {"cancelled_by": by, "reason": reason, "was_confirmed": old_status == "confirmed"}
    )
    if old_status == RegistrationStatus.CONFIRMED:
        # A new revision of the person's calendar entry: it is removed, the next REQUEST
        # (if they register again) must outrank this CANCEL.
        event.sequence += 1
        event.save(update_fields=["sequence"])
        _with_calendar(payload, event, user=registration.user, method=METHOD_CANCEL)
    notify_employee(
        user=registration.user,
        kind=NotificationKind.REGISTRATION_CANCELLED,
        payload=payload,
        key=f"registration:{registration.pk}:cancelled",
    )
    if old_status == RegistrationStatus.CONFIRMED:
        _waitlist_promote(event=event)
    return registration


@transaction.atomic(durable=True)
def registration_cancel(*, registration: Registration, actor, reason: str = "") -> Registration:
    """Cancel a seat or waitlist place; a freed seat goes to the head of the waitlist at once.
    The person is e-mailed: their own cancellation, an admin's (`actor`), or the portal's
    (`actor=None`), with `reason` when given.

    Locks the event row. Idempotent: cancelling a cancelled registration changes nothing."""
    event = event_lock(event_id=registration.event_id)
    registration = Registration.objects.select_related("user").get(pk=registration.pk)
    if not registration.is_live:
        return registration
    if actor is None:
        by = CANCELLED_BY_PORTAL  # no person: the portal itself (leaving the company, ...)
    elif actor.pk == registration.user_id:
        by = CANCELLED_BY_EMPLOYEE
    else:
        by = CANCELLED_BY_ADMIN
    return _registration_cancel_locked(
        event=event, registration=registration, actor=actor, by=by, reason=reason
    )


def _registrations_cancel_future(*, user, reason: str, now, **event_lookups) -> list:
    """Cancel `user`'s live registrations for events starting after `now` (and matching
    `event_lookups`, Registration filters such as `event__partner=`), e-mailing them and
    promoting each event's waitlist. Locks the events one by one in id order, then cancels
    what is still live under the lock."""
    event_ids = sorted(
        set(
            Registration.objects.filter(
                user=user,
                status__in=LIVE_REGISTRATION_STATUSES,
                event__starts_at__gt=now,
                **event_lookups,
            ).values_list("event_id", flat=True)
        )
    )
    cancelled = []
    for event_id in event_ids:
        event = event_lock(event_id=event_id)
        for registration in event.registrations.select_related("user").filter(
            user=user, status__in=LIVE_REGISTRATION_STATUSES
        ):
            cancelled.append(
                _registration_cancel_locked(
                    event=event,
                    registration=registration,
                    actor=None,
                    by=CANCELLED_BY_PORTAL,
                    reason=reason,
                )
            )
    return cancelled


@transaction.atomic
def registrations_cancel_members_only(*, user, partner, reason: str, now=None) -> list:
    """Cancel `user`'s live registrations for future members-only events of `partner` once
    they hold no active membership with it. Runs inside the caller's transaction (the
    membership change); locks each event row after the membership rows (the lock order)."""
    if membership_is_active(user=user, partner=partner):
        return []
    return _registrations_cancel_future(
        user=user,
        reason=reason,
        now=now or timezone.now(),
        event__partner=partner,
        event__is_members_only=True,
        event__status=EventStatus.PUBLISHED,
    )


def registrations_cancel_future_for_user(*, user, reason: str = "") -> list[Registration]:
    """Cancel every live registration of `user` for events not yet started (someone leaving
    the company), inside the caller's transaction. Idempotent."""
    return _registrations_cancel_future(user=user, reason=reason, now=timezone.now())


# Admin changes ----------------------------------------------------------------------------


def _shown(field: str, value, *, zone: zoneinfo.ZoneInfo) -> str:
    """A changed value as the recipient reads it: instants in their own zone."""
    if value is None or value == "":
        return "–"
    if field in ("starts_at", "ends_at"):
        local = timezone.localtime(value, zone)
        return f"{formats.date_format(local, 'l j F Y, H:i')} ({zone.key})"
    if field == "format":
        return str(EventFormat(value).label)
    return str(value)


def event_changes_for(*, changes: dict, user, event: Event, is_confirmed: bool) -> list[dict]:
    """The announced fields that changed, old → new, as `user` reads them. The join link is
    told only to seat holders."""
    zone = _zone_for(user, event)
    shown = []
    for field in ANNOUNCED_FIELDS:
        if field not in changes or (field == "join_url" and not is_confirmed):
            continue
        old, new = changes[field]
        shown.append(
            {
                "field": str(Event._meta.get_field(field).verbose_name),
                "old": _shown(field, old, zone=zone),
                "new": _shown(field, new, zone=zone),
            }
        )
    return shown


def _announce(
    *,
    event: Event,
    kind: NotificationKind,
    key_part: str,
    changes: dict | None = None,
    reason: str = "",
) -> int:
    """E-mail every live registrant; seat holders get the iTIP file (REQUEST with the new
    SEQUENCE for a change, CANCEL for a cancellation)."""
    registrations = event.registrations.filter(
        status__in=LIVE_REGISTRATION_STATUSES
    ).select_related("user")
    method = METHOD_CANCEL if kind == NotificationKind.EVENT_CANCELLED else METHOD_REQUEST
    count = 0
    for registration in registrations:
        is_confirmed = registration.status == RegistrationStatus.CONFIRMED
        payload = event_payload(event=event, user=registration.user, registration=registration)
        if changes is not None:
            payload["changes"] = event_changes_for(
                changes=changes, user=registration.user, event=event, is_confirmed=is_confirmed
            )
        if is_confirmed:
            _with_calendar(payload, event, user=registration.user, method=method)
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


def _clean_capacity(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidEventChange(_("Capacity must be empty (no limit) or a whole number ≥ 0."))
    return value


def capacity_notice(*, event: Event, confirmed: int) -> str:
    """What an admin is told after setting a capacity below the confirmed count."""
    if event.capacity is None or event.capacity >= confirmed:
        return ""
    return _(
        "%(confirmed)s people hold a seat and the capacity is now %(capacity)s: nobody loses "
        "their seat; new registrations go to the waitlist until fewer than %(capacity)s hold one."
    ) % {"confirmed": confirmed, "capacity": event.capacity}


# Not durable: the admin calls it from save_model, inside the admin's own transaction.
@transaction.atomic
def event_update(*, event: Event, actor, data: dict, reason: str = "") -> Event:
    """Apply `data` (field -> new value) to the event, with its consequences: a change of time,
    place or join link raises the calendar sequence and tells every live registrant what
    changed (with the updated calendar entry); a new start re-arms the reminder; more
    capacity promotes from the waitlist, less never unseats anyone; status cancelled cancels.
    Locks the event row. An invalid value raises InvalidEventChange, never anything else."""
    locked = event_lock(event_id=event.pk)
    if "capacity" in data:
        data = {**data, "capacity": _clean_capacity(data["capacity"])}
    changes, raw_changes = {}, {}
    for field, value in data.items():
        if field not in EDITABLE_FIELDS:
            raise ValueError(f"{field} cannot be changed here")
        old = getattr(locked, field)
        if old != value:
            changes[field] = [audit_value(old), audit_value(value)]
            raw_changes[field] = (old, value)
            setattr(locked, field, value)
    if not changes:
        return locked
    new_status = changes.get("status", [None, None])[1]
    if any(field in changes for field in CALENDAR_FIELDS) or new_status == EventStatus.CANCELLED:
        locked.sequence += 1
    if new_status == EventStatus.CANCELLED:
        locked.cancelled_at = timezone.now()
    try:
        locked.full_clean()
    except ValidationError as exc:
        raise InvalidEventChange(" ".join(exc.messages)) from exc
    locked.save()
    if any(field in changes for field in SEARCH_FIELDS):
        event_search_refresh(events=Event.objects.filter(pk=locked.pk))
    audit_record(actor=actor, obj=locked, action="event_changed", changes=changes, reason=reason)
    if "starts_at" in changes:
        # Moved: whoever was reminded of the old time is reminded again before the new one.
        locked.registrations.filter(reminder_sent_at__isnull=False).update(reminder_sent_at=None)
    if new_status == EventStatus.CANCELLED:
        _announce(
            event=locked,
            kind=NotificationKind.EVENT_CANCELLED,
            key_part="cancelled",
            reason=reason,
        )
    elif any(field in changes for field in ANNOUNCED_FIELDS):
        _announce(
            event=locked,
            kind=NotificationKind.EVENT_CHANGED,
            key_part="changed",
            changes=raw_changes,
        )
    if "capacity" in changes or new_status == EventStatus.PUBLISHED:
        _waitlist_promote(event=locked)
    return locked


# Not durable: the admin calls it from save_model, inside the admin's own transaction.
@transaction.atomic
def event_create(*, event: Event, actor, fields) -> Event:
    """A new event (a draft unless created published), with its search vector and its
    audit entry."""
    audited_save(obj=event, actor=actor, fields=fields, noun="event")
    event_search_refresh(events=Event.objects.filter(pk=event.pk))
    return event


def event_delete(*, event: Event, actor) -> None:
    """Delete an event nobody holds a place at. One with live registrations is refused:
    cancelling it is what tells its registrants and removes it from their calendars."""
    if event.registrations.filter(status__in=LIVE_REGISTRATION_STATUSES).exists():
        raise InvalidEventChange(
            _("People are registered for this event: cancel it instead, so they are told.")
        )
    audited_delete(obj=event, actor=actor, noun="event")


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
    event_search_refresh(events=Event.objects.filter(pk=copy.pk))
    audit_record(actor=actor, obj=copy, action="event_duplicated", changes={"from": event.pk})
    return copy


# Periodic work ----------------------------------------------------------------------------


def event_reminders_send(*, now=None) -> int:
    """Remind confirmed registrants of events starting within EVENT_REMINDER_HOURS.

    Once only per registration: the `reminder_sent_at` compare-and-set and the outbox key
    `reminder:<registration>:<start>` both guard it, so overlapping runs send nothing twice;
    moving the event clears `reminder_sent_at` and changes the start, which re-arms it."""
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
                # A moved event re-arms the reminder: a new start is a new reminder.
                key=f"reminder:{registration.pk}:{int(registration.event.starts_at.timestamp())}",
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
        .filter(registration_closed_q(now))
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
