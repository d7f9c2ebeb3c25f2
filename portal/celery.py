"""The Celery app. Configuration comes from Django settings (CELERY_* names)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# DjangoTask gives every task delay_on_commit(): queue only once the transaction commits.
app = Celery("portal", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Request ids into task headers, task metrics, Django's logging in the worker and beat.
from . import celery_signals  # noqa: E402, F401 -- connects the receivers


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_database_connections(sender=None, **kwargs) -> None:
    """Database connections in workers live like a web request's: reused across tasks, and
    closed only when broken or older than CONN_MAX_AGE. (Celery's Django fixup would close
    them around every task; CELERY_DB_REUSE_MAX in settings turns that off.)"""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return  # in-process (tests): the caller's connection and transaction stay as they are
    from django.db import close_old_connections  # noqa: PLC0415 -- Django is set up by now

    close_old_connections()
