"""Prometheus metrics.

Two kinds: counters and histograms that each process records as it works (HTTP requests in
the web processes, Celery tasks in the workers), and gauges read from the database at scrape
time (the outbox, seats, beat's heartbeat), which are the same whichever process is asked.

Under gunicorn with several workers (or a prefork Celery pool), set PROMETHEUS_MULTIPROC_DIR
to an empty directory shared by the processes of one instance (`portal/gunicorn.conf.py`
does it for the web): every process writes its samples there and a scrape adds them up
(prometheus_client's multiprocess mode)."""

from __future__ import annotations

import os
import time

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

REQUEST_LATENCY = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern, method and status.",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUESTS = Counter(
    "portal_http_requests",
    "HTTP requests answered, by route pattern, method and status.",
    ["route", "method", "status"],
)
TASKS = Counter(
    "portal_celery_tasks",
    "Celery tasks finished, by task name and outcome (success, retry, failure).",
    ["task", "outcome"],
)
TASK_DURATION = Histogram(
    "portal_celery_task_duration_seconds",
    "Time a Celery task ran, by task name.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)


def is_multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def observe_request(*, route: str, method: str, status: int, seconds: float) -> None:
    labels = {"route": route, "method": method, "status": str(status)}
    REQUEST_LATENCY.labels(**labels).observe(seconds)
    REQUESTS.labels(**labels).inc()


def observe_task(*, task: str, outcome: str, seconds: float | None) -> None:
    TASKS.labels(task=task, outcome=outcome).inc()
    if seconds is not None:
        TASK_DURATION.labels(task=task).observe(seconds)


class DatabaseCollector:
    """Gauges computed from the database at scrape time (four queries)."""

    def collect(self):
        from memberships.enums import NotificationStatus  # noqa: PLC0415 -- apps must be loaded
        from memberships.models import Notification  # noqa: PLC0415 -- apps must be loaded
        from memberships.selectors.claims import (  # noqa: PLC0415 -- apps must be loaded
            sponsorships_with_seats,
        )

        from .models import Heartbeat  # noqa: PLC0415 -- apps must be loaded

        now = timezone.now()
        by_status = dict(
            Notification.objects.values_list("status").annotate(n=Count("pk")).order_by()
        )
        outbox = GaugeMetricFamily(
            "portal_outbox_notifications",
            "Notifications in the outbox, by status.",
            labels=["status"],
        )
        for status in NotificationStatus:
            outbox.add_metric([status.value], by_status.get(status.value, 0))
        yield outbox

        oldest = Notification.objects.filter(status=NotificationStatus.PENDING).aggregate(
            oldest=Min("created_at")
        )["oldest"]
        yield GaugeMetricFamily(
            "portal_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending notification (0 when none is pending).",
            value=(now - oldest).total_seconds() if oldest else 0,
        )

        used = GaugeMetricFamily(
            "portal_sponsorship_seats_used",
            "Live memberships of each sponsorship.",
            labels=["sponsorship"],
        )
        left = GaugeMetricFamily(
            "portal_sponsorship_seats_left",
            "Seats left in each sponsorship (sponsorships with unlimited seats are absent).",
            labels=["sponsorship"],
        )
        for sponsorship in sponsorships_with_seats().order_by("pk"):
            used.add_metric([sponsorship.slug], sponsorship.seats_used)
            if sponsorship.seats is not None:
                left.add_metric(
                    [sponsorship.slug], max(sponsorship.seats - sponsorship.seats_used, 0)
                )
        yield used
        yield left

        beat_at = Heartbeat.objects.filter(name=Heartbeat.BEAT).values_list("beat_at", flat=True)
        beat_at = next(iter(beat_at), None)
        yield GaugeMetricFamily(
            "portal_beat_heartbeat_age_seconds",
            "Seconds since Celery beat last ticked (+Inf when it never has).",
            value=(now - beat_at).total_seconds() if beat_at else float("inf"),
        )


def render_metrics() -> bytes:
    """The whole exposition: this instance's process metrics plus the database gauges."""
    started = time.monotonic()
    if is_multiprocess():
        process_registry = CollectorRegistry()
        MultiProcessCollector(process_registry)
    else:
        from prometheus_client import REGISTRY  # noqa: PLC0415 -- the process-wide default

        process_registry = REGISTRY
    database_registry = CollectorRegistry()
    database_registry.register(DatabaseCollector())
    body = generate_latest(process_registry) + generate_latest(database_registry)
    scrape = (
        "# HELP portal_metrics_scrape_duration_seconds Time to compute this page.\n"
        "# TYPE portal_metrics_scrape_duration_seconds gauge\n"
        f"portal_metrics_scrape_duration_seconds {time.monotonic() - started:.6f}\n"
    )
    return body + scrape.encode()
