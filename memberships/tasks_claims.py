"""Celery entry points of the membership claims area (thin: the services decide)."""

from celery import shared_task


@shared_task(name="memberships.expire_memberships")
def task_expire_memberships() -> None:
    """Expire the live memberships of sponsorships whose term has ended. Idempotent."""
    from .services.claims import memberships_expire_ended  # noqa: PLC0415 -- leaf

    memberships_expire_ended()
