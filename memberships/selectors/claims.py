"""Read side of memberships: what the membership page and the home page show, in a constant
number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..capacity import places_left
from ..enums import LIVE_MEMBERSHIP_STATUSES, MembershipStatus, WaitlistStatus
from ..models import Membership, SeatWaitlistEntry, Sponsorship
from ..models.sponsorships import SHAREABLE_FIELDS
from ..selectors.eligibility import (
    ELIGIBLE,
    FULL,
    Eligibility,
    eligibility_for,
    roster_entries_for_user,
    roster_entry_for,
)


def membership_is_active(*, user, partner) -> bool:
    """True when `user` holds an active membership with `partner` (one query)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Membership.objects.filter(
        user=user, sponsorship__partner=partner, status=MembershipStatus.ACTIVE
    ).exists()


def partner_ids_with_active_membership(*, user) -> set[int]:
    """The partners with which `user` holds an active membership (one query), for pages that
    check many partners at once."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE).values_list(
            "sponsorship__partner_id", flat=True
        )
    )


def activation_cutoff(*, now: datetime.datetime | None = None) -> datetime.datetime:
    """Claims sent to the partner before this are overdue (PARTNER_ACTIVATION_DAYS)."""
    return (now or timezone.now()) - datetime.timedelta(days=settings.PARTNER_ACTIVATION_DAYS)


def idle_claims(*, now: datetime.datetime | None = None) -> QuerySet[Membership]:
    """Claims sent to the partner more than PARTNER_ACTIVATION_DAYS ago and still waiting."""
    return Membership.objects.filter(
        status=MembershipStatus.PENDING_PARTNER, shared_at__lt=activation_cutoff(now=now)
    )


def claim_is_overdue(membership: Membership, *, now: datetime.datetime | None = None) -> bool:
    """The same rule as `idle_claims`, for one loaded membership (no query)."""
    return (
        membership.status == MembershipStatus.PENDING_PARTNER
        and membership.shared_at is not None
        and membership.shared_at < activation_cutoff(now=now)
    )


def with_seats_used(qs: QuerySet[Sponsorship]) -> QuerySet[Sponsorship]:
    """Annotate `seats_used`: the live memberships of each sponsorship. A correlated count
    that the partial index `membership_live_seat_idx` answers from the index alone, rather
    than a join of every membership grouped by sponsorship."""
    live = (
        Membership.objects.filter(sponsorship=OuterRef("pk"), status__in=LIVE_MEMBERSHIP_STATUSES)
        .order_by()
        .values("sponsorship")
        .annotate(n=Count("*"))  # no column: an index-only scan
        .values("n")
    )
    return qs.annotate(seats_used=Coalesce(Subquery(live, output_field=IntegerField()), Value(0)))


def sponsorships_with_seats() -> QuerySet[Sponsorship]:
    """Sponsorships with their partner and `seats_used` (live memberships) annotated."""
    return with_seats_used(Sponsorship.objects.select_related("partner"))


def seats_left(sponsorship: Sponsorship) -> int | None:
    """None means unlimited. Needs the `seats_used` annotation."""
    return places_left(limit=sponsorship.seats, used=sponsorship.seats_used)


@dataclass(frozen=True)
class TimelineStep:
    label: str
    at: datetime.datetime | None
    note: str = ""


def membership_timeline(membership: Membership) -> list[TimelineStep]:
    """The status history of one membership, from its own timestamps (no query)."""
    steps = [TimelineStep(_("Claimed; you agreed to share your details"), membership.claimed_at)]
    if membership.approved_at:
        steps.append(TimelineStep(_("Approved by the programme team"), membership.approved_at))
    if membership.shared_at:
        steps.append(
            TimelineStep(
                _("Your details were sent to %(partner)s")
                % {"partner": membership.sponsorship.partner.name},
                membership.shared_at,
            )
        )
    if membership.activated_at:
        steps.append(
            TimelineStep(
                _("Activated by %(partner)s") % {"partner": membership.sponsorship.partner.name},
                membership.activated_at,
                _("Member number %(number)s") % {"number": membership.member_number},
            )
        )
    if membership.ended_at:
        steps.append(
            TimelineStep(
                str(membership.get_status_display()), membership.ended_at, membership.end_reason
            )
        )
    return steps


def membership_receipt(membership: Membership) -> list[tuple[str, str]]:
    """The fields and values sent (or to be sent) to the partner, with their labels."""
    return [
        (str(SHAREABLE_FIELDS.get(name, name)), value)
        for name, value in membership.partner_data.items()
    ]


def _eligibility(
    *, user, sponsorship: Sponsorship, roster: list, is_renewal: bool = False
) -> Eligibility:
    """Eligibility from preloaded data: `roster` holds the user's rows of any sponsorships,
    `sponsorship` carries the `seats_used` annotation. No query."""
    entries = [e for e in roster if e.sponsorship_id == sponsorship.pk]
    return eligibility_for(
        user=user,
        sponsorship=sponsorship,
        roster_entry=roster_entry_for(user=user, entries=entries),
        seats_used=sponsorship.seats_used,
        is_renewal=is_renewal,
    )


@dataclass
class SponsorshipSection:
    sponsorship: Sponsorship
    eligibility: Eligibility
    membership: Membership | None = None
    past_memberships: list[Membership] = field(default_factory=list)
    waitlist_entry: SeatWaitlistEntry | None = None
    shared_preview: list[tuple[str, str]] = field(default_factory=list)
    # The live membership of the previous term, when this sponsorship renews it.
    renews: Membership | None = None

    @property
    def seats_left(self) -> int | None:
        return seats_left(self.sponsorship)

    @property
    def timeline(self) -> list[TimelineStep]:
        return membership_timeline(self.membership) if self.membership else []

    @property
    def receipt(self) -> list[tuple[str, str]]:
        return membership_receipt(self.membership) if self.membership else []

    @property
    def can_claim(self) -> bool:
        return self.membership is None and self.eligibility.is_eligible

    @property
    def can_join_waitlist(self) -> bool:
        return (
            self.membership is None
            and self.waitlist_entry is None
            and self.eligibility.can_join_waitlist
        )


def membership_page_for_user(
    *, user, today: datetime.date | None = None
) -> list[SponsorshipSection]:
    """One section per sponsorship the employee can see: those not yet ended, and any they
    held a membership in. Four queries whatever the data size."""
    today = today or timezone.localdate()
    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("sponsorship__partner")
        .order_by("-claimed_at", "-pk")
    )
    held_ids = {m.sponsorship_id for m in memberships}
    sponsorships = list(
        sponsorships_with_seats()
        .filter(Q(ends_on__gte=today) | Q(pk__in=held_ids))
        .order_by("starts_on", "name", "pk")
    )
    roster = roster_entries_for_user(user=user, sponsorship_ids=[s.pk for s in sponsorships])
    waiting = {
        e.sponsorship_id: e
        for e in SeatWaitlistEntry.objects.filter(
            user=user, status=WaitlistStatus.WAITING, sponsorship__in=sponsorships
        )
    }
    sections = []
    for sponsorship in sponsorships:
        own = [m for m in memberships if m.sponsorship_id == sponsorship.pk]
        live = next((m for m in own if m.status in LIVE_MEMBERSHIP_STATUSES), None)
        renews = next(
            (
                m
                for m in memberships
                if sponsorship.renewed_from_id is not None
                and m.sponsorship_id == sponsorship.renewed_from_id
                and m.status in LIVE_MEMBERSHIP_STATUSES
            ),
            None,
        )
        section = SponsorshipSection(
            sponsorship=sponsorship,
            eligibility=_eligibility(
                user=user, sponsorship=sponsorship, roster=roster, is_renewal=renews is not None
            ),
            membership=live,
            past_memberships=[m for m in own if m is not live],
            waitlist_entry=waiting.get(sponsorship.pk),
            renews=renews,
            shared_preview=[
                (label, str(getattr(user, name, "") or ""))
                for name, label in sponsorship.shared_field_labels()
            ],
        )
        sections.append(section)
    return sections


@dataclass(frozen=True)
class MembershipSummary:
    state: str  # "none", "eligible", "full", "ineligible", or a MembershipStatus value
    membership: Membership | None
    reason: str
    next_url: str


def membership_summary_for_user(*, user) -> MembershipSummary:
    """What the home page says about the membership: at most three queries."""
    url = reverse("memberships:membership")
    membership = (
        Membership.objects.filter(user=user, status__in=LIVE_MEMBERSHIP_STATUSES)
        .select_related("sponsorship__partner")
        .order_by("-claimed_at")
        .first()
    )
    if membership is not None:
        return MembershipSummary(
            state=membership.status,
            membership=membership,
            reason=str(membership.get_status_display()),
            next_url=url,
        )
    today = timezone.localdate()
    sponsorships = list(sponsorships_with_seats().filter(ends_on__gte=today).order_by("starts_on"))
    if not sponsorships:
        return MembershipSummary(
            state="none",
            membership=None,
            reason=_("There is no sponsored membership open right now."),
            next_url=url,
        )
    roster = roster_entries_for_user(user=user, sponsorship_ids=[s.pk for s in sponsorships])
    results = [_eligibility(user=user, sponsorship=s, roster=roster) for s in sponsorships]
    for wanted, state in ((ELIGIBLE, "eligible"), (FULL, "full")):
        found = next((r for r in results if r.code == wanted), None)
        if found is not None:
            return MembershipSummary(
                state=state, membership=None, reason=found.reason, next_url=url
            )
    return MembershipSummary(
        state="ineligible", membership=None, reason=results[0].reason, next_url=url
    )


# What a members-only place (event, resource) says to the viewer, one state per partner.
ACCESS_ACTIVE = "active"
ACCESS_PENDING_APPROVAL = "pending_approval"
ACCESS_PENDING_PARTNER = "pending_partner"
ACCESS_WAITLISTED = "waitlisted"
ACCESS_CAN_CLAIM = "can_claim"
ACCESS_FULL = "full"
ACCESS_NOT_ELIGIBLE = "not_eligible"
ACCESS_NO_SPONSORSHIP = "no_sponsorship"


@dataclass(frozen=True)
class MemberAccess:
    """The viewer's standing with one partner, as members-only places explain it."""

    state: str
    partner_name: str
    membership: Membership | None = None
    waitlist_position: int | None = None
    reason: str = ""
    contact_email: str = ""
    expected_days: int | None = None

    @property
    def is_member(self) -> bool:
        return self.state == ACCESS_ACTIVE


def _waitlist_positions(entries: list[SeatWaitlistEntry]) -> dict[int, int]:
    """Position (1 = next in line) of each of the viewer's waiting entries, by sponsorship id;
    one query for all of them."""
    if not entries:
        return {}
    ahead = Count(
        "sponsorship__waitlist_entries",
        filter=Q(sponsorship__waitlist_entries__status=WaitlistStatus.WAITING)
        & (
            Q(sponsorship__waitlist_entries__created_at__lt=F("created_at"))
            | Q(
                sponsorship__waitlist_entries__created_at=F("created_at"),
                sponsorship__waitlist_entries__pk__lt=F("pk"),
            )
        ),
    )
    rows = SeatWaitlistEntry.objects.filter(pk__in=[e.pk for e in entries]).annotate(ahead=ahead)
    return {row.sponsorship_id: row.ahead + 1 for row in rows}


def member_access_for_partners(*, user, partners) -> dict[int, MemberAccess]:
    """The viewer's standing with each partner (by id), most advanced first: active, pending
    approval or pending partner (with the expected wait), on a seat waitlist (with the
    position), may claim, seats full, not eligible (why, and whom to ask), or no sponsorship.

    At most five queries, however many partners."""
    partners = {p.pk: p for p in partners}
    if not partners:
        return {}
    memberships = list(
        Membership.objects.filter(
            user=user,
            sponsorship__partner_id__in=partners,
            status__in=LIVE_MEMBERSHIP_STATUSES,
        )
        .select_related("sponsorship")
        .order_by("-claimed_at", "-pk")
    )
    rank = {
        MembershipStatus.ACTIVE: 0,
        MembershipStatus.PENDING_PARTNER: 1,
        MembershipStatus.PENDING_APPROVAL: 2,
    }
    best = {}
    for membership in sorted(memberships, key=lambda m: rank[m.status]):
        best.setdefault(membership.sponsorship.partner_id, membership)
    access = {}
    for partner_id, membership in best.items():
        state = str(membership.status)
        expected = {
            ACCESS_PENDING_APPROVAL: settings.CLAIM_APPROVAL_EXPECTED_DAYS,
            ACCESS_PENDING_PARTNER: settings.PARTNER_ACTIVATION_EXPECTED_DAYS,
        }.get(state)
        access[partner_id] = MemberAccess(
            state=state,
            partner_name=partners[partner_id].name,
            membership=membership,
            contact_email=membership.sponsorship.contact_email,
            expected_days=expected,
        )
    rest = [pk for pk in partners if pk not in access]
    if not rest:
        return access
    today = timezone.localdate()
    sponsorships = list(
        sponsorships_with_seats()
        .filter(partner_id__in=rest, ends_on__gte=today)
        .order_by("starts_on", "pk")
    )
    waiting = (
        list(
            SeatWaitlistEntry.objects.filter(
                user=user, status=WaitlistStatus.WAITING, sponsorship__in=sponsorships
            ).select_related("sponsorship")
        )
        if sponsorships
        else []
    )
    positions = _waitlist_positions(waiting)
    roster = (
        roster_entries_for_user(user=user, sponsorship_ids=[s.pk for s in sponsorships])
        if sponsorships
        else []
    )
    for partner_id in rest:
        name = partners[partner_id].name
        own = [s for s in sponsorships if s.partner_id == partner_id]
        entry = next((e for e in waiting if e.sponsorship.partner_id == partner_id), None)
        if entry is not None:
            access[partner_id] = MemberAccess(
                state=ACCESS_WAITLISTED,
                partner_name=name,
                waitlist_position=positions.get(entry.sponsorship_id),
                contact_email=entry.sponsorship.contact_email,
            )
            continue
        if not own:
            access[partner_id] = MemberAccess(
                state=ACCESS_NO_SPONSORSHIP,
                partner_name=name,
                contact_email=settings.SUPPORT_EMAIL,
            )
            continue
        results = [_eligibility(user=user, sponsorship=s, roster=roster) for s in own]
        for wanted, state in ((ELIGIBLE, ACCESS_CAN_CLAIM), (FULL, ACCESS_FULL)):
            found = next((r for r in results if r.code == wanted), None)
            if found is not None:
                access[partner_id] = MemberAccess(
                    state=state,
                    partner_name=name,
                    reason=found.reason,
                    contact_email=found.contact_email,
                )
                break
        else:
            access[partner_id] = MemberAccess(
                state=ACCESS_NOT_ELIGIBLE,
                partner_name=name,
                reason=results[0].reason,
                contact_email=results[0].contact_email,
            )
    return access


def member_access(*, user, partner) -> MemberAccess:
    """The viewer's standing with one partner (see `member_access_for_partners`)."""
    return member_access_for_partners(user=user, partners=[partner])[partner.pk]
