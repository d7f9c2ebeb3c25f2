"""Well-being privacy in the outbox admin: nobody who reads the outbox learns who was told
about a well-being session (recipient, event and payload hidden, also from search)."""

import pytest
from django.urls import reverse

from memberships.enums import NotificationKind, NotificationRecipient
from memberships.models import Notification
from memberships.services.events import registration_create
from tests.factories import EventFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

CHANGELIST = reverse("admin:memberships_notification_changelist")


@pytest.fixture
def attendee(db):
    return UserFactory(name="Robin Quist", email="robin.quist@example.com")


@pytest.fixture
def well_being_notification(attendee, django_capture_on_commit_callbacks):
    event = EventFactory(kind="well_being", title="Resilience circle for moderators")
    with django_capture_on_commit_callbacks(execute=True):
        registration_create(user=attendee, event=event)
    return Notification.objects.get(
        kind=NotificationKind.REGISTRATION_CONFIRMED, recipient=NotificationRecipient.EMPLOYEE
    )


def _visible_text(response) -> str:
    return response.content.decode()


def test_outbox_list_shows_no_well_being_recipient_or_session(
    admin_client_sso, well_being_notification
):
    response = admin_client_sso.get(CHANGELIST)

    html = _visible_text(response)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [well_being_notification]
    assert "Robin Quist" not in html
    assert "robin.quist" not in html
    assert "Resilience circle" not in html
    assert "Hidden: a well-being session" in html


def test_outbox_search_by_e_mail_does_not_find_a_well_being_notice(
    admin_client_sso, well_being_notification
):
    by_email = admin_client_sso.get(CHANGELIST, {"q": "robin.quist@example.com"})
    with_counts = admin_client_sso.get(
        CHANGELIST, {"q": "robin.quist@example.com", "_facets": "True"}
    )
    by_key = admin_client_sso.get(CHANGELIST, {"q": well_being_notification.idempotency_key})

    assert list(by_email.context["cl"].result_list) == []
    assert by_email.context["cl"].result_count == 0
    assert "Delivered (1)" not in _visible_text(with_counts)
    assert "Delivered (0)" in _visible_text(with_counts)
    assert list(by_key.context["cl"].result_list) == [well_being_notification]


def test_outbox_detail_hides_the_well_being_recipient_and_payload(
    admin_client_sso, well_being_notification
):
    url = reverse("admin:memberships_notification_change", args=[well_being_notification.pk])

    response = admin_client_sso.get(url)

    html = _visible_text(response)
    assert response.status_code == 200
    assert "Robin Quist" not in html
    assert "robin.quist" not in html
    assert "Resilience circle" not in html
    assert "meet.example.org" not in html
    assert "Hidden: a well-being session" in html


def test_outbox_still_shows_the_recipient_of_other_events(
    admin_client_sso, attendee, django_capture_on_commit_callbacks
):
    event = EventFactory(kind="workshop", title="Appeals workshop")
    with django_capture_on_commit_callbacks(execute=True):
        registration_create(user=attendee, event=event)

    response = admin_client_sso.get(CHANGELIST, {"q": "robin.quist@example.com"})

    html = _visible_text(response)
    assert len(response.context["cl"].result_list) == 1
    assert "Robin Quist &lt;robin.quist@example.com&gt;" in html


def test_outbox_roster_of_a_well_being_session_shows_only_the_count(admin_client_sso, attendee):
    event = EventFactory(kind="well_being", title="Resilience circle for moderators")
    roster = Notification.objects.create(
        kind=NotificationKind.PARTNER_EVENT_ROSTER,
        recipient=NotificationRecipient.PARTNER,
        channel="email",
        partner=event.partner,
        to_email=event.partner.operations_email,
        payload={
            "event_id": event.pk,
            "event_kind": "well_being",
            "event_title": event.title,
            "attendee_count": 1,
            "attendees": [{"name": "Robin Quist", "email": "robin.quist@example.com"}],
        },
        idempotency_key=f"event:{event.pk}:roster",
    )
    url = reverse("admin:memberships_notification_change", args=[roster.pk])

    response = admin_client_sso.get(url)

    html = _visible_text(response)
    assert "Robin Quist" not in html
    assert "robin.quist" not in html
    assert "&quot;attendee_count&quot;: 1" in html or '"attendee_count": 1' in html
