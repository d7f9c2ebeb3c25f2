"""The Celery app. Configuration comes from Django settings (CELERY_* names)."""

import os
import time

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# DjangoTask gives every task delay_on_commit(): queue only once the transaction commits.
app = Celery("portal", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Request ids into task headers, task metrics, Django's logging in the worker and beat.
from . import celery_signals  # noqa: E402, F401 -- connects the receivers

# A connection that served a task this recently is taken to be alive: the next task skips
# Django's health check (CONN_HEALTH_CHECKS, a "SELECT 1" before the first query), which
# would otherwise cost a round trip on every task of a busy worker. If the connection did
# die in between (a database restart), the task's first query fails, the connection is
# marked and closed after the task, the delivery task retries, and scheduled tasks run again
# on their next turn.
RECENTLY_USED_SECONDS = 5.0


def _worker_connections(sender) -> list:
    """The database connections of this worker thread; none for a task run in-process
    (tests): the caller's connection and transaction stay as they are."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return []
    from django.db import connections  # noqa: PLC0415 -- Django is set up by now

    return connections.all(initialized_only=True)


@signals.task_prerun.connect
def close_old_database_connections(sender=None, **kwargs) -> None:
    """Database connections in workers live like a web request's: reused across tasks, and
    closed only when broken or older than CONN_MAX_AGE. (Celery's Django fixup would close
    them around every task; CELERY_DB_REUSE_MAX in settings turns that off.)"""
    now = time.monotonic()
    for conn in _worker_connections(sender):
        conn.close_if_unusable_or_obsolete()
        if now - getattr(conn, "portal_task_ended_at", float("-inf")) < RECENTLY_USED_SECONDS:
            conn.health_check_done = True


@signals.task_postrun.connect
def note_database_connections_in_use(sender=None, **kwargs) -> None:
    """Close a connection the task left broken; note when the others were last used."""
    for conn in _worker_connections(sender):
        conn.close_if_unusable_or_obsolete()
        if conn.connection is not None:
            conn.portal_task_ended_at = time.monotonic()
