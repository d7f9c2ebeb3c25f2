"""axe-core in headless chromium: no serious or critical violation on any employee page, at
desktop and phone width, nor on the sign-in and error pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.system.browser_support import (
    DESKTOP,
    PHONE,
    axe_violations,
    new_context,
    seed_portal,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.system]


def _employee():
    return UserFactory(name="Alex Morgan", email="alex@example.com", idp_groups=["trust-safety"])


ERROR_STATUS = {"not-found": 404, "forbidden": 403, "too-many-requests": 429, "server-error": 500}

EMPLOYEE_PAGES = {
    "home": lambda data: reverse("home"),
    "membership": lambda data: reverse("memberships:membership"),
    "event-list": lambda data: reverse("memberships:event-list"),
    "event-list-filtered": lambda data: reverse("memberships:event-list") + "?kind=webinar",
    "event-detail": lambda data: reverse("memberships:event-detail", args=[data["events"][0].slug]),
    "event-detail-registered": lambda data: reverse(
        "memberships:event-detail", args=[data["events"][1].slug]
    ),
    "my-events": lambda data: reverse("memberships:my-events"),
    "resources": lambda data: reverse("memberships:resource-list"),
    "settings": lambda data: reverse("memberships:my-settings"),
    "privacy": lambda data: reverse("privacy"),
    "not-found": lambda data: "/no-such-page/",
    "forbidden": lambda data: "/__tests__/forbidden/",
    "too-many-requests": lambda data: "/__tests__/rate-limited/",
    "server-error": lambda data: "/__tests__/broken/",
}


@pytest.fixture
def error_urls(settings):
    settings.ROOT_URLCONF = "tests.system.error_urls"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", list(EMPLOYEE_PAGES))
def test_employee_page_has_no_serious_accessibility_violation(
    live_server, browser, error_urls, name, viewport
):
    user = _employee()
    data = seed_portal(user=user)
    context = new_context(browser, viewport=viewport, bypass_csp=True)
    sign_in_with_cookie(context, live_server.url, user)
    page = context.new_page()

    try:
        response = page.goto(live_server.url + EMPLOYEE_PAGES[name](data))
        headings = page.locator("h1").count()
        violations = axe_violations(page)
    finally:
        context.close()

    assert response.status == ERROR_STATUS.get(name, 200)
    assert headings == 1
    assert violations == []


def test_membership_page_of_an_ineligible_employee_has_no_serious_violation(live_server, browser):
    user = UserFactory(name="Sam Rivera", department="Marketing", idp_groups=["marketing"])
    seed_portal()
    context = new_context(browser, bypass_csp=True)
    sign_in_with_cookie(context, live_server.url, user)
    page = context.new_page()

    try:
        response = page.goto(live_server.url + reverse("memberships:membership"))
        violations = axe_violations(page)
    finally:
        context.close()

    assert response.status == 200
    assert violations == []


@pytest.mark.parametrize("path", ["/accounts/login/", "/privacy/", "/no-such-page/"])
def test_public_page_has_no_serious_accessibility_violation(live_server, browser, path):
    context = new_context(browser, bypass_csp=True)
    page = context.new_page()

    try:
        response = page.goto(live_server.url + path)
        violations = axe_violations(page)
    finally:
        context.close()

    assert response.status == (404 if path == "/no-such-page/" else 200)
    assert violations == []


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_main_content(live_server, browser):
    user = _employee()
    seed_portal(user=user)
    context = new_context(browser)
    sign_in_with_cookie(context, live_server.url, user)
    page = context.new_page()

    try:
        page.goto(live_server.url + reverse("home"))
        page.keyboard.press("Tab")
        first = page.evaluate("() => document.activeElement.textContent.trim()")
        skip_visible = page.get_by_role("link", name="Skip to main content").is_visible()
        outline = page.evaluate(
            "() => getComputedStyle(document.activeElement).outlineStyle + ' '"
            " + getComputedStyle(document.activeElement).outlineWidth"
        )
        page.keyboard.press("Enter")
        focused = page.evaluate("() => document.activeElement.id")
    finally:
        context.close()

    assert first == "Skip to main content"
    assert skip_visible
    assert focused == "main"
    assert outline == "solid 3px"  # the focus ring is visible


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_pages_fit_a_phone_without_sideways_scrolling(live_server, browser, viewport):
    user = _employee()
    data = seed_portal(user=user)
    context = new_context(browser, viewport=viewport)
    sign_in_with_cookie(context, live_server.url, user)
    page = context.new_page()
    overflowing = {}

    try:
        for name in ("home", "membership", "event-list", "event-detail", "my-events", "resources"):
            response = page.goto(live_server.url + EMPLOYEE_PAGES[name](data))
            assert response.status == 200, name
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > viewport["width"]:
                overflowing[name] = width
    finally:
        context.close()

    assert overflowing == {}
