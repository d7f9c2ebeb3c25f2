"""axe-core in headless chromium: no serious or critical violation on any employee page, at
desktop and phone width and in the light and dark colour schemes, nor on the sign-in, error
and admin index pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from memberships.models import UrgentHelpLine
from tests.factories import (
    EventFactory,
    MembershipFactory,
    UserFactory,
    attended,
    past_event,
)
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
    "event-past": lambda data: reverse("memberships:event-past"),
    "learning-record": lambda data: reverse("memberships:learning-record"),
    "event-detail-members-only": lambda data: reverse(
        "memberships:event-detail", args=[data["members_only"].slug]
    ),
    "event-detail-well-being": lambda data: reverse(
        "memberships:event-detail", args=[data["well_being"].slug]
    ),
    "resources": lambda data: reverse("memberships:resource-list"),
    "well-being": lambda data: reverse("memberships:well-being"),
    "my-data": lambda data: reverse("memberships:my-data"),
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


# Pages reached by pressing a button (a POST renders them): the confirmation pages.
CONFIRMATION_PAGES = {
    "cancel-seat": (
        lambda data: reverse("memberships:event-detail", args=[data["events"][1].slug]),
        "Cancel my seat",
    ),
    "calendar-reset": (lambda data: reverse("memberships:my-settings"), "Reset the link"),
}


def _seed_for_pages(user):
    data = seed_portal(user=user)
    data["members_only"] = EventFactory(
        partner=data["partner"], title="Members' deep dive", is_members_only=True
    )
    data["well_being"] = EventFactory(
        partner=data["partner"],
        title="Resilience circle",
        kind="well_being",
        content_note_label="Distressing material",
        content_note="We talk about hard shifts.",
    )
    UrgentHelpLine.objects.create(
        name="Employee Assistance Programme", phone="+1 555 0100", availability="24 hours"
    )
    attended(event=past_event(days_ago=20, partner=data["partner"], title="Clinic"), user=user)
    return data


# English in both colour schemes; the right-to-left languages (Arabic, Urdu) in the light one.
LANGUAGE_SCHEMES = [("en", "light"), ("en", "dark"), ("ar", "light"), ("ur", "light")]


@pytest.mark.parametrize(
    ("language", "scheme"), LANGUAGE_SCHEMES, ids=[f"{lang}-{s}" for lang, s in LANGUAGE_SCHEMES]
)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_employee_pages_have_no_serious_accessibility_violation(
    live_server, browser, error_urls, viewport, scheme, language
):
    """Every employee page (and the confirmation pages a button leads to), in one browser
    context per width, scheme and language; a page's failures are reported with its name."""
    user = _employee()
    user.language = language
    user.save(update_fields=["language"])
    data = _seed_for_pages(user)
    context = new_context(browser, viewport=viewport, bypass_csp=True, color_scheme=scheme)
    sign_in_with_cookie(context, live_server.url, user)
    page = context.new_page()
    problems = {}

    try:
        for name, url in EMPLOYEE_PAGES.items():
            response = page.goto(live_server.url + url(data))
            found = axe_violations(page)
            if response.status != ERROR_STATUS.get(name, 200):
                found.append(f"status {response.status}")
            if page.locator("h1").count() != 1:
                found.append("not exactly one h1")
            if page.locator("html").get_attribute("lang") != language:
                found.append("not in the chosen language")
            if found:
                problems[name] = found
        for name, (url, button) in CONFIRMATION_PAGES.items():
            page.goto(live_server.url + url(data))
            with translation.override(language):
                page.get_by_role("button", name=gettext(button)).click()
            page.wait_for_load_state()
            found = axe_violations(page)
            if found:
                problems[name] = found
    finally:
        context.close()

    assert problems == {}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_admin_index_has_no_serious_accessibility_violation(live_server, browser, scheme):
    admin = UserFactory(name="Priya Shah", is_staff=True, is_superuser=True)
    MembershipFactory(status="pending_approval", shared_at=None)
    context = new_context(browser, bypass_csp=True, color_scheme=scheme)
    sign_in_with_cookie(context, live_server.url, admin)
    page = context.new_page()

    try:
        response = page.goto(live_server.url + reverse("admin:index"))
        panel = page.locator(".action-panel").inner_text()
        violations = axe_violations(page)
    finally:
        context.close()

    assert response.status == 200
    assert "1 claim waits for approval" in panel
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


def test_admin_lists_fit_a_1280_px_screen(live_server, browser):
    """The membership and event lists show every column without scrolling sideways."""
    admin = UserFactory(name="Priya Shah", is_staff=True, is_superuser=True)
    data = seed_portal()
    MembershipFactory(
        sponsorship=data["sponsorship"],
        user=UserFactory(name="Alexandra Morgan-Featherstonehaugh"),
        status="pending_partner",
        member_number="TSPA-0042",
    )
    context = new_context(browser, viewport=DESKTOP)
    sign_in_with_cookie(context, live_server.url, admin)
    page = context.new_page()
    hidden = {}

    try:
        for name in ("membership", "event"):
            page.goto(live_server.url + reverse(f"admin:memberships_{name}_changelist"))
            hidden[name] = page.evaluate(
                """() => { const table = document.querySelector('#result_list');
                           return table.scrollWidth - table.parentElement.clientWidth; }"""
            )
    finally:
        context.close()

    assert hidden == {"membership": 0, "event": 0}
