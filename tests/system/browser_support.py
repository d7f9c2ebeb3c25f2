"""Helpers for the browser tests: axe-core, browser contexts (desktop, phone, no JavaScript,
signed in through a session cookie), and a watch on Content-Security-Policy reports.

axe-core comes from tests/a11y (npm, pinned in its lockfile). It is injected with
`page.add_script_tag`, which needs a context that bypasses the page's CSP; journeys use
ordinary contexts and assert that the CSP refused nothing."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from portal.admin_site import SSO_SESSION_KEY
from tests.factories import (
    EventFactory,
    PartnerFactory,
    RegistrationFactory,
    ResourceFactory,
    SponsorshipFactory,
    TopicFactory,
)
from tests.system.idp_harness import REPO_ROOT, browser_sign_in

A11Y_DIR = REPO_ROOT / "tests" / "a11y"
AXE_SCRIPT = A11Y_DIR / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
PASSWORD = "secret-pass"  # what tests.system.idp_harness.make_user gives every test person

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def ensure_axe_installed() -> Path:
    """Install axe-core from the lockfile when it is missing; fail (never skip) without npm."""
    if AXE_SCRIPT.exists():
        return AXE_SCRIPT
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.fail(
            "node and npm are required for the accessibility tests (they install axe-core "
            "from tests/a11y/package-lock.json): apt-get install nodejs npm",
            pytrace=False,
        )
    result = subprocess.run(
        [npm, "ci", "--prefix", str(A11Y_DIR), "--no-audit", "--no-fund"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0 or not AXE_SCRIPT.exists():
        pytest.fail(
            f"`npm ci --prefix tests/a11y` failed:\n{result.stdout}\n{result.stderr}",
            pytrace=False,
        )
    return AXE_SCRIPT


def axe_violations(page, *, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[str]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the page; one line per blocking violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(ensure_axe_installed()))
    results = page.evaluate(
        """async () => await window.axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                            "best-practice"]},
            resultTypes: ["violations"],
        })"""
    )
    lines = []
    for violation in results["violations"]:
        if violation["impact"] not in impacts:
            continue
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        lines.append(f"{violation['impact']}: {violation['id']} ({violation['help']}) at {targets}")
    return lines


def new_context(
    browser,
    *,
    viewport=DESKTOP,
    javascript: bool = True,
    bypass_csp: bool = False,
    color_scheme: str = "light",
    locale: str = "en-GB",
):
    """`locale` is the browser's language: its Accept-Language header and `navigator.language`."""
    context = browser.new_context(
        viewport=viewport,
        color_scheme=color_scheme,
        java_script_enabled=javascript,
        bypass_csp=bypass_csp,
        accept_downloads=True,
        locale=locale,
        timezone_id="Europe/London",
    )
    context.set_default_timeout(15_000)
    return context


def sign_in_with_cookie(context, base_url: str, user) -> None:
    """Give the browser a signed-in session for `user`, as after SSO. Only for checks that
    are not about signing in (journeys sign in through the IdP in the browser)."""
    client = Client()
    client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    session = client.session
    session[SSO_SESSION_KEY] = True
    session.save()
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": base_url,
                "httpOnly": True,
            }
        ]
    )


def sign_in(page, base_url: str, login: str, password: str = PASSWORD):
    """Sign in through the portal's sign-in page and the test IdP, in the browser."""
    return browser_sign_in(page, base_url, login, password)


class CspWatch:
    """Collects what the browser's Content-Security-Policy refused on a page."""

    def __init__(self, page) -> None:
        self.refusals: list[str] = []
        page.on("console", self._on_console)

    def _on_console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.refusals.append(text)


# -- data ------------------------------------------------------------------------------------


def seed_portal(*, user=None):
    """A partner with a sponsorship, a few events (one with a seat for `user`) and resources."""
    partner = PartnerFactory(name="Trust & Safety Professional Association", slug="tspa")
    sponsorship = SponsorshipFactory(
        partner=partner, name="Trust & Safety Professional Association membership", slug="tspa"
    )
    topic = TopicFactory(name="Content moderation", slug="content-moderation")
    workshop = EventFactory(
        partner=partner,
        title="Handling graphic content safely",
        slug="handling-graphic-content-safely",
        summary="Practical habits that protect reviewers from harm.",
        kind="workshop",
        format="online",
    )
    workshop.topics.add(topic)
    webinar = EventFactory(
        partner=partner,
        title="Policy writing for new harms",
        slug="policy-writing-for-new-harms",
        kind="webinar",
        starts_at=timezone.now() + timedelta(days=10),
        ends_at=timezone.now() + timedelta(days=10, hours=1),
    )
    meetup = EventFactory(
        partner=partner,
        title="London peer meetup",
        slug="london-peer-meetup",
        kind="meetup",
        format="in_person",
        venue="Example Corp, 1 Example Street, London",
        join_url="",
        starts_at=timezone.now() + timedelta(days=14),
        ends_at=timezone.now() + timedelta(days=14, hours=2),
    )
    registration = RegistrationFactory(event=webinar, user=user) if user is not None else None
    resources = [
        ResourceFactory(partner=partner, title="Resilience after hard shifts", kind="well_being"),
        ResourceFactory(partner=partner, title="Career paths in trust and safety", kind="career"),
    ]
    return {
        "partner": partner,
        "sponsorship": sponsorship,
        "events": [workshop, webinar, meetup],
        "registration": registration,
        "resources": resources,
    }
