"""Celery entry points for identity: nothing in, nothing out, no logic (the services decide)."""

from celery import shared_task


@shared_task(name="portal.end_eligibility_graces")
def task_end_eligibility_graces() -> None:
    """End the memberships whose eligibility grace ran out (idempotent; run daily)."""
    from .provisioning import eligibility_graces_end  # noqa: PLC0415 -- leaf

    eligibility_graces_end()
