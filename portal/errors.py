"""Optional error reporting to Sentry (SENTRY_DSN), without personal data: no user e-mail,
IP address, cookies or request bodies are sent, and every message passes the same redaction
as the logs."""

from __future__ import annotations

from .logs import redact


def _scrub(event: dict, hint: dict) -> dict:
    """before_send: drop what could name a person or hold a credential."""
    event.pop("user", None)
    request = event.get("request") or {}
    for key in ("cookies", "data", "env"):
        request.pop(key, None)
    headers = request.get("headers") or {}
    for name in list(headers):
        if name.lower() in {"authorization", "cookie", "x-forwarded-for", "x-real-ip"}:
            headers[name] = "[redacted]"
    if request.get("url"):
        request["url"] = redact(request["url"])
    if request.get("query_string"):
        request["query_string"] = redact(str(request["query_string"]))
    logentry = event.get("logentry") or {}
    if logentry.get("message"):
        logentry["message"] = redact(logentry["message"])
        logentry.pop("params", None)
    for exception in (event.get("exception") or {}).get("values", []):
        if exception.get("value"):
            exception["value"] = redact(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)  # local variables may hold tokens or e-mail addresses
    return event


def init_error_reporting(*, dsn: str, environment: str) -> None:
    import sentry_sdk  # noqa: PLC0415 -- only loaded when error reporting is on
    from sentry_sdk.integrations.celery import CeleryIntegration  # noqa: PLC0415
    from sentry_sdk.integrations.django import DjangoIntegration  # noqa: PLC0415

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        # send_default_pii stays unset (off): no user, IP address, cookies or bodies.
        include_local_variables=False,
        max_request_body_size="never",
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=_scrub,
        traces_sample_rate=0,
    )
