import datetime

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from memberships.enums import NotificationKind, NotificationStatus
from memberships.models import AuditEntry, CalendarFeed, Notification
from memberships.schedules import BEAT_SCHEDULE
from memberships.services.notifications import notification_resend, notify_employee
from memberships.services.retention import retention_apply
from memberships.tasks import task_apply_retention, task_purge_sessions
from portal.celery import app as celery_app
from tests.factories import EventFactory, RegistrationFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]

NOW = timezone.now()


def aged(model, obj, *, days: float, field: str = "created_at"):
    model.objects.filter(pk=obj.pk).update(**{field: NOW - datetime.timedelta(days=days)})
    obj.refresh_from_db()
    return obj


def employee_notification(user, key: str, *, days: float, status: str) -> Notification:
    notification = notify_employee(
        user=user,
        kind=NotificationKind.MEMBERSHIP_ACTIVE,
        payload={"name": user.name, "member_number": "TSPA-0042"},
        key=key,
    )
    Notification.objects.filter(pk=notification.pk).update(status=status, last_error="")
    if status == NotificationStatus.DEAD:
        Notification.objects.filter(pk=notification.pk).update(
            last_error=f"attempt 8: 550 no such user {user.email}"
        )
    return aged(Notification, notification, days=days)


def test_retention_redacts_old_settled_payloads_and_keeps_idempotency(
    employee, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.NOTIFICATION_RETENTION_DAYS = 90
    old = employee_notification(employee, "m:1:activated", days=91, status="delivered")
    old_dead = employee_notification(employee, "m:2:activated", days=91, status="dead")
    recent = employee_notification(employee, "m:3:activated", days=89, status="delivered")
    stuck = employee_notification(employee, "m:4:activated", days=91, status="pending")

    result = retention_apply(now=NOW)

    assert result.notifications_redacted == 2
    for row in (old, old_dead):
        row.refresh_from_db()
        assert row.payload == {"redacted_at": NOW.isoformat()}
        assert (row.to_email, row.last_error) == ("", "")
    assert (old.status, old.idempotency_key, old.kind) == (
        "delivered",
        "m:1:activated",
        NotificationKind.MEMBERSHIP_ACTIVE,
    )
    recent.refresh_from_db()
    stuck.refresh_from_db()
    assert recent.payload["member_number"] == "TSPA-0042"
    assert stuck.payload["member_number"] == "TSPA-0042"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = notify_employee(
            user=employee,
            kind=NotificationKind.MEMBERSHIP_ACTIVE,
            payload={"x": 1},
            key="m:1:activated",
        )
    assert again.pk == old.pk
    assert callbacks == []
    assert mailoutbox == []
    assert Notification.objects.count() == 4


def test_retention_is_idempotent():
    user = UserFactory()
    employee_notification(user, "m:1:activated", days=200, status="delivered")

    first = retention_apply(now=NOW)
    row = Notification.objects.get()
    second = retention_apply(now=NOW + datetime.timedelta(days=1))

    assert (first.notifications_redacted, second.notifications_redacted) == (1, 0)
    assert Notification.objects.get().payload == row.payload


def test_a_redacted_dead_notification_cannot_be_resent():
    user = UserFactory()
    dead = employee_notification(user, "m:1:activated", days=200, status="dead")
    retention_apply(now=NOW)

    assert notification_resend(notification=dead) is False
    dead.refresh_from_db()
    assert dead.status == "dead"


def test_retention_purges_stale_calendar_tokens(settings):
    settings.CALENDAR_TOKEN_RETENTION_DAYS = 365
    left = CalendarFeed.objects.create(user=UserFactory(is_active=False))
    old_unused = aged(CalendarFeed, CalendarFeed.objects.create(user=UserFactory()), days=400)
    old_in_use = aged(CalendarFeed, CalendarFeed.objects.create(user=UserFactory()), days=400)
    RegistrationFactory(user=old_in_use.user, event=EventFactory())
    old_reset_lately = aged(CalendarFeed, CalendarFeed.objects.create(user=UserFactory()), days=400)
    aged(CalendarFeed, old_reset_lately, days=10, field="reset_at")
    fresh = CalendarFeed.objects.create(user=UserFactory())

    result = retention_apply(now=NOW)

    assert result.calendar_feeds_deleted == 2
    assert set(CalendarFeed.objects.values_list("pk", flat=True)) == {
        old_in_use.pk,
        old_reset_lately.pk,
        fresh.pk,
    }
    assert not CalendarFeed.objects.filter(pk__in=[left.pk, old_unused.pk]).exists()


def test_retention_keeps_audit_entries_for_the_audit_period(settings):
    settings.AUDIT_RETENTION_DAYS = 7 * 365

    def entry(days):
        row = AuditEntry.objects.create(action="x", object_type="membership", object_id="1")
        return aged(AuditEntry, row, days=days)

    kept = entry(6 * 365)
    entry(7 * 365 + 1)

    assert retention_apply(now=NOW).audit_entries_deleted == 1
    assert list(AuditEntry.objects.all()) == [kept]


def test_purge_sessions_task_deletes_only_expired_sessions():
    live = SessionStore()
    live["k"] = "v"
    live.create()
    expired = SessionStore()
    expired["k"] = "v"
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=NOW - datetime.timedelta(seconds=1)
    )

    task_purge_sessions.delay()

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_retention_task_and_schedule_are_registered():
    task_apply_retention.delay()

    assert BEAT_SCHEDULE["apply-retention"]["task"] == "memberships.apply_retention"
    assert BEAT_SCHEDULE["purge-sessions"]["task"] == "memberships.purge_sessions"
    assert {"memberships.apply_retention", "memberships.purge_sessions"} <= set(celery_app.tasks)


def test_privacy_page_states_the_retention_periods(client, settings):
    settings.NOTIFICATION_RETENTION_DAYS = 90
    settings.CALENDAR_TOKEN_RETENTION_DAYS = 365
    settings.AUDIT_RETENTION_DAYS = 7 * 365

    page = client.get("/privacy/").content.decode()

    assert "erased 90 days after they were sent" in page
    assert "after 365 days if you have no upcoming event" in page
    assert "kept for 7 years, then deleted" in page
