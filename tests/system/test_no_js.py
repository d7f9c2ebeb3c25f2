"""With JavaScript turned off in the browser, every action still works: claiming the
membership, registering for an event and cancelling (with its confirmation page) are plain
form POSTs with CSRF."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from memberships.models import Membership, Registration
from tests.system.browser_support import new_context, seed_portal, sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.system]


@pytest.fixture
def page_without_js(browser, sso):
    context = new_context(browser, javascript=False)
    page = context.new_page()
    yield page
    context.close()


def test_claiming_and_registering_work_without_javascript(sso, page_without_js):
    page = page_without_js
    data = seed_portal()
    event = data["events"][0]

    sign_in(page, sso.base_url, "alex")
    page.goto(f"{sso.base_url}{reverse('memberships:membership')}")
    page.get_by_label(re.compile("I agree to share the details listed above with")).check()
    page.get_by_role("button", name="Claim my membership").click()
    expect(page.locator(".badge", has_text="Waiting for the partner")).to_be_visible()

    page.goto(f"{sso.base_url}{reverse('memberships:event-list')}")
    page.get_by_label("Kind").select_option(label="Workshop")
    page.get_by_role("button", name="Show events").click()
    expect(page).to_have_url(re.compile(r"\?.*kind=workshop"))
    page.get_by_role("link", name=event.title).click()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_contain_text("You have a seat")

    membership = Membership.objects.get()
    registration = Registration.objects.get()
    assert (membership.user.email, membership.status) == ("alex@example.com", "pending_partner")
    assert (registration.event, registration.status) == (event, "confirmed")
    assert page.evaluate("() => typeof window.htmx") == "undefined"

    # Cancelling asks first, on a page of its own: no script needed.
    page.get_by_role("button", name="Cancel my seat").click()
    expect(page.get_by_role("heading", name="Cancel your seat?")).to_be_visible()
    registration.refresh_from_db()
    assert registration.status == "confirmed"
    page.get_by_role("button", name="Yes, cancel my seat").click()
    expect(page.get_by_role("status")).to_contain_text("Your seat is cancelled.")
    registration.refresh_from_db()
    assert registration.status == "cancelled"
