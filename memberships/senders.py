"""The only module that talks to the outside world: SMTP (through Django's e-mail backend)
and partner webhooks (HTTP POST signed the Standard Webhooks way). No ORM writes here.

Recoverable failures (timeouts, refused connections, HTTP 5xx, 408 and 429, SMTP 4xx)
raise `DeliveryFailed`; failures that a retry cannot fix (any other HTTP 4xx, SMTP 5xx)
raise `DeliveryRejected`. Error texts never contain a secret."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import smtplib
import threading
import time
from collections.abc import Mapping
from http import HTTPStatus

import certifi
import urllib3
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    HTTPError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as HTTPTimeoutError

from .exceptions import DeliveryFailed, DeliveryRejected
from .validators import is_public_address, resolve

SIGNATURE_VERSION = "v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 -- a prefix, not a secret
RETRYABLE_HTTP_STATUSES = {408, 429}
# Webhooks older or newer than this are refused by verify_webhook (replay protection).
TIMESTAMP_TOLERANCE_SECONDS = 5 * 60
# The short reason stored with an SMTP status (RFC 5321 and 4954 wording); the server's own
# text is never stored: it may echo addresses or message content.
SMTP_REASONS = {
    421: "service not available",
    450: "mailbox unavailable",
    451: "local error in processing",
    452: "insufficient storage",
    454: "temporary authentication failure",
    500: "command not recognised",
    501: "syntax error in parameters",
    502: "command not implemented",
    503: "bad sequence of commands",
    504: "parameter not implemented",
    521: "host does not accept mail",
    530: "authentication required",
    534: "authentication mechanism too weak",
    535: "authentication failed",
    538: "encryption required",
    550: "mailbox unavailable",
    551: "user not local",
    552: "storage allocation exceeded",
    553: "mailbox name not allowed",
    554: "transaction failed",
    555: "parameters not recognised",
    556: "domain does not accept mail",
}

# Connections kept open per partner origin (scheme, host, port): consecutive webhooks to a
# partner reuse one instead of a new TCP (and TLS) handshake each. urllib3 directly, not
# requests: it is what requests runs on, without a millisecond of per-request machinery
# (hooks, cookies, environment merging) that buys a webhook nothing.
WEBHOOK_ORIGINS_KEPT = 50  # partner origins with open connections, least recently used out
WEBHOOK_CONNECTIONS_PER_ORIGIN = 4  # kept open; more are opened when needed, then closed


def signing_key(secret: str) -> bytes:
    """The HMAC key for a partner secret.

    Standard Webhooks secrets look like `whsec_<base64>`: the part after the prefix is
    base64-decoded. Any other secret (or a `whsec_` one whose rest is not base64) is used
    as its UTF-8 bytes, whole."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def webhook_signature(*, secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def webhook_headers(*, secret: str, webhook_id: str, body: bytes, timestamp: int | None = None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook_signature(
            secret=secret, webhook_id=webhook_id, timestamp=timestamp, body=body
        ),
    }


def verify_webhook(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """True if `headers` carry a valid, recent signature of `body` under `secret`.

    What a partner runs on receipt; `headers` may use any letter case. Several space-
    separated signatures are allowed (key rotation): one match is enough."""
    lowered = {key.lower(): value for key, value in headers.items()}
    try:
        webhook_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        offered = lowered["webhook-signature"].split()
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > TIMESTAMP_TOLERANCE_SECONDS:
        return False
    expected = webhook_signature(
        secret=secret, webhook_id=webhook_id, timestamp=timestamp, body=body
    )
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


# Webhook destinations: every connection resolves its host once, refuses it unless every
# address is public (memberships.validators), and connects to the address it checked; there
# is no second lookup, so a DNS answer that changes in between (rebinding) cannot redirect it.


class AddressNotAllowed(NewConnectionError):
    """The webhook host resolves to a loopback, private, link-local or other internal address."""


class _CheckedAddressMixin:
    def _new_conn(self):
        host = self._dns_host
        try:
            addresses = resolve(host, self.port)
        except OSError as exc:
            raise NameResolutionError(host, self, exc) from exc
        if not settings.WEBHOOK_ALLOW_PRIVATE and not all(map(is_public_address, addresses)):
            raise AddressNotAllowed(self, f"{host} resolves to an internal address")
        self._dns_host = addresses[0]  # connect to exactly what was checked
        try:
            return super()._new_conn()
        finally:
            self._dns_host = host  # TLS (SNI, certificate) and Host still use the name


class _CheckedHTTPConnection(_CheckedAddressMixin, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedAddressMixin, HTTPSConnection):
    pass


class _CheckedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedPoolManager(urllib3.PoolManager):
    """Connection pools whose connections go only to checked addresses."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.pool_classes_by_scheme = {
            "http": _CheckedHTTPConnectionPool,
            "https": _CheckedHTTPSConnectionPool,
        }


class _WebhookConnections:
    """This process's webhook connections, made on first use (after a fork, anew: a pool
    child must not share its parent's sockets). urllib3's pools are thread-safe."""

    def __init__(self) -> None:
        self._manager: urllib3.PoolManager | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def get(self) -> urllib3.PoolManager:
        with self._lock:
            if self._manager is None or self._pid != os.getpid():
                # No proxy from the environment (a proxy would connect on our behalf, past the
                # address check), no retries (the outbox retries), verified TLS.
                self._manager = _CheckedPoolManager(
                    num_pools=WEBHOOK_ORIGINS_KEPT,
                    maxsize=WEBHOOK_CONNECTIONS_PER_ORIGIN,
                    retries=False,
                    ca_certs=certifi.where(),
                )
                self._pid = os.getpid()
            return self._manager


_webhook_connections = _WebhookConnections()


def _connection_failure(exc: HTTPError) -> DeliveryFailed:
    """A recoverable failure named by what happened, never by the URL or a header."""
    if isinstance(exc, NewConnectionError):
        what = "could not connect"
    elif isinstance(exc, SSLError):
        what = "TLS handshake failed"
    elif isinstance(exc, ProtocolError):
        what = "the connection was lost"
    else:
        what = type(exc).__name__
    return DeliveryFailed(f"webhook connection failed: {what}")


def send_webhook(
    url: str, secret: str, idempotency_key: str, body_bytes: bytes, timeout: float
) -> int:
    """POST `body_bytes` to `url`, signed with `secret`; return the HTTP status on 2xx.

    Errors name the status and its standard reason, never the response body."""
    if not url:
        raise DeliveryRejected("the partner has no webhook URL")
    if not secret:
        raise DeliveryRejected("the partner has no webhook signing secret")
    if settings.HTTPS and not url.startswith("https://"):
        raise DeliveryRejected("the webhook URL is not https")
    headers = webhook_headers(secret=secret, webhook_id=idempotency_key, body=body_bytes)
    try:
        response = _webhook_connections.get().request(
            "POST",
            url,
            body=body_bytes,
            headers=headers,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            redirect=False,
            preload_content=False,
        )
    except AddressNotAllowed as exc:
        raise DeliveryRejected("webhook refused: the host is an internal address") from exc
    except NewConnectionError as exc:  # before timeouts: urllib3 counts it as one
        raise _connection_failure(exc) from exc
    except HTTPTimeoutError as exc:
        raise DeliveryFailed(f"webhook timed out after {timeout:g} s") from exc
    except HTTPError as exc:
        raise _connection_failure(exc) from exc
    status = response.status
    # Read and drop the answer, so the connection can carry the next webhook (a read error
    # is swallowed there: the status is what counts, and that connection is not reused).
    response.drain_conn()
    if 200 <= status < 300:
        return status
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "non-standard status"
    detail = f"webhook answered HTTP {status}: {reason}"
    if status >= 500 or status in RETRYABLE_HTTP_STATUSES:
        raise DeliveryFailed(detail)
    raise DeliveryRejected(detail)


def _smtp_code_is_permanent(code: int) -> bool:
    return 500 <= code < 600


def _smtp_reason(code: int, stage: str) -> str:
    """`SMTP 550 mailbox unavailable (recipient refused)`: the status, a short fixed
    reason and the stage; never the server's response text."""
    if code in SMTP_REASONS:
        reason = SMTP_REASONS[code]
    elif _smtp_code_is_permanent(code):
        reason = "permanent failure"
    elif 400 <= code < 500:
        reason = "temporary failure"
    else:
        reason = "unexpected reply"
    return f"SMTP {code} {reason} ({stage})"


def send_email(message: EmailMessage, timeout: float) -> None:
    """Send one message through Django's configured e-mail backend."""
    message.connection = get_connection(fail_silently=False, timeout=timeout)
    try:
        sent = message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _text in exc.recipients.values()})
        detail = ", ".join(_smtp_reason(code, "recipient refused") for code in codes)
        if codes and all(_smtp_code_is_permanent(code) for code in codes):
            raise DeliveryRejected(detail) from exc
        raise DeliveryFailed(detail or "SMTP refused the recipient") from exc
    except smtplib.SMTPResponseException as exc:
        stage = {
            smtplib.SMTPSenderRefused: "sender refused",
            smtplib.SMTPDataError: "message refused",
            smtplib.SMTPAuthenticationError: "sign-in refused",
            smtplib.SMTPHeloError: "greeting refused",
            smtplib.SMTPConnectError: "connection refused",
        }.get(type(exc), "command refused")
        reason = _smtp_reason(exc.smtp_code, stage)
        if _smtp_code_is_permanent(exc.smtp_code):
            raise DeliveryRejected(reason) from exc
        raise DeliveryFailed(reason) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"SMTP connection failed: {type(exc).__name__}") from exc
    if not sent:
        raise DeliveryFailed("the e-mail backend sent nothing")
