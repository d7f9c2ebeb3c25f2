"""Garbage in any URL parameter or body gives a 4xx or a normal page, never a 500."""

import uuid

import pytest

from tests.factories import MembershipFactory, SponsorshipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

GARBAGE = ["", "x", "-1", "99999999999999999999", "%00", "<script>", "2026-13-45", "' OR 1=1 --"]

GET_PATHS = [
    "/events/?kind={v}&topic={v}&format={v}&date_from={v}&date_to={v}&q={v}&page={v}",
    "/events/past/?page={v}&date_from={v}",
    "/events/{v}/",
    "/events/{v}/calendar.ics",
    "/calendar/{v}.ics",
    "/resources/?kind={v}",
    "/me/events/?page={v}",
    "/membership/?sponsorship={v}",
    "/api/partner/v1/memberships/?status={v}&page={v}",
]

POST_PATHS = [
    ("/membership/claim/", {"sponsorship": "{v}", "consent_version": "{v}", "consent": "{v}"}),
    ("/membership/waitlist/", {"sponsorship": "{v}", "consent_version": "{v}"}),
    ("/membership/waitlist/leave/", {"sponsorship": "{v}"}),
    (f"/membership/{uuid.uuid4()}/release/", {"confirm": "{v}"}),
    ("/events/{v}/register/", {}),
    ("/events/{v}/cancel/", {}),
    ("/me/settings/", {"time_zone": "{v}"}),
]


@pytest.fixture
def some_data(employee):
    sponsorship = SponsorshipFactory()
    MembershipFactory(sponsorship=sponsorship, user=employee)


@pytest.mark.parametrize("value", GARBAGE)
def test_pages_never_answer_500_to_garbage(employee_client, some_data, value):
    statuses = {
        path.format(v=value): employee_client.get(path.format(v=value)).status_code
        for path in GET_PATHS
    }
    statuses |= {
        path.format(v=value): employee_client.post(
            path.format(v=value), {k: v.format(v=value) for k, v in data.items()}
        ).status_code
        for path, data in POST_PATHS
    }

    assert {path: code for path, code in statuses.items() if code >= 500} == {}


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"member_number": 12}', b'{"member_number": ""}', b"\xff\xfe"],
)
def test_partner_api_never_answers_500_to_a_malformed_body(client, partner, body):
    token = partner.set_api_token()
    partner.save()

    response = client.post(
        f"/api/partner/v1/memberships/{uuid.uuid4()}/activate",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code in {400, 404}
    assert "error" in response.json()
