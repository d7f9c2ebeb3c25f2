"""Sign-in refuses instead of crashing: the rules without allauth, then the routes."""

import socket

import pytest
from allauth.account.models import EmailAddress

from portal import services
from portal.models import User
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]

GOOD = {"sub": "s1", "email": "alex@example.com", "email_verified": True}


@pytest.mark.parametrize(
    "claims",
    [
        {"name": "A" * 201},
        {"sub": "s" * 256},
        {"email": ["alex@example.com"]},
        {"email": {"value": "alex@example.com"}},
        {"name": "Alex\x00Morgan"},
        {"sub": "s1\x00"},
        {"department": "T&S\u202e"},
        {"employee_id": 1.5},
        {"groups": {"portal-admins": True}},
        {"groups": ["portal-admins", 7]},
        {"groups": ["x" * 256]},
        {"groups": ["g"] * 501},
        {"email_verified": "maybe"},
        {"active": ["false"]},
    ],
)
def test_claims_from_idp_refuses_hostile_claims(claims):
    with pytest.raises(services.SignInRefused) as refusal:
        services.claims_from_idp(id_token={}, userinfo={**GOOD, **claims})

    assert refusal.value.code == "bad_claims"


@pytest.mark.parametrize(
    "email",
    ["x@y@example.com", "alex@@example.com", "alex", "alex@", "@example.com", "a b@example.com"],
)
def test_sign_in_check_refuses_a_malformed_email(email):
    claims = services.IdpClaims(subject="s1", email=email, email_verified=True)

    with pytest.raises(services.SignInRefused) as refusal:
        services.sign_in_check(claims=claims, user=None)

    assert refusal.value.code == "email_invalid"


def test_sign_in_check_refuses_an_existing_user_taking_another_accounts_email():
    alex = UserFactory(email="alex@example.com")
    UserFactory(email="sam@example.com")
    claims = services.IdpClaims(
        subject=alex.idp_subject, email="sam@example.com", email_verified=True
    )

    with pytest.raises(services.SignInRefused) as refusal:
        services.sign_in_check(claims=claims, user=alex)

    assert refusal.value.code == "email_taken"


def test_user_sync_from_idp_makes_allauth_email_rows_follow_the_idp():
    user = UserFactory(email="old@example.com")
    EmailAddress.objects.create(user=user, email="old@example.com", verified=True, primary=True)
    EmailAddress.objects.create(user=user, email="typed-by-hand@example.com", verified=False)
    claims = services.IdpClaims(
        subject=user.idp_subject, email="new@example.com", email_verified=True
    )

    services.user_sync_from_idp(user=user, claims=claims)
    services.user_sync_from_idp(user=user, claims=claims)

    rows = list(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary"))
    assert rows == [("new@example.com", True, True)]
    assert User.objects.get(pk=user.pk).email == "new@example.com"


@pytest.mark.integration
@pytest.mark.parametrize(
    "path",
    [
        "/accounts/3rdparty/",
        "/accounts/3rdparty/signup/",
        "/accounts/oidc/%00/login/",
        "/accounts/oidc/%00/login/callback/",
        "/accounts/oidc/sso%00/login/",
        "/accounts/oidc/unknown/login/",
        "/accounts/saml/%00/login/",
        "/accounts/oidc/sso/login/?process=connect",
    ],
)
def test_third_party_signup_connect_and_malformed_provider_paths_are_404(employee_client, path):
    response = employee_client.get(path)

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.integration
def test_connect_flow_posted_is_404(employee_client):
    response = employee_client.post("/accounts/oidc/sso/login/", {"process": "connect"})

    assert response.status_code == 404


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.integration
def test_sign_in_with_the_idp_down_shows_a_friendly_page(client, settings):
    import copy

    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["openid_connect"]["APPS"][0]["settings"]["server_url"] = (
        f"http://127.0.0.1:{_closed_port()}"
    )
    settings.SOCIALACCOUNT_PROVIDERS = providers
    settings.SUPPORT_EMAIL = "help-desk@example.com"

    response = client.post("/accounts/oidc/sso/login/")

    assert response.status_code == 503
    body = response.content.decode()
    assert "Sign-in is unavailable right now" in body
    assert "mailto:help-desk@example.com" in body


@pytest.mark.integration
def test_login_page_offers_the_configured_protocols(client, settings):
    settings.OIDC_ENABLED = False
    settings.SAML_ENABLED = True

    body = client.get("/accounts/login/").content.decode()

    assert "Sign in with Company SSO (SAML)" in body
    assert "/accounts/saml/company/login/" in body
    assert "/accounts/oidc/sso/login/" not in body
