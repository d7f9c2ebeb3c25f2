"""The home page: membership state with the next step, the person's next events, events
worth a look and resources, in a constant number of queries."""

import pytest
from django.urls import reverse

from tests.factories import (
    EventFactory,
    MembershipFactory,
    PartnerFactory,
    RegistrationFactory,
    ResourceFactory,
    SponsorshipFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _membership_card(html: str) -> str:
    return html.split('aria-labelledby="membership-heading"')[1].split("</section>")[0]


@pytest.mark.parametrize("item_count", [1, 3])
def test_home_runs_a_constant_number_of_queries(
    employee_client, employee, django_assert_max_num_queries, item_count
):
    partner = PartnerFactory()
    MembershipFactory(user=employee, sponsorship=SponsorshipFactory(partner=partner))
    for _ in range(item_count):
        RegistrationFactory(user=employee, event=EventFactory(partner=partner))
        EventFactory(partner=partner)
        ResourceFactory(partner=partner)

    with django_assert_max_num_queries(8):
        response = employee_client.get(reverse("home"))

    assert response.status_code == 200
    assert len(response.context["registrations"]) == item_count
    assert len(response.context["suggested_events"]) == item_count
    assert len(response.context["resources"]) == item_count


def test_home_invites_an_eligible_employee_to_claim(employee_client):
    SponsorshipFactory()

    response = employee_client.get(reverse("home"))

    card = _membership_card(response.content.decode())
    assert response.context["summary"].state == "eligible"
    assert "Claim your membership" in card
    assert f'href="{reverse("memberships:membership")}"' in card


def test_home_says_the_claim_is_waiting_for_the_partner(employee_client, employee):
    MembershipFactory(user=employee, status="pending_partner")

    response = employee_client.get(reverse("home"))

    card = _membership_card(response.content.decode())
    assert "Waiting for the partner" in card
    assert '<li aria-current="step">Partner sets it up</li>' in card


def test_home_shows_the_member_number_of_an_active_membership(employee_client, employee):
    MembershipFactory(user=employee, status="active", member_number="TSPA-000123")

    response = employee_client.get(reverse("home"))

    card = _membership_card(response.content.decode())
    assert '<bdi class="member-number" dir="ltr">TSPA-000123</bdi>' in card
    assert '<li aria-current="step">Active</li>' in card


def test_home_tells_an_ineligible_employee_why_and_whom_to_contact(
    client, other_employee, settings
):
    from tests.conftest import sso_login

    SponsorshipFactory(eligible_groups=["trust-safety"])
    sso_login(client, other_employee)

    response = client.get(reverse("home"))

    card = _membership_card(response.content.decode())
    assert response.context["summary"].state == "ineligible"
    assert "You are not eligible for a sponsored membership." in card
    assert str(response.context["summary"].reason) in card
    assert f'href="mailto:{settings.SUPPORT_EMAIL}"' in card


def test_home_lists_own_registrations_and_suggests_only_other_events(
    employee_client, employee, other_employee
):
    mine = RegistrationFactory(user=employee, event=EventFactory(title="Queue triage"))
    other = EventFactory(title="Wellbeing circle")
    RegistrationFactory(user=other_employee, event=other)

    response = employee_client.get(reverse("home"))

    assert [r.pk for r in response.context["registrations"]] == [mine.pk]
    assert [e.pk for e in response.context["suggested_events"]] == [other.pk]


def test_home_shows_only_open_resources(employee_client):
    open_resource = ResourceFactory(title="Resilience after hard shifts")
    ResourceFactory(title="Members' salary survey", is_members_only=True)

    response = employee_client.get(reverse("home"))

    assert response.context["resources"] == [open_resource]


def test_home_offers_well_being_support_right_after_the_membership(employee_client):
    html = employee_client.get(reverse("home")).content.decode()

    assert html.index('id="membership-heading"') < html.index('id="well-being-heading"')
    assert html.index('id="well-being-heading"') < html.index('id="my-events-heading"')
    assert f'href="{reverse("memberships:well-being")}"' in html
