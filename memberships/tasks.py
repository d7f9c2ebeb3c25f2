"""Every Celery entry point of the portal: ids in, nothing (or a count) out, no logic; the
services decide. Task names are explicit and stable, so renaming a function never strands a
queued message."""

from celery import shared_task

from .exceptions import DeliveryFailed

# Notifications (the outbox)


@shared_task(bind=True, name="memberships.deliver_notification")
def task_deliver_notification(self, *, notification_id: int) -> None:
    """Deliver one outbox row. Safe to run twice: a delivered row is skipped. On a
    recoverable failure the service has recorded the attempt and its next time; the task
    only schedules itself for then (the row's attempt count, not Celery's, ends it)."""
    from .services.notifications import notification_deliver  # noqa: PLC0415 -- leaf

    try:
        notification_deliver(notification_id=notification_id, attempt=self.request.retries)
    except DeliveryFailed as exc:
        raise self.retry(
            exc=exc, countdown=getattr(exc, "retry_in", None), max_retries=None
        ) from exc


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


# Programme insights


@shared_task(name="memberships.insights_monthly_report")
def task_insights_monthly_report() -> int:
    """E-mail last month's programme figures to the programme admins. Idempotent per month."""
    from .services.insights import insights_monthly_report_send  # noqa: PLC0415 -- leaf

    return insights_monthly_report_send()
