"""Benchmark: webhook notifications through one real Celery worker process, against the
no-op ceiling of the same worker on the same Redis, measured in the same run.

    .venv/bin/python -m tests.bench.bench_notifications \\
        [--concurrency 1 4] [--count 1000] [--writers 4] [--rate 50] [--duration 20]

For each worker concurrency, one worker process (prefork, prefetch 1, late acks: the shipped
settings) runs four phases:
- backlog: `--count` webhook notifications written while no worker runs (their tasks wait in
  Redis), then the worker starts; delivery throughput from the first receipt to the last.
  This is the worker's own rate, with the machine to itself;
- no-op: `--count` tasks that do nothing, on the notifications queue; throughput from the
  first publish until the queue is empty and every message acknowledged (the ceiling);
- burst: `--count` webhook notifications written as fast as `--writers` threads can (each in
  its own transaction, as a claim would; delivery queued on commit); throughput from the
  first commit to the last receipt, and commit-to-receipt latency;
- steady: `--rate` notifications per second for `--duration` seconds; commit-to-receipt
  latency at that rate.

Needs PostgreSQL on 127.0.0.1 and redis-server on the PATH (a private one on a free port).
The database is named by BENCH_DATABASE (default `portal_bench`): the bench creates it and
drops it at the end; if a database of that name already exists, the bench stops without
touching it. Not a test: nothing is asserted. Prints a Markdown table."""

from __future__ import annotations

import argparse
import base64
import math
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-Atq"]


def psql(sql: str) -> str:
    return subprocess.run(  # noqa: S603 -- fixed local command
        [*PSQL, "-c", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def serve_receiver(log_path: str, url_sender) -> None:
    """The partner's endpoint in a process of its own, so that the bench's writer threads
    do not slow its answers down (one interpreter lock); receipts go to `log_path`."""
    from tests.system.worker_harness import Receiver

    receiver = Receiver(log_path=Path(log_path))
    receiver.start()
    url_sender.send(receiver.url)
    threading.Event().wait()


class ReceiverProcess:
    def __init__(self, workdir: Path) -> None:
        self.log_path = workdir / "receipts.tsv"
        self.log_path.touch()
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self.process = context.Process(
            target=serve_receiver, args=(str(self.log_path), child), daemon=True
        )
        self.process.start()
        self.url = parent.recv()

    def receipts(self, keys: set[str]) -> list[tuple[str, float]]:
        rows = [line.split("\t") for line in self.log_path.read_text().splitlines()]
        return [(key, float(at)) for key, at in rows if key in keys]

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(timeout=10)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(len(ordered) * fraction) - 1, 0)]


@dataclass
class Phase:
    throughput: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    rate: float = 0.0
    sent: int = 0
    received: int = 0
    duplicates: int = 0


class Bench:
    def __init__(self, args, redis, receiver, workdir: Path) -> None:
        self.args = args
        self.redis = redis
        self.receiver = receiver
        self.workdir = workdir
        self.run_id = 0

    # -- phases ---------------------------------------------------------------------------

    def noop(self) -> Phase:
        """Publish --count no-op tasks; wait until the queue is empty and all are acked."""
        import redis as redis_py

        from portal.celery import app

        client = redis_py.Redis.from_url(self.redis.url)
        started = time.monotonic()
        for n in range(self.args.count):
            app.send_task("bench.noop", kwargs={"n": n}, queue="notifications")

        def drained() -> bool:
            return client.llen("notifications") == 0 and client.hlen("unacked") == 0

        while not drained():
            time.sleep(0.002)
        elapsed = time.monotonic() - started
        client.close()
        return Phase(throughput=self.args.count / elapsed, sent=self.args.count)

    def backlog(self, partner, start_worker) -> Phase:
        """Write --count notifications with no worker running, then start it: the rate at
        which it empties the queue, from the first receipt to the last."""
        prefix = self._prefix("backlog")
        keys = {self._write(partner, f"{prefix}{n}")[0] for n in range(self.args.count)}
        start_worker()
        phase = self._collect(dict.fromkeys(keys, 0.0), duration_from=0.0)
        received_at = sorted(at for _key, at in self.receiver.receipts(keys))
        phase.throughput = (len(received_at) - 1) / (received_at[-1] - received_at[0])
        phase.p50_ms = phase.p95_ms = 0.0  # waiting in the queue is the point: no latency
        return phase

    def burst(self, partner) -> Phase:
        count, writers = self.args.count, self.args.writers
        committed_at: dict[str, float] = {}
        lock = threading.Lock()
        prefix = self._prefix("burst")

        def write(indexes: range) -> None:
            from django.db import connection

            try:
                for n in indexes:
                    key, at = self._write(partner, f"{prefix}{n}")
                    with lock:
                        committed_at[key] = at
            finally:
                connection.close()

        chunks = [range(w, count, writers) for w in range(writers)]
        threads = [threading.Thread(target=write, args=(chunk,)) for chunk in chunks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        first = min(committed_at.values())
        phase = self._collect(committed_at, duration_from=first)
        phase.rate = count / (max(committed_at.values()) - first)
        return phase

    def steady(self, partner) -> Phase:
        rate, count = self.args.rate, self.args.rate * self.args.duration
        committed_at: dict[str, float] = {}
        prefix = self._prefix("steady")
        started = time.time()
        for n in range(count):
            pause = started + n / rate - time.time()
            if pause > 0:
                time.sleep(pause)
            key, at = self._write(partner, f"{prefix}{n}")
            committed_at[key] = at
        written = time.time() - started
        phase = self._collect(committed_at, duration_from=started)
        phase.rate = count / written
        return phase

    # -- helpers ----------------------------------------------------------------------------

    def _prefix(self, phase: str) -> str:
        self.run_id += 1
        return f"bench:{self.run_id}:{phase}:"

    def _write(self, partner, name: str) -> tuple[str, float]:
        from django.db import transaction

        from memberships.enums import NotificationKind
        from memberships.services.notifications import notify_partner

        with transaction.atomic():
            [notification] = notify_partner(
                partner=partner,
                kind=NotificationKind.PARTNER_MEMBER_CLAIMED,
                payload={"membership": name, "member": {"email": "e@example.com"}},
                key=name,
            )
        # The on-commit queueing has run when atomic() returns.
        return notification.idempotency_key, time.time()

    def _collect(self, committed_at: dict[str, float], *, duration_from: float) -> Phase:
        from tests.system.worker_harness import wait_until

        keys = set(committed_at)
        wait_until(
            lambda: {key for key, _ in self.receiver.receipts(keys)} >= keys,
            timeout=900,
            interval=0.2,
        )
        time.sleep(0.5)  # a duplicate would arrive now
        received_at: dict[str, float] = {}
        receipts = self.receiver.receipts(keys)
        for key, at in receipts:
            received_at.setdefault(key, at)
        latencies = [received_at[key] - committed_at[key] for key in received_at]
        return Phase(
            throughput=len(received_at) / (max(received_at.values()) - duration_from),
            p50_ms=statistics.median(latencies) * 1000,
            p95_ms=percentile(latencies, 0.95) * 1000,
            sent=len(keys),
            received=len(received_at),
            duplicates=len(receipts) - len(received_at),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--count", type=int, default=1000, help="no-op tasks and burst size")
    parser.add_argument("--writers", type=int, default=4, help="threads writing the burst")
    parser.add_argument("--rate", type=int, default=50, help="steady notifications per second")
    parser.add_argument("--duration", type=int, default=20, help="steady phase, seconds")
    args = parser.parse_args()
    database = os.environ.get("BENCH_DATABASE", "portal_bench")
    if not database.replace("_", "").isalnum():
        sys.exit(f"BENCH_DATABASE must be letters, digits and underscores, not {database!r}")
    if psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'") == "1":  # noqa: S608 -- checked name
        sys.exit(f"database {database!r} exists; the bench only uses one it creates itself")
    workdir = Path(tempfile.mkdtemp(prefix="bench-notifications-"))

    from tests.system.worker_harness import Redis, Worker, worker_env

    redis = Redis(workdir)
    receiver = None
    psql(f"CREATE DATABASE {database}")
    try:
        redis.start()
        receiver = ReceiverProcess(workdir)
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "portal.settings",
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
                "CELERY_BROKER_URL": redis.url,
                "VAR_DIR": str(workdir / "var"),
                "SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdef",
                "LOG_LEVEL": "WARNING",
                "WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver listens on loopback
            }
        )
        subprocess.run(  # noqa: S603 -- fixed local command
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ
        )
        import django

        django.setup()
        from memberships.enums import PartnerChannels
        from memberships.models import Partner

        partner = Partner.objects.create(
            name="Bench Association",
            slug="bench",
            webhook_url=receiver.url,
            webhook_secret="whsec_" + base64.b64encode(b"bench-secret").decode(),
            notification_channels=PartnerChannels.WEBHOOK,
        )
        bench = Bench(args, redis, receiver, workdir)
        rows = []
        for concurrency in args.concurrency:
            worker = Worker(
                env=worker_env(
                    database_name=database,
                    broker_url=redis.url,
                    # The shipped log level: the worker says " ready." at INFO.
                    var_dir=workdir / "var",
                ),
                log_path=workdir / f"worker-{concurrency}.log",
                concurrency=concurrency,
                include=("tests.bench.noop_tasks",),
            )
            try:
                phases = (
                    bench.backlog(partner, worker.start),
                    bench.noop(),
                    bench.burst(partner),
                    bench.steady(partner),
                )
                rows.append((concurrency, *phases))
            finally:
                worker.stop()
        print_table(args, rows)
    finally:
        if receiver is not None:
            receiver.stop()
        redis.stop()
        if "django.db" in sys.modules:
            sys.modules["django.db"].connections.close_all()
        psql(f"DROP DATABASE {database}")  # the one this run created


def print_table(args, rows) -> None:
    print(
        f"\n{args.count} no-op tasks and a burst of {args.count} notifications "
        f"({args.writers} writer threads); steady {args.rate}/s for {args.duration} s\n"
    )
    print(
        "| worker concurrency | no-op ceiling | backlog: delivered/s | backlog: % of ceiling "
        "| burst: written/s | burst: delivered/s | burst p50 / p95 | steady rate "
        "| steady p50 / p95 | received, duplicates |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for concurrency, backlog, noop, burst, steady in rows:
        phases = (backlog, burst, steady)
        print(
            f"| {concurrency} | {noop.throughput:.0f}/s | {backlog.throughput:.0f}/s "
            f"| {backlog.throughput / noop.throughput:.0%} "
            f"| {burst.rate:.0f}/s | {burst.throughput:.0f}/s "
            f"| {burst.p50_ms:.0f} / {burst.p95_ms:.0f} ms | {steady.rate:.1f}/s "
            f"| {steady.p50_ms:.0f} / {steady.p95_ms:.0f} ms "
            f"| {sum(p.received for p in phases)}/{sum(p.sent for p in phases)}, "
            f"{sum(p.duplicates for p in phases)} |"
        )


if __name__ == "__main__":
    main()
