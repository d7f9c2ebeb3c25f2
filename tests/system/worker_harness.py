"""Real processes for delivery tests: a private Redis, Celery workers, a partner's webhook
receiver and an SMTP server. Shared by tests/system/test_worker_delivery.py and the
benchmark in tests/bench/."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import kombu.pools

ROOT = Path(__file__).resolve().parents[2]
CELERY = ROOT / ".venv" / "bin" / "celery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


class Redis:
    """A private redis-server on a free port, without persistence; can be stopped and
    started again on the same port (a broker outage)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--dir", str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if not wait_until(self.is_up, timeout=30):
            raise RuntimeError("redis-server did not start")

    def is_up(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock,
        ):
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
        return False

    def freeze(self) -> None:
        """SIGSTOP: the server keeps accepting TCP connections (the kernel does) but never
        answers, like a stalled host or a full network buffer."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.thaw()  # a frozen server cannot act on SIGTERM
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def use_broker(app, url: str | None, *, eager: bool) -> None:
    """Point this process's Celery app at `url` (or back) and drop pooled connections. A
    Redis URL gets the socket timeouts portal/settings.py gives the broker."""
    options = {}
    if url and url.startswith("redis://"):
        timeout = app.conf.broker_connection_timeout
        options = {
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout + 1,
            "socket_keepalive": True,
        }
    app.conf.update(broker_url=url, task_always_eager=eager, broker_transport_options=options)
    # kombu keeps one pool per broker URL for the whole process: close and forget them all, or
    # coming back to a URL would find its pool closed.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@dataclass
class Worker:
    """`celery -A portal worker` as a real process (its own process group, so SIGKILL
    reaches the pool children too), configured only through the environment."""

    env: dict
    log_path: Path
    name: str = "worker"
    concurrency: int = 1
    # Extra modules for the worker to import (`celery worker --include`), e.g. the bench's
    # no-op task.
    include: tuple[str, ...] = ()
    process: subprocess.Popen | None = None

    def start(self, *, timeout: float = 30) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(CELERY), "-A", "portal", "worker",
                "-Q", "notifications,default",
                "--concurrency", str(self.concurrency), "--pool", "prefork",
                "--loglevel", "INFO",
                "-n", f"{self.name}-{os.getpid()}-{time.monotonic_ns()}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                *(["--include", ",".join(self.include)] if self.include else []),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        if not wait_until(self._is_ready, timeout=timeout, interval=0.2):
            self.kill()
            raise RuntimeError(f"worker did not start:\n{self.log_path.read_text()[-3000:]}")

    def _is_ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            return False
        return " ready." in self.log_path.read_text(errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        self.process = None

    def stop(self) -> None:
        # Warm shutdown first (finish the current task), then make sure.
        self.kill(signal.SIGTERM)
        self.kill(signal.SIGKILL)


def worker_env(*, database_name: str, broker_url: str, var_dir: Path, **extra: str) -> dict:
    """The environment of a worker: production settings module (shipped defaults, such as
    persistent database connections), test database, private broker, short retry delays."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "NOTIFICATION_", "EMAIL_", "PYTEST", "DJANGO_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database_name}",
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_VISIBILITY_TIMEOUT": "3600",
            "VAR_DIR": str(var_dir),
            "SECRET_KEY": "worker-test-secret-key-not-for-production-0123456789",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "NOTIFICATION_RETRY_BASE_SECONDS": "1",
            "NOTIFICATION_SWEEP_GRACE_SECONDS": "0",
            "NOTIFICATION_SEND_TIMEOUT": "10",
            "WEBHOOK_ALLOW_PRIVATE": "true",  # the test receivers listen on loopback
            "LOG_LEVEL": "INFO",
        }
    )
    env.update(extra)
    return env


@dataclass
class Received:
    webhook_id: str
    headers: dict
    body: bytes
    received_at: float
    client_port: int = 0  # the sender's side of the TCP connection


@dataclass
class Receiver:
    """A partner's webhook endpoint on 127.0.0.1. `statuses` are answered in order (then
    200); `delay` seconds are slept before answering the first `slow_requests` requests."""

    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    slow_requests: int = 0
    # If set, each receipt is also appended to this file as "<webhook-id>\t<unix time>".
    log_path: Path | None = None
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    first_request: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def ids(self) -> list[str]:
        with self.lock:
            return [r.webhook_id for r in self.requests]

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as partners' servers do
            # Headers and body go out as separate writes: without this, Nagle's algorithm
            # and the client's delayed ACK hold every kept-alive answer back 40 ms.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802 -- http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    receiver.requests.append(
                        Received(
                            webhook_id=self.headers.get("webhook-id", ""),
                            headers=dict(self.headers.items()),
                            body=body,
                            received_at=time.time(),
                            client_port=self.client_address[1],
                        )
                    )
                    index = len(receiver.requests) - 1
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    if receiver.log_path is not None:
                        with receiver.log_path.open("a") as log:
                            log.write(f"{self.headers.get('webhook-id', '')}\t{time.time()}\n")
                receiver.first_request.set()
                if index < receiver.slow_requests:
                    time.sleep(receiver.delay)
                with contextlib.suppress(OSError):  # the sender may be gone (killed)
                    payload = json.dumps({"ok": status < 300}).encode()
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

            def log_message(self, format, *args) -> None:  # noqa: A002 -- http.server's name
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@contextlib.contextmanager
def running(*things) -> Iterator[None]:
    try:
        yield
    finally:
        for thing in reversed(things):
            with contextlib.suppress(Exception):
                thing.stop()
