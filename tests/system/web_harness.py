"""Real web processes for system tests and the scale-out demo: gunicorn with the project's
own configuration file (portal/gunicorn.conf.py), Celery beat, and HAProxy from Debian."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.system.worker_harness import CELERY, ROOT, wait_until

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
GUNICORN_CONF = ROOT / "portal" / "gunicorn.conf.py"


def _responds(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


@dataclass
class Process:
    """A long-running child in its own process group (a kill reaches all its children)."""

    args: list[str]
    env: dict
    log_path: Path
    process: subprocess.Popen | None = None

    def spawn(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=20)
        self.process = None

    def stop(self) -> None:
        self.kill(signal.SIGTERM)
        self.kill(signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Gunicorn(Process):
    def __init__(self, *, port: int, env: dict, log_path: Path, workers: int = 2) -> None:
        super().__init__(
            args=[
                str(GUNICORN), "-c", str(GUNICORN_CONF),
                "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                "portal.wsgi",
            ],
            env=env,
            log_path=log_path,
        )  # fmt: skip
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 30) -> None:
        self.spawn()
        if not wait_until(lambda: _responds(f"{self.url}/healthz"), timeout=timeout, interval=0.2):
            self.kill()
            raise RuntimeError(f"gunicorn did not start:\n{self.log()[-3000:]}")


class Beat(Process):
    def __init__(self, *, env: dict, log_path: Path, schedule_path: Path) -> None:
        super().__init__(
            args=[
                str(CELERY), "-A", "portal", "beat", "--loglevel", "INFO",
                "--schedule", str(schedule_path),
            ],
            env=env,
            log_path=log_path,
        )  # fmt: skip

    def start(self, *, timeout: float = 30) -> None:
        self.spawn()
        if not wait_until(lambda: "beat: Starting" in self.log(), timeout=timeout, interval=0.2):
            self.kill()
            raise RuntimeError(f"beat did not start:\n{self.log()[-3000:]}")


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if not found:
        raise RuntimeError("haproxy is missing: `apt-get install haproxy` (make test does it)")
    return found


class HAProxy(Process):
    """HAProxy with deploy/haproxy.cfg; addresses come from the environment."""

    def __init__(self, *, port: int, backends: list[int], log_path: Path, config: Path) -> None:
        env = {
            **os.environ,
            "PORTAL_LISTEN": f"127.0.0.1:{port}",
            "PORTAL_WEB_1": f"127.0.0.1:{backends[0]}",
            "PORTAL_WEB_2": f"127.0.0.1:{backends[1]}",
        }
        super().__init__(
            args=[haproxy_binary(), "-db", "-f", str(config)], env=env, log_path=log_path
        )
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 20) -> None:
        self.spawn()
        if not wait_until(lambda: _responds(f"{self.url}/healthz"), timeout=timeout, interval=0.2):
            self.kill()
            raise RuntimeError(f"haproxy did not start:\n{self.log()[-3000:]}")


def collect_static(static_root: Path, base: dict) -> Path:
    """`collectstatic` into `static_root` (hashed names and the manifest, as in production)."""
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**base, "DEBUG": "false", "STATIC_ROOT": str(static_root)},
        check=True,
        timeout=120,
    )
    return static_root


def web_env(base: dict, *, static_root: Path, **extra: str) -> dict:
    """Production-like settings for a web process (DEBUG off, hashed static files)."""
    env = {
        **base,
        "STATIC_ROOT": str(static_root),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "METRICS_ALLOWED_NETWORKS": "127.0.0.1/32",
    }
    env.update(extra)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def wait_for_heartbeat_after(when: float, *, timeout: float) -> bool:
    from portal.models import Heartbeat  # noqa: PLC0415 -- Django is set up by then

    def fresh() -> bool:
        row = Heartbeat.objects.filter(name=Heartbeat.BEAT).first()
        return row is not None and row.beat_at.timestamp() >= when

    return wait_until(fresh, timeout=timeout, interval=0.5)


def now() -> float:
    return time.time()
