"""Attendance: hosts and programme admins mark who came (attended) and who did not (no-show).

Marking someone as attended issues their certificate of attendance and queues the one e-mail
that asks for feedback; correcting it to a no-show withdraws the certificate. Every entry
point locks the event row (services/locks.py), like registration and cancellation do, so a
seat cannot be cancelled while its attendance is being recorded."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from ..enums import (
    AttendanceSource,
    AttendanceStatus,
    EventFormat,
    EventStatus,
    NotificationKind,
    RegistrationStatus,
)
from ..exceptions import (
    AttendanceImportInvalid,
    AttendanceNotOpen,
    AttendancePrivate,
    UnknownRegistrations,
)
from ..models import Attendance, Certificate, Event, Registration
from .audit import audit_record
from .events import event_payload
from .locks import event_lock
from .notifications import notify_employee, notify_partner

# Online platforms export attendee lists; an in-person event is marked by hand.
CSV_IMPORT_FORMATS = (EventFormat.ONLINE, EventFormat.HYBRID)
CSV_IMPORT_MAX_ROWS = 20_000


@dataclass
class AttendanceResult:
    """What one marking did: registration ids newly marked, changed, or already so."""

    created: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    # CSV import only: addresses that matched no confirmed seat (never for well-being).
    unmatched_emails: list[str] = field(default_factory=list)

    @property
    def recorded(self) -> int:
        return len(self.created) + len(self.changed)


def _check_open(event: Event, now) -> None:
    if event.status != EventStatus.PUBLISHED or now < event.starts_at:
        raise AttendanceNotOpen


def _apply(
    *, event: Event, registration: Registration, status: str, source: str, actor, now
) -> str:
    """Record one mark with its consequences; returns "created", "changed" or "unchanged"."""
    attendance = getattr(registration, "attendance", None)
    if attendance is not None and attendance.status == status:
        return "unchanged"
    if attendance is None:
        Attendance.objects.create(
            registration=registration, status=status, source=source, marked_by=actor, marked_at=now
        )
        outcome = "created"
    else:
        Attendance.objects.filter(pk=attendance.pk).update(
            status=status, source=source, marked_by=actor, marked_at=now
        )
        outcome = "changed"
    if status == AttendanceStatus.ATTENDED:
        Certificate.objects.get_or_create(registration=registration, defaults={"issued_at": now})
        payload = event_payload(event=event, user=registration.user)
        payload["feedback_url"] = _feedback_url(registration)
        # Keyed per registration: one e-mail ever, however often the mark is corrected.
        notify_employee(
            user=registration.user,
            kind=NotificationKind.FEEDBACK_REQUEST,
            payload=payload,
            key=f"registration:{registration.pk}:feedback-request",
        )
    else:
        Certificate.objects.filter(registration=registration).delete()
    return outcome


def _feedback_url(registration: Registration) -> str:
    return settings.SITE_URL + reverse(
        "memberships:feedback", kwargs={"registration_id": registration.pk}
    )


def _mark_locked(
    *, event: Event, marks: dict[int, str], source: str, actor, now
) -> AttendanceResult:
    registrations = {
        registration.pk: registration
        for registration in event.registrations.filter(
            pk__in=list(marks), status=RegistrationStatus.CONFIRMED
        ).select_related("user", "attendance")
    }
    unknown = set(marks) - set(registrations)
    if unknown:
        raise UnknownRegistrations(registration_ids=unknown)
    result = AttendanceResult()
    for registration_id in sorted(marks):
        outcome = _apply(
            event=event,
            registration=registrations[registration_id],
            status=marks[registration_id],
            source=source,
            actor=actor,
            now=now,
        )
        getattr(result, outcome).append(registration_id)
    if result.recorded:
        # Counts only: the trail must not list who went to a well-being session.
        counts = {
            status: sum(1 for rid in result.created + result.changed if marks[rid] == status)
            for status in AttendanceStatus.values
        }
        audit_record(
            actor=actor, obj=event, action="attendance_marked", changes={"source": source, **counts}
        )
    return result


@transaction.atomic(durable=True)
def attendance_mark(
    *, event: Event, marks: dict[int, str], source: str, actor=None, now=None
) -> AttendanceResult:
    """Mark confirmed registrations of `event` (registration id -> attended / no-show).

    All or nothing: an id that is not a confirmed seat of this event raises
    UnknownRegistrations. Idempotent: the same marks again change and send nothing. From
    the admin, well-being sessions are refused (their attendance is the employee's own
    business); the host records them through the partner API. Locks the event row."""
    now = now or timezone.now()
    if any(status not in AttendanceStatus.values for status in marks.values()):
        raise ValueError("unknown attendance status")
    event = event_lock(event_id=event.pk)
    if source != AttendanceSource.PARTNER_API and event.is_well_being:
        raise AttendancePrivate
    _check_open(event, now)
    return _mark_locked(event=event, marks=marks, source=source, actor=actor, now=now)


def _marks_digest(marks: dict[int, str]) -> str:
    text = json.dumps(sorted(marks.items()), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@transaction.atomic(durable=True)
def attendance_mark_by_partner(
    *, event: Event, marks: dict[int, str], now=None
) -> AttendanceResult:
    """The partner API's marking: as `attendance_mark`, then a confirmation to the partner
    (signed webhook and/or e-mail, as the partner chose) listing what was recorded. The
    confirmation is keyed by the request's content, so a repeated request confirms once."""
    now = now or timezone.now()
    if any(status not in AttendanceStatus.values for status in marks.values()):
        raise ValueError("unknown attendance status")
    event = event_lock(event_id=event.pk)
    _check_open(event, now)
    result = _mark_locked(
        event=event, marks=marks, source=AttendanceSource.PARTNER_API, actor=None, now=now
    )
    notify_partner(
        partner=event.partner,
        kind=NotificationKind.PARTNER_ATTENDANCE_RECORDED,
        payload={
            "event_slug": event.slug,
            "event_title": event.title,
            "attended": sorted(rid for rid, s in marks.items() if s == AttendanceStatus.ATTENDED),
            "no_show": sorted(rid for rid, s in marks.items() if s == AttendanceStatus.NO_SHOW),
            "recorded": result.recorded,
            "unchanged": len(result.unchanged),
        },
        key=f"event:{event.pk}:attendance:{_marks_digest(marks)}",
    )
    return result


def attendance_csv_emails(*, content: str) -> list[str]:
    """The e-mail addresses in an attendee export: the `email` (or `e-mail`) column when the
    header names one, else the first column; blank lines skipped, lower-cased, de-duplicated
    in file order. Raises AttendanceImportInvalid when no address is found."""
    rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))
    if not rows or len(rows) > CSV_IMPORT_MAX_ROWS + 1:
        raise AttendanceImportInvalid
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((i for i, name in enumerate(header) if name in ("email", "e-mail")), None)
    body = rows[1:] if column is not None or "@" not in "".join(rows[0]) else rows
    column = column or 0
    emails: dict[str, None] = {}
    for row in body:
        value = row[column].strip().lower() if len(row) > column else ""
        if not value:
            continue
        if "@" not in value:
            raise AttendanceImportInvalid
        emails[value] = None
    if not emails:
        raise AttendanceImportInvalid
    return list(emails)


@transaction.atomic(durable=True)
def attendance_import_csv(
    *, event: Event, content: str, actor, rest_are_no_shows: bool = False, now=None
) -> AttendanceResult:
    """Mark as attended the confirmed registrants whose e-mail is in `content` (an online
    platform's attendee export), and optionally everyone else as a no-show. Online and hybrid
    events only; never well-being sessions. Locks the event row."""
    now = now or timezone.now()
    emails = attendance_csv_emails(content=content)
    event = event_lock(event_id=event.pk)
    if event.is_well_being:
        raise AttendancePrivate
    if event.format not in CSV_IMPORT_FORMATS:
        # In-person events are marked by hand.
        raise AttendanceImportInvalid(
            gettext("Only online and hybrid events can import an attendee file.")
        )
    _check_open(event, now)
    seats = dict(
        event.registrations.filter(status=RegistrationStatus.CONFIRMED).values_list(
            "user__email", "pk"
        )
    )
    seats = {email.lower(): pk for email, pk in seats.items()}
    marks = {seats[email]: AttendanceStatus.ATTENDED for email in emails if email in seats}
    if rest_are_no_shows:
        for pk in seats.values():
            marks.setdefault(pk, AttendanceStatus.NO_SHOW)
    result = _mark_locked(
        event=event, marks=marks, source=AttendanceSource.CSV_IMPORT, actor=actor, now=now
    )
    result.unmatched_emails = [email for email in emails if email not in seats]
    return result
