"""No blank error page: every employee address that only a form may POST to sends a GET
back to the page its button lives on, with a message, and changes nothing."""

import pytest
from django.urls import reverse

from memberships.models import Membership, Registration
from tests.factories import EventFactory, MembershipFactory, RegistrationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

MESSAGE = "That address only works from its button, so nothing was changed."


@pytest.fixture
def setup(employee):
    event = EventFactory(slug="queue-review")
    seat = RegistrationFactory(event=event, user=employee)
    membership = MembershipFactory(user=employee)
    return {"event": event, "seat": seat, "membership": membership}


@pytest.mark.parametrize(
    ("name", "kwargs", "back"),
    [
        ("memberships:membership-claim", {}, "memberships:membership"),
        ("memberships:membership-waitlist", {}, "memberships:membership"),
        ("memberships:membership-waitlist-leave", {}, "memberships:membership"),
        ("memberships:membership-release", {"public_id": None}, "memberships:membership"),
        ("memberships:event-register", {"slug": "queue-review"}, "memberships:event-detail"),
        ("memberships:event-cancel", {"slug": "queue-review"}, "memberships:event-detail"),
        ("memberships:calendar-token-reset", {}, "memberships:my-settings"),
    ],
)
def test_get_on_a_post_only_address_redirects_with_a_message(
    employee_client, setup, name, kwargs, back
):
    if "public_id" in kwargs:
        kwargs = {"public_id": setup["membership"].public_id}
    back_kwargs = {"slug": kwargs["slug"]} if "slug" in kwargs else {}

    response = employee_client.get(reverse(name, kwargs=kwargs), follow=True)

    assert response.redirect_chain == [(reverse(back, kwargs=back_kwargs), 302)]
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert Registration.objects.get().status == "confirmed"
    assert Membership.objects.get().status == "pending_partner"


def test_get_on_a_post_only_address_still_needs_a_sign_in(client):
    response = client.get(reverse("memberships:membership-claim"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
