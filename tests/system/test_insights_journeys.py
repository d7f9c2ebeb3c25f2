"""Journeys of the learning record and programme insights in headless chromium, signing in
through the real test IdP; and axe-core on every new page."""

from __future__ import annotations

import re

import pytest
import requests
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from memberships.models import Attendance, Feedback, Registration
from portal.models import User
from tests.factories import PartnerFactory, RegistrationFactory, UserFactory, attended, past_event
from tests.memberships.insights_data import seed_programme
from tests.system.browser_support import (
    DESKTOP,
    PHONE,
    CspWatch,
    axe_violations,
    new_context,
    sign_in,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.system]


@pytest.fixture
def person(browser, sso):
    """Fresh browser pages, one context each; the CSP must refuse nothing on any of them."""
    opened = []

    def open_page(**options):
        context = new_context(browser, **options)
        page = context.new_page()
        opened.append((context, CspWatch(page)))
        return page

    yield open_page
    refusals = [r for _context, watch in opened for r in watch.refusals]
    for context, _watch in opened:
        context.close()
    assert refusals == []


def test_journey_employee_attends_gives_feedback_and_downloads_a_certificate(sso, person):
    partner = PartnerFactory(name="Trust & Safety Professional Association", slug="tspa")
    event = past_event(partner=partner, title="Policy clinic", format="online")
    page = person()
    sign_in(page, sso.base_url, "alex")
    alex = User.objects.get(email="alex@example.com")
    registration = RegistrationFactory(event=event, user=alex)
    token = partner.set_api_token()
    partner.save(update_fields=["api_token_hash"])

    # The host records attendance through the partner API.
    response = requests.post(
        f"{sso.base_url}/api/partner/v1/events/{event.slug}/attendance",
        json={"attended": [registration.pk]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    assert response.json() == {"event": event.slug, "recorded": 1, "unchanged": 0}
    feedback_mail = next(m for m in mail.outbox if m.to == ["alex@example.com"])
    link = re.search(r"https?://\S+/me/feedback/\d+/", feedback_mail.body).group(0)

    # The e-mail's link opens the two-question form.
    page.goto(sso.base_url + "/" + link.split("://", 1)[1].split("/", 1)[1])
    page.get_by_label("4", exact=True).check()
    page.get_by_label(re.compile("Anything you want the host to know")).fill("Clear and useful")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("status")).to_contain_text("Your feedback is saved")
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning record")
    assert list(Feedback.objects.values_list("rating", "comment")) == [(4, "Clear and useful")]

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Certificate of attendance")).click()
    download = download_info.value
    assert download.suggested_filename == f"certificate-{event.slug}.pdf"
    assert download.path().read_bytes().startswith(b"%PDF-")

    # Anyone can check the code, without signing in.
    code = Attendance.objects.get().registration.certificate.code
    checker = person()
    checker.goto(f"{sso.base_url}{reverse('memberships:certificate-verify')}")
    checker.get_by_label("Verification code").fill(code.lower())
    checker.get_by_role("button", name="Check").click()
    expect(checker.get_by_role("heading", level=2)).to_have_text("This certificate is genuine")
    expect(checker.locator("dl")).to_contain_text("Policy clinic")
    expect(checker.locator("dl")).to_contain_text("Alex Morgan")


def test_journey_programme_admin_opens_the_insights_dashboard(sso, person):
    seeded = seed_programme()
    page = person()

    page.goto(f"{sso.base_url}/admin/")
    page.get_by_role("button", name=re.compile("Sign in with")).click()
    page.get_by_label("User name").fill("priya")
    page.get_by_label("Password").fill("secret-pass")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{sso.base_url}/admin/")
    page.get_by_role("link", name=re.compile("Programme insights")).click()
    page.get_by_label("From (month)").fill(f"{seeded.first:%Y-%m}")
    page.get_by_label("To (month, included)").fill(f"{seeded.second:%Y-%m}")
    page.get_by_role("button", name="Show").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Programme insights")
    expect(page.get_by_role("img", name=re.compile("Claims per month"))).to_be_visible()
    months = page.get_by_role("table").filter(has_text="Month by month")
    expect(months.get_by_role("row").nth(1)).to_contain_text(f"{seeded.first:%Y-%m}")
    expect(months.get_by_role("row").nth(2)).to_contain_text("fewer than 5")
    with page.expect_download() as download_info:
        months.get_by_role("link", name=re.compile("CSV")).click()
    csv_text = download_info.value.path().read_text(encoding="utf-8")
    assert csv_text.splitlines()[1].startswith(f"{seeded.first:%Y-%m},7,5,")
    assert seeded.target.email not in page.content()


def _admin():
    from django.conf import settings
    from django.contrib.auth.models import Group

    user = UserFactory(name="Priya Shah", email="priya@example.com", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=settings.PROGRAMME_ADMINS_GROUP)[0])
    return user


def _employee_pages(user):
    registration = attended(event=past_event(title="Policy clinic"), user=user)
    return {
        "learning-record": reverse("memberships:learning-record"),
        "feedback": reverse("memberships:feedback", args=[registration.pk]),
        "certificate-verify": reverse("memberships:certificate-verify")
        + f"?code={registration.certificate.code}",
        "certificate-verify-invalid": reverse("memberships:certificate-verify")
        + "?code=ABCD-EFGH-JKMN-PQRS",
    }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize(
    "name", ["learning-record", "feedback", "certificate-verify", "certificate-verify-invalid"]
)
def test_new_employee_page_has_no_serious_accessibility_violation(
    live_server, browser, name, viewport
):
    user = UserFactory(name="Alex Morgan", email="alex@example.com")
    url = _employee_pages(user)[name]
    context = new_context(browser, viewport=viewport, bypass_csp=True)
    sign_in_with_cookie(context, live_server.url, user)
    page = context.new_page()

    try:
        response = page.goto(live_server.url + url)
        headings = page.locator("h1").count()
        violations = axe_violations(page)
    finally:
        context.close()

    assert response.status == 200
    assert headings == 1
    assert violations == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", ["insights", "attendance-events", "attendance-mark"])
def test_new_admin_page_has_no_serious_accessibility_violation(
    live_server, browser, name, viewport
):
    seed_programme()
    event = past_event(title="Workshop to mark")
    RegistrationFactory(event=event)
    url = {
        "insights": reverse("admin:insights"),
        "attendance-events": reverse("admin:memberships_attendance_events"),
        "attendance-mark": reverse("admin:memberships_attendance_mark", args=[event.pk]),
    }[name]
    context = new_context(browser, viewport=viewport, bypass_csp=True)
    sign_in_with_cookie(context, live_server.url, _admin())
    page = context.new_page()

    try:
        response = page.goto(live_server.url + url)
        violations = axe_violations(page)
    finally:
        context.close()

    assert response.status == 200
    assert violations == []
    assert Registration.objects.filter(event=event).count() == 1
