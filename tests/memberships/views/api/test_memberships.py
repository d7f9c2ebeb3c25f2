import pytest
from django.urls import reverse

from memberships.enums import MembershipStatus, NotificationKind
from memberships.models import Notification
from tests.factories import MembershipFactory, PartnerFactory, SponsorshipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

LIST_URL = reverse("memberships:api-membership-list")


@pytest.fixture
def token(partner) -> str:
    value = partner.set_api_token()
    partner.save()
    return value


@pytest.fixture
def membership(partner, employee):
    return MembershipFactory(user=employee, sponsorship=SponsorshipFactory(partner=partner))


def _activate(client, membership, body, token):
    return client.post(
        reverse("memberships:api-membership-activate", args=[membership.public_id]),
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )


def test_api_activate_sets_member_number(client, membership, token):
    response = _activate(client, membership, {"member_number": "TSPA-0042"}, token)

    membership.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert response.json()["member_number"] == "TSPA-0042"
    assert membership.member_number == "TSPA-0042"


def test_api_activate_is_idempotent(client, membership, token):
    first = _activate(client, membership, {"member_number": "TSPA-0042"}, token)
    second = _activate(client, membership, {"member_number": "TSPA-0042"}, token)

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == second.json()
    assert Notification.objects.filter(kind=NotificationKind.MEMBERSHIP_ACTIVE).count() == 1


def test_api_activate_with_another_number_once_active_is_409(client, membership, token):
    _activate(client, membership, {"member_number": "TSPA-0042"}, token)

    response = _activate(client, membership, {"member_number": "TSPA-1"}, token)

    assert response.status_code == 409
    assert "another member number" in response.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        {"member_number": ""},
        {"number": "x"},
        ["TSPA-1"],
        {"member_number": 42},
        {"member_number": "x" * 65},
    ],
)
def test_api_activate_malformed_body_is_400(client, membership, token, body):
    response = _activate(client, membership, body, token)

    membership.refresh_from_db()
    assert response.status_code == 400
    assert response.json()["error"]
    assert membership.status == MembershipStatus.PENDING_PARTNER


@pytest.mark.parametrize("bad_token", ["", "wrong", "association-x.nope"])
def test_api_activate_without_valid_token_is_401(client, membership, token, bad_token):
    response = _activate(client, membership, {"member_number": "TSPA-1"}, bad_token)

    assert response.status_code == 401
    assert response.json() == {"error": "A valid partner API token is required."}


def test_api_activate_another_partners_membership_is_404(client, membership):
    other = PartnerFactory()
    other_token = other.set_api_token()
    other.save()

    response = _activate(client, membership, {"member_number": "TSPA-1"}, other_token)

    membership.refresh_from_db()
    assert response.status_code == 404
    assert membership.status == MembershipStatus.PENDING_PARTNER


def test_api_activate_claim_not_yet_shared_is_404(client, partner, employee, token):
    pending = MembershipFactory(
        user=employee,
        sponsorship=SponsorshipFactory(partner=partner),
        status=MembershipStatus.PENDING_APPROVAL,
        shared_at=None,
    )

    response = _activate(client, pending, {"member_number": "TSPA-1"}, token)

    assert response.status_code == 404


def test_api_list_filters_by_status_and_paginates(client, partner, token):
    sponsorship = SponsorshipFactory(partner=partner, seats=None)
    active = MembershipFactory.create_batch(3, sponsorship=sponsorship, status="active")
    MembershipFactory(sponsorship=sponsorship, status="released")
    MembershipFactory(status="active")  # another partner's

    response = client.get(
        LIST_URL, {"status": "active"}, headers={"Authorization": f"Bearer {token}"}
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["count"], body["page"], body["num_pages"], body["next_page"]) == (3, 1, 1, None)
    assert [r["membership_id"] for r in body["results"]] == [str(m.public_id) for m in active]
    assert body["results"][0]["member"] == active[0].shared_data


def test_api_list_pages_hold_one_hundred(client, partner, token):
    sponsorship = SponsorshipFactory(partner=partner, seats=None)
    MembershipFactory.create_batch(101, sponsorship=sponsorship)

    page2 = client.get(LIST_URL, {"page": 2}, headers={"Authorization": f"Bearer {token}"})

    assert page2.json()["count"] == 101
    assert len(page2.json()["results"]) == 1


@pytest.mark.parametrize(
    ("params", "status"), [({"status": "bogus"}, 400), ({"page": "x"}, 400), ({"page": 9}, 404)]
)
def test_api_list_bad_parameters(client, token, params, status):
    response = client.get(LIST_URL, params, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == status
    assert response.json()["error"]


def test_api_list_without_token_is_401(client):
    response = client.get(LIST_URL)

    assert response.status_code == 401
