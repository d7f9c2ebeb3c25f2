import datetime

import pytest
from celery import current_app
from django.utils import timezone

from memberships.enums import MembershipStatus, NotificationKind
from memberships.models import Notification
from memberships.schedules import BEAT_SCHEDULE
from memberships.tasks import (
    task_expire_memberships,
    task_send_event_reminders,
    task_send_event_rosters,
)
from tests.factories import (
    EventFactory,
    MembershipFactory,
    RegistrationFactory,
    SponsorshipFactory,
)

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


def test_beat_schedule_is_the_settings_schedule_and_names_registered_tasks(settings):
    registered = set(current_app.tasks)

    scheduled = {entry["task"] for entry in BEAT_SCHEDULE.values()}

    assert settings.CELERY_BEAT_SCHEDULE is BEAT_SCHEDULE
    assert scheduled <= registered
    assert {
        "memberships.sweep_notifications",
        "memberships.partner_weekly_digest",
        task_expire_memberships.name,
        task_send_event_reminders.name,
        task_send_event_rosters.name,
        "memberships.insights_monthly_report",
    } == scheduled


def test_task_expire_memberships_expires_ended_terms():
    today = timezone.localdate()
    ended = SponsorshipFactory(
        starts_on=today - datetime.timedelta(days=400), ends_on=today - datetime.timedelta(days=1)
    )
    membership = MembershipFactory(sponsorship=ended, status=MembershipStatus.ACTIVE)

    task_expire_memberships.delay()

    membership.refresh_from_db()
    assert membership.status == MembershipStatus.EXPIRED
