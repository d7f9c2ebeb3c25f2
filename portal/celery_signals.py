"""Celery signal receivers (connected by portal/celery.py in every process):

- logging: the worker and beat use Django's LOGGING (JSON lines, redaction) instead of
  Celery's own handlers;
- a request's id travels in the headers of every task it queues, and is the id of that
  task's log lines in the worker (a task queued outside a request gets its own task id);
- task outcomes and durations for the metrics."""

from __future__ import annotations

import logging.config
import time

from celery import signals

from . import logs, metrics

_started: dict[str, float] = {}
_context_tokens: dict[str, tuple] = {}

REQUEST_ID_HEADER = "portal_request_id"
USER_ID_HEADER = "portal_user_id"


@signals.setup_logging.connect
def _use_django_logging(**kwargs) -> None:
    from django.conf import settings  # noqa: PLC0415 -- configured by the time Celery logs

    logging.config.dictConfig(settings.LOGGING)


@signals.before_task_publish.connect
def _send_request_id(headers=None, **kwargs) -> None:
    if headers is None:
        return
    request_id, user_id = logs.request_id_var.get(), logs.current_user_id()
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    if user_id:
        headers[USER_ID_HEADER] = user_id


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs) -> None:
    # An eager task (tests) runs inside the request that queued it: keep that request's ids.
    request_id = _header(task, REQUEST_ID_HEADER) or logs.request_id_var.get() or task_id
    user_id = _header(task, USER_ID_HEADER) or logs.current_user_id()
    _context_tokens[task_id] = (
        logs.request_id_var.set(request_id),
        logs.user_id_var.set(user_id),
        logs.task_var.set(f"{task.name}[{task_id}]"),
    )
    _started[task_id] = time.monotonic()


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    outcome = {"SUCCESS": "success", "RETRY": "retry"}.get(state, "failure")
    metrics.observe_task(
        task=task.name,
        outcome=outcome,
        seconds=time.monotonic() - started if started is not None else None,
    )
    tokens = _context_tokens.pop(task_id, None)
    if tokens is not None:
        request_token, user_token, task_token = tokens
        logs.task_var.reset(task_token)
        logs.user_id_var.reset(user_token)
        logs.request_id_var.reset(request_token)


def _header(task, name: str) -> str:
    # Custom message headers become attributes of the task request (protocol 2).
    value = getattr(task.request, name, None)
    if value is None and isinstance(task.request.headers, dict):
        value = task.request.headers.get(name)
    return str(value) if value else ""


@signals.worker_init.connect
def _serve_worker_metrics(**kwargs) -> None:
    """WORKER_METRICS_PORT: the worker's main process serves /metrics for its pool, which
    records in PROMETHEUS_MULTIPROC_DIR (the pool's processes have no port of their own)."""
    from django.conf import settings  # noqa: PLC0415 -- configured by the time workers start
    from django.core.exceptions import ImproperlyConfigured  # noqa: PLC0415 -- see above
    from prometheus_client import CollectorRegistry, start_http_server  # noqa: PLC0415
    from prometheus_client.multiprocess import MultiProcessCollector  # noqa: PLC0415

    if not settings.WORKER_METRICS_PORT:
        return
    if not metrics.is_multiprocess():
        raise ImproperlyConfigured(
            "WORKER_METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR (an empty directory)"
        )
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    start_http_server(
        settings.WORKER_METRICS_PORT, addr=settings.WORKER_METRICS_ADDR, registry=registry
    )


@signals.worker_process_shutdown.connect
def _pool_process_gone(pid=None, **kwargs) -> None:
    if metrics.is_multiprocess():
        from prometheus_client import multiprocess  # noqa: PLC0415 -- multiprocess mode only

        multiprocess.mark_process_dead(pid)
