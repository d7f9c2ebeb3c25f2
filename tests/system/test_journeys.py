"""Journeys through the portal as people make them: headless chromium, the live server, and the
real test OpenID Connect IdP. Every journey signs in through the browser."""

from __future__ import annotations

import re

import pytest
import requests
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from memberships.models import Event, Membership, Registration
from portal.models import User
from tests.factories import (
    EventFactory,
    MembershipFactory,
    PartnerFactory,
    SponsorshipFactory,
    UserFactory,
)
from tests.system.browser_support import (
    PHONE,
    CspWatch,
    new_context,
    seed_portal,
    sign_in,
)
from tests.system.idp_harness import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.system]

CONSENT_LABEL = re.compile(r"I agree to share the details listed above with")


@pytest.fixture
def person(browser, sso):
    """A factory of fresh browser pages, one context ("person") each, closed after the test;
    each page asserts at the end that the Content-Security-Policy refused nothing."""
    opened = []

    def open_page(**options):
        context = new_context(browser, **options)
        page = context.new_page()
        watch = CspWatch(page)
        opened.append((context, watch))
        return page

    yield open_page
    refusals = [r for _context, watch in opened for r in watch.refusals]
    for context, _watch in opened:
        context.close()
    assert refusals == []


def _activate_through_api(base_url: str, *, partner, membership, number: str):
    token = partner.set_api_token()
    partner.save(update_fields=["api_token_hash"])
    return requests.post(
        f"{base_url}/api/partner/v1/memberships/{membership.public_id}/activate",
        json={"member_number": number},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )


def test_journey_eligible_employee_claims_and_gets_the_member_number(sso, person):
    partner = PartnerFactory(name="Trust & Safety Professional Association", slug="tspa")
    SponsorshipFactory(partner=partner, name="TSPA professional membership")
    page = person()

    sign_in(page, sso.base_url, "alex")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Alex Morgan")
    page.get_by_role("link", name="Claim your membership").click()
    expect(page).to_have_url(f"{sso.base_url}{reverse('memberships:membership')}")
    expect(page.get_by_role("cell", name="alex@example.com")).to_be_visible()
    page.get_by_label(CONSENT_LABEL).check()
    page.get_by_role("button", name="Claim my membership").click()

    expect(page.get_by_role("status")).to_contain_text("Thank you: your claim")
    expect(page.locator(".badge", has_text="Waiting for the partner")).to_be_visible()
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_role("region", name="Your membership")).to_contain_text(
        "Waiting for the partner"
    )

    membership = Membership.objects.get(user__email="alex@example.com")
    assert membership.status == "pending_partner"
    response = _activate_through_api(
        sso.base_url, partner=partner, membership=membership, number="TSPA-004211"
    )
    assert (response.status_code, response.json()["status"]) == (200, "active")

    page.reload()
    card = page.get_by_role("region", name="Your membership")
    expect(card.locator(".member-number")).to_have_text("TSPA-004211")
    expect(card.locator(".badge")).to_have_text("Active")
    page.get_by_role("link", name="Membership", exact=True).click()
    expect(page.locator(".member-number")).to_have_text("TSPA-004211")


def test_journey_employee_filters_registers_downloads_the_calendar_file_and_cancels(sso, person):
    data = seed_portal()
    webinar = data["events"][1]
    page = person()

    sign_in(page, sso.base_url, "alex")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Events", exact=True).click()
    expect(page.get_by_role("heading", level=2, name="3 upcoming events")).to_be_visible()
    page.evaluate("() => { window.notReloaded = true; }")
    page.get_by_label("Kind").select_option(label="Webinar")
    expect(page.get_by_role("heading", level=2, name="1 upcoming event")).to_be_visible()
    page.get_by_role("button", name="Show events").click()
    expect(page.locator(".event-card")).to_have_count(1)
    # htmx filtered in place (no reload), announced the count and kept the URL shareable.
    assert page.evaluate("() => window.notReloaded") is True
    expect(page.locator("#results-status")).to_have_text("1 upcoming event")
    expect(page).to_have_url(re.compile(r"kind=webinar"))
    page.get_by_role("link", name=webinar.title).click()

    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_contain_text("You have a seat")
    registration = Registration.objects.get(event=webinar, user__email="alex@example.com")
    assert registration.status == "confirmed"

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to your calendar (.ics)").click()
    download = download_info.value
    calendar = download.path().read_text(encoding="utf-8")
    assert download.suggested_filename.endswith(".ics")
    assert calendar.startswith("BEGIN:VCALENDAR")
    assert f"SUMMARY:{webinar.title}" in calendar

    page.get_by_role("button", name="Cancel my seat").click()
    # A confirmation page first: nothing is cancelled until it is confirmed.
    expect(page.get_by_role("heading", name="Cancel your seat?")).to_be_visible()
    registration.refresh_from_db()
    assert registration.status == "confirmed"
    page.get_by_role("button", name="Yes, cancel my seat").click()
    expect(page.get_by_role("status")).to_contain_text("Your seat is cancelled.")
    expect(page.get_by_role("button", name="Register")).to_be_visible()
    registration.refresh_from_db()
    assert registration.status == "cancelled"


def test_journey_waitlisted_employee_is_promoted_and_the_email_link_works(sso, person, settings):
    settings.SITE_URL = sso.base_url  # links in e-mails point at this portal
    sso.idp.set_users(
        {**sso.users, "jordan": make_user("jordan", sub="idp-sub-jordan", family_name="Lee")}
    )
    event = EventFactory(title="Resilience circle", slug="resilience-circle", capacity=1)
    event_url = f"{sso.base_url}{reverse('memberships:event-detail', args=[event.slug])}"
    jordan, alex = person(), person()

    sign_in(jordan, sso.base_url, "jordan")
    jordan.goto(event_url)
    jordan.get_by_role("button", name="Register").click()
    expect(jordan.get_by_role("status")).to_contain_text("You have a seat")

    sign_in(alex, sso.base_url, "alex")
    alex.goto(event_url)
    alex.get_by_role("button", name="Join the waitlist").click()
    expect(alex.locator(".badge", has_text="You are number 1 on the waitlist")).to_be_visible()
    mail.outbox.clear()

    jordan.get_by_role("button", name="Cancel my seat").click()
    jordan.get_by_role("button", name="Yes, cancel my seat").click()
    expect(jordan.get_by_role("status")).to_contain_text("Your seat is cancelled.")

    promoted = [m for m in mail.outbox if m.to == ["alex@example.com"]]
    assert [m.subject for m in promoted] == ["A seat opened up for you: Resilience circle"]
    links = re.findall(r"https?://\S+", promoted[0].body)
    assert event_url in links
    alex.goto(event_url)
    expect(alex.locator(".badge", has_text="You have a seat")).to_be_visible()
    expect(alex.get_by_role("button", name="Cancel my seat")).to_be_visible()


def test_journey_employee_of_another_department_sees_why_and_whom_to_contact(sso, person):
    SponsorshipFactory(
        name="TSPA professional membership",
        eligible_groups=["trust-safety"],
        contact_email="tns-programme@example.com",
    )
    page = person()

    sign_in(page, sso.base_url, "sam")
    card = page.get_by_role("region", name="Your membership")
    expect(card).to_contain_text("You are not eligible for a sponsored membership.")
    card.get_by_role("link", name="See the details").click()

    section = page.get_by_role("region", name="TSPA professional membership")
    expect(section).to_contain_text("not")
    contact = section.get_by_role("link", name="tns-programme@example.com")
    expect(contact).to_have_attribute("href", "mailto:tns-programme@example.com")
    expect(page.get_by_role("button", name="Claim my membership")).to_have_count(0)
    assert not Membership.objects.exists()


def test_journey_programme_admin_signs_in_with_sso_and_approves_a_pending_claim(sso, person):
    sponsorship = SponsorshipFactory(requires_approval=True)
    claimant = UserFactory(name="Jordan Lee", email="jordan@example.com")
    membership = MembershipFactory(
        user=claimant, sponsorship=sponsorship, status="pending_approval", shared_at=None
    )
    page = person()

    page.goto(f"{sso.base_url}/admin/")
    page.get_by_role("button", name=re.compile("Sign in with")).click()
    page.get_by_label("User name").fill("priya")
    page.get_by_label("Password").fill("secret-pass")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{sso.base_url}/admin/")
    page.locator("#content-main").get_by_role("link", name="Memberships", exact=True).click()

    row = page.get_by_role("row").filter(has_text="jordan@example.com")
    expect(row).to_contain_text("Waiting for approval")
    row.get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Approve the selected claims")
    page.get_by_role("button", name="Go").click()

    expect(page.locator(".messagelist")).to_contain_text("1 approved.")
    expect(page.get_by_role("row").filter(has_text="jordan@example.com")).to_contain_text(
        "Waiting for the partner"
    )
    membership.refresh_from_db()
    assert membership.status == "pending_partner"
    assert membership.approved_at is not None


def _tab_to(page, name: str, *, backwards: bool = False, limit: int = 60) -> dict:
    """Press Tab (or Shift+Tab) until the focused element's text or label is `name`; returns
    what is focused, with its computed outline so that visible focus can be asserted."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                const label = el.labels && el.labels.length ? el.labels[0].textContent : "";
                const style = getComputedStyle(el);
                return {tag: el.tagName, text: (el.textContent || el.value || "").trim(),
                        label: label.trim(), outline: style.outlineStyle};
            }"""
        )
        if name in (focused["text"], focused["label"]) or focused["label"].startswith(name):
            return focused
    raise AssertionError(f"{name!r} cannot be reached with {key}")


def test_journey_claim_with_the_keyboard_alone(sso, person):
    SponsorshipFactory(
        partner=PartnerFactory(name="Trust & Safety Professional Association", slug="tspa")
    )
    page = person()

    page.goto(f"{sso.base_url}/accounts/login/")
    focused = _tab_to(page, "Sign in with Company SSO")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_label("User name")).to_be_focused()  # the IdP's autofocus
    page.keyboard.type("alex")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("secret-pass")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{sso.base_url}/")
    assert focused["outline"] == "solid"

    focused = _tab_to(page, "Claim your membership")
    assert focused["outline"] == "solid"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    focused = _tab_to(page, "I agree to share the details listed above with")
    assert (focused["tag"], focused["outline"]) == ("INPUT", "solid")
    page.keyboard.press("Space")
    focused = _tab_to(page, "Claim my membership")
    _tab_to(page, "I agree to share the details listed above with", backwards=True)
    focused = _tab_to(page, "Claim my membership")
    assert (focused["tag"], focused["outline"]) == ("BUTTON", "solid")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Thank you: your claim")
    expect(page.locator(".badge", has_text="Waiting for the partner")).to_be_visible()
    assert Membership.objects.get().status == "pending_partner"


def test_journey_members_only_event_speaks_to_a_pending_and_a_not_eligible_employee(sso, person):
    partner = PartnerFactory(name="Trust & Safety Professional Association", slug="tspa")
    sponsorship = SponsorshipFactory(
        partner=partner, requires_approval=True, contact_email="tns-programme@example.com"
    )
    event = EventFactory(partner=partner, title="Members' deep dive", is_members_only=True)
    event_url = f"{sso.base_url}{reverse('memberships:event-detail', args=[event.slug])}"
    pending, not_eligible = person(), person()

    sign_in(pending, sso.base_url, "alex")
    MembershipFactory(
        user=User.objects.get(email="alex@example.com"),
        sponsorship=sponsorship,
        status="pending_approval",
        shared_at=None,
    )
    pending.goto(event_url)
    sign_in(not_eligible, sso.base_url, "sam")
    not_eligible.goto(event_url)

    box = pending.get_by_role("complementary", name="Your registration")
    expect(box).to_contain_text("Your claim is waiting for approval.")
    expect(box).to_contain_text("usually within 2 working days")
    expect(box.get_by_role("link", name="Claim your membership")).to_have_count(0)
    expect(pending.get_by_role("button", name="Register")).to_have_count(0)
    other_box = not_eligible.get_by_role("complementary", name="Your registration")
    expect(other_box).to_contain_text("the sponsored membership is not open to you")
    expect(other_box.get_by_role("link", name="tns-programme@example.com")).to_have_attribute(
        "href", "mailto:tns-programme@example.com"
    )
    expect(other_box.get_by_role("link", name="Claim your membership")).to_have_count(0)
    expect(other_box).not_to_contain_text("trust-safety")


def test_journey_the_browser_zone_is_offered_in_one_click(sso, person):
    seed_portal()
    page = person()

    sign_in(page, sso.base_url, "alex")
    banner = page.get_by_role("complementary", name="Your time zone")
    expect(banner).to_contain_text("Your browser says you are in Europe/London.")
    banner.get_by_role("button", name="Use my browser's time zone").click()

    expect(page.get_by_role("status")).to_contain_text("Times are now shown in Europe/London.")
    expect(page.get_by_role("complementary", name="Your time zone")).to_have_count(0)
    assert page.url == f"{sso.base_url}/"


def test_journey_programme_admin_enters_an_event_in_karachi_time(sso, person):
    partner = PartnerFactory(name="Trust & Safety Professional Association", slug="tspa")
    page = person()

    page.goto(f"{sso.base_url}/admin/")
    page.get_by_role("button", name=re.compile("Sign in with")).click()
    page.get_by_label("User name").fill("priya")
    page.get_by_label("Password").fill("secret-pass")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{sso.base_url}/admin/")
    page.goto(f"{sso.base_url}{reverse('admin:memberships_event_add')}")
    page.get_by_label("Host partner:").select_option(label=partner.name)
    page.get_by_label("Title:").fill("Karachi moderators meetup")  # the slug follows
    page.get_by_label("Kind:").select_option(label="Meetup")
    page.get_by_label("Summary:").fill("An evening with peers.")
    page.get_by_label("Event time zone:").select_option("Asia/Karachi")
    page.locator("#id_starts_at_0").fill("2027-03-13")
    page.locator("#id_starts_at_1").fill("18:00")
    page.locator("#id_ends_at_0").fill("2027-03-13")
    page.locator("#id_ends_at_1").fill("20:00")
    page.get_by_label("Format:").select_option(label="In person")
    expect(page.locator(".form-row.field-starts_at")).to_contain_text(
        "In the event's time zone, chosen above; stored in UTC."
    )
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    event = Event.objects.get(slug="karachi-moderators-meetup")
    assert event.starts_at.isoformat() == "2027-03-13T13:00:00+00:00"
    page.get_by_role("link", name="Karachi moderators meetup").first.click()
    expect(page.locator("#id_starts_at_1")).to_have_value("18:00:00")
    expect(page.locator(".form-row.field-starts_at")).to_contain_text(
        "In the event's time zone (Asia/Karachi); stored in UTC."
    )


def test_journey_event_page_on_a_phone_puts_registration_before_the_description(sso, person):
    event = EventFactory(
        title="Graphic content lab",
        content_note_label="Graphic content",
        content_note="Real abuse reports are shown.",
        body="## Agenda\n\n" + "A long description paragraph.\n\n" * 12,
    )
    page = person(viewport=PHONE)

    sign_in(page, sso.base_url, "alex")
    page.goto(f"{sso.base_url}{reverse('memberships:event-detail', args=[event.slug])}")

    def top(locator) -> float:
        return locator.bounding_box()["y"]

    title = top(page.get_by_role("heading", level=1))
    facts = top(page.get_by_role("heading", name="When and where"))
    note = top(page.get_by_text("Real abuse reports are shown."))
    register = top(page.get_by_role("button", name="Register"))
    about = top(page.get_by_role("heading", name="About this event"))
    assert title < facts < note < register < about
    assert register < PHONE["height"] * 2  # within the first two screens, not after the text


def test_journey_reopening_a_post_only_address_lands_on_its_page_with_a_message(sso, person):
    event = EventFactory(title="Queue review clinic")
    page = person()

    sign_in(page, sso.base_url, "alex")
    response = page.goto(
        f"{sso.base_url}{reverse('memberships:event-register', args=[event.slug])}"
    )

    assert response.status == 200
    expect(page).to_have_url(
        f"{sso.base_url}{reverse('memberships:event-detail', args=[event.slug])}"
    )
    expect(page.get_by_role("status")).to_contain_text("That address only works from its button")
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue review clinic")
    assert not Registration.objects.exists()
