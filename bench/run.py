"""The web benchmark behind `make bench`.

One gunicorn configuration for every target (sync workers, loopback), loaded by wrk with a
fixed number of connections, in interleaved rounds; the table holds the medians. Targets:
the ladder L0 (raw WSGI), L1 (bare Django view), L2 (the portal's middleware on the
signed-out privacy page), L3 (a signed-in page that runs one query), every employee page,
the partner API list and /healthz, each at 1x and 100x data (`manage.py bench_data`).

Each scale has its own database, named after BENCH_DATABASE_URL plus `_x<scale>`. The
benchmark creates it, marks it with a comment, and only ever drops a database that carries
its own mark; any other database of that name stops the run.

    .venv/bin/python -m bench.run [--scales 1,100] [--rounds 3] [--duration 5]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results"
MARK = "made by bench/run.py"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
SEARCH_TERM = "resilience"
EMPLOYEE_PAGES = (
    "home",
    "membership",
    "events",
    "events search",
    "past events",
    "event detail",
    "my events",
    "settings",
    "resources",
)
# Only the portal's own processes: a new request for each sample, as a browser would send.
GUNICORN_CONFIG = ["--worker-class", "sync", "--log-level", "warning", "--timeout", "60"]


@dataclass
class Target:
    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    scale: int | None = None  # None: the same at every scale (L0, L1)
    samples: list[dict] = field(default_factory=list)
    # A cheap URL of the same server: answered only once the requests still queued from
    # this target's load are done, so the next target starts on an idle server.
    drain_url: str = ""

    @property
    def key(self) -> tuple[str, int | None]:
        return (self.name, self.scale)


class BenchError(Exception):
    pass


# Databases -------------------------------------------------------------------------------


def _database_url(base: str, scale: int) -> str:
    parts = urlsplit(base)
    name = parts.path.lstrip("/") or "portal_bench"
    return urlunsplit(parts._replace(path=f"/{name}_x{scale}"))


def _admin_connection(url: str) -> psycopg.Connection:
    parts = urlsplit(url)
    return psycopg.connect(
        urlunsplit(parts._replace(path="/postgres")).replace("postgres://", "postgresql://", 1),
        autocommit=True,
    )


def _fingerprint() -> str:
    """Changes when the schema or the generator changes, so stale data is rebuilt."""
    digest = hashlib.sha256()
    files = sorted((ROOT / "memberships" / "migrations").glob("*.py"))
    files += sorted((ROOT / "portal" / "migrations").glob("*.py"))
    files.append(ROOT / "memberships" / "management" / "commands" / "bench_data.py")
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _django_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="false",
        HTTPS="false",
        SECRET_KEY="bench-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
    )
    env.pop("CELERY_BROKER_URL", None)
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 -- our own manage.py
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def ensure_database(base_url: str, scale: int, redis_url: str) -> str:
    """A database holding bench_data at `scale` for the current schema; built when needed."""
    url = _database_url(base_url, scale)
    name = urlsplit(url).path.lstrip("/")
    wanted = f"{MARK}; scale {scale}; {_fingerprint()}; ready"
    with _admin_connection(url) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        if row is not None and row[0] == wanted:
            print(f"[bench] {name}: data at scale {scale} is current", flush=True)
            return url
        if row is not None:
            if not (row[0] or "").startswith(MARK):
                raise BenchError(
                    f"Database {name} exists and was not made by the benchmark; set "
                    "BENCH_DATABASE_URL to another name."
                )
            print(f"[bench] {name}: stale benchmark data, rebuilding", flush=True)
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        admin.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(f"{MARK}; building")
            )
        )
    env = _django_env(url, redis_url)
    started = time.monotonic()
    _manage(env, "migrate", "--noinput")
    print(_manage(env, "bench_data", "--scale", str(scale)), end="", flush=True)
    print(f"[bench] {name}: built in {time.monotonic() - started:.0f} s", flush=True)
    with _admin_connection(url) as admin:
        admin.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(wanted)
            )
        )
    return url


# Servers ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app: str, env: dict[str, str], workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 -- the venv's gunicorn
        [
            str(Path(PYTHON).parent / "gunicorn"),
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            *GUNICORN_CONFIG,
        ],
        cwd=ROOT,
        env=env,
    )
    return process, f"http://127.0.0.1:{port}"


def _get(url: str, headers: dict[str, str], timeout: float = 60) -> tuple[int, bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 -- loopback http
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn for {base} exited with {process.returncode}")
        try:
            _get(base + "/", {})
            return
        except OSError:
            time.sleep(0.3)
    raise BenchError(f"gunicorn for {base} did not answer within 60 s")


# Load ------------------------------------------------------------------------------------


def run_wrk(
    target: Target, *, duration: int, connections: int, threads: int, warmup: bool = False
) -> dict:
    """One sample. A page so slow that no request finishes in `duration` is sampled again
    for three times as long (once); if still none finishes, the sample says so: 0 req/s and
    latencies of at least that long (shown with ≥ in the table)."""
    result = _wrk_once(target, duration=duration, connections=connections, threads=threads)
    if not result["requests"] and not warmup:
        duration *= 3
        result = _wrk_once(target, duration=duration, connections=connections, threads=threads)
        if not result["requests"]:
            result.update(rps=0.0, p50_us=duration * 1e6, p95_us=duration * 1e6, censored=True)
    return result


def _wrk_once(target: Target, *, duration: int, connections: int, threads: int) -> dict:
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration}s",
        "--timeout=30s",
        f"--script={ROOT / 'bench' / 'report.lua'}",
    ]
    for name, value in target.headers.items():
        command += ["--header", f"{name}: {value}"]
    done = subprocess.run(  # noqa: S603 -- wrk from Debian
        [*command, target.url], capture_output=True, text=True, check=True
    )
    match = re.search(r"^BENCH (\{.*\})$", done.stdout, re.MULTILINE)
    if match is None:
        raise BenchError(f"no result from wrk for {target.name}:\n{done.stdout}{done.stderr}")
    result = json.loads(match.group(1))
    if result["non_2xx_3xx"] or result["socket_errors"]:
        raise BenchError(f"{target.name} at {target.scale}x: errors under load: {result}")
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["censored"] = False
    if target.drain_url:
        _get(target.drain_url, {}, timeout=600)
    return result


def check_target(target: Target) -> int:
    status, body = _get(target.url, target.headers)
    if status != 200:
        raise BenchError(f"{target.name} ({target.url}) answered {status}, not 200")
    return len(body)


# Report ----------------------------------------------------------------------------------


def _median(target: Target, key: str) -> float:
    return statistics.median(sample[key] for sample in target.samples)


def _fmt(value: float, digits: int = 1, at_least: bool = False) -> str:
    return ("≥ " if at_least else "") + f"{value:,.{digits}f}"


def _censored(target: Target) -> bool:
    """The median sample finished no request: its latencies are lower bounds."""
    return sum(s["censored"] for s in target.samples) * 2 >= len(target.samples)


def render_table(targets: dict, scales: list[int], sizes: dict) -> str:
    low, high = scales[0], scales[-1]
    names = ["L0", "L1", "L2", "L3", *EMPLOYEE_PAGES, "partner API list", "healthz"]
    head = (
        f"| target | req/s {low}× | p50 ms {low}× | p95 ms {low}× | req/s ÷ L3 | p95 ÷ L3 "
        f"| req/s {high}× | p95 ms {high}× | req/s ÷ L3 {high}× | p95 ÷ L3 {high}× "
        f"| p95 {high}× ÷ {low}× | page KB {low}× → {high}× |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name in names:
        row = [name]
        per_scale = []
        for scale in (low, high):
            target = targets.get((name, scale)) or targets.get((name, None))
            l3 = targets[("L3", scale)]
            per_scale.append(
                {
                    "rps": _median(target, "rps"),
                    "p50": _median(target, "p50_us") / 1000,
                    "p95": _median(target, "p95_us") / 1000,
                    "rps_l3": _median(target, "rps") / _median(l3, "rps"),
                    "p95_l3": _median(target, "p95_us") / _median(l3, "p95_us"),
                    "size": sizes.get((name, scale), sizes.get((name, None), 0)) / 1024,
                    "censored": _censored(target),
                }
            )
        a, b = per_scale
        row += [
            _fmt(a["rps"]),
            _fmt(a["p50"], at_least=a["censored"]),
            _fmt(a["p95"], at_least=a["censored"]),
            _fmt(a["rps_l3"], 2),
            _fmt(a["p95_l3"], 2, at_least=a["censored"]),
            _fmt(b["rps"]),
            _fmt(b["p95"], at_least=b["censored"]),
            _fmt(b["rps_l3"], 2),
            _fmt(b["p95_l3"], 2, at_least=b["censored"]),
            _fmt(b["p95"] / a["p95"], 2, at_least=b["censored"] and not a["censored"]),
            f"{_fmt(a['size'])} → {_fmt(b['size'])}",
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    wrk_version = (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else ""
    wrk_version = wrk_version.split(" Copyright")[0]
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"{wrk_version.strip()}, commit {commit or 'unknown (not a git checkout)'}"
    )


# Main ------------------------------------------------------------------------------------


def build_targets(bases: dict, prepared: dict, tokens: dict, scales: list[int]) -> list[Target]:
    targets = [
        Target("L0", bases["L0"] + "/", drain_url=bases["L0"] + "/"),
        Target("L1", bases["L1"] + "/", drain_url=bases["L1"] + "/"),
    ]
    for scale in scales:
        base = bases[scale]
        cookie = {"Cookie": prepared[scale]["cookie"]}
        slug = prepared[scale]["event_slug"]
        paths = {
            "L2": ("/privacy/", {}),
            "L3": ("/_bench/l3/", cookie),
            "home": ("/", cookie),
            "membership": ("/membership/", cookie),
            "events": ("/events/", cookie),
            "events search": (f"/events/?q={SEARCH_TERM}", cookie),
            "past events": ("/events/past/", cookie),
            "event detail": (f"/events/{slug}/", cookie),
            "my events": ("/me/events/", cookie),
            "settings": ("/me/settings/", cookie),
            "resources": ("/resources/", cookie),
            "partner API list": (
                "/api/partner/v1/memberships/",
                {"Authorization": f"Bearer {tokens[scale]}"},
            ),
            "healthz": ("/healthz", {}),
        }
        for name, (path, headers) in paths.items():
            targets.append(Target(name, base + path, headers, scale, drain_url=base + "/privacy/"))
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,100", help="comma-separated, lowest first")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per sample")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--output", help="default: bench/results/<UTC date>.md")
    parser.add_argument("--label", default="", help="a line of context for the results file")
    options = parser.parse_args(argv)
    scales = sorted(int(s) for s in options.scales.split(","))
    if len(scales) != 2:
        parser.error("--scales takes exactly two scales (the growth is the second ÷ the first)")
    base_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)

    databases = {scale: ensure_database(base_url, scale, redis_url) for scale in scales}
    first_env = _django_env(databases[scales[0]], redis_url)
    _manage(first_env, "collectstatic", "--noinput", "--verbosity", "0")

    prepared, tokens = {}, {}
    for scale, url in databases.items():
        env = _django_env(url, redis_url)
        done = subprocess.run(  # noqa: S603 -- our own module
            [PYTHON, "-m", "bench.prepare"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        prepared[scale] = json.loads(done.stdout.strip().splitlines()[-1])
        tokens[scale] = _manage(env, "partner_token", "bench-partner-0").strip().splitlines()[-1]

    processes = []
    try:
        bases = {}
        plain_env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        for name, app in (("L0", "bench.hello:application"), ("L1", "bench.bare:application")):
            process, bases[name] = start_gunicorn(app, plain_env, options.workers)
            processes.append((process, bases[name]))
        for scale, url in databases.items():
            process, bases[scale] = start_gunicorn(
                "bench.wsgi:application", _django_env(url, redis_url), options.workers
            )
            processes.append((process, bases[scale]))
        for process, base in processes:
            wait_until_up(base, process)

        targets = build_targets(bases, prepared, tokens, scales)
        sizes = {t.key: check_target(t) for t in targets}
        for target in targets:  # warm every worker's imports, templates and connections
            run_wrk(
                target,
                duration=1,
                connections=options.connections,
                threads=options.threads,
                warmup=True,
            )
        for round_number in range(options.rounds):
            # Interleaved, and each round starts one target later, so no target always
            # runs right after the same neighbour.
            shift = round_number % len(targets)
            for target in targets[shift:] + targets[:shift]:
                sample = run_wrk(
                    target,
                    duration=options.duration,
                    connections=options.connections,
                    threads=options.threads,
                )
                target.samples.append(sample)
                print(
                    f"[bench] round {round_number + 1}/{options.rounds} {target.name:<17} "
                    f"{'' if target.scale is None else f'{target.scale}x':>5} "
                    f"{sample['rps']:8.1f} req/s  p95 {sample['p95_us'] / 1000:7.1f} ms",
                    flush=True,
                )
    finally:
        for process, _base in processes:
            process.terminate()
        for process, _base in processes:
            process.wait(timeout=30)

    by_key = {t.key: t for t in targets}
    table = render_table(by_key, scales, sizes)
    now = datetime.datetime.now(datetime.UTC)
    output = Path(options.output) if options.output else RESULTS / f"{now:%Y-%m-%d}.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        f"# Benchmark, {now:%Y-%m-%d %H:%M} UTC\n\n"
        + (f"{options.label}\n\n" if options.label else "")
        + f"Absolute numbers are this machine's: {_machine()}.\n"
        f"gunicorn `--workers {options.workers} {' '.join(GUNICORN_CONFIG)}` for every target; "
        f"wrk `--threads {options.threads} --connections {options.connections}`, "
        f"{options.duration:g} s per sample, {options.rounds} interleaved rounds, medians. "
        f"Data: `manage.py bench_data --scale {scales[0]}` and `--scale {scales[1]}`. "
        "Ratios are to L3 at the same scale; growth is p95 at the higher scale ÷ p95 at the "
        "lower.\n\n" + table + "\n"
    )
    print(table)
    print(f"[bench] written to {output}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"[bench] {error}", file=sys.stderr)
        sys.exit(1)
