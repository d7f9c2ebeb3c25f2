import pytest

from memberships.enums import MembershipStatus
from memberships.selectors.claims import membership_is_active, membership_summary_for_user
from tests.factories import MembershipFactory, SponsorshipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def test_membership_is_active_only_for_an_active_membership_of_that_partner(employee):
    active = MembershipFactory(user=employee, status=MembershipStatus.ACTIVE)
    pending = MembershipFactory(user=employee)

    assert membership_is_active(user=employee, partner=active.sponsorship.partner) is True
    assert membership_is_active(user=employee, partner=pending.sponsorship.partner) is False


def test_membership_summary_for_user_with_a_live_membership(employee, django_assert_num_queries):
    membership = MembershipFactory(user=employee, status=MembershipStatus.ACTIVE)

    with django_assert_num_queries(1):
        summary = membership_summary_for_user(user=employee)

    assert (summary.state, summary.membership) == ("active", membership)
    assert summary.next_url == "/membership/"


def test_membership_summary_for_user_eligible(employee, django_assert_num_queries):
    SponsorshipFactory()

    with django_assert_num_queries(3):
        summary = membership_summary_for_user(user=employee)

    assert (summary.state, summary.reason) == ("eligible", "You are eligible for this membership.")


def test_membership_summary_for_user_full_and_ineligible(employee, other_employee):
    sponsorship = SponsorshipFactory(seats=1)
    MembershipFactory(sponsorship=sponsorship)

    assert membership_summary_for_user(user=employee).state == "full"
    assert membership_summary_for_user(user=other_employee).state == "ineligible"


def test_membership_summary_for_user_without_any_sponsorship(employee):
    assert membership_summary_for_user(user=employee).state == "none"
