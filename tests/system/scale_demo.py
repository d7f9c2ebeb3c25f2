"""Scale-out on one machine: HAProxy (Debian) in front of two gunicorn instances, two Celery
workers and one beat, all on one PostgreSQL database and a private Redis.

Under steady load (client threads reading pages through HAProxy, and notifications written
at a steady rate by a producer) it kills one gunicorn with SIGKILL and starts it again,
kills one worker with SIGKILL (`kill -9`, pool included) and starts it again, and kills and
restarts beat, then queues the weekly digest twice (as an old and a new beat would). It
reports what the client saw and what the partner received.

`make scale-demo` runs it on its own database (`portal_scale_demo`, recreated);
tests/system/test_scale_out.py runs it on the test database and asserts on the result."""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.system.web_harness import Beat, Gunicorn, HAProxy, collect_static, web_env
from tests.system.worker_harness import (
    ROOT,
    Receiver,
    Redis,
    Worker,
    free_port,
    use_broker,
    wait_until,
    worker_env,
)

LOAD_THREADS = 3
PRODUCER_RATE = 5  # notifications per second
LOAD_SECONDS = 20
PAGES = ("/membership/", "/events/", "/privacy/")


@dataclass
class LoadStats:
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, failure: str | None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if failure:
                self.failures.append(failure)


@dataclass
class ScaleResult:
    requests: int
    failed_requests: list[str]
    latency_p50_ms: float
    latency_p95_ms: float
    latency_max_ms: float
    served_by: dict[str, int]
    web_restart_seconds: float
    notifications: int
    delivered: int
    not_delivered: list[int]
    partner_received: int
    partner_distinct: int
    repeat_deliveries: int
    worker_killed_mid_send: bool
    digests: int
    digest_emails: int
    beat_heartbeat_resumed: bool
    seconds: float

    def summary(self) -> str:
        served = ", ".join(f"{name} {count}" for name, count in sorted(self.served_by.items()))
        return "\n".join(
            [
                f"requests through HAProxy: {self.requests}, failed: {len(self.failed_requests)}"
                f" (latency p50 {self.latency_p50_ms:.0f} ms, p95 {self.latency_p95_ms:.0f} ms,"
                f" max {self.latency_max_ms:.0f} ms; served by {served})",
                "gunicorn web1 SIGKILLed, restarted and serving through HAProxy again in"
                f" {self.web_restart_seconds:.1f} s",
                f"notifications: {self.notifications} written, {self.delivered} delivered;"
                f" partner received {self.partner_received} webhooks for"
                f" {self.partner_distinct} distinct idempotency keys"
                f" ({self.repeat_deliveries} repeat(s) dropped by key);"
                f" worker SIGKILLed mid-send: {'yes' if self.worker_killed_mid_send else 'no'}",
                f"weekly digest queued twice around a beat SIGKILL and restart:"
                f" {self.digests} digest notification, {self.digest_emails} e-mail sent;"
                f" beat heartbeat resumed: {'yes' if self.beat_heartbeat_resumed else 'no'}",
                f"total {self.seconds:.0f} s",
            ]
        )


def _signed_in_cookie(user) -> str:
    """A database session for `user`, as SSO sign-in leaves it (the cookie value)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from portal.admin_site import SSO_SESSION_KEY

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SSO_SESSION_KEY] = True
    session.create()
    return session.session_key


def _load(base_url: str, cookie: str, stats: LoadStats, stop: threading.Event, n: int) -> None:
    with requests.Session() as http:
        http.cookies.set("sessionid", cookie)
        i = n
        while not stop.is_set():
            path = PAGES[i % len(PAGES)]
            i += 1
            started = time.monotonic()
            failure = None
            try:
                response = http.get(base_url + path, timeout=15, allow_redirects=False)
                if response.status_code != 200:
                    failure = f"{path}: HTTP {response.status_code}"
            except requests.RequestException as exc:
                failure = f"{path}: {type(exc).__name__}"
            stats.record(time.monotonic() - started, failure)


def _produce(partner, stop: threading.Event, made: list[int]) -> None:
    from django.db import connection, transaction

    from memberships.enums import NotificationKind
    from memberships.services.notifications import notify_partner

    n = 0
    try:
        while not stop.is_set():
            n += 1
            with transaction.atomic():
                [row] = notify_partner(
                    partner=partner,
                    kind=NotificationKind.PARTNER_MEMBER_RELEASED,
                    payload={"membership": f"scale-{n}", "released_at": "2026-01-05T10:00:00Z"},
                    key=f"scale:{n}:released",
                )
            made.append(row.pk)
            time.sleep(1 / PRODUCER_RATE)
    finally:
        connection.close()


def run_scale_out(*, workdir: Path, database_name: str, log=print) -> ScaleResult:
    """Run the whole scenario on `database_name` (migrated, may be empty). Everything it
    starts is stopped before it returns."""
    from django.conf import settings

    from memberships.enums import NotificationStatus, PartnerChannels
    from memberships.models import Notification
    from portal.celery import app as celery_app
    from portal.models import Heartbeat
    from tests.factories import PartnerFactory, SponsorshipFactory, UserFactory

    started = time.monotonic()
    redis, receiver = Redis(workdir), Receiver(delay=0.1, slow_requests=10**6)
    redis.start()
    receiver.start()
    use_broker(celery_app, redis.url, eager=False)
    mail_dir = workdir / "mail"
    base = worker_env(
        database_name=database_name,
        broker_url=redis.url,
        var_dir=workdir / "var",
        SECRET_KEY=settings.SECRET_KEY,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        # Short enough to see the sweep recover a killed worker's notification in the run:
        # its lease ends after 4 s, the sweep runs every 3 s and leaves rows younger than
        # 5 s to their own queueing.
        NOTIFICATION_LEASE_SECONDS="4",
        NOTIFICATION_SWEEP_SECONDS="3",
        NOTIFICATION_SWEEP_GRACE_SECONDS="5",
        NOTIFICATION_REQUEUE_SECONDS="10",
        LOG_FORMAT="json",
    )
    static_root = collect_static(workdir / "static", base)
    ports = [free_port(), free_port()]
    webs = [
        Gunicorn(
            port=port,
            env=web_env(base, static_root=static_root),
            log_path=workdir / f"web{i + 1}.log",
        )
        for i, port in enumerate(ports)
    ]
    workers = [
        Worker(env=base, log_path=workdir / f"worker{i + 1}.log", name=f"scale{i + 1}")
        for i in range(2)
    ]
    beat = Beat(env=base, log_path=workdir / "beat.log", schedule_path=workdir / "beat-schedule")
    proxy = HAProxy(
        port=free_port(), backends=ports, log_path=workdir / "haproxy.log",
        config=ROOT / "deploy" / "haproxy.cfg",
    )  # fmt: skip
    stop_load, stop_producer = threading.Event(), threading.Event()
    threads: list[threading.Thread] = []
    try:
        partner = PartnerFactory(
            webhook_url=receiver.url,
            notification_channels=PartnerChannels.WEBHOOK,
            operations_email="ops@association.example.org",
        )
        SponsorshipFactory(partner=partner)
        cookie = _signed_in_cookie(UserFactory())
        # Start side by side (each waits for its own readiness); HAProxy once webs are up.
        with ThreadPoolExecutor(max_workers=5) as pool:
            for future in [pool.submit(p.start) for p in (*webs, *workers, beat)]:
                future.result()
        proxy.start()
        log(f"started in {time.monotonic() - started:.1f} s: HAProxy :{proxy.port}, web :{ports}")

        stats, made = LoadStats(), []
        threads = [
            threading.Thread(target=_load, args=(proxy.url, cookie, stats, stop_load, n))
            for n in range(LOAD_THREADS)
        ]
        threads.append(threading.Thread(target=_produce, args=(partner, stop_producer, made)))
        for thread in threads:
            thread.start()
        load_started = time.monotonic()

        time.sleep(4)
        log("SIGKILL gunicorn web1 (master and workers)")
        webs[0].kill()
        served_before = _served_count(webs[0])
        time.sleep(2)
        restart_at = time.monotonic()
        webs[0].spawn()  # starts in the background; HAProxy puts it back once healthy
        back_at: list[float] = []

        def watch_web1() -> None:
            if wait_until(lambda: _served_count(webs[0]) > served_before, timeout=60):
                back_at.append(time.monotonic())

        watcher = threading.Thread(target=watch_web1)
        watcher.start()

        before = len(receiver.ids())
        wait_until(lambda: len(receiver.ids()) > before + 3, timeout=15)
        # Kill while the partner holds a request it has not answered (a send in progress).
        killed_mid_send = wait_until(lambda: _sending(receiver), timeout=5, interval=0.005)
        log("SIGKILL worker1 and its pool (kill -9)")
        workers[0].kill()
        time.sleep(1)
        workers[0] = Worker(env=base, log_path=workdir / "worker1-restarted.log", name="scale1b")
        workers[0].start()
        log("worker1 restarted")

        digest = celery_app.tasks["memberships.partner_weekly_digest"]
        digest.delay()
        log("SIGKILL beat")
        beat.kill()
        killed_beat_at = time.time()
        time.sleep(1)
        beat = Beat(
            env=base,
            log_path=workdir / "beat-restarted.log",
            schedule_path=workdir / "beat-schedule",
        )
        beat.start()
        digest.delay()
        heartbeat_resumed = wait_until(
            lambda: Heartbeat.objects.filter(
                name=Heartbeat.BEAT, beat_at__gte=_aware(killed_beat_at)
            ).exists(),
            timeout=20,
            interval=0.5,
        )
        log(f"beat restarted (heartbeat resumed: {heartbeat_resumed})")

        # web1 back in rotation: HAProxy's health check saw it up (rise 2) and sent it load.
        watcher.join()
        web_restart = (back_at[0] if back_at else float("inf")) - restart_at
        log(f"web1 serving through HAProxy again {web_restart:.1f} s after its restart")

        remaining = LOAD_SECONDS - (time.monotonic() - load_started)
        time.sleep(max(remaining, 0))
        stop_producer.set()
        stop_load.set()
        for thread in threads:
            thread.join(timeout=30)
        log(f"load stopped: {len(stats.latencies)} requests, {len(made)} notifications")

        # Drain: the sweep (every 3 s here) re-queues the row the killed worker held.
        def undelivered() -> list[int]:
            return list(
                Notification.objects.filter(pk__in=made)
                .exclude(status=NotificationStatus.DELIVERED)
                .values_list("pk", flat=True)
            )

        wait_until(lambda: not undelivered(), timeout=40, interval=0.5)
        wait_until(lambda: _digest_emails(mail_dir) >= 1, timeout=15, interval=0.5)
        time.sleep(1)  # a second digest e-mail, if there were one, would arrive now
        ids = receiver.ids()
        keys = set(
            Notification.objects.filter(pk__in=made).values_list("idempotency_key", flat=True)
        )
        latencies = sorted(stats.latencies)
        return ScaleResult(
            requests=len(latencies),
            failed_requests=list(stats.failures),
            latency_p50_ms=statistics.median(latencies) * 1000,
            latency_p95_ms=latencies[int(len(latencies) * 0.95) - 1] * 1000,
            latency_max_ms=latencies[-1] * 1000,
            served_by={web.log_path.stem: _served_count(web) for web in webs},
            web_restart_seconds=web_restart,
            notifications=len(made),
            delivered=Notification.objects.filter(
                pk__in=made, status=NotificationStatus.DELIVERED
            ).count(),
            not_delivered=undelivered(),
            partner_received=len([i for i in ids if i in keys]),
            partner_distinct=len(set(ids) & keys),
            repeat_deliveries=len([i for i in ids if i in keys]) - len(set(ids) & keys),
            worker_killed_mid_send=killed_mid_send,
            digests=Notification.objects.filter(kind="partner_weekly_digest").count(),
            digest_emails=_digest_emails(mail_dir),
            beat_heartbeat_resumed=heartbeat_resumed,
            seconds=time.monotonic() - started,
        )
    finally:
        stop_producer.set()
        stop_load.set()
        for thread in threads:
            thread.join(timeout=30)
        for process in (proxy, beat, *workers, *webs):
            with contextlib.suppress(Exception):
                process.stop()
        use_broker(celery_app, "memory://", eager=True)
        receiver.stop()
        redis.stop()


def _aware(timestamp: float):
    import datetime

    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)


def _sending(receiver: Receiver) -> bool:
    """True while the partner holds a request it has not answered yet (it answers each one
    after `receiver.delay` seconds)."""
    with receiver.lock:
        last = receiver.requests[-1].received_at if receiver.requests else 0
    return time.time() - last < receiver.delay / 2


def _served_count(web: Gunicorn) -> int:
    return sum(
        1
        for line in web.log().splitlines()
        if '"gunicorn.access"' in line and "/healthz" not in line
    )


def _digest_emails(mail_dir: Path) -> int:
    if not mail_dir.exists():
        return 0
    return sum(1 for path in mail_dir.iterdir() if "-members-" in path.read_text(errors="replace"))


def main() -> int:
    """`make scale-demo`: recreate the `portal_scale_demo` database, migrate, run, print."""
    import psycopg

    database = os.environ.get("SCALE_DEMO_DATABASE", "portal_scale_demo")
    server = os.environ.get("SCALE_DEMO_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    os.environ["DATABASE_URL"] = f"{server}/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory(prefix="portal-scale-") as workdir:
        result = run_scale_out(workdir=Path(workdir), database_name=database)
    print()
    print(result.summary())
    for failure in result.failed_requests:
        print(f"  failed request: {failure}")
    ok = not result.failed_requests and not result.not_delivered and result.digests == 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
