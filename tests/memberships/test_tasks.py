import datetime
import threading
import time

import pytest
from celery import current_app
from celery.exceptions import Retry
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from memberships.enums import MembershipStatus, NotificationKind, NotificationStatus
from memberships.models import Notification
from memberships.schedules import BEAT_SCHEDULE, beat_schedule
from memberships.tasks import (
    task_deliver_notification,
    task_expire_memberships,
    task_remind_idle_claims,
    task_send_event_reminders,
    task_send_event_rosters,
    task_send_renewal_notices,
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

    assert settings.CELERY_BEAT_SCHEDULE == beat_schedule(sweep_seconds=60) == BEAT_SCHEDULE
    assert scheduled <= registered
    assert {
        "memberships.sweep_notifications",
        "memberships.partner_weekly_digest",
        task_expire_memberships.name,
        task_send_event_reminders.name,
        task_send_event_rosters.name,
        "memberships.purge_sessions",
        "memberships.apply_retention",
        "portal.end_eligibility_graces",
        task_send_renewal_notices.name,
        task_remind_idle_claims.name,
        "memberships.insights_monthly_report",
    } == scheduled


def test_beat_schedule_sweeps_at_the_configured_interval():
    schedule = beat_schedule(sweep_seconds=15)

    assert schedule["sweep-notifications"]["schedule"].total_seconds() == 15
    assert (
        BEAT_SCHEDULE["sweep-notifications"]["schedule"]
        != schedule["sweep-notifications"]["schedule"]
    )


def test_task_expire_memberships_expires_ended_terms():
    today = timezone.localdate()
    ended = SponsorshipFactory(
        starts_on=today - datetime.timedelta(days=400), ends_on=today - datetime.timedelta(days=1)
    )
    membership = MembershipFactory(sponsorship=ended, status=MembershipStatus.ACTIVE)

    task_expire_memberships.delay()

    membership.refresh_from_db()
    assert membership.status == MembershipStatus.EXPIRED


def test_task_deliver_notification_declares_unlimited_celery_retries():
    # The row's attempt count ends the chain; Celery's default (3 retries) would cut it short.
    assert task_deliver_notification.max_retries is None


@pytest.mark.django_db(transaction=True)
def test_task_deliver_notification_retries_a_database_error_instead_of_dropping_it(
    employee, mailoutbox
):
    notification = Notification.objects.create(  # written, not yet queued
        kind=NotificationKind.MEMBERSHIP_RECEIVED,
        recipient="employee",
        channel="email",
        user=employee,
        to_email=employee.email,
        payload={"sponsorship": "Association"},
        idempotency_key="membership:1:received",
    )
    is_locked = threading.Event()

    def hold_the_row():  # another session holds the row for 0.8 s
        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=notification.pk)
                is_locked.set()
                time.sleep(0.8)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    assert is_locked.wait(timeout=10)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '100ms'")  # the claim fails: a real database error

    with pytest.raises(Retry) as raised:  # eager mode hands the retry back to the caller
        task_deliver_notification.delay(notification_id=notification.pk)
    holder.join()
    notification.refresh_from_db()
    waiting = (notification.status, notification.attempts)
    task_deliver_notification.delay(notification_id=notification.pk)  # the retry, later

    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")
    notification.refresh_from_db()
    assert type(raised.value.exc) is OperationalError
    assert 0 <= raised.value.when <= 1  # backoff: a random delay up to 2**retries s
    assert waiting == (NotificationStatus.PENDING, 0)  # the failed claim was rolled back
    assert (notification.status, notification.attempts) == (NotificationStatus.DELIVERED, 1)
    assert [m.to for m in mailoutbox] == [[employee.email]]
