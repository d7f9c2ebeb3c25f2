"""Benchmark: the programme insights page at 100,000 event registrations.

    .venv/bin/python -m tests.bench.bench_insights [--registrations 100000] [--runs 10]

Needs PostgreSQL on 127.0.0.1 (it drops and recreates the database `portal_bench_insights`).
Seeds 20,000 people, 5,000 memberships, 2,000 events over the last 12 months, the
registrations (half of them attended) and feedback, then requests the dashboard (12 months)
through Django's test client as a signed-in programme admin. Prints the median and the
slowest response time, the number of queries, and the CPU time the web process itself spent
(on a shared machine the wall time mostly measures the others' load). Not a test: nothing
is asserted."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "portal_bench_insights"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"


def _seed(registrations: int) -> None:
    from django.utils import timezone

    from memberships.models import (
        Attendance,
        Event,
        Feedback,
        Membership,
        Partner,
        Registration,
        Sponsorship,
    )
    from memberships.selectors.insights import add_months, last_completed_month, month_bounds
    from portal.models import User

    rng = random.Random(18)  # noqa: S311 -- repeatable data, not secrets
    people = max(registrations // 5, 10)
    users = User.objects.bulk_create(
        User(
            username=f"p{n}",
            email=f"p{n}@example.com",
            idp_subject=f"p-{n}",
            idp_groups=["trust-safety"],
            department=rng.choice(["Trust & Safety", "Policy", "Review", "Legal"]),
        )
        for n in range(people)
    )
    partner = Partner.objects.create(name="Association", slug="association")
    today = timezone.localdate()
    first = add_months(last_completed_month(), -11)
    sponsorship = Sponsorship.objects.create(
        partner=partner,
        name="Programme",
        slug="programme",
        company="Example Corp",
        starts_on=first,
        ends_on=today + timedelta(days=300),
        eligible_groups=["trust-safety"],
        consent_text="ok",
        consent_version="v1",
        contact_email="p@example.com",
        fee=100000,
        fee_currency="EUR",
    )
    start = month_bounds(first)[0]
    span = (month_bounds(last_completed_month())[1] - start).total_seconds()
    memberships = []
    for user in users[: min(5000, people)]:
        claimed = start + timedelta(seconds=rng.random() * span)
        memberships.append(
            Membership(
                user=user,
                sponsorship=sponsorship,
                status="active",
                consent_version="v1",
                consent_text="ok",
                consented_at=claimed,
                claimed_at=claimed,
                activated_at=claimed + timedelta(days=rng.randint(0, 20)),
            )
        )
    Membership.objects.bulk_create(memberships)
    kinds = ["workshop", "webinar", "conference", "meetup", "well_being", "career"]
    events = Event.objects.bulk_create(
        Event(
            partner=partner,
            title=f"Session {n}",
            slug=f"session-{n}",
            kind=kinds[n % len(kinds)],
            summary="s",
            starts_at=(at := start + timedelta(seconds=rng.random() * span)),
            ends_at=at + timedelta(hours=2),
            format="online",
            status="published",
        )
        for n in range(2000)
    )
    batch = []
    for n in range(registrations):
        # Each event gets distinct people: its k-th seat goes to person (event * 50 + k).
        event_index, seat = n % len(events), n // len(events)
        user = users[(event_index * 50 + seat) % people]
        batch.append(Registration(event=events[event_index], user=user, status="confirmed"))
    created = Registration.objects.bulk_create(batch, batch_size=5000)
    attended = created[::2]
    Attendance.objects.bulk_create(
        (
            Attendance(registration=r, status="attended", source="admin", marked_at=start)
            for r in attended
        ),
        batch_size=5000,
    )
    Feedback.objects.bulk_create(
        (
            Feedback(
                registration=r,
                rating=rng.randint(1, 5),
                submitted_at=start,
                updated_at=start,
            )
            for r in attended[::3]
        ),
        batch_size=5000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": DATABASE_URL,
            "ALLOWED_HOSTS": "testserver",
            # Static files from the source tree (no collectstatic manifest needed).
            "DEBUG": "true",
            "SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdef",
            "LOG_LEVEL": "WARNING",
        }
    )
    for sql in (f"DROP DATABASE IF EXISTS {DATABASE}", f"CREATE DATABASE {DATABASE}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)  # noqa: S603, S607 -- fixed local commands
    subprocess.run(  # noqa: S603 -- fixed local command
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ
    )

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from portal.admin_site import SSO_SESSION_KEY
    from portal.models import User

    seeded_at = time.perf_counter()
    _seed(args.registrations)
    print(f"seeded {args.registrations} registrations in {time.perf_counter() - seeded_at:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    admin = User.objects.create(
        username="admin", email="admin@example.com", is_staff=True, idp_subject="admin"
    )
    client = Client()
    client.force_login(admin, backend="allauth.account.auth_backends.AuthenticationBackend")
    session = client.session
    session[SSO_SESSION_KEY] = True
    session.save()
    client.get("/admin/insights/")  # warm up
    timings, cpu = [], []
    for _run in range(args.runs):
        with CaptureQueriesContext(connection) as queries:
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get("/admin/insights/")
            timings.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        assert response.status_code == 200, response.status_code  # noqa: S101 -- sanity
    print(
        f"insights page at {args.registrations} registrations: median "
        f"{statistics.median(timings):.0f} ms, slowest {max(timings):.0f} ms, "
        f"{len(queries.captured_queries)} queries; this process's CPU time median "
        f"{statistics.median(cpu):.0f} ms (the rest is waiting: for PostgreSQL, or for a core "
        f"on a busy machine; load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
