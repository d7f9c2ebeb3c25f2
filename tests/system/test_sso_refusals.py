"""Sign-in refuses, never crashes: hostile and colliding claims from a real OpenID Connect
IdP (tests/idp), driven over HTTP."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from portal.models import User
from tests.system.idp_harness import TEST_PASSWORD, sso_sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.system]


def sign_in(sso, new_session, username: str):
    return sso_sign_in(new_session(), sso.base_url, username, TEST_PASSWORD)


def assert_refused(result, status: int, text: str) -> None:
    assert result.status_code == status, result.response.text[:2000]
    assert "We could not sign you in" in result.response.text
    assert text in result.response.text


def test_existing_user_whose_new_email_is_another_accounts_is_refused(sso, new_session):
    sign_in(sso, new_session, "alex")
    sign_in(sso, new_session, "sam")
    sso.idp.update_claims("sam", email="alex@example.com")

    result = sign_in(sso, new_session, "sam")

    assert_refused(result, 403, "Another account already uses alex@example.com")
    assert dict(User.objects.values_list("idp_subject", "email")) == {
        "idp-sub-alex": "alex@example.com",
        "idp-sub-sam": "sam@example.com",
    }


@pytest.mark.parametrize(
    "claims",
    [
        {"name": "A" * 5000},
        {"department": "Trust\x00Safety"},
        {"groups": {"portal-admins": True}},
        {"employee_id": ["E1", "E2"]},
        {"given_name": 42.5},
    ],
)
def test_hostile_claims_are_refused(sso, new_session, claims):
    sso.idp.update_claims("alex", **claims)

    result = sign_in(sso, new_session, "alex")

    assert_refused(result, 403, "details the portal cannot accept")
    assert User.objects.count() == 0


def test_malformed_email_is_refused_before_any_sign_up_form(sso, new_session):
    sso.idp.update_claims("alex", email="x@y@example.com")

    result = sign_in(sso, new_session, "alex")

    assert_refused(result, 403, "not a valid address")
    assert "/accounts/3rdparty/signup/" not in result.response.url
    assert User.objects.count() == 0


def test_allauth_email_rows_follow_the_idp(sso, new_session):
    sign_in(sso, new_session, "alex")
    sso.idp.update_claims("alex", email="alex.morgan@example.com")

    sign_in(sso, new_session, "alex")

    user = User.objects.get()
    assert user.email == "alex.morgan@example.com"
    assert list(EmailAddress.objects.values_list("email", "verified", "primary")) == [
        ("alex.morgan@example.com", True, True)
    ]
