"""Who may claim a sponsorship, and if not, why (in plain words) and whom to ask."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..capacity import has_place
from ..enums import LIVE_MEMBERSHIP_STATUSES
from ..exceptions import NotEligible, SeatsExhausted
from ..models import RosterEntry, Sponsorship

# Reason codes, most decisive first.
ELIGIBLE = "eligible"
INACTIVE = "inactive"
NOT_OPEN = "not_open"
ENDED = "ended"
ROSTER_INELIGIBLE = "roster_ineligible"
NOT_IN_GROUP = "not_in_group"
NOT_ON_ROSTER = "not_on_roster"
NOT_IN_GROUP_OR_ROSTER = "not_in_group_or_roster"
FULL = "full"

_UNSET = object()


@dataclass(frozen=True)
class Eligibility:
    code: str
    reason: str
    contact_email: str

    @property
    def is_eligible(self) -> bool:
        return self.code == ELIGIBLE

    @property
    def can_join_waitlist(self) -> bool:
        return self.code == FULL


def roster_entry_for(*, user, entries) -> RosterEntry | None:
    """The roster row that names `user` (by e-mail or employee id), from rows already loaded."""
    email = (user.email or "").lower()
    for entry in entries:
        if (email and entry.email.lower() == email) or (
            user.employee_id and entry.employee_id == user.employee_id
        ):
            return entry
    return None


def roster_entries_for_user(*, user, sponsorship_ids=None):
    """Every roster row naming `user`, in one query (optionally for some sponsorships)."""
    match = Q(email__iexact=user.email) if user.email else Q(pk__in=[])
    if user.employee_id:
        match |= Q(employee_id=user.employee_id)
    rows = RosterEntry.objects.filter(match)
    if sponsorship_ids is not None:
        rows = rows.filter(sponsorship_id__in=sponsorship_ids)
    return list(rows)


def eligibility_rule_code(
    *, user, sponsorship: Sponsorship, roster_entry: RosterEntry | None
) -> str:
    if roster_entry is not None and not roster_entry.is_eligible:
        return ROSTER_INELIGIBLE
    in_group = bool(set(sponsorship.eligible_groups or []) & set(user.idp_groups or []))
    on_roster = sponsorship.uses_roster and roster_entry is not None
    if in_group or on_roster:
        return ELIGIBLE
    if sponsorship.eligible_groups and sponsorship.uses_roster:
        return NOT_IN_GROUP_OR_ROSTER
    return NOT_ON_ROSTER if sponsorship.uses_roster else NOT_IN_GROUP


def eligibility_code(
    *,
    user,
    sponsorship: Sponsorship,
    roster_entry=_UNSET,
    seats_used: int | None = None,
    today=None,
    is_renewal: bool = False,
) -> str:
    """The first reason `user` may not claim `sponsorship`, or ELIGIBLE.

    Pass `roster_entry` (None when there is none) and `seats_used` when they are already
    loaded; otherwise they are queried. Seats are checked only when `seats_used` is given.
    A member renewing from the previous term may claim the next one before it starts."""
    today = today or timezone.localdate()
    if not user.is_active:
        return INACTIVE
    if today < sponsorship.starts_on and not is_renewal:
        return NOT_OPEN
    if today > sponsorship.ends_on:
        return ENDED
    if roster_entry is _UNSET:
        roster_entry = roster_entry_for(
            user=user,
            entries=roster_entries_for_user(user=user, sponsorship_ids=[sponsorship.pk]),
        )
    code = eligibility_rule_code(user=user, sponsorship=sponsorship, roster_entry=roster_entry)
    if code != ELIGIBLE:
        return code
    if seats_used is not None and not has_place(limit=sponsorship.seats, used=seats_used):
        return FULL
    return ELIGIBLE


def eligibility_reason(*, code: str, sponsorship: Sponsorship) -> str:
    """The plain-words explanation shown to the employee (and to admins). It never names
    IdP groups: their names are internal, and the admin page lists them beside it."""
    start = date_format(sponsorship.starts_on, "DATE_FORMAT")
    end = date_format(sponsorship.ends_on, "DATE_FORMAT")
    return {
        ELIGIBLE: _("You are eligible for this membership."),
        INACTIVE: _("Your account is inactive, so you cannot claim a membership."),
        NOT_OPEN: _("This sponsorship opens on %(date)s.") % {"date": start},
        ENDED: _("This sponsorship ended on %(date)s.") % {"date": end},
        ROSTER_INELIGIBLE: _("The company's staff list marks you as not eligible."),
        NOT_IN_GROUP: _(
            "This membership is for the teams the company chose, and your company account "
            "does not place you in one of them."
        ),
        NOT_ON_ROSTER: _("You are not on the company's list of eligible staff."),
        NOT_IN_GROUP_OR_ROSTER: _(
            "Your company account does not place you in one of the teams the company chose, "
            "and you are not on the company's list of eligible staff."
        ),
        FULL: _("All seats are taken. You can join the waitlist and get the next free seat."),
    }[code]


def eligibility_for(
    *,
    user,
    sponsorship: Sponsorship,
    roster_entry=_UNSET,
    seats_used: int | None = None,
    is_renewal: bool = False,
) -> Eligibility:
    code = eligibility_code(
        user=user,
        sponsorship=sponsorship,
        roster_entry=roster_entry,
        seats_used=seats_used,
        is_renewal=is_renewal,
    )
    return Eligibility(
        code=code,
        reason=eligibility_reason(code=code, sponsorship=sponsorship),
        contact_email=sponsorship.contact_email,
    )


def seats_used(*, sponsorship: Sponsorship) -> int:
    return sponsorship.memberships.filter(status__in=LIVE_MEMBERSHIP_STATUSES).count()


def eligibility_check(
    *, user, sponsorship: Sponsorship, check_seats: bool = False, is_renewal: bool = False
) -> None:
    """Raise NotEligible (or SeatsExhausted) with the plain-words reason; return if eligible."""
    used = seats_used(sponsorship=sponsorship) if check_seats else None
    result = eligibility_for(
        user=user, sponsorship=sponsorship, seats_used=used, is_renewal=is_renewal
    )
    if result.code == FULL:
        raise SeatsExhausted(result.reason)
    if not result.is_eligible:
        raise NotEligible(
            _("%(reason)s Questions? Write to %(contact)s.")
            % {"reason": result.reason, "contact": result.contact_email}
        )
