"""Per-person rate limits on the employee actions that write and notify (claims, releases,
waitlists, event registrations), with the portal's own 429 page."""

import pytest
from django.urls import reverse

from memberships.enums import NotificationRecipient
from memberships.models import Membership, Notification, Registration
from tests.conftest import sso_login
from tests.factories import EventFactory, SponsorshipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

CLAIM_URL = reverse("memberships:membership-claim")


def _claim(client, sponsorship):
    return client.post(
        CLAIM_URL,
        {
            "sponsorship": sponsorship.slug,
            "consent_version": sponsorship.consent_version,
            "consent": "on",
        },
    )


def _release(client, user):
    membership = Membership.objects.filter(user=user).order_by("-pk").first()
    url = reverse("memberships:membership-release", args=[membership.public_id])
    return client.post(url, {"confirm": "true"})


def test_claim_release_loop_is_cut_off_at_the_limit(employee_client, employee, settings):
    # The finding: ten claim/release loops in seconds made ten memberships and twenty partner
    # notifications. With ten actions allowed (the default is ten an hour; a day here, so the
    # fixed window cannot end in the middle of the test) only the first ten get through.
    settings.RATE_LIMIT_MEMBERSHIP = "10/d"
    sponsorship = SponsorshipFactory(seats=None)

    statuses = []
    for _loop in range(10):
        statuses.append(_claim(employee_client, sponsorship).status_code)
        statuses.append(_release(employee_client, employee).status_code)

    assert statuses == [302] * 10 + [429] * 10
    assert Membership.objects.filter(user=employee).count() == 5
    assert Notification.objects.filter(recipient=NotificationRecipient.PARTNER).count() == 10


def test_429_page_is_in_the_portal_design_with_retry_after(employee_client, settings):
    settings.RATE_LIMIT_MEMBERSHIP = "1/d"
    sponsorship = SponsorshipFactory(seats=None)
    _claim(employee_client, sponsorship)

    response = _claim(employee_client, sponsorship)

    html = response.content.decode()
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 24 * 3600
    assert '<h1 id="error-title">Please slow down</h1>' in html
    assert 'href="/static/css/portal.css"' in html
    assert "Try again in about" in html


def test_rate_limit_counts_per_person(client, employee, settings):
    settings.RATE_LIMIT_MEMBERSHIP = "1/d"
    sponsorship = SponsorshipFactory(seats=None)
    colleague = UserFactory(email="jordan@example.com")
    sso_login(client, employee)
    _claim(client, sponsorship)
    sso_login(client, colleague)

    response = _claim(client, sponsorship)

    assert response.status_code == 302
    assert Membership.objects.filter(user=colleague).count() == 1


def test_reading_pages_is_never_rate_limited(employee_client, settings):
    settings.RATE_LIMIT_MEMBERSHIP = "1/d"
    SponsorshipFactory(seats=None)

    statuses = [
        employee_client.get(reverse("memberships:membership")).status_code for _ in range(3)
    ]

    assert statuses == [200, 200, 200]


def test_event_registration_and_cancel_are_rate_limited_per_person(
    employee_client, employee, settings
):
    settings.RATE_LIMIT_EVENTS = "3/d"
    event = EventFactory(capacity=None)
    register = reverse("memberships:event-register", args=[event.slug])
    cancel = reverse("memberships:event-cancel", args=[event.slug])

    # Cancelling is confirmed on a second page; each confirmed POST counts once.
    confirmed = {"confirm": "on"}
    statuses = [
        employee_client.post(register).status_code,
        employee_client.post(cancel, confirmed).status_code,
        employee_client.post(register).status_code,
    ]
    limited = employee_client.post(cancel, confirmed)

    assert statuses == [302, 302, 302]
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert Registration.objects.get(user=employee, status="confirmed").event == event
