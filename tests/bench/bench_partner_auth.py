"""Benchmark: how long the partner API takes to refuse a bad bearer token.

    .venv/bin/python -m tests.bench.bench_partner_auth [--rounds 300]

Needs PostgreSQL on 127.0.0.1 (it drops and recreates the database `portal_bench_auth`).
Runs with the production settings module (so the real password hasher, PBKDF2) and sends
requests through Django's full stack (middleware, rate limit, view) in-process, interleaving:
- a token whose slug matches no partner;
- the right slug with a wrong secret (SHA-256 stored token);
- the right token (accepted: the reference);
- the right slug with a wrong secret for a partner still holding a token issued before
  SHA-256 storage (a Django password hash): the cost of the old scheme, once per attempt.
Then times `partner_authenticate` alone for the two refusals. Prints the median and 95th
percentile per kind, in milliseconds. Not a test: nothing is
asserted."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "portal_bench_auth"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-partner-auth-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": DATABASE_URL,
            "VAR_DIR": str(workdir / "var"),
            "SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdef",
            "LOG_LEVEL": "ERROR",
            "ALLOWED_HOSTS": "testserver",  # the host name of Django's test client
            "RATE_LIMIT_PARTNER_API_IP": "1000000/m",
            "RATE_LIMIT_PARTNER_API_TOKEN": "1000000/m",
        }
    )
    for sql in (f"DROP DATABASE IF EXISTS {DATABASE}", f"CREATE DATABASE {DATABASE}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)  # noqa: S603, S607 -- fixed local commands
    subprocess.run(  # noqa: S603 -- fixed local command
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ
    )

    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.test import Client
    from django.urls import reverse

    from memberships.models import Partner
    from memberships.services.partners import partner_authenticate

    partner = Partner.objects.create(name="Bench Association", slug="bench-association")
    token = partner.set_api_token()
    partner.save()
    legacy = Partner.objects.create(name="Legacy Association", slug="legacy-association")
    legacy.api_token_hash = make_password("legacy-association.issued-long-ago")
    legacy.save()

    kinds = {
        "unknown slug": "no-such-partner.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "right slug, wrong secret": "bench-association.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "right token (accepted)": token,
        "old-style stored token, wrong secret": "legacy-association.AAAAAAAAAAAAAAAAAAAAAAAAAA",
    }
    expected = {kind: 200 if kind.startswith("right token") else 401 for kind in kinds}
    client = Client()
    url = reverse("memberships:api-membership-list")
    timings: dict[str, list[float]] = {kind: [] for kind in kinds}
    cpu: dict[str, list[float]] = {kind: [] for kind in kinds}
    for value in kinds.values():  # warm up connections and caches
        client.get(url, headers={"Authorization": f"Bearer {value}"})
    for round_number in range(args.rounds):
        for kind, value in kinds.items():
            if kind.startswith("old-style") and round_number >= 20:
                continue  # 0.3 s each: 20 samples are plenty
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url, headers={"Authorization": f"Bearer {value}"})
            cpu[kind].append((time.process_time() - cpu_started) * 1000)
            timings[kind].append((time.perf_counter() - started) * 1000)
            assert response.status_code == expected[kind], (kind, response.status_code)  # noqa: S101 -- a sanity check of the benchmark itself

    print(f"Partner API refusals, {args.rounds} rounds, through the full Django stack")
    print("(wall clock, and CPU time of this process: the database's own work is not in it):")
    for kind, values in timings.items():
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        print(
            f"  {kind:40s} median {statistics.median(values):7.2f} ms   "
            f"p95 {p95:7.2f} ms   CPU median {statistics.median(cpu[kind]):7.2f} ms   "
            f"(n={len(values)})"
        )

    print(f"partner_authenticate() alone (one query + SHA-256), {args.rounds * 10} calls each:")
    for kind in ("unknown slug", "right slug, wrong secret"):
        values = []
        for _call in range(args.rounds * 10):
            started = time.perf_counter()
            partner_authenticate(token=kinds[kind])
            values.append((time.perf_counter() - started) * 1000)
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        print(
            f"  {kind:40s} median {statistics.median(values):7.3f} ms   "
            f"p95 {p95:7.3f} ms   (n={len(values)})"
        )


if __name__ == "__main__":
    main()
