"""A task that does nothing, on the notifications queue with the delivery task's settings:
the ceiling a worker reaches when delivering costs nothing. Loaded only by the benchmark's
worker (`celery worker --include tests.bench.noop_tasks`), never by the portal."""

from celery import shared_task


@shared_task(name="bench.noop", queue="notifications")
def task_noop(*, n: int) -> None:
    """Nothing: the cost of a message through the broker and the worker alone."""
