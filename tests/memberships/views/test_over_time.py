"""What employees see after things changed: cancelled events everywhere they appear, the
consent text they agreed to, the next term to renew into."""

import datetime

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from memberships.enums import MembershipStatus
from memberships.services.calendar import calendar_feed_for_user
from memberships.services.claims import sponsorship_renew, sponsorship_update
from memberships.services.events import event_cancel
from tests.factories import EventFactory, MembershipFactory, RegistrationFactory, SponsorshipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def cancelled_seat(employee, admin_user):
    event = EventFactory(title="Queue triage clinic")
    RegistrationFactory(event=event, user=employee)
    event = event_cancel(event=event, actor=admin_user)
    return event


def _cancelled_on(event) -> str:
    return f"Cancelled on {timezone.localtime(event.cancelled_at):%-d %B %Y}"


def test_event_detail_of_a_cancelled_event_offers_no_seat_cancel_or_calendar(
    employee_client, cancelled_seat
):
    response = employee_client.get(reverse("memberships:event-detail", args=[cancelled_seat.slug]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "You have a seat" not in html
    assert "Cancel my seat" not in html
    assert "Add to your calendar" not in html
    assert "Join link" not in html
    assert html.count(f"by the host, {cancelled_seat.partner.name}.") == 2


def test_my_events_and_home_show_the_cancelled_state(employee_client, cancelled_seat):
    my_events = employee_client.get(reverse("memberships:my-events")).content.decode()
    home = employee_client.get(reverse("home")).content.decode()

    for html in (my_events, home):
        assert "You have a seat" not in html
        assert f"{_cancelled_on(cancelled_seat)} by the host, {cancelled_seat.partner.name}" in html


def test_calendar_feed_marks_the_cancelled_event_cancelled(client, employee, cancelled_seat):
    feed = calendar_feed_for_user(user=employee)

    response = client.get(reverse("memberships:calendar-feed", args=[feed.token]))

    (vevent,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert (str(vevent["status"]), vevent["sequence"]) == ("CANCELLED", 1)


def test_membership_page_shows_the_exact_consent_text_the_member_agreed_to(
    employee_client, employee, admin_user
):
    sponsorship = SponsorshipFactory(consent_text="The text of last year.")
    MembershipFactory(user=employee, sponsorship=sponsorship)
    sponsorship_update(
        sponsorship=sponsorship,
        actor=admin_user,
        data={"consent_text": "The text of this year, with a new clause."},
    )

    html = employee_client.get(reverse("memberships:membership")).content.decode()

    assert "The text of last year." in html
    assert "with a new clause" not in html
    assert 'data-consent-version="v1"' in html


def test_membership_page_offers_the_next_term_as_a_renewal(employee_client, employee, admin_user):
    today = timezone.localdate()
    sponsorship = SponsorshipFactory(
        starts_on=today - datetime.timedelta(days=300), ends_on=today + datetime.timedelta(days=20)
    )
    MembershipFactory(
        user=employee,
        sponsorship=sponsorship,
        status=MembershipStatus.ACTIVE,
        member_number="M-77",
    )
    starts = sponsorship.ends_on + datetime.timedelta(days=1)
    renewal = sponsorship_renew(
        sponsorship=sponsorship,
        actor=admin_user,
        starts_on=starts,
        ends_on=starts + datetime.timedelta(days=364),
    )

    html = employee_client.get(reverse("memberships:membership")).content.decode()

    assert f'data-renews="{sponsorship.slug}"' in html
    assert 'you keep your member number <bdi dir="ltr">M-77</bdi>' in html
    assert "Renew my membership" in html
    assert f'name="consent_version" value="{renewal.consent_version}"' in html


def test_membership_claim_of_the_next_term_says_it_renewed_with_the_same_number(
    employee_client, employee, admin_user
):
    today = timezone.localdate()
    sponsorship = SponsorshipFactory(
        starts_on=today - datetime.timedelta(days=300), ends_on=today + datetime.timedelta(days=5)
    )
    MembershipFactory(
        user=employee, sponsorship=sponsorship, status=MembershipStatus.ACTIVE, member_number="M-8"
    )
    starts = sponsorship.ends_on + datetime.timedelta(days=1)
    renewal = sponsorship_renew(
        sponsorship=sponsorship,
        actor=admin_user,
        starts_on=starts,
        ends_on=starts + datetime.timedelta(days=364),
    )

    response = employee_client.post(
        reverse("memberships:membership-claim"),
        {"sponsorship": renewal.slug, "consent_version": renewal.consent_version, "consent": "on"},
        follow=True,
    )

    assert escape(f"Renewed for {renewal.name}: you keep your member number M-8.") in (
        response.content.decode()
    )
