"""Read side of the learning record: the employee's attended sessions and hours, their
certificates, their feedback, and the public check of a certificate code."""

from __future__ import annotations

import re
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Prefetch

from ..enums import AttendanceStatus, EventKind, RegistrationStatus
from ..models import Certificate, Feedback, LearningRecordSettings, Registration, Topic
from ..models.learning import CODE_ALPHABET, CODE_GROUP_LENGTH, CODE_GROUPS

HOURS_QUANTUM = Decimal("0.01")


def event_hours(*, starts_at: datetime, ends_at: datetime) -> Decimal:
    """The length of a session in hours, to the hundredth."""
    seconds = Decimal(int((ends_at - starts_at).total_seconds()))
    return (seconds / Decimal(3600)).quantize(HOURS_QUANTUM, rounding=ROUND_HALF_UP)


def user_zone(user) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@dataclass
class RecordEntry:
    registration: Registration
    hours: Decimal
    year: int
    topics: list[str]
    certificate_code: str
    feedback: Feedback | None

    @property
    def event(self):
        return self.registration.event


@dataclass
class LearningRecord:
    """Totals over every session shown (cheap rows), and the ids of those sessions newest
    first; `entries` holds full rows only for the ids asked for (a page, or a year)."""

    shows_well_being: bool
    years: list[int]
    year: int | None
    registration_ids: list[int]
    entries: list[RecordEntry] = field(default_factory=list)
    hours_by_kind: list[tuple[str, Decimal]] = field(default_factory=list)
    hours_by_topic: list[tuple[str, Decimal]] = field(default_factory=list)
    total_hours: Decimal = Decimal("0.00")
    hidden_well_being_count: int = 0


def shows_well_being(*, user) -> bool:
    return LearningRecordSettings.objects.filter(user=user, shows_well_being=True).exists()


def attended_registrations(*, user):
    """The person's attended registrations, newest first, with event, host, topics,
    certificate and feedback preloaded (two queries)."""
    return (
        Registration.objects.filter(
            user=user,
            status=RegistrationStatus.CONFIRMED,
            attendance__status=AttendanceStatus.ATTENDED,
        )
        .select_related("event", "event__partner", "certificate", "feedback", "attendance")
        .prefetch_related(Prefetch("event__topics", queryset=Topic.objects.order_by("name")))
        .order_by("-event__starts_at", "-pk")
    )


def _entry(registration: Registration, zone) -> RecordEntry:
    event = registration.event
    certificate = getattr(registration, "certificate", None)
    return RecordEntry(
        registration=registration,
        hours=event_hours(starts_at=event.starts_at, ends_at=event.ends_at),
        year=event.starts_at.astimezone(zone).year,
        topics=[topic.name for topic in event.topics.all()],
        certificate_code=certificate.code if certificate else "",
        feedback=getattr(registration, "feedback", None),
    )


def record_entries(*, user, registration_ids: list[int]) -> list[RecordEntry]:
    """Full rows for some of the person's attended sessions, in the order of the ids
    (three queries)."""
    zone = user_zone(user)
    loaded = {
        registration.pk: registration
        for registration in attended_registrations(user=user).filter(pk__in=registration_ids)
    }
    return [_entry(loaded[pk], zone) for pk in registration_ids if pk in loaded]


def learning_record(*, user, year: int | None = None) -> LearningRecord:
    """Totals and the ids of the sessions shown, in three light queries (tuples, not
    models) however many sessions. Well-being sessions are left out (and only counted)
    unless the person chose to show them. Hours of a session count once for its kind and
    once for each of its topics."""
    shows = shows_well_being(user=user)
    zone = user_zone(user)
    kind_labels = dict(EventKind.choices)
    rows = (
        Registration.objects.filter(
            user=user,
            status=RegistrationStatus.CONFIRMED,
            attendance__status=AttendanceStatus.ATTENDED,
        )
        .order_by("-event__starts_at", "-pk")
        .values_list("pk", "event_id", "event__kind", "event__starts_at", "event__ends_at")
    )
    kept = []
    hidden = 0
    years: set[int] = set()
    for pk, event_id, kind, starts_at, ends_at in rows:
        if kind == EventKind.WELL_BEING and not shows:
            hidden += 1
            continue
        entry_year = starts_at.astimezone(zone).year
        years.add(entry_year)
        if year is None or entry_year == year:
            kept.append((pk, event_id, kind, event_hours(starts_at=starts_at, ends_at=ends_at)))
    topics: dict[int, list[str]] = defaultdict(list)
    event_ids = {event_id for _pk, event_id, _kind, _hours in kept}
    for event_id, name in Topic.events.through.objects.filter(
        event__registrations__user=user,
        event__registrations__attendance__status=AttendanceStatus.ATTENDED,
    ).values_list("event_id", "topic__name"):
        if event_id in event_ids:
            topics[event_id].append(name)
    by_kind: dict[str, Decimal] = defaultdict(Decimal)
    by_topic: dict[str, Decimal] = defaultdict(Decimal)
    for _pk, event_id, kind, hours in kept:
        by_kind[str(kind_labels.get(kind, kind))] += hours
        for name in set(topics[event_id]):
            by_topic[name] += hours
    return LearningRecord(
        shows_well_being=shows,
        years=sorted(years, reverse=True),
        year=year,
        registration_ids=[pk for pk, _event_id, _kind, _hours in kept],
        hours_by_kind=sorted(by_kind.items()),
        hours_by_topic=sorted(by_topic.items()),
        total_hours=sum((hours for *_rest, hours in kept), Decimal("0.00")),
        hidden_well_being_count=hidden,
    )


def record_entry(*, user, registration_id: int) -> RecordEntry | None:
    """One attended session of `user` as its certificate shows it, or None if there is none
    to show (not theirs, not attended, or a well-being session they keep hidden)."""
    entries = record_entries(user=user, registration_ids=[registration_id])
    if not entries or not entries[0].certificate_code:
        return None
    if entries[0].event.kind == EventKind.WELL_BEING and not shows_well_being(user=user):
        return None
    return entries[0]


# Certificate verification -------------------------------------------------------------

_CODE_GROUP = f"[{CODE_ALPHABET}]{{{CODE_GROUP_LENGTH}}}"
CODE_PATTERN = re.compile("^" + "-".join([_CODE_GROUP] * CODE_GROUPS) + "$")


def normalise_code(raw: str) -> str:
    """`abcd efgh-ijkl mnop` -> `ABCD-EFGH-IJKL-MNOP`; '' when it cannot be a code."""
    letters = re.sub(r"[\s-]", "", raw or "").upper()
    if len(letters) != CODE_GROUPS * CODE_GROUP_LENGTH:
        return ""
    code = "-".join(
        letters[i : i + CODE_GROUP_LENGTH] for i in range(0, len(letters), CODE_GROUP_LENGTH)
    )
    return code if CODE_PATTERN.match(code) else ""


@dataclass(frozen=True)
class VerifiedCertificate:
    """Exactly what the certificate itself prints, and nothing more."""

    name: str
    event_title: str
    host: str
    starts_at: datetime
    time_zone: str
    hours: Decimal
    code: str


def certificate_verify(*, code: str) -> VerifiedCertificate | None:
    """The facts printed on the certificate with this code, or None: for an unknown code, an
    attendance corrected to a no-show, and a well-being session its owner keeps out of their
    record alike (so a code reveals nothing the owner has not chosen to show). One query."""
    code = normalise_code(code)
    if not code:
        return None
    certificate = (
        Certificate.objects.filter(
            code=code,
            registration__status=RegistrationStatus.CONFIRMED,
            registration__attendance__status=AttendanceStatus.ATTENDED,
        )
        .select_related("registration__event__partner", "registration__user")
        .first()
    )
    if certificate is None:
        return None
    registration = certificate.registration
    event = registration.event
    if event.kind == EventKind.WELL_BEING and not shows_well_being(user=registration.user):
        return None
    return VerifiedCertificate(
        name=registration.user.display_name,
        event_title=event.title,
        host=event.partner.name,
        starts_at=event.starts_at,
        time_zone=event.time_zone,
        hours=event_hours(starts_at=event.starts_at, ends_at=event.ends_at),
        code=certificate.code,
    )
