"""Celery entry points: ids in, nothing out, no logic (the services decide)."""

from celery import shared_task

from .exceptions import DeliveryFailed


@shared_task(
    bind=True,
    name="memberships.deliver_notification",
    autoretry_for=(DeliveryFailed,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=8,
)
def task_deliver_notification(self, *, notification_id: int) -> None:
    """Deliver one outbox row. Safe to run twice: a delivered row is skipped."""
    from .services.notifications import notification_deliver  # noqa: PLC0415 -- leaf

    notification_deliver(notification_id=notification_id, attempt=self.request.retries)
