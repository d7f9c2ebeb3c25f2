import pytest
from django.utils.html import escape

from memberships.selectors.simulator import eligibility_simulate
from tests.factories import MembershipFactory, RosterEntryFactory, SponsorshipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

URL = "/admin/eligibility-simulator/"


def test_simulate_answers_per_sponsorship_before_anyone_signs_in():
    by_group = SponsorshipFactory(name="A by group", eligible_groups=["trust-safety"])
    by_roster = SponsorshipFactory(name="B by roster", eligible_groups=[], uses_roster=True)
    full = SponsorshipFactory(name="C full", seats=1)
    MembershipFactory(sponsorship=full)
    RosterEntryFactory(sponsorship=by_roster, email="", employee_id="E7777")

    results = eligibility_simulate(
        email="new.hire@example.com", employee_id="E7777", groups=["trust-safety"]
    )

    assert [(r.sponsorship, r.eligibility.code, r.matched_roster_row) for r in results] == [
        (by_group, "eligible", False),
        (by_roster, "eligible", True),
        (full, "full", False),
    ]
    assert results[2].eligibility.reason == (
        "All seats are taken. You can join the waitlist and get the next free seat."
    )


def test_simulate_roster_row_marked_ineligible_wins_over_the_group():
    sponsorship = SponsorshipFactory(eligible_groups=["trust-safety"], uses_roster=True)
    RosterEntryFactory(sponsorship=sponsorship, email="leaver@example.com", is_eligible=False)

    [result] = eligibility_simulate(
        email="Leaver@Example.com", employee_id="", groups=["trust-safety"]
    )

    assert result.eligibility.code == "roster_ineligible"
    assert result.eligibility.reason == "The company's staff list marks you as not eligible."


def test_simulator_page_from_a_roster_row(admin_client_sso):
    sponsorship = SponsorshipFactory(eligible_groups=["trust-safety"], uses_roster=True)
    row = RosterEntryFactory(sponsorship=sponsorship, email="rostered@example.com")

    response = admin_client_sso.get(URL, {"roster_row": row.pk, "groups": ""})

    assert response.status_code == 200
    [result] = response.context["results"]
    assert (result.sponsorship, result.eligibility.code) == (sponsorship, "eligible")
    assert escape(result.eligibility.reason) in response.content.decode()


def test_simulator_page_shows_the_reason_for_someone_not_eligible(admin_client_sso):
    SponsorshipFactory(eligible_groups=["trust-safety"])

    response = admin_client_sso.get(
        URL, {"email": "sam@example.com", "employee_id": "", "groups": "marketing, sales"}
    )

    assert response.status_code == 200
    assert (
        "This membership is for the teams the company chose, and your company account "
        "does not place you in one of them." in response.content.decode()
    )


def test_simulator_page_needs_an_identifier(admin_client_sso):
    response = admin_client_sso.get(URL, {"email": "", "employee_id": "", "groups": "x"})

    assert response.status_code == 200
    assert response.context["results"] is None
    assert response.context["form"].errors["__all__"] == [
        "Enter an e-mail address or an employee id, or pick a roster row."
    ]


def test_simulator_page_is_for_programme_admins_only(employee_client):
    response = employee_client.get(URL, {"email": "x@example.com"})

    assert response.status_code == 302


@pytest.mark.parametrize("item_count", [1, 3])
def test_simulator_page_query_budget(admin_client_sso, django_assert_max_num_queries, item_count):
    for _ in range(item_count):
        sponsorship = SponsorshipFactory(uses_roster=True)
        RosterEntryFactory(sponsorship=sponsorship, email="p@example.com")

    with django_assert_max_num_queries(7):
        response = admin_client_sso.get(URL, {"email": "p@example.com", "groups": "a"})

    assert len(response.context["results"]) == item_count
