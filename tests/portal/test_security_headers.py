import pytest
from django.urls import reverse

from memberships.services.calendar import calendar_feed_for_user

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.mark.parametrize(
    "url",
    [reverse("home"), reverse("memberships:event-list"), reverse("memberships:my-settings")],
)
def test_signed_in_pages_are_private_and_never_stored(employee_client, url):
    response = employee_client.get(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_signed_in_admin_pages_are_private_and_never_stored(admin_client_sso):
    response = admin_client_sso.get(reverse("admin:index"))

    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives  # the admin's own never_cache adds more


def test_public_page_for_a_visitor_is_not_marked_private(client):
    response = client.get(reverse("privacy"))

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_calendar_feed_keeps_its_own_cache_policy(client, employee):
    token = calendar_feed_for_user(user=employee).token

    response = client.get(reverse("memberships:calendar-feed", args=[token]))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=900"


def test_every_response_carries_a_permissions_policy(client, employee_client):
    anonymous = client.get(reverse("privacy"))
    signed_in = employee_client.get(reverse("home"))

    for response in (anonymous, signed_in):
        policy = response["Permissions-Policy"]
        assert "camera=()" in policy
        assert "geolocation=()" in policy
        assert "microphone=()" in policy
