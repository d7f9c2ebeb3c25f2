"""Single sign-on in a real browser (headless chromium) against the real test IdP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from portal.models import User
from tests.system.idp_harness import (
    CALLBACK_PATH,
    LOGIN_PATH,
    TEST_PASSWORD,
    browser_sign_in,
    sso_sign_in,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.system]


def test_sign_in_sign_out_and_sign_in_again_with_new_claims(sso, page):
    base = sso.base_url
    authorizations: list[dict] = []

    def record(request) -> None:
        url = urlsplit(request.url)
        if f"{url.scheme}://{url.netloc}" == sso.idp.issuer and url.path == "/auth":
            authorizations.append({k: v[0] for k, v in parse_qs(url.query).items()})

    page.on("request", record)

    # Anonymous: the home page sends the browser to the sign-in page.
    page.goto(f"{base}/")
    assert urlsplit(page.url).path == LOGIN_PATH
    page.get_by_role("button", name="Sign in with").click()

    # The IdP's own form.
    expect(page).to_have_title("Demo company SSO")
    assert page.url.startswith(f"{sso.idp.issuer}/interaction/")
    page.get_by_label("User name").fill("alex")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Back on the portal's home page.
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alex Morgan")

    user = User.objects.get()
    assert user.idp_subject == "idp-sub-alex"
    assert user.email == "alex@example.com"
    assert (user.name, user.first_name, user.last_name) == ("Alex Morgan", "Alex", "Morgan")
    assert user.employee_id == "E1001"
    assert user.department == "Trust & Safety"
    assert user.idp_groups == ["trust-safety"]
    assert user.is_active and not user.is_staff

    # PKCE: the browser carried an S256 challenge to the IdP.
    assert len(authorizations) == 1
    assert authorizations[0]["code_challenge_method"] == "S256"
    assert len(authorizations[0]["code_challenge"]) == 43
    assert authorizations[0]["redirect_uri"] == f"{base}{CALLBACK_PATH}"
    assert sso.idp.last_authorization()["code_challenge"] == authorizations[0]["code_challenge"]

    # Sign out from the header.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}{LOGIN_PATH}")
    page.goto(f"{base}/")
    assert urlsplit(page.url).path == LOGIN_PATH

    # The company changes Alex's record; the next sign-in brings it over.
    sso.idp.update_claims(
        "alex",
        name="Alex Morgan-Lee",
        family_name="Morgan-Lee",
        department="Trust & Safety Operations",
        employee_id="E1001-B",
        groups=["trust-safety", "portal-admins"],
    )
    page.get_by_role("button", name="Sign in with").click()
    expect(page).to_have_title("Demo company SSO")
    page.get_by_label("User name").fill("alex")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alex Morgan-Lee")
    expect(page.get_by_role("link", name="Admin")).to_be_visible()

    user.refresh_from_db()
    assert user.name == "Alex Morgan-Lee"
    assert user.last_name == "Morgan-Lee"
    assert user.department == "Trust & Safety Operations"
    assert user.employee_id == "E1001-B"
    assert user.idp_groups == ["portal-admins", "trust-safety"]
    assert user.is_staff
    assert User.objects.count() == 1
    assert len(authorizations) == 2
    assert authorizations[1]["code_challenge_method"] == "S256"
    assert authorizations[1]["code_challenge"] != authorizations[0]["code_challenge"]


def test_browser_sign_in_helper_and_a_refusal_page(sso, page):
    browser_sign_in(page, sso.base_url, "alex", "wrong-password")
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password")

    sso_sign_in(page, sso.base_url, "outsider", TEST_PASSWORD)
    assert CALLBACK_PATH in page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("We could not sign you in")
    expect(page.get_by_text("outsider@gmail.example")).to_be_visible()
    assert not User.objects.exists()

    sso_sign_in(page, sso.base_url, "sam", TEST_PASSWORD)
    assert page.url == f"{sso.base_url}/"
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sam Rivera")
