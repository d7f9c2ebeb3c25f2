"""Fixtures for tests that run real processes: the OpenID Connect IdP and a browser.

`sso` is what most tests want: the IdP running, its users reset to `default_idp_users()`, the
portal's OIDC client pointed at it, and the live server's URL."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Playwright's sync API runs an event loop in the test thread; Django then refuses ORM calls
# from it unless told that this is safe (it is: the loop is not serving Django).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import pytest
import requests

from tests.system.idp_harness import CALLBACK_PATH, IdP, make_user, run_idp

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def default_idp_users() -> dict:
    """The people the test IdP knows at the start of every test."""
    return {
        "alex": make_user(
            "alex",
            sub="idp-sub-alex",
            given_name="Alex",
            family_name="Morgan",
            employee_id="E1001",
            department="Trust & Safety",
            groups=["trust-safety"],
        ),
        "sam": make_user(
            "sam",
            sub="idp-sub-sam",
            given_name="Sam",
            family_name="Rivera",
            employee_id="E2002",
            department="Marketing",
            groups=["marketing"],
        ),
        "priya": make_user(
            "priya",
            sub="idp-sub-priya",
            given_name="Priya",
            family_name="Shah",
            employee_id="E3003",
            department="People Operations",
            groups=["portal-admins"],
        ),
        # Verified by the IdP, but not a company address.
        "outsider": make_user(
            "outsider", sub="idp-sub-outsider", email="outsider@gmail.example", groups=[]
        ),
        "unverified": make_user("unverified", sub="idp-sub-unverified", email_verified=False),
        # A different identity (sub) claiming alex's e-mail address.
        "alex-twin": make_user(
            "alex-twin", sub="idp-sub-alex-twin", email="alex@example.com", given_name="Twin"
        ),
    }


@pytest.fixture(scope="session")
def idp(live_server) -> Iterator[IdP]:
    """The test IdP, one process for the session, with the live server as its only client."""
    with run_idp(
        redirect_uris=[f"{live_server.url}{CALLBACK_PATH}"],
        post_logout_redirect_uris=[f"{live_server.url}/"],
        users=default_idp_users(),
    ) as running:
        yield running


@pytest.fixture
def idp_users(idp) -> dict:
    """Reset the IdP's users for this test; returns them (change them with idp.set_users)."""
    users = default_idp_users()
    idp.set_users(users)
    return users


@pytest.fixture
def sso_settings(settings, idp):
    """Point the portal's OIDC client (and its Content-Security-Policy) at the test IdP."""
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    app = providers["openid_connect"]["APPS"][0]
    app["client_id"] = idp.client_id
    app["secret"] = idp.client_secret
    app["settings"] = {**app.get("settings", {}), "server_url": idp.issuer}
    settings.SOCIALACCOUNT_PROVIDERS = providers
    # The sign-in form posts to the portal, which redirects to the IdP: browsers check that
    # redirect against form-action, and the IdP's port is only known now.
    csp = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    directives = csp["DIRECTIVES"]
    directives["form-action"] = [*directives.get("form-action", []), idp.issuer]
    settings.CONTENT_SECURITY_POLICY = csp
    settings.ALLOWED_EMAIL_DOMAINS = ["example.com"]
    settings.STAFF_GROUPS = ["portal-admins"]
    return settings


@dataclass
class SsoEnv:
    idp: IdP
    base_url: str
    users: dict


@pytest.fixture
def sso(idp, idp_users, sso_settings, live_server) -> SsoEnv:
    return SsoEnv(idp=idp, base_url=live_server.url, users=idp_users)


@pytest.fixture
def new_session() -> Iterator:
    """A factory of `requests.Session`s (one per "browser"), all closed after the test."""
    sessions: list[requests.Session] = []

    def make() -> requests.Session:
        session = requests.Session()
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()


# -- browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium through Playwright. Missing chromium is a failure, not a skip."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(`apt-get install chromium`, or `make chromium`).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) and page per test."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()
