"""Benchmark: 1,000 webhook notifications through one real Celery worker.

    .venv/bin/python -m tests.bench.bench_notifications [--count 1000]

Needs PostgreSQL on 127.0.0.1 (it drops and recreates the database `portal_bench`) and
redis-server on the PATH (it starts its own on a free port). Each notification is written in
its own transaction, as a claim would; the delivery is queued on commit. Prints the
throughput (notifications per second, first commit to last receipt) and the 50th/95th
percentile latency from commit to the partner's receipt. Not a test: nothing is asserted."""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "portal_bench"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-notifications-"))

    from tests.system.worker_harness import Receiver, Redis, Worker, wait_until, worker_env

    redis = Redis(workdir)
    redis.start()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": DATABASE_URL,
            "CELERY_BROKER_URL": redis.url,
            "VAR_DIR": str(workdir / "var"),
            "SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdef",
            "LOG_LEVEL": "WARNING",
            "WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver listens on loopback
        }
    )
    for sql in (f"DROP DATABASE IF EXISTS {DATABASE}", f"CREATE DATABASE {DATABASE}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)  # noqa: S603, S607 -- fixed local commands
    subprocess.run(  # noqa: S603 -- fixed local command
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ
    )

    import django

    django.setup()
    from django.db import transaction

    from memberships.enums import NotificationKind, PartnerChannels
    from memberships.models import Notification, Partner
    from memberships.services.notifications import notify_partner

    receiver = Receiver()
    receiver.start()
    worker = Worker(
        env=worker_env(
            database_name=DATABASE,
            broker_url=redis.url,
            var_dir=workdir / "var",
            LOG_LEVEL="WARNING",
        ),
        log_path=workdir / "worker.log",
    )
    try:
        worker.start()
        partner = Partner.objects.create(
            name="Bench Association",
            slug="bench",
            webhook_url=receiver.url,
            webhook_secret="whsec_" + base64.b64encode(b"bench-secret").decode(),
            notification_channels=PartnerChannels.WEBHOOK,
        )
        committed_at: dict[str, float] = {}
        started = time.time()
        for n in range(args.count):
            with transaction.atomic():
                [notification] = notify_partner(
                    partner=partner,
                    kind=NotificationKind.PARTNER_MEMBER_CLAIMED,
                    payload={"membership": f"m-{n}", "member": {"email": f"e{n}@example.com"}},
                    key=f"membership:{n}:claimed",
                )
            # The on-commit queueing has run when atomic() returns.
            committed_at[notification.idempotency_key] = time.time()
        created = time.time()
        wait_until(lambda: len(set(receiver.ids())) >= args.count, timeout=600, interval=0.2)
        received_at: dict[str, float] = {}
        for request in receiver.requests:
            received_at.setdefault(request.webhook_id, request.received_at)
        latencies = sorted(received_at[key] - committed_at[key] for key in received_at)
        duration = max(received_at.values()) - started
        delivered = Notification.objects.filter(status="delivered").count()
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        duplicates = len(receiver.requests) - len(received_at)
        print(
            f"notifications:          {args.count} (delivered {delivered}, "
            f"received {len(received_at)}, duplicates {duplicates})"
        )
        print(
            f"written in:             {created - started:.2f} s "
            f"({args.count / (created - started):.0f} commits/s)"
        )
        print(
            f"throughput:             {len(received_at) / duration:.1f} notifications/s "
            f"(first commit to last receipt, one worker, concurrency 1)"
        )
        print(f"commit->receipt p50:    {statistics.median(latencies) * 1000:.0f} ms")
        print(f"commit->receipt p95:    {p95 * 1000:.0f} ms")
    finally:
        worker.stop()
        receiver.stop()
        redis.stop()


if __name__ == "__main__":
    main()
