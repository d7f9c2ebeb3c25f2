"""Servers for the /healthz tests: an IdP discovery document, a port that refuses and a
port that accepts connections but never answers."""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def point_sso_at(settings, issuer: str) -> None:
    """Point the portal's OpenID Connect client (what sign-in and /healthz read) at `issuer`."""
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    app = providers["openid_connect"]["APPS"][0]
    app["settings"] = {**app["settings"], "server_url": issuer}
    settings.SOCIALACCOUNT_PROVIDERS = providers


@dataclass
class Discovery:
    issuer: str
    hits: list[str] = field(default_factory=list)


@contextlib.contextmanager
def serve_discovery() -> Iterator[Discovery]:
    """`/.well-known/openid-configuration` on a free loopback port; counts the requests."""
    discovery = Discovery(issuer="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 -- http.server's name
            discovery.hits.append(self.path)
            issuer = discovery.issuer
            if self.path != "/.well-known/openid-configuration":
                self.send_error(404)
                return
            body = json.dumps({"issuer": issuer}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args) -> None:  # noqa: A002 -- http.server's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    discovery.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield discovery
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A port whose connections the kernel accepts but nobody ever reads or answers: a
    stalled server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


def refused_port() -> int:
    """A free port nothing listens on: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
