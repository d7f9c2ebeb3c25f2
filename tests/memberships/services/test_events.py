import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from memberships.enums import EventStatus, NotificationKind, RegistrationStatus
from memberships.exceptions import (
    EventNotOpen,
    MembersOnly,
    RegistrationClosed,
    RegistrationNotYetOpen,
)
from memberships.models import AuditEntry, Notification, Registration
from memberships.services.events import (
    event_cancel,
    event_duplicate,
    event_publish,
    event_reminders_send,
    event_roster_send,
    event_rosters_send,
    event_update,
    registration_cancel,
    registration_create,
)
from tests.factories import (
    EventFactory,
    RegistrationFactory,
    TopicFactory,
    UserFactory,
    active_membership,
)

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def _kinds(user):
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_registration_create_confirms_while_seats_are_free(employee):
    event = EventFactory(capacity=2)

    registration = registration_create(user=employee, event=event)

    assert registration.status == RegistrationStatus.CONFIRMED
    notification = Notification.objects.get(user=employee)
    assert notification.kind == NotificationKind.REGISTRATION_CONFIRMED
    assert notification.idempotency_key == f"registration:{registration.pk}:confirmed"
    assert notification.payload["join_url"] == event.join_url
    assert notification.payload["attachments"][0]["filename"] == f"{event.slug}.ics"


def test_registration_create_waitlists_when_full_with_position(employee, other_employee):
    event = EventFactory(capacity=1)
    RegistrationFactory(event=event)
    registration_create(user=other_employee, event=event)

    registration = registration_create(user=employee, event=event)

    assert registration.status == RegistrationStatus.WAITLISTED
    notification = Notification.objects.get(user=employee)
    assert notification.kind == NotificationKind.REGISTRATION_WAITLISTED
    assert notification.payload["position"] == 2
    assert "join_url" not in notification.payload


def test_registration_create_is_idempotent_for_a_live_registrant(employee):
    event = EventFactory()
    first = registration_create(user=employee, event=event)

    second = registration_create(user=employee, event=event)

    assert second.pk == first.pk
    assert Registration.objects.filter(event=event).count() == 1
    assert Notification.objects.filter(user=employee).count() == 1


def test_registration_create_unlimited_capacity_always_confirms(employee):
    event = EventFactory(capacity=None)
    RegistrationFactory.create_batch(3, event=event)

    registration = registration_create(user=employee, event=event)

    assert registration.status == RegistrationStatus.CONFIRMED


def test_registration_create_locks_the_event_row(employee):
    event = EventFactory()

    with CaptureQueriesContext(connection) as queries:
        registration_create(user=employee, event=event)

    assert any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"status": EventStatus.DRAFT}, EventNotOpen),
        ({"status": EventStatus.CANCELLED}, EventNotOpen),
        ({"registration_closes_at": "past"}, RegistrationClosed),
        ({"registration_opens_at": "future"}, RegistrationNotYetOpen),
    ],
)
def test_registration_create_refuses_outside_the_window(employee, changes, error):
    now = timezone.now()
    values = {
        key: {
            "past": now - datetime.timedelta(hours=1),
            "future": now + datetime.timedelta(days=1),
        }.get(value, value)
        for key, value in changes.items()
    }
    event = EventFactory(**values)

    with pytest.raises(error):
        registration_create(user=employee, event=event)

    assert not Registration.objects.exists()


def test_registration_create_refuses_a_started_event(employee):
    event = EventFactory(
        starts_at=timezone.now() - datetime.timedelta(minutes=5),
        ends_at=timezone.now() + datetime.timedelta(hours=1),
    )

    with pytest.raises(RegistrationClosed):
        registration_create(user=employee, event=event)


def test_registration_create_members_only_needs_an_active_membership(employee, other_employee):
    event = EventFactory(is_members_only=True)
    active_membership(user=employee, partner=event.partner)

    registration = registration_create(user=employee, event=event)
    with pytest.raises(MembersOnly):
        registration_create(user=other_employee, event=event)

    assert registration.status == RegistrationStatus.CONFIRMED
    assert list(Registration.objects.values_list("user", flat=True)) == [employee.pk]


def test_registration_cancel_promotes_the_head_of_the_waitlist_once(
    employee, django_capture_on_commit_callbacks, mailoutbox
):
    event = EventFactory(capacity=1)
    seat = registration_create(user=employee, event=event)
    first, second = UserFactory(), UserFactory()
    head = registration_create(user=first, event=event)
    registration_create(user=second, event=event)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        registration_cancel(registration=seat, actor=employee)
        registration_cancel(registration=seat, actor=employee)

    head.refresh_from_db()
    assert head.status == RegistrationStatus.CONFIRMED
    assert head.promoted_at is not None
    assert _kinds(first) == [
        NotificationKind.REGISTRATION_PROMOTED,
        NotificationKind.REGISTRATION_WAITLISTED,
    ]
    assert _kinds(second) == [NotificationKind.REGISTRATION_WAITLISTED]
    assert _kinds(employee) == [
        NotificationKind.REGISTRATION_CANCELLED,
        NotificationKind.REGISTRATION_CONFIRMED,
    ]
    assert sorted(m.to[0] for m in mailoutbox) == sorted([first.email, employee.email])
    assert Registration.objects.get(user=second).status == RegistrationStatus.WAITLISTED


def test_registration_cancel_of_a_waitlist_place_promotes_nobody(employee, other_employee):
    event = EventFactory(capacity=1)
    registration_create(user=other_employee, event=event)
    waiting = registration_create(user=employee, event=event)

    registration_cancel(registration=waiting, actor=employee)

    assert dict(Registration.objects.values_list("user", "status")) == {
        other_employee.pk: RegistrationStatus.CONFIRMED,
        employee.pk: RegistrationStatus.CANCELLED,
    }
    assert not Notification.objects.filter(kind=NotificationKind.REGISTRATION_PROMOTED).exists()


def test_registration_cancel_by_an_admin_is_audited(employee, admin_user):
    registration = RegistrationFactory(user=employee)

    registration_cancel(registration=registration, actor=admin_user)

    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action) == (admin_user, "registration_cancelled")


def test_registration_create_after_cancelling_joins_again(employee):
    event = EventFactory()
    registration = registration_create(user=employee, event=event)
    registration_cancel(registration=registration, actor=employee)

    again = registration_create(user=employee, event=event)

    assert again.pk != registration.pk
    assert again.status == RegistrationStatus.CONFIRMED


def test_event_update_capacity_increase_promotes_at_once(admin_user):
    event = EventFactory(capacity=1)
    RegistrationFactory(event=event)
    waiting = [
        RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED) for _ in range(3)
    ]

    event_update(event=event, actor=admin_user, data={"capacity": 3})

    statuses = [Registration.objects.get(pk=r.pk).status for r in waiting]
    assert statuses == ["confirmed", "confirmed", "waitlisted"]
    assert Notification.objects.filter(kind=NotificationKind.REGISTRATION_PROMOTED).count() == 2


def test_event_update_time_change_raises_sequence_and_tells_live_registrants(admin_user):
    event = EventFactory(capacity=1)
    seat = RegistrationFactory(event=event)
    waiting = RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED)
    RegistrationFactory(event=event, status=RegistrationStatus.CANCELLED)
    new_start = event.starts_at + datetime.timedelta(hours=2)

    updated = event_update(
        event=event,
        actor=admin_user,
        data={"starts_at": new_start, "ends_at": new_start + datetime.timedelta(hours=1)},
    )

    assert updated.sequence == event.sequence + 1
    changed = Notification.objects.filter(kind=NotificationKind.EVENT_CHANGED)
    assert sorted(changed.values_list("user", flat=True)) == sorted([seat.user_id, waiting.user_id])
    entry = AuditEntry.objects.get(action="event_changed")
    assert entry.changes["starts_at"] == [event.starts_at.isoformat(), new_start.isoformat()]


def test_event_update_of_the_summary_keeps_sequence_and_tells_nobody(admin_user):
    event = EventFactory()
    RegistrationFactory(event=event)

    updated = event_update(event=event, actor=admin_user, data={"summary": "Better words."})

    assert (updated.sequence, updated.summary) == (0, "Better words.")
    assert not Notification.objects.exists()


def test_event_cancel_tells_every_live_registrant_once(admin_user):
    event = EventFactory()
    registrations = RegistrationFactory.create_batch(2, event=event)

    cancelled = event_cancel(event=event, actor=admin_user, reason="Speaker unwell")
    again = event_cancel(event=cancelled, actor=admin_user)

    assert (again.status, again.sequence) == (EventStatus.CANCELLED, 1)
    notified = Notification.objects.filter(kind=NotificationKind.EVENT_CANCELLED)
    assert sorted(notified.values_list("user", flat=True)) == sorted(
        r.user_id for r in registrations
    )
    assert AuditEntry.objects.get().reason == "Speaker unwell"


def test_event_publish_makes_a_draft_visible(admin_user):
    event = EventFactory(status=EventStatus.DRAFT)

    published = event_publish(event=event, actor=admin_user)

    assert published.status == EventStatus.PUBLISHED


def test_event_duplicate_makes_a_draft_copy_without_registrations(admin_user):
    topic = TopicFactory()
    event = EventFactory()
    event.topics.add(topic)
    RegistrationFactory(event=event)

    copy = event_duplicate(event=event, actor=admin_user)
    second = event_duplicate(event=event, actor=admin_user)

    assert (copy.status, copy.slug, copy.title) == (
        EventStatus.DRAFT,
        f"{event.slug}-copy",
        f"{event.title} (copy)",
    )
    assert second.slug == f"{event.slug}-copy-2"
    assert list(copy.topics.all()) == [topic]
    assert not copy.registrations.exists()


def test_event_reminders_send_reminds_each_confirmed_registrant_once(settings):
    settings.EVENT_REMINDER_HOURS = 24
    now = timezone.now()
    soon = EventFactory(
        starts_at=now + datetime.timedelta(hours=5), ends_at=now + datetime.timedelta(hours=6)
    )
    later = EventFactory(
        starts_at=now + datetime.timedelta(days=3),
        ends_at=now + datetime.timedelta(days=3, hours=1),
    )
    seat = RegistrationFactory(event=soon)
    RegistrationFactory(event=soon, status=RegistrationStatus.WAITLISTED)
    RegistrationFactory(event=later)

    first_run = event_reminders_send(now=now)
    second_run = event_reminders_send(now=now)

    assert (first_run, second_run) == (1, 0)
    reminder = Notification.objects.get(kind=NotificationKind.EVENT_REMINDER)
    assert (reminder.user_id, reminder.idempotency_key) == (
        seat.user_id,
        f"reminder:{seat.pk}:{int(soon.starts_at.timestamp())}",
    )


def test_event_roster_send_shares_only_consented_fields_once(employee, other_employee):
    event = EventFactory(shares_attendee_contact=False)
    active_membership(user=employee, partner=event.partner, shared_data={"name": "Alex Morgan"})
    member = RegistrationFactory(event=event, user=employee)
    stranger = RegistrationFactory(event=event, user=other_employee)
    RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED)

    sent = event_roster_send(event=event)
    sent_again = event_roster_send(event=event)

    assert (sent, sent_again) == (True, False)
    notification = Notification.objects.get(kind=NotificationKind.PARTNER_EVENT_ROSTER)
    assert notification.partner == event.partner
    assert notification.payload["attendees"] == [
        {
            "registration_id": member.pk,
            "registered_at": member.created_at.isoformat(),
            "name": "Alex Morgan",
            "member_number": "M-1001",
        },
        {"registration_id": stranger.pk, "registered_at": stranger.created_at.isoformat()},
    ]


def test_event_roster_send_includes_name_and_email_when_the_event_says_so(employee):
    event = EventFactory(shares_attendee_contact=True)
    registration = RegistrationFactory(event=event, user=employee)

    event_roster_send(event=event)

    payload = Notification.objects.get().payload
    assert payload["attendees"] == [
        {
            "registration_id": registration.pk,
            "registered_at": registration.created_at.isoformat(),
            "name": "Alex Morgan",
            "email": "alex@example.com",
        }
    ]
    assert (
        payload["attachments"][0]["content"].splitlines()[0]
        == "email,name,registered_at,registration_id"
    )


def test_event_roster_csv_never_hands_a_spreadsheet_a_formula(employee):
    employee.name = '=HYPERLINK("https://evil.example","Alex")'
    employee.save()
    event = EventFactory(shares_attendee_contact=True)
    RegistrationFactory(event=event, user=employee)

    event_roster_send(event=event)

    csv_text = Notification.objects.get().payload["attachments"][0]["content"]
    assert """,\"'=HYPERLINK(""https://evil.example"",""Alex"")\",""" in csv_text


def test_event_rosters_send_picks_events_whose_registration_closed():
    now = timezone.now()
    closed = EventFactory(registration_closes_at=now - datetime.timedelta(minutes=1))
    EventFactory()  # still open
    EventFactory(
        status=EventStatus.DRAFT, registration_closes_at=now - datetime.timedelta(minutes=1)
    )

    assert event_rosters_send(now=now) == 1
    assert event_rosters_send(now=now) == 0
    closed.refresh_from_db()
    assert closed.roster_sent_at is not None
