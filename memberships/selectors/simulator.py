"""The eligibility simulator: what a person would be told, per sponsorship, before they have
ever signed in. It runs the very rule and reason texts of the membership page
(`eligibility_for`) on a person described by hand or by a roster row."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from ..models import Sponsorship
from .claims import sponsorships_with_seats
from .eligibility import Eligibility, eligibility_for, roster_entries_for_user
from .eligibility import roster_entry_for as roster_row_for


@dataclass(frozen=True)
class SimulatedEligibility:
    sponsorship: Sponsorship
    eligibility: Eligibility
    matched_roster_row: bool


def person_from(*, email: str, employee_id: str, groups: list[str]):
    """An unsaved, active user with what the IdP would assert at the first sign-in."""
    return get_user_model()(
        email=email.strip().lower(),
        employee_id=employee_id.strip(),
        idp_groups=list(groups),
        is_active=True,
    )


def eligibility_simulate(
    *, email: str, employee_id: str, groups: list[str], today: datetime.date | None = None
) -> list[SimulatedEligibility]:
    """Per sponsorship open today or later (as the membership page lists them for someone
    with no membership yet): could this person claim, and the exact reason text they would
    see. Two queries."""
    today = today or timezone.localdate()
    person = person_from(email=email, employee_id=employee_id, groups=groups)
    sponsorships = list(
        sponsorships_with_seats().filter(Q(ends_on__gte=today)).order_by("starts_on", "name", "pk")
    )
    roster = roster_entries_for_user(user=person, sponsorship_ids=[s.pk for s in sponsorships])
    results = []
    for sponsorship in sponsorships:
        row = roster_row_for(
            user=person, entries=[e for e in roster if e.sponsorship_id == sponsorship.pk]
        )
        results.append(
            SimulatedEligibility(
                sponsorship=sponsorship,
                eligibility=eligibility_for(
                    user=person,
                    sponsorship=sponsorship,
                    roster_entry=row,
                    seats_used=sponsorship.seats_used,
                ),
                matched_roster_row=row is not None,
            )
        )
    return results
