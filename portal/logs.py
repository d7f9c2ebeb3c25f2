"""Logging for operators: one JSON object per line in production (`LOG_FORMAT=json`),
readable lines in development, a request id that follows a request into the Celery tasks it
causes, the signed-in user's id (never their e-mail), and one redaction filter that keeps
tokens, OAuth codes and states, passwords and secrets out of every line."""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import re
import uuid

# The request (or task) being served by this thread or task, for the log filter.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
user_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("user_id", default="")
current_request_var: contextvars.ContextVar = contextvars.ContextVar(
    "current_request", default=None
)
task_var: contextvars.ContextVar[str] = contextvars.ContextVar("task", default="")

REDACTED = "[redacted]"
# An incoming X-Request-ID is kept only when it is short and plain (it ends up in logs).
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# Query parameters and form-like `name=value` pairs whose value is a credential.
_CREDENTIAL_PARAMS = (
    r"code|state|token|access_token|id_token|refresh_token|client_secret|secret|password|"
    r"passwd|pwd|api_key|apikey|key|session|sessionid|csrftoken|csrfmiddlewaretoken|"
    r"signature|sig|otp_token|nonce|code_verifier"
)
_PATTERNS: list[tuple[re.Pattern, str]] = [
    # A calendar feed URL is itself the secret: /calendar/<token>.ics
    (re.compile(r"(/calendar/)[^/\s?\"']+(\.ics)"), rf"\1{REDACTED}\2"),
    # ?code=...&state=... and the like, in URLs, bodies and messages.
    (re.compile(rf"(?i)(?<![A-Za-z0-9_])({_CREDENTIAL_PARAMS})=([^&\s\"',;]+)"), rf"\1={REDACTED}"),
    # "password": "...", 'secret': '...' (dict and JSON renderings).
    (
        re.compile(
            rf"(?i)([\"']?(?:[A-Za-z_]*_)?(?:{_CREDENTIAL_PARAMS})[\"']?\s*:\s*)([\"'])(.*?)\2"
        ),
        rf"\1\2{REDACTED}\2",
    ),
    # Authorization headers.
    (re.compile(r"(?i)\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    # Standard Webhooks secrets and signatures.
    (re.compile(r"whsec_[A-Za-z0-9+/=]+"), REDACTED),
    (re.compile(r"\bv1,[A-Za-z0-9+/=]{20,}"), REDACTED),
    # Credentials inside URLs: scheme://user:password@host
    (re.compile(r"([a-z][a-z0-9+.-]*://)[^/\s:@]*:[^/\s@]+@"), rf"\1{REDACTED}@"),
    # E-mail addresses: logs name people by user id only.
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[e-mail]"),
]


def redact(text: str) -> str:
    """`text` with every credential and e-mail address replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def new_request_id(incoming: str | None = None) -> str:
    if incoming and _SAFE_REQUEST_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RedactingFilter(logging.Filter):
    """Put on every handler: formats the message (and traceback) once, redacted."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def current_user_id() -> str:
    """The id of the signed-in user of the request being served, or of the request that
    queued the running task; "" when there is none."""
    request = current_request_var.get()
    # Only a user that was already loaded: logging must not query the database.
    user = getattr(request, "_cached_user", None) if request is not None else None
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.pk)
    return user_id_var.get()


class ContextFilter(logging.Filter):
    """Adds `request_id` and `user_id` (from the request or task being served)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.user_id = current_user_id()
        record.task = task_var.get()
        return True


_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
    "user_id",
    "task",
    "context",
}


# Django attaches the request object to its records; its repr holds the raw URL, and the
# message already names the path.
_DROPPED_EXTRAS = {"request"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id,
    user_id, any `extra=` fields, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
            "user_id": getattr(record, "user_id", ""),
            "process": record.process,
        }
        if getattr(record, "task", ""):
            entry["task"] = record.task
        for name, value in vars(record).items():
            if name in _STANDARD_ATTRS or name.startswith("_") or name in _DROPPED_EXTRAS:
                continue
            # `extra=` values bypass the redaction of the message: redact them here.
            entry[name] = value if isinstance(value, int | float | bool) else redact(str(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Readable lines for development, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        parts = []
        if getattr(record, "request_id", ""):
            parts.append(f"req={record.request_id}")
        if getattr(record, "user_id", ""):
            parts.append(f"user={record.user_id}")
        if getattr(record, "task", ""):
            parts.append(f"task={record.task}")
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return super().format(record)


def logging_config(*, log_format: str, level: str) -> dict:
    """The LOGGING dict: one stdout handler, redaction and context on it."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "portal.logs.ContextFilter"},
            "redact": {"()": "portal.logs.RedactingFilter"},
        },
        "formatters": {
            "json": {"()": "portal.logs.JsonFormatter"},
            "text": {"()": "portal.logs.TextFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["context", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # Celery installs its own handlers unless told not to (see portal/celery.py).
            "celery": {"level": level},
        },
    }
