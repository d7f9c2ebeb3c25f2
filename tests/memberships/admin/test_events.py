import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from memberships.enums import EventStatus, NotificationKind, RegistrationStatus
from memberships.models import AuditEntry, Event, Notification, Registration
from tests.factories import EventFactory, RegistrationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

CHANGELIST = reverse("admin:memberships_event_changelist")


def _change_data(event: Event, registrations=(), **overrides) -> dict:
    """The admin change form as a browser posts it (times shown in UTC for this admin)."""
    utc = datetime.UTC
    data = {
        "partner": event.partner_id,
        "title": event.title,
        "slug": event.slug,
        "kind": event.kind,
        "status": event.status,
        "summary": event.summary,
        "body": event.body,
        "starts_at_0": event.starts_at.astimezone(utc).strftime("%Y-%m-%d"),
        "starts_at_1": event.starts_at.astimezone(utc).strftime("%H:%M:%S"),
        "ends_at_0": event.ends_at.astimezone(utc).strftime("%Y-%m-%d"),
        "ends_at_1": event.ends_at.astimezone(utc).strftime("%H:%M:%S"),
        "time_zone": event.time_zone,
        "format": event.format,
        "venue": event.venue,
        "join_url": event.join_url,
        "capacity": event.capacity if event.capacity is not None else "",
        "registration_opens_at_0": "",
        "registration_opens_at_1": "",
        "registration_closes_at_0": "",
        "registration_closes_at_1": "",
        "content_note_label": event.content_note_label,
        "content_note": event.content_note,
        "registrations-TOTAL_FORMS": len(registrations),
        "registrations-INITIAL_FORMS": len(registrations),
        "registrations-MIN_NUM_FORMS": 0,
        "registrations-MAX_NUM_FORMS": 1000,
    }
    for n, registration in enumerate(registrations):
        data[f"registrations-{n}-id"] = registration.pk
        data[f"registrations-{n}-event"] = event.pk
    data.update(overrides)
    return data


@pytest.mark.parametrize("item_count", [1, 3])
def test_event_admin_list_counts_with_well_being_privacy(
    admin_client_sso, django_assert_max_num_queries, item_count
):
    for n in range(item_count):
        wellness = EventFactory(title=f"Resilience circle {n}", kind="well_being")
        RegistrationFactory.create_batch(3, event=wellness)
        workshop = EventFactory(title=f"Workshop {n}")
        RegistrationFactory.create_batch(2, event=workshop)

    with django_assert_max_num_queries(12):
        response = admin_client_sso.get(CHANGELIST)

    content = response.content.decode()
    assert content.count("fewer than 5") == 2 * item_count  # confirmed and waitlisted columns
    assert '<td class="field-confirmed">2</td>' in content


def test_event_admin_hides_well_being_registrants(admin_client_sso):
    wellness = EventFactory(kind="well_being")
    seat = RegistrationFactory(event=wellness)
    workshop = EventFactory()
    other = RegistrationFactory(event=workshop)

    wellness_page = admin_client_sso.get(
        reverse("admin:memberships_event_change", args=[wellness.pk])
    )
    workshop_page = admin_client_sso.get(
        reverse("admin:memberships_event_change", args=[workshop.pk])
    )
    registrations = admin_client_sso.get(reverse("admin:memberships_registration_changelist"))

    assert seat.user.email not in wellness_page.content.decode()
    assert str(other.user) in workshop_page.content.decode()
    assert [r.pk for r in registrations.context["cl"].result_list] == [other.pk]


def test_event_admin_capacity_increase_promotes_at_once(admin_client_sso):
    event = EventFactory(capacity=1)
    seat = RegistrationFactory(event=event)
    waiting = RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED)

    response = admin_client_sso.post(
        reverse("admin:memberships_event_change", args=[event.pk]),
        _change_data(event, [seat, waiting], capacity=2),
    )

    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CONFIRMED
    assert Notification.objects.get().kind == NotificationKind.REGISTRATION_PROMOTED
    assert AuditEntry.objects.get().changes == {"capacity": [1, 2]}


def test_event_admin_time_change_tells_registrants_and_raises_sequence(admin_client_sso):
    event = EventFactory()
    seat = RegistrationFactory(event=event)
    later = event.starts_at + datetime.timedelta(hours=1)

    admin_client_sso.post(
        reverse("admin:memberships_event_change", args=[event.pk]),
        _change_data(
            event, [seat], starts_at_1=later.astimezone(datetime.UTC).strftime("%H:%M:%S")
        ),
    )

    event.refresh_from_db()
    assert (event.starts_at, event.sequence) == (later, 1)
    assert Notification.objects.get().kind == NotificationKind.EVENT_CHANGED


def test_event_admin_script_in_body_never_reaches_the_event_page(admin_client_sso):
    event = EventFactory()

    admin_client_sso.post(
        reverse("admin:memberships_event_change", args=[event.pk]),
        _change_data(event, body='<p>Agenda</p><script>alert("pwned")</script>'),
    )
    page = admin_client_sso.get(reverse("memberships:event-detail", args=[event.slug]))

    assert "<p>Agenda</p>" in page.content.decode()
    assert "<script>alert" not in page.content.decode()


def test_event_admin_actions_publish_cancel_duplicate(admin_client_sso):
    draft = EventFactory(status=EventStatus.DRAFT)
    live = EventFactory()
    RegistrationFactory(event=live)

    admin_client_sso.post(CHANGELIST, {"action": "publish_events", "_selected_action": [draft.pk]})
    admin_client_sso.post(CHANGELIST, {"action": "cancel_events", "_selected_action": [live.pk]})
    admin_client_sso.post(CHANGELIST, {"action": "duplicate_events", "_selected_action": [live.pk]})

    draft.refresh_from_db()
    live.refresh_from_db()
    assert (draft.status, live.status) == (EventStatus.PUBLISHED, EventStatus.CANCELLED)
    assert Event.objects.get(slug=f"{live.slug}-copy").status == EventStatus.DRAFT
    assert Notification.objects.get().kind == NotificationKind.EVENT_CANCELLED


def test_event_admin_exports_attendees_but_not_of_well_being_sessions(admin_client_sso):
    workshop = EventFactory()
    seat = RegistrationFactory(event=workshop)
    wellness = EventFactory(kind="well_being")

    export = admin_client_sso.post(
        CHANGELIST, {"action": "export_attendees", "_selected_action": [workshop.pk]}
    )
    refused = admin_client_sso.post(
        CHANGELIST, {"action": "export_attendees", "_selected_action": [wellness.pk]}, follow=True
    )

    rows = export.content.decode().splitlines()
    assert rows[0] == "event,starts_at,name,email,department,status,registered_at"
    assert rows[1].split(",")[2:4] == [seat.user.display_name, seat.user.email]
    assert "are private" in refused.content.decode()


def test_registration_admin_cancel_action_promotes_the_waitlist(admin_client_sso, admin_user):
    event = EventFactory(capacity=1)
    seat = RegistrationFactory(event=event)
    waiting = RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED)

    admin_client_sso.post(
        reverse("admin:memberships_registration_changelist"),
        {"action": "cancel_registrations", "_selected_action": [seat.pk]},
    )

    assert dict(Registration.objects.values_list("pk", "status")) == {
        seat.pk: RegistrationStatus.CANCELLED,
        waiting.pk: RegistrationStatus.CONFIRMED,
    }
    assert AuditEntry.objects.get().actor == admin_user
    assert timezone.now() >= Registration.objects.get(pk=seat.pk).cancelled_at
