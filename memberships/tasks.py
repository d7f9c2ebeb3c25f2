"""Every Celery entry point of the portal: ids in, nothing (or a count) out, no logic; the
services decide. Task names are explicit and stable, so renaming a function never strands a
queued message."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .exceptions import NotificationRetry

# Notifications (the outbox)


@shared_task(
    bind=True,
    name="memberships.deliver_notification",
    # The row's attempt count ends the chain (NOTIFICATION_MAX_ATTEMPTS, then `dead`), not
    # Celery's: the task itself retries without limit. A database outage retries too,
    # with capped backoff, instead of dropping the message.
    max_retries=None,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=True,
)
def task_deliver_notification(self, *, notification_id: int) -> None:
    """Deliver one outbox row. Safe to run twice: a delivered row is skipped. On a
    recoverable failure the service has recorded the attempt and its next time; the task
    only schedules itself for then."""
    from .services.notifications import notification_deliver  # noqa: PLC0415 -- leaf

    try:
        notification_deliver(notification_id=notification_id, attempt=self.request.retries)
    except NotificationRetry as exc:
        raise self.retry(exc=exc, countdown=exc.retry_in) from None


@shared_task(name="memberships.sweep_notifications")
def task_sweep_notifications() -> None:
    """Queue again every notification that is overdue (lost message, broker outage)."""
    from .services.notifications import notification_sweep  # noqa: PLC0415 -- leaf

    notification_sweep()


@shared_task(name="memberships.partner_weekly_digest")
def task_partner_weekly_digest(*, partner_id: int | None = None) -> None:
    """Queue the weekly members list for one partner, or for every active one (beat)."""
    from .services.digests import (  # noqa: PLC0415 -- leaf
        partner_weekly_digest,
        partner_weekly_digests,
    )

    if partner_id is None:
        partner_weekly_digests()
    else:
        partner_weekly_digest(partner_id=partner_id)


# Claims


@shared_task(name="memberships.expire_memberships")
def task_expire_memberships() -> None:
    """Expire the live memberships of sponsorships whose term has ended. Idempotent."""
    from .services.claims import memberships_expire_ended  # noqa: PLC0415 -- leaf

    memberships_expire_ended()


@shared_task(name="memberships.send_renewal_notices")
def task_send_renewal_notices() -> int:
    """Tell members whose term ends soon, and the programme team, once each. Idempotent."""
    from .services.claims import memberships_renewal_notices_send  # noqa: PLC0415 -- leaf

    return memberships_renewal_notices_send()


@shared_task(name="memberships.remind_idle_claims")
def task_remind_idle_claims() -> int:
    """Remind partners of claims they have not activated (weekly per claim). Idempotent."""
    from .services.claims import memberships_idle_remind  # noqa: PLC0415 -- leaf

    return memberships_idle_remind()


# Events


@shared_task(name="memberships.send_event_reminders")
def task_send_event_reminders() -> int:
    """Remind confirmed registrants of events starting soon. Safe to run twice."""
    from .services.events import event_reminders_send  # noqa: PLC0415 -- leaf

    return event_reminders_send()


@shared_task(name="memberships.send_event_rosters")
def task_send_event_rosters() -> int:
    """Send hosts the rosters of events whose registration has closed. Safe to run twice."""
    from .services.events import event_rosters_send  # noqa: PLC0415 -- leaf

    return event_rosters_send()


# Retention


@shared_task(name="memberships.apply_retention")
def task_apply_retention() -> None:
    """Redact old notification payloads, delete stale calendar tokens and expired audit
    entries. Idempotent (see memberships/services/retention.py)."""
    from .services.retention import retention_apply  # noqa: PLC0415 -- leaf

    retention_apply()


@shared_task(name="memberships.purge_sessions")
def task_purge_sessions() -> None:
    """Delete expired sessions. Idempotent."""
    from .services.retention import sessions_purge  # noqa: PLC0415 -- leaf

    sessions_purge()


# Identity


@shared_task(name="portal.end_eligibility_graces")
def task_end_eligibility_graces() -> None:
    """End the memberships whose eligibility grace ran out (idempotent; run daily)."""
    from portal.provisioning import eligibility_graces_end  # noqa: PLC0415 -- leaf

    eligibility_graces_end()


# Programme insights


@shared_task(name="memberships.insights_monthly_report")
def task_insights_monthly_report() -> int:
    """E-mail last month's programme figures to the programme admins. Idempotent per month."""
    from .services.insights import insights_monthly_report_send  # noqa: PLC0415 -- leaf

    return insights_monthly_report_send()
