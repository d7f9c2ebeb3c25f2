import datetime

import pytest
from django.utils import timezone

from memberships.enums import NotificationKind
from memberships.models import Notification
from memberships.schedules_events import EVENTS_BEAT_SCHEDULE
from memberships.tasks_events import task_send_event_reminders, task_send_event_rosters
from tests.factories import EventFactory, RegistrationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def test_task_send_event_reminders_twice_sends_each_reminder_once(
    django_capture_on_commit_callbacks, mailoutbox
):
    now = timezone.now()
    event = EventFactory(
        starts_at=now + datetime.timedelta(hours=2), ends_at=now + datetime.timedelta(hours=3)
    )
    seats = RegistrationFactory.create_batch(2, event=event)

    with django_capture_on_commit_callbacks(execute=True):
        first = task_send_event_reminders.delay().get()
        second = task_send_event_reminders.delay().get()

    assert (first, second) == (2, 0)
    assert Notification.objects.filter(kind=NotificationKind.EVENT_REMINDER).count() == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.user.email for r in seats)
    assert mailoutbox[0].subject == f"Reminder: {event.title} is coming up"


def test_task_send_event_rosters_sends_the_roster_once(
    django_capture_on_commit_callbacks, mailoutbox
):
    event = EventFactory(registration_closes_at=timezone.now() - datetime.timedelta(minutes=5))
    RegistrationFactory(event=event)

    with django_capture_on_commit_callbacks(execute=True):
        first = task_send_event_rosters.delay().get()
        second = task_send_event_rosters.delay().get()

    assert (first, second) == (1, 0)
    assert [m.to for m in mailoutbox] == [[event.partner.operations_email]]
    assert mailoutbox[0].attachments[0][0] == f"{event.slug}-attendees.csv"


def test_events_beat_schedule_names_the_registered_tasks():
    assert {entry["task"] for entry in EVENTS_BEAT_SCHEDULE.values()} == {
        task_send_event_reminders.name,
        task_send_event_rosters.name,
    }
