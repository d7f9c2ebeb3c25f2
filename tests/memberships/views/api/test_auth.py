"""The partner API's front door: rate limits before authentication, and bounded JSON bodies."""

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, SponsorshipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

LIST_URL = reverse("memberships:api-membership-list")


@pytest.fixture
def token(partner) -> str:
    value = partner.set_api_token()
    partner.save()
    return value


@pytest.fixture
def activate_url(partner, employee):
    membership = MembershipFactory(user=employee, sponsorship=SponsorshipFactory(partner=partner))
    return reverse("memberships:api-membership-activate", args=[membership.public_id])


def _get(client, token, ip="192.0.2.10"):
    return client.get(LIST_URL, headers={"Authorization": f"Bearer {token}"}, REMOTE_ADDR=ip)


def test_api_per_ip_limit_answers_429_with_retry_after(client, token, settings):
    settings.RATE_LIMIT_PARTNER_API_IP = "3/d"  # a day: no window ends mid-test

    statuses = [_get(client, "stranger.guess").status_code for _ in range(3)]
    limited = _get(client, token)
    other_ip = _get(client, token, ip="192.0.2.11")

    assert statuses == [401, 401, 401]
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 24 * 3600
    assert "Too many requests" in limited.json()["error"]
    assert other_ip.status_code == 200


def test_api_per_token_limit_holds_across_addresses(client, token, settings):
    settings.RATE_LIMIT_PARTNER_API_TOKEN = "2/d"

    first = _get(client, token, ip="192.0.2.1")
    second = _get(client, token, ip="192.0.2.2")
    third = _get(client, token, ip="192.0.2.3")

    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert int(third["Retry-After"]) >= 1


def test_api_deeply_nested_json_is_a_400(client, token, activate_url):
    body = "[" * 20_000 + "]" * 20_000  # 40 kB, deeper than the parser recurses

    response = client.post(
        activate_url,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 400
    assert response.json() == {"error": "The body must be JSON."}


def test_api_json_nested_past_the_limit_is_a_400(client, token, activate_url, settings):
    settings.API_MAX_JSON_DEPTH = 3

    response = client.post(
        activate_url,
        data={"member_number": "A-1", "extra": {"a": {"b": [1]}}},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 400
    assert response.json() == {"error": "The JSON is nested deeper than 3 levels."}


def test_api_json_at_the_depth_limit_is_accepted(client, token, activate_url, settings):
    settings.API_MAX_JSON_DEPTH = 3

    response = client.post(
        activate_url,
        data={"member_number": "A-1", "extra": {"a": [1]}},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 200
    assert response.json()["member_number"] == "A-1"


def test_api_body_over_the_size_limit_is_a_400(client, token, activate_url, settings):
    settings.API_MAX_BODY_BYTES = 100

    response = client.post(
        activate_url,
        data={"member_number": "A-1", "padding": "x" * 200},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 400
    assert response.json() == {"error": "The body is larger than 100 bytes."}
