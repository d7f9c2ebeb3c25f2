import datetime
import zoneinfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from memberships.enums import EventStatus, NotificationKind, RegistrationStatus
from memberships.models import AuditEntry, Event, Notification, Registration
from tests.conftest import sso_login
from tests.factories import EventFactory, RegistrationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

CHANGELIST = reverse("admin:memberships_event_changelist")


def _change_data(event: Event, registrations=(), **overrides) -> dict:
    """The admin change form as a browser posts it (times in the event's own zone)."""
    utc = zoneinfo.ZoneInfo(event.time_zone)
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
        _change_data(event, body='## Agenda\n\n<script>alert("pwned")</script>'),
    )
    page = admin_client_sso.get(reverse("memberships:event-detail", args=[event.slug]))

    assert "<h2>Agenda</h2>" in page.content.decode()
    assert "<script>alert" not in page.content.decode()


def test_event_admin_actions_publish_cancel_duplicate(admin_client_sso):
    draft = EventFactory(status=EventStatus.DRAFT)
    live = EventFactory()
    RegistrationFactory(event=live)

    admin_client_sso.post(CHANGELIST, {"action": "publish_events", "_selected_action": [draft.pk]})
    asked = admin_client_sso.post(
        CHANGELIST, {"action": "cancel_events", "_selected_action": [live.pk]}
    )
    live.refresh_from_db()
    still_live = live.status
    admin_client_sso.post(
        CHANGELIST,
        {
            "action": "cancel_events",
            "_selected_action": [live.pk],
            "apply": "1",
            "reason": "The speaker is ill.",
        },
    )
    admin_client_sso.post(CHANGELIST, {"action": "duplicate_events", "_selected_action": [live.pk]})

    draft.refresh_from_db()
    live.refresh_from_db()
    assert asked.status_code == 200
    assert "Reason, sent to every registrant" in asked.content.decode()
    assert still_live == EventStatus.PUBLISHED
    assert (draft.status, live.status) == (EventStatus.PUBLISHED, EventStatus.CANCELLED)
    copy = Event.objects.get(slug=f"{live.slug}-copy")
    assert (copy.title, copy.status) == (f"{live.title} (copy)", EventStatus.DRAFT)
    notification = Notification.objects.get()
    assert notification.kind == NotificationKind.EVENT_CANCELLED
    assert notification.payload["reason"] == "The speaker is ill."


def test_event_admin_cancel_without_a_reason_cancels_nothing(admin_client_sso):
    live = EventFactory()

    response = admin_client_sso.post(
        CHANGELIST,
        {"action": "cancel_events", "_selected_action": [live.pk], "apply": "1", "reason": ""},
    )

    live.refresh_from_db()
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert live.status == EventStatus.PUBLISHED


def test_event_admin_markdown_preview_renders_sanitised_html(admin_client_sso, employee):
    url = reverse("admin:memberships_event_markdown_preview")
    employee_client = Client()
    sso_login(employee_client, employee)

    preview = admin_client_sso.post(url, {"body": "**Bold** <script>x</script>"})
    employee_view = employee_client.post(url, {"body": "**Bold**"})

    assert (
        preview.content.decode() == "<p><strong>Bold</strong> &lt;script&gt;x&lt;/script&gt;</p>\n"
    )
    assert employee_view.status_code == 302  # to the admin sign-in


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


def _new_event_data(partner, *, zone: str, starts: str, ends: str, slug: str) -> dict:
    """The add form as a host fills it in: wall-clock times of the event's zone."""
    return {
        "partner": partner.pk,
        "title": slug.replace("-", " ").title(),
        "slug": slug,
        "kind": "meetup",
        "status": EventStatus.DRAFT,
        "summary": "Meet other moderators.",
        "body": "",
        "time_zone": zone,
        "starts_at_0": starts.split()[0],
        "starts_at_1": starts.split()[1],
        "ends_at_0": ends.split()[0],
        "ends_at_1": ends.split()[1],
        "format": "in_person",
        "venue": "",
        "join_url": "",
        "capacity": "",
        "registration_opens_at_0": "",
        "registration_opens_at_1": "",
        "registration_closes_at_0": "",
        "registration_closes_at_1": "",
        "content_note_label": "",
        "content_note": "",
    }


@pytest.mark.parametrize(
    ("zone", "starts", "expected_utc"),
    [
        # Pakistan keeps UTC+5 all year.
        (
            "Asia/Karachi",
            "2027-03-13 18:00",
            datetime.datetime(2027, 3, 13, 13, 0, tzinfo=datetime.UTC),
        ),
        # Los Angeles the day before and the day after clocks go forward (14 March 2027).
        (
            "America/Los_Angeles",
            "2027-03-13 18:00",
            datetime.datetime(2027, 3, 14, 2, 0, tzinfo=datetime.UTC),
        ),
        (
            "America/Los_Angeles",
            "2027-03-15 18:00",
            datetime.datetime(2027, 3, 16, 1, 0, tzinfo=datetime.UTC),
        ),
    ],
)
def test_event_admin_reads_times_in_the_events_own_zone(
    admin_client_sso, partner, zone, starts, expected_utc
):
    date = starts.split()[0]
    data = _new_event_data(
        partner, zone=zone, starts=starts, ends=f"{date} 20:00", slug="local-meetup"
    )

    response = admin_client_sso.post(reverse("admin:memberships_event_add"), data)

    assert response.status_code == 302
    event = Event.objects.get(slug="local-meetup")
    assert event.starts_at == expected_utc
    assert event.time_zone == zone
    page = admin_client_sso.get(reverse("admin:memberships_event_change", args=[event.pk]))
    html = page.content.decode()
    assert 'name="starts_at_1" value="18:00:00"' in html
    assert f"In the event's time zone ({zone}); stored in UTC." in html


def test_event_admin_refuses_a_time_skipped_by_daylight_saving(admin_client_sso, partner):
    data = _new_event_data(
        partner,
        zone="America/Los_Angeles",
        starts="2027-03-14 02:30",
        ends="2027-03-14 04:00",
        slug="skipped",
    )

    response = admin_client_sso.post(reverse("admin:memberships_event_add"), data)

    assert response.status_code == 200
    assert "2027-03-14 02:30 does not exist in America/Los_Angeles" in response.content.decode()
    assert not Event.objects.filter(slug="skipped").exists()


def test_event_admin_offers_only_canonical_zones_grouped_by_region(admin_client_sso):
    html = admin_client_sso.get(reverse("admin:memberships_event_add")).content.decode()

    assert '<optgroup label="Asia">' in html
    assert 'value="Asia/Karachi"' in html
    assert 'value="Factory"' not in html
    assert 'value="US/Pacific"' not in html
