"""Read side of programme insights: aggregate figures with the privacy floor.

The floor: a figure about fewer than PRIVACY_FLOOR people is never shown. Everything is built
from fixed monthly cells ("atoms") in completed calendar months; a cell below the floor
contributes nothing to any total, so that comparing two date ranges reveals nothing that the
cells shown do not already show (README: "The privacy floor")."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from django.db import connection
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import ExtractMonth, ExtractYear, Lower, TruncMonth
from django.utils import timezone

from portal.models import User

from ..enums import (
    AttendanceStatus,
    EventKind,
    EventStatus,
    MembershipStatus,
    RegistrationStatus,
    WaitlistStatus,
)
from ..models import (
    Event,
    Feedback,
    Membership,
    Registration,
    RosterEntry,
    SeatWaitlistEntry,
    Sponsorship,
)
from .eligibility import ELIGIBLE, eligibility_rule_code

PRIVACY_FLOOR = 5
AVERAGE_QUANTUM = Decimal("0.1")


@dataclass(frozen=True)
class FeedbackSummary:
    """What a host may see of one event's feedback: below the floor, nothing (callers show no
    count either); from it, the count, the average and the comments (no names, sorted by
    text, not by time)."""

    responses: int
    average: Decimal | None
    comments: list[str]

    @property
    def is_shown(self) -> bool:
        return self.responses >= PRIVACY_FLOOR


def event_feedback_summary(*, event: Event) -> FeedbackSummary:
    """Two queries at most, however many answers."""
    feedback = Feedback.objects.filter(registration__event=event)
    totals = feedback.aggregate(responses=Count("pk"), average=Avg("rating"))
    responses = totals["responses"]
    if responses < PRIVACY_FLOOR:
        return FeedbackSummary(responses=responses, average=None, comments=[])
    comments = sorted(
        comment for comment in feedback.exclude(comment="").values_list("comment", flat=True)
    )
    average = Decimal(str(totals["average"])).quantize(AVERAGE_QUANTUM, rounding=ROUND_HALF_UP)
    return FeedbackSummary(responses=responses, average=average, comments=comments)


# The dashboard -------------------------------------------------------------------------

MAX_MONTHS = 36
DEFAULT_MONTHS = 12


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month as [start, end) in the site's time zone."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(month, time.min, tzinfo=zone)
    end = datetime.combine(add_months(month, 1), time.min, tzinfo=zone)
    return start, end


def last_completed_month(*, today: date | None = None) -> date:
    today = today or timezone.localdate()
    return add_months(month_start(today), -1)


@dataclass(frozen=True)
class MonthRange:
    """Whole, completed calendar months from `first` to `last` (both the 1st of a month)."""

    first: date
    last: date

    @property
    def months(self) -> list[date]:
        months, month = [], self.first
        while month <= self.last:
            months.append(month)
            month = add_months(month, 1)
        return months

    @property
    def starts_at(self) -> datetime:
        return month_bounds(self.first)[0]

    @property
    def ends_at(self) -> datetime:
        return month_bounds(self.last)[1]

    @classmethod
    def default(cls, *, today: date | None = None) -> MonthRange:
        last = last_completed_month(today=today)
        return cls(first=add_months(last, -(DEFAULT_MONTHS - 1)), last=last)


@dataclass(frozen=True)
class Cell:
    """A figure about `people` people. Below the floor (zero included: "fewer than 5" must
    not read as "at least one") it is never shown and adds nothing to any total."""

    value: int | float | Decimal | None
    people: int

    @property
    def shown(self):
        return self.value if self.people >= PRIVACY_FLOOR else None


EMPTY = Cell(value=0, people=0)


@dataclass(frozen=True)
class Band:
    """A count of people at a point in time (seats used, active members at a month's end),
    shown as a band of five ("20–24"): exact counts month after month would reveal, by
    subtraction, how many joined or left, even when that is fewer than five."""

    people: int

    @property
    def low(self) -> int | None:
        if self.people < PRIVACY_FLOOR:
            return None
        return self.people - self.people % PRIVACY_FLOOR

    @property
    def high(self) -> int | None:
        return None if self.low is None else self.low + PRIVACY_FLOOR - 1


def count_cell(count: int, people: int | None = None) -> Cell:
    return Cell(value=count, people=count if people is None else people)


@dataclass(frozen=True)
class Total:
    """A range total: the sum of the cells that cleared the floor. `is_partial` says that
    some cells were left out (the page marks it)."""

    value: int | Decimal | None
    is_partial: bool


def total_of(cells: list[Cell]) -> Total:
    shown = [cell.shown for cell in cells if cell.shown is not None]
    return Total(
        value=sum(shown) if shown else None,
        is_partial=any(cell.shown is None for cell in cells),
    )


@dataclass
class MonthRow:
    month: date
    claims: Cell
    activations: Cell
    seats_used: Band
    active_members: Band
    registrations: Total
    attended: Total


@dataclass
class BreakdownRow:
    """Registrations, attendance and feedback of one kind or topic over the range. Each is
    a total of monthly cells that cleared the floor."""

    key: str
    label: str
    registrations: Total
    attended: Total
    feedback_responses: Total
    average_rating: Decimal | None


@dataclass
class SponsorshipRow:
    name: str
    fee: Decimal | None
    currency: str
    active_members: Cell
    cost_per_member: Decimal | None


@dataclass
class ProgrammeInsights:
    range: MonthRange
    eligible_people: Cell
    active_members_now: Cell
    seat_waitlist: Cell
    event_waitlist: Cell
    months: list[MonthRow]
    claims_total: Total
    activations_total: Total
    registrations_total: Total
    attended_total: Total
    activation_days_median: Decimal | None
    activation_days_p90: Decimal | None
    activation_sample: int
    kinds: list[BreakdownRow]
    topics: list[BreakdownRow]
    sponsorships: list[SponsorshipRow]
    departments: list[tuple[str, Cell]] | None  # None: some department is below the floor
    floor: int = PRIVACY_FLOOR


def _percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def _eligible_people(*, today: date) -> Cell:
    """People eligible for at least one current sponsorship: signed-in users by group or
    roster, plus roster rows of people who have not signed in yet. Four queries.

    Someone on no roster of these sponsorships is eligible exactly when they are in one of
    their groups: on PostgreSQL the database counts those; everyone on a roster (and, on
    other databases, everyone) goes through the eligibility rule here."""
    sponsorships = list(Sponsorship.objects.filter(starts_on__lte=today, ends_on__gte=today))
    if not sponsorships:
        return EMPTY
    roster: dict[int, tuple[dict, dict]] = {s.pk: ({}, {}) for s in sponsorships}
    rows = RosterEntry.objects.filter(sponsorship__in=sponsorships).only(
        "sponsorship_id", "email", "employee_id", "is_eligible"
    )
    for row in rows:
        by_email, by_employee_id = roster[row.sponsorship_id]
        if row.email:
            by_email[row.email.lower()] = row
        if row.employee_id:
            by_employee_id[row.employee_id] = row
    emails = {email for by_email, _ids in roster.values() for email in by_email}
    employee_ids = {eid for _emails, by_employee_id in roster.values() for eid in by_employee_id}
    groups = sorted({group for s in sponsorships for group in s.eligible_groups or []})
    users = User.objects.filter(is_active=True).annotate(email_lower=Lower("email"))
    on_a_roster = Q(email_lower__in=emails) | Q(employee_id__in=employee_ids)
    group_only = 0
    if connection.vendor == "postgresql":
        if groups:
            group_only = users.exclude(on_a_roster).filter(idp_groups__has_any_keys=groups).count()
        users = users.filter(on_a_roster)
    people: set = set()
    matched_rows: set[int] = set()
    group_sets = {s.pk: set(s.eligible_groups or []) for s in sponsorships}
    for pk, email, employee_id, user_groups in users.values_list(
        "pk", "email_lower", "employee_id", "idp_groups"
    ):
        user_groups = set(user_groups or [])
        person = SimpleNamespace(email=email or "", employee_id=employee_id, idp_groups=user_groups)
        for sponsorship in sponsorships:
            by_email, by_employee_id = roster[sponsorship.pk]
            entry = by_email.get(email or "") or by_employee_id.get(employee_id or "")
            if entry is None and not group_sets[sponsorship.pk] & user_groups:
                continue  # in none of its groups and not on its roster: not eligible
            if entry is not None:
                matched_rows.add(entry.pk)
            code = eligibility_rule_code(user=person, sponsorship=sponsorship, roster_entry=entry)
            if code == ELIGIBLE:
                people.add(("user", pk))
    for sponsorship in sponsorships:
        if not sponsorship.uses_roster:
            continue
        for index in roster[sponsorship.pk]:
            for row in index.values():
                if row.is_eligible and row.pk not in matched_rows:
                    people.add(("roster", (row.email or "").lower() or row.employee_id))
    return count_cell(group_only + len(people))


def _membership_figures(*, months: list[date]):
    """Claims and activations per month, live and active memberships at each month's end,
    and the claim-to-activation times of the activations in months that clear the floor.
    One query (tuples); each membership touches only the months it was live in."""
    # Months as numbers computed by the database (in the site's zone), not per row here.
    rows = (
        Membership.objects.filter(claimed_at__lt=month_bounds(months[-1])[1])
        .annotate(
            claimed_index=ExtractYear("claimed_at") * 12 + ExtractMonth("claimed_at") - 1,
            activated_index=ExtractYear("activated_at") * 12 + ExtractMonth("activated_at") - 1,
            ended_index=ExtractYear("ended_at") * 12 + ExtractMonth("ended_at") - 1,
            waited=ExpressionWrapper(
                F("activated_at") - F("claimed_at"), output_field=DurationField()
            ),
        )
        .values_list(
            "user_id", "status", "claimed_index", "activated_index", "ended_index", "waited"
        )
    )
    base = months[0].year * 12 + months[0].month - 1
    count = len(months)
    claims = [set() for _m in months]
    activations: list[list] = [[] for _m in months]
    seats = [set() for _m in months]
    active = [set() for _m in months]
    for user_id, status, claimed_index, activated_index, ended_index, waited in rows:
        claimed = claimed_index - base
        # Live at the end of month m when claimed before its end and not ended by then:
        # from the claim's month up to the month before the one it ended in.
        until = count if ended_index is None else min(ended_index - base, count)
        if 0 <= claimed < count:
            claims[claimed].add(user_id)
        if status != MembershipStatus.DECLINED:
            for index in range(max(claimed, 0), until):
                seats[index].add(user_id)
        if activated_index is not None:
            activated = activated_index - base
            if 0 <= activated < count:
                activations[activated].append((user_id, waited))
            for index in range(max(activated, 0), until):
                active[index].add(user_id)
    durations: list[float] = []
    for found in activations:
        if len({user_id for user_id, _delta in found}) >= PRIVACY_FLOOR:
            durations.extend(delta.total_seconds() / 86400 for _u, delta in found)
    by_month = dict(zip(months, range(count), strict=True))
    return (
        {month: claims[i] for month, i in by_month.items()},
        {month: activations[i] for month, i in by_month.items()},
        {month: seats[i] for month, i in by_month.items()},
        {month: active[i] for month, i in by_month.items()},
        durations,
    )


def _month_index(value: datetime) -> int:
    local = timezone.localtime(value)
    return local.year * 12 + local.month - 1


def _index_month(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def _event_cells(*, period: MonthRange) -> tuple[dict, dict]:
    """Registrations and attendance of events starting in the range, as cells keyed
    (month, kind) and (month, topic); topics leave well-being sessions out.

    Counted per event (a hash aggregate, cheap at any size); a cell's people are then at
    least its largest event (one registration per person and event) and at most the sum.
    Only cells where those bounds straddle the floor are counted exactly, in one more query
    each for registrations and attendance. Four to six queries in all."""
    events = {
        pk: (_index_month(_month_index(starts_at)), kind)
        for pk, kind, starts_at in Event.objects.filter(
            starts_at__gte=period.starts_at, starts_at__lt=period.ends_at
        )
        .exclude(status=EventStatus.DRAFT)
        .values_list("pk", "kind", "starts_at")
    }
    if not events:
        return {}, {}
    topics: dict[int, list[str]] = defaultdict(list)
    for event_id, name in Event.topics.through.objects.filter(event_id__in=events).values_list(
        "event_id", "topic__name"
    ):
        topics[event_id].append(name)
    attended_q = Q(attendance__status=AttendanceStatus.ATTENDED)
    confirmed = Registration.objects.filter(
        event_id__in=events, status=RegistrationStatus.CONFIRMED
    )
    per_event = (
        confirmed.values("event_id")
        .annotate(registrations=Count("pk"), attended=Count("pk", filter=attended_q))
        .order_by()
    )
    by_kind: dict = defaultdict(lambda: [0, 0, 0, 0])  # sum, largest, attended sum, largest
    by_topic: dict = defaultdict(lambda: [0, 0, 0, 0])
    members: dict = defaultdict(set)  # cell key -> its event ids
    for row in per_event:
        month, kind = events[row["event_id"]]
        keys = [("kind", month, kind)]
        if kind != EventKind.WELL_BEING:
            keys += [("topic", month, name) for name in topics[row["event_id"]]]
        for key in keys:
            bucket = (by_kind if key[0] == "kind" else by_topic)[key[1:]]
            bucket[0] += row["registrations"]
            bucket[1] = max(bucket[1], row["registrations"])
            bucket[2] += row["attended"]
            bucket[3] = max(bucket[3], row["attended"])
            members[key].add(row["event_id"])
    exact = _exact_people(
        confirmed=confirmed, attended_q=attended_q, cells=(by_kind, by_topic), members=members
    )

    def cells(buckets, dimension):
        result = {}
        for key, (total, largest, attended, largest_attended) in buckets.items():
            people = exact.get((dimension, "registrations", *key), largest)
            attended_people = exact.get((dimension, "attended", *key), largest_attended)
            result[key] = (count_cell(total, people), count_cell(attended, attended_people))
        return result

    return cells(by_kind, "kind"), cells(by_topic, "topic")


def _exact_people(*, confirmed, attended_q, cells, members) -> dict:
    """Distinct people of the cells whose bounds straddle the floor: (dimension, measure,
    month, key) -> people. At most two queries, whatever the number of such cells."""
    exact: dict = {}
    for measure, total_at, largest_at, qs in (
        ("registrations", 0, 1, confirmed),
        ("attended", 2, 3, confirmed.filter(attended_q)),
    ):
        unsure = {
            (dimension, *key)
            for dimension, buckets in zip(("kind", "topic"), cells, strict=True)
            for key, bucket in buckets.items()
            if bucket[largest_at] < PRIVACY_FLOOR <= bucket[total_at]
        }
        if not unsure:
            continue
        event_ids = set().union(*(members[key] for key in unsure))
        people: dict = defaultdict(set)
        by_event: dict = defaultdict(set)
        for event_id, user_id in qs.filter(event_id__in=event_ids).values_list(
            "event_id", "user_id"
        ):
            by_event[event_id].add(user_id)
        for key in unsure:
            for event_id in members[key]:
                people[key] |= by_event[event_id]
        for key, users in people.items():
            exact[(key[0], measure, *key[1:])] = len(users)
    return exact


def _feedback_cells(*, period: MonthRange):
    """(month, kind) -> (responses cell, sum of ratings). One query."""
    rows = (
        Feedback.objects.filter(
            registration__event__starts_at__gte=period.starts_at,
            registration__event__starts_at__lt=period.ends_at,
        )
        .annotate(month=TruncMonth("registration__event__starts_at"))
        .values("month", "registration__event__kind")
        .annotate(
            responses=Count("pk"),
            people=Count("registration__user", distinct=True),
            rating_sum=Sum("rating"),
        )
        .order_by()
    )
    return {
        (_as_month(row["month"]), row["registration__event__kind"]): (
            count_cell(row["responses"], row["people"]),
            row["rating_sum"],
        )
        for row in rows
    }


def _as_month(value) -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def _breakdown(*, keys: list[tuple[str, str]], months, cells, feedback=None) -> list[BreakdownRow]:
    rows = []
    for key, label in keys:
        registrations = [cells.get((m, key), (EMPTY, EMPTY))[0] for m in months]
        attended = [cells.get((m, key), (EMPTY, EMPTY))[1] for m in months]
        responses = total_of([])
        average = None
        if feedback is not None:
            answered = [feedback.get((m, key), (EMPTY, 0)) for m in months]
            responses = total_of([cell for cell, _sum in answered])
            shown = [(cell.value, rating_sum) for cell, rating_sum in answered if cell.shown]
            count = sum(n for n, _s in shown)
            if count:
                average = (Decimal(sum(s for _n, s in shown)) / Decimal(count)).quantize(
                    AVERAGE_QUANTUM, rounding=ROUND_HALF_UP
                )
        rows.append(
            BreakdownRow(
                key=key,
                label=label,
                registrations=total_of(registrations),
                attended=total_of(attended),
                feedback_responses=responses,
                average_rating=average,
            )
        )
    return rows


def programme_insights(*, period: MonthRange, now: datetime | None = None) -> ProgrammeInsights:
    """Every figure of the dashboard and the monthly report, with the privacy floor applied.
    A fixed number of queries (about a dozen) however many rows."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    months = period.months
    claims, activations, seats, active, durations = _membership_figures(months=months)
    kind_cells, topic_cells = _event_cells(period=period)
    feedback = _feedback_cells(period=period)
    month_rows = []
    for month in months:
        month_rows.append(
            MonthRow(
                month=month,
                claims=count_cell(len(claims[month])),
                activations=count_cell(len({u for u, _d in activations[month]})),
                seats_used=Band(people=len(seats[month])),
                active_members=Band(people=len(active[month])),
                # The month's cells of every kind but well-being (only ever a range total
                # in the kinds table), each counted only if it clears the floor.
                registrations=total_of(
                    [
                        cells[0]
                        for (m, kind), cells in kind_cells.items()
                        if m == month and kind != EventKind.WELL_BEING
                    ]
                ),
                attended=total_of(
                    [
                        cells[1]
                        for (m, kind), cells in kind_cells.items()
                        if m == month and kind != EventKind.WELL_BEING
                    ]
                ),
            )
        )
    enough = len(durations) >= PRIVACY_FLOOR
    median = _days(_percentile(durations, 0.5)) if enough else None
    p90 = _days(_percentile(durations, 0.9)) if enough else None
    topic_names = sorted({key for (_m, key) in topic_cells})
    return ProgrammeInsights(
        range=period,
        eligible_people=_eligible_people(today=today),
        active_members_now=_active_members_now(),
        seat_waitlist=count_cell(
            SeatWaitlistEntry.objects.filter(status=WaitlistStatus.WAITING)
            .values("user")
            .distinct()
            .count()
        ),
        event_waitlist=_event_waitlist(now=now),
        months=month_rows,
        claims_total=total_of([row.claims for row in month_rows]),
        activations_total=total_of([row.activations for row in month_rows]),
        registrations_total=_total_of_totals([row.registrations for row in month_rows]),
        attended_total=_total_of_totals([row.attended for row in month_rows]),
        activation_days_median=median,
        activation_days_p90=p90,
        activation_sample=len(durations),
        kinds=_breakdown(
            keys=[(value, str(label)) for value, label in EventKind.choices],
            months=months,
            cells=kind_cells,
            feedback=feedback,
        ),
        topics=_breakdown(
            keys=[(name, name) for name in topic_names], months=months, cells=topic_cells
        ),
        sponsorships=_sponsorship_rows(period=period),
        departments=_departments(),
    )


def _total_of_totals(totals: list[Total]) -> Total:
    values = [total.value for total in totals if total.value is not None]
    return Total(
        value=sum(values) if values else None,
        is_partial=any(total.is_partial for total in totals),
    )


def _days(value: float) -> Decimal:
    return Decimal(str(value)).quantize(AVERAGE_QUANTUM, rounding=ROUND_HALF_UP)


def _active_members_now() -> Cell:
    people = (
        Membership.objects.filter(status=MembershipStatus.ACTIVE).values("user").distinct().count()
    )
    return count_cell(people)


def _event_waitlist(*, now: datetime) -> Cell:
    totals = Registration.objects.filter(
        status=RegistrationStatus.WAITLISTED,
        event__status=EventStatus.PUBLISHED,
        event__ends_at__gt=now,
    ).aggregate(places=Count("pk"), people=Count("user", distinct=True))
    return count_cell(totals["places"], totals["people"])


def _sponsorship_rows(*, period: MonthRange) -> list[SponsorshipRow]:
    """Each sponsorship whose term overlaps the range, with its active members now and its
    fee divided by them. Now, not at the end of the range: with a known fee, a cost per
    member at the end of any month would give away that month's exact count. One query."""
    end = month_bounds(period.last)[1]
    sponsorships = (
        Sponsorship.objects.filter(starts_on__lt=end.date(), ends_on__gte=period.first)
        .annotate(
            active=Count(
                "memberships__user",
                distinct=True,
                filter=Q(memberships__status=MembershipStatus.ACTIVE),
            )
        )
        .order_by("name", "pk")
    )
    rows = []
    for sponsorship in sponsorships:
        cell = count_cell(sponsorship.active)
        cost = None
        if sponsorship.fee is not None and cell.shown:
            cost = (sponsorship.fee / cell.shown).quantize(Decimal("0.01"), ROUND_HALF_UP)
        rows.append(
            SponsorshipRow(
                name=sponsorship.name,
                fee=sponsorship.fee,
                currency=sponsorship.fee_currency,
                active_members=cell,
                cost_per_member=cost,
            )
        )
    return rows


def _departments() -> list[tuple[str, Cell]] | None:
    """Active members now by department, only when every department clears the floor (a
    single small department would single its people out). One query."""
    rows = (
        Membership.objects.filter(status=MembershipStatus.ACTIVE)
        .values("user__department")
        .annotate(people=Count("user", distinct=True))
        .order_by("user__department")
    )
    cells = [(row["user__department"] or "", count_cell(row["people"])) for row in rows]
    if not cells or any(cell.people < PRIVACY_FLOOR for _name, cell in cells):
        return None
    return cells
