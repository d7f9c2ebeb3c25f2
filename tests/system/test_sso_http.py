"""Single sign-on against a real OpenID Connect IdP (tests/idp), driven over HTTP.

Each `requests.Session` plays one browser: it keeps the portal's and the IdP's cookies apart
(the IdP listens on 127.0.0.2, the portal on localhost)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth.models import Group

from portal.models import User
from tests.system.idp_harness import CALLBACK_PATH, LOGIN_PATH, TEST_PASSWORD, sign_out, sso_sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.system]


def sign_in(sso, new_session, username: str, password: str = TEST_PASSWORD, **kwargs):
    session = new_session()
    result = sso_sign_in(session, sso.base_url, username, password, **kwargs)
    return session, result


def assert_signed_in_home(result, name: str) -> None:
    assert result.status_code == 200, result.response.text[:2000]
    assert urlsplit(result.response.url).path == "/"
    assert name in result.response.text


def assert_refused(result, status: int, text: str | None = None) -> None:
    assert result.status_code == status, result.response.text[:2000]
    assert CALLBACK_PATH in result.response.url
    assert "We could not sign you in" in result.response.text
    if text:
        assert text in result.response.text


# -- the happy path ------------------------------------------------------------------------


def test_first_sign_in_creates_the_user_with_every_claim(sso, new_session):
    _session, result = sign_in(sso, new_session, "alex")

    assert_signed_in_home(result, "Alex Morgan")
    user = User.objects.get()
    assert user.idp_subject == "idp-sub-alex"
    assert user.email == "alex@example.com"
    assert user.name == "Alex Morgan"
    assert user.first_name == "Alex"
    assert user.last_name == "Morgan"
    assert user.employee_id == "E1001"
    assert user.department == "Trust & Safety"
    assert user.idp_groups == ["trust-safety"]
    assert user.is_active
    assert not user.is_staff
    assert not user.has_usable_password()
    account = SocialAccount.objects.get(user=user)
    assert account.provider == "sso"
    assert account.uid == "idp-sub-alex"


def test_second_sign_in_updates_the_claims(sso, new_session):
    _session, first = sign_in(sso, new_session, "alex")
    assert_signed_in_home(first, "Alex Morgan")
    user_id = User.objects.get().pk

    sso.idp.update_claims(
        "alex",
        email="alex.morgan@example.com",
        name="Alex Morgan-Lee",
        family_name="Morgan-Lee",
        employee_id="E1001-B",
        department="Trust & Safety Operations",
        groups=["trust-safety", "tns-leads"],
    )
    _session, second = sign_in(sso, new_session, "alex")

    assert_signed_in_home(second, "Alex Morgan-Lee")
    user = User.objects.get()
    assert user.pk == user_id
    assert user.email == "alex.morgan@example.com"
    assert user.name == "Alex Morgan-Lee"
    assert user.first_name == "Alex"
    assert user.last_name == "Morgan-Lee"
    assert user.employee_id == "E1001-B"
    assert user.department == "Trust & Safety Operations"
    assert user.idp_groups == ["tns-leads", "trust-safety"]


def test_authorization_request_uses_pkce_s256(sso, new_session):
    _session, result = sign_in(sso, new_session, "alex")
    assert_signed_in_home(result, "Alex Morgan")

    request = sso.idp.last_authorization()
    assert request is not None
    assert request["code_challenge_method"] == "S256"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", request["code_challenge"])
    assert request["response_type"] == "code"
    assert request["client_id"] == sso.idp.client_id
    assert request["redirect_uri"] == f"{sso.base_url}{CALLBACK_PATH}"
    assert set(request["scope"].split()) >= {"openid", "email", "profile", "groups"}
    assert request.get("state")


def test_wrong_password_is_refused_by_the_idp(sso, new_session):
    _session, result = sign_in(sso, new_session, "alex", "not-the-password")

    assert result.status_code == 401
    assert "Wrong user name or password" in result.response.text
    assert result.callback_url is None
    assert not User.objects.exists()


# -- refusals ------------------------------------------------------------------------------


def test_email_domain_outside_the_allow_list_is_refused(sso, new_session):
    _session, result = sign_in(sso, new_session, "outsider")

    assert_refused(result, 403, "outsider@gmail.example")
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


def test_unverified_email_is_refused(sso, new_session):
    _session, result = sign_in(sso, new_session, "unverified")

    assert_refused(result, 403, "not verified")
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


def test_idp_inactive_claim_refuses_and_deactivates_the_user(sso, new_session):
    _session, first = sign_in(sso, new_session, "alex")
    assert_signed_in_home(first, "Alex Morgan")

    sso.idp.update_claims("alex", active=False)
    session, second = sign_in(sso, new_session, "alex")

    assert_refused(second, 403, "deactivated")
    user = User.objects.get()
    assert not user.is_active
    # Not signed in: the home page sends this browser to the sign-in page.
    home = session.get(f"{sso.base_url}/", allow_redirects=False, timeout=15)
    assert home.status_code == 302
    assert urlsplit(home.headers["Location"]).path == LOGIN_PATH


def test_locally_deactivated_user_is_refused(sso, new_session):
    _session, first = sign_in(sso, new_session, "alex")
    assert_signed_in_home(first, "Alex Morgan")
    User.objects.filter(email="alex@example.com").update(is_active=False)

    session, second = sign_in(sso, new_session, "alex")

    assert_refused(second, 403, "deactivated")
    assert not User.objects.get().is_active
    home = session.get(f"{sso.base_url}/", allow_redirects=False, timeout=15)
    assert home.status_code == 302


def test_same_email_with_another_subject_is_refused_not_linked(sso, new_session):
    _session, first = sign_in(sso, new_session, "alex")
    assert_signed_in_home(first, "Alex Morgan")

    _session, twin = sign_in(sso, new_session, "alex-twin")

    assert_refused(twin, 403, "alex@example.com")
    user = User.objects.get()
    assert user.idp_subject == "idp-sub-alex"
    assert user.first_name == "Alex"
    assert list(SocialAccount.objects.values_list("uid", flat=True)) == ["idp-sub-alex"]


def test_replayed_callback_in_another_browser_is_a_400(sso, new_session):
    _session, result = sign_in(sso, new_session, "alex")
    assert_signed_in_home(result, "Alex Morgan")
    assert result.callback_url

    attacker = new_session()
    replay = attacker.get(result.callback_url, timeout=15)

    assert replay.status_code == 400
    assert "We could not sign you in" in replay.text
    assert User.objects.count() == 1
    home = attacker.get(f"{sso.base_url}/", allow_redirects=False, timeout=15)
    assert home.status_code == 302


def test_replayed_callback_in_the_same_browser_is_a_400(sso, new_session):
    session, result = sign_in(sso, new_session, "alex")
    assert_signed_in_home(result, "Alex Morgan")
    sign_out(session, sso.base_url)

    replay = session.get(result.callback_url, timeout=15)

    assert replay.status_code == 400
    assert "We could not sign you in" in replay.text
    home = session.get(f"{sso.base_url}/", allow_redirects=False, timeout=15)
    assert home.status_code == 302


def test_tampered_state_is_a_400_and_creates_nobody(sso, new_session):
    session, pending = sign_in(sso, new_session, "alex", follow_callback=False)
    assert pending.callback_url
    parts = urlsplit(pending.callback_url)
    query = parse_qs(parts.query)
    assert "code" in query and "state" in query
    query["state"] = ["x" + query["state"][0][1:]]
    tampered = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))

    response = session.get(tampered, timeout=15)

    assert response.status_code == 400
    assert "We could not sign you in" in response.text
    assert not User.objects.exists()


def test_error_from_the_idp_is_a_400(sso, new_session):
    session, pending = sign_in(sso, new_session, "alex", follow_callback=False)
    parts = urlsplit(pending.callback_url)
    state = parse_qs(parts.query)["state"][0]
    denied = urlunsplit(parts._replace(query=urlencode({"error": "access_denied", "state": state})))

    response = session.get(denied, timeout=15)

    assert response.status_code == 400
    assert not User.objects.exists()


# -- staff by group ------------------------------------------------------------------------


def test_staff_group_grants_and_withdraws_admin(sso, new_session):
    session, first = sign_in(sso, new_session, "priya")
    assert_signed_in_home(first, "Priya Shah")
    user = User.objects.get()
    assert user.is_staff
    assert not user.is_superuser
    assert user.groups.filter(name=settings.PROGRAMME_ADMINS_GROUP).exists()
    admin = session.get(f"{sso.base_url}/admin/", allow_redirects=False, timeout=15)
    assert admin.status_code == 200

    sso.idp.update_claims("priya", groups=["people-ops"])
    session, second = sign_in(sso, new_session, "priya")
    assert_signed_in_home(second, "Priya Shah")

    user.refresh_from_db()
    assert not user.is_staff
    assert user.idp_groups == ["people-ops"]
    assert not user.groups.filter(name=settings.PROGRAMME_ADMINS_GROUP).exists()
    assert Group.objects.filter(name=settings.PROGRAMME_ADMINS_GROUP).exists()
    admin = session.get(f"{sso.base_url}/admin/", allow_redirects=False, timeout=15)
    assert admin.status_code == 302
    assert "login" in admin.headers["Location"]


def test_employee_outside_staff_groups_cannot_open_admin(sso, new_session):
    session, result = sign_in(sso, new_session, "sam")
    assert_signed_in_home(result, "Sam Rivera")
    assert not User.objects.get().is_staff

    admin = session.get(f"{sso.base_url}/admin/", allow_redirects=False, timeout=15)

    assert admin.status_code == 302
    assert "login" in admin.headers["Location"]


# -- signing out ---------------------------------------------------------------------------


def test_sign_out_ends_the_session(sso, new_session):
    session, result = sign_in(sso, new_session, "alex")
    assert_signed_in_home(result, "Alex Morgan")

    response = sign_out(session, sso.base_url)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == LOGIN_PATH
    home = session.get(f"{sso.base_url}/", allow_redirects=False, timeout=15)
    assert home.status_code == 302
    assert urlsplit(home.headers["Location"]).path == LOGIN_PATH


def test_sign_out_needs_a_post(sso, new_session):
    session, result = sign_in(sso, new_session, "alex")
    assert_signed_in_home(result, "Alex Morgan")

    session.get(f"{sso.base_url}/accounts/logout/", timeout=15)

    home = session.get(f"{sso.base_url}/", allow_redirects=False, timeout=15)
    assert home.status_code == 200
