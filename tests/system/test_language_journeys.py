"""Journeys in other languages, in headless chromium: the claim in Arabic (right to left) with
the keyboard alone, the events list in Urdu and in Spanish, and the header's language switch
without JavaScript."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext
from playwright.sync_api import expect

from memberships.models import Membership
from portal.models import User
from tests.factories import EventFactory, PartnerFactory, SponsorshipFactory, UserFactory
from tests.system.browser_support import DESKTOP, PHONE, new_context, sign_in_with_cookie
from tests.system.test_journeys import _tab_to, person  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.system]


def _in(language: str, message: str, **values) -> str:
    with translation.override(language):
        return gettext(message) % values if values else gettext(message)


def _before_placeholder(language: str, message: str) -> str:
    """The translated text up to its first placeholder (for messages with a name in them)."""
    return _in(language, message).split("%(")[0].strip()


def _mirrored(page) -> dict:
    """The page's direction and where its h1 sits inside <main>: a right-to-left page puts
    the heading against the right edge, a left-to-right one against the left edge."""
    return page.evaluate(
        """() => {
            const main = document.querySelector("main");
            const box = main.getBoundingClientRect();
            const style = getComputedStyle(main);
            const h1 = document.querySelector('h1');
            const range = document.createRange();
            range.selectNodeContents(h1);
            const text = range.getBoundingClientRect();
            const start = box.left + parseFloat(style.paddingLeft);
            const end = box.right - parseFloat(style.paddingRight);
            return {dir: document.documentElement.dir, direction: getComputedStyle(h1).direction,
                    gapLeft: Math.round(text.left - start), gapRight: Math.round(end - text.right)};
        }"""
    )


def test_journey_claim_in_arabic_right_to_left_with_the_keyboard_alone(sso, person):  # noqa: F811
    SponsorshipFactory(
        partner=PartnerFactory(name="Trust & Safety Professional Association", slug="tspa")
    )
    page = person(locale="ar")

    page.goto(f"{sso.base_url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    _tab_to(page, _in("ar", "Sign in with %(SSO_PROVIDER_NAME)s", SSO_PROVIDER_NAME="Company SSO"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_label("User name")).to_be_focused()  # the IdP's own page
    page.keyboard.type("alex")
    page.keyboard.press("Tab")
    page.keyboard.type("secret-pass")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{sso.base_url}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")

    focused = _tab_to(page, _in("ar", "Claim your membership"))
    assert focused["outline"] == "solid"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    consent = _before_placeholder(
        "ar", "I agree to share the details listed above with %(partner)s."
    )
    focused = _tab_to(page, consent)
    assert (focused["tag"], focused["outline"]) == ("INPUT", "solid")
    page.keyboard.press("Space")
    focused = _tab_to(page, _in("ar", "Claim my membership"))
    assert (focused["tag"], focused["outline"]) == ("BUTTON", "solid")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    thanks = _before_placeholder(
        "ar", "Thank you: your claim for %(name)s is in (%(status)s). We will e-mail you."
    )
    expect(page.get_by_role("status")).to_contain_text(thanks)
    expect(page.locator(".badge", has_text=_in("ar", "Waiting for the partner"))).to_be_visible()
    assert _mirrored(page)["direction"] == "rtl"
    assert Membership.objects.get().status == "pending_partner"
    assert User.objects.get(email="alex@example.com").language == ""  # chosen by the browser


@pytest.mark.parametrize(
    ("language", "direction", "viewport"),
    [("ur", "rtl", DESKTOP), ("ur", "rtl", PHONE), ("es", "ltr", DESKTOP)],
    ids=["ur-desktop", "ur-phone", "es-desktop"],
)
def test_journey_events_list_in_urdu_and_spanish(
    live_server, browser, language, direction, viewport
):
    user = UserFactory(name="Alex Morgan", language=language, idp_groups=["trust-safety"])
    partner = PartnerFactory(name="Trust & Safety Professional Association", slug="tspa")
    EventFactory(partner=partner, title="Handling graphic content safely", capacity=12)
    EventFactory(partner=partner, title="London peer meetup", kind="meetup", capacity=12)
    context = new_context(browser, viewport=viewport)
    sign_in_with_cookie(context, live_server.url, user)
    page = context.new_page()

    try:
        response = page.goto(live_server.url + reverse("memberships:event-list"))
        html = page.locator("html")
        expect(html).to_have_attribute("lang", language)
        expect(html).to_have_attribute("dir", direction)
        expect(page.get_by_role("heading", level=1)).to_have_text(_in(language, "Events"))
        with translation.override(language):
            seats = ngettext("%(count)d seat left", "%(count)d seats left", 12) % {"count": 12}
        expect(page.get_by_text(seats)).to_have_count(2)
        expect(page.get_by_role("link", name="Handling graphic content safely")).to_be_visible()
        placement = _mirrored(page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
    finally:
        context.close()

    assert response.status == 200
    assert placement["dir"] == placement["direction"] == direction
    if direction == "rtl":
        assert placement["gapRight"] <= 1 < placement["gapLeft"], placement
    else:
        assert placement["gapLeft"] <= 1 < placement["gapRight"], placement
    assert width <= viewport["width"]  # no sideways scrolling in either direction


def test_journey_switch_language_through_the_header_without_javascript(live_server, browser):
    user = UserFactory(name="Alex Morgan", idp_groups=["trust-safety"])
    context = new_context(browser, javascript=False)
    sign_in_with_cookie(context, live_server.url, user)
    page = context.new_page()
    events = live_server.url + reverse("memberships:event-list")

    try:
        page.goto(events)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.get_by_label("Language").select_option("es")
        with page.expect_navigation():
            page.get_by_role("button", name="Change").click()
        url_after_switch = page.url
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.get_by_role("heading", level=1)).to_have_text(_in("es", "Events"))
        page.get_by_label(_in("es", "Language")).select_option("ar")
        with page.expect_navigation():
            page.get_by_role("button", name=_in("es", "Change")).click()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.get_by_role("heading", level=1)).to_have_text(_in("ar", "Events"))
    finally:
        context.close()

    user.refresh_from_db()
    assert url_after_switch == events
    assert user.language == "ar"
