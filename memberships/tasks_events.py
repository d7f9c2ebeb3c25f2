"""Periodic Celery entry points of events: nothing in, a count out, no logic."""

from celery import shared_task


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
