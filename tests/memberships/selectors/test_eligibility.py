import pytest

from memberships.selectors.eligibility import (
    ELIGIBLE,
    FULL,
    NOT_IN_GROUP,
    NOT_IN_GROUP_OR_ROSTER,
    NOT_ON_ROSTER,
    ROSTER_INELIGIBLE,
    eligibility_for,
)
from tests.factories import RosterEntryFactory, SponsorshipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def test_eligibility_for_group_member_is_eligible(employee):
    sponsorship = SponsorshipFactory(eligible_groups=["trust-safety"])

    result = eligibility_for(user=employee, sponsorship=sponsorship)

    assert (result.code, result.is_eligible) == (ELIGIBLE, True)


def test_eligibility_for_someone_outside_the_group_gives_the_contact_not_the_group(
    other_employee,
):
    sponsorship = SponsorshipFactory(eligible_groups=["trust-safety"])

    result = eligibility_for(user=other_employee, sponsorship=sponsorship)

    assert result.code == NOT_IN_GROUP
    assert result.reason == (
        "This membership is for the teams the company chose, and your company account "
        "does not place you in one of them."
    )
    assert "trust-safety" not in result.reason
    assert result.contact_email == "tns-programme@example.com"


def test_eligibility_for_roster_match_by_email_is_case_insensitive(other_employee):
    sponsorship = SponsorshipFactory(eligible_groups=[], uses_roster=True)
    RosterEntryFactory(sponsorship=sponsorship, email="SAM@example.com")

    result = eligibility_for(user=other_employee, sponsorship=sponsorship)

    assert result.code == ELIGIBLE


def test_eligibility_for_roster_match_by_employee_id(other_employee):
    sponsorship = SponsorshipFactory(eligible_groups=[], uses_roster=True)
    RosterEntryFactory(sponsorship=sponsorship, email="", employee_id=other_employee.employee_id)

    result = eligibility_for(user=other_employee, sponsorship=sponsorship)

    assert result.code == ELIGIBLE


def test_eligibility_for_someone_not_on_the_roster(other_employee):
    sponsorship = SponsorshipFactory(eligible_groups=[], uses_roster=True)

    result = eligibility_for(user=other_employee, sponsorship=sponsorship)

    assert result.code == NOT_ON_ROSTER
    assert result.reason == "You are not on the company's list of eligible staff."


def test_eligibility_for_neither_group_nor_roster(other_employee):
    sponsorship = SponsorshipFactory(eligible_groups=["trust-safety"], uses_roster=True)

    result = eligibility_for(user=other_employee, sponsorship=sponsorship)

    assert result.code == NOT_IN_GROUP_OR_ROSTER


def test_eligibility_for_roster_marked_ineligible_overrides_the_group(employee):
    sponsorship = SponsorshipFactory(eligible_groups=["trust-safety"], uses_roster=True)
    RosterEntryFactory(sponsorship=sponsorship, email=employee.email, is_eligible=False)

    result = eligibility_for(user=employee, sponsorship=sponsorship)

    assert result.code == ROSTER_INELIGIBLE
    assert result.reason == "The company's staff list marks you as not eligible."


def test_eligibility_for_full_sponsorship_offers_the_waitlist(employee):
    sponsorship = SponsorshipFactory(seats=2)

    result = eligibility_for(user=employee, sponsorship=sponsorship, seats_used=2)

    assert (result.code, result.can_join_waitlist) == (FULL, True)
