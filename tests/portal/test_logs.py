import io
import json
import logging

import pytest

from portal.logs import (
    ContextFilter,
    JsonFormatter,
    RedactingFilter,
    new_request_id,
    redact,
    request_id_var,
)
from tests.conftest import sso_login

pytestmark = [pytest.mark.unit]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "GET /calendar/AbC-123_xyz.ics HTTP/1.1",
            "GET /calendar/[redacted].ics HTTP/1.1",
        ),
        (
            "GET /accounts/oidc/sso/login/callback/?code=abc123&state=xyz789 HTTP/1.1",
            "GET /accounts/oidc/sso/login/callback/?code=[redacted]&state=[redacted] HTTP/1.1",
        ),
        ("password=hunter2&user=alex", "password=[redacted]&user=alex"),
        ("{'password': 'hunter2', 'kind': 'x'}", "{'password': '[redacted]', 'kind': 'x'}"),
        ('{"client_secret": "s3cr3t"}', '{"client_secret": "[redacted]"}'),
        ("Authorization: Bearer tspa.Zm9vYmFy", "Authorization: Bearer [redacted]"),
        ("secret whsec_c2VjcmV0c2VjcmV0 used", "secret [redacted] used"),
        ("redis://:p4ss@redis:6379/0", "redis://[redacted]@redis:6379/0"),
        ("sent to alex.morgan@example.com", "sent to [e-mail]"),
        ("idempotency_key=membership:4:claimed", "idempotency_key=membership:4:claimed"),
        ("notification 12 delivered (attempt 1)", "notification 12 delivered (attempt 1)"),
    ],
)
def test_redact_removes_credentials_and_addresses(line, expected):
    assert redact(line) == expected


def test_redacting_filter_redacts_arguments_and_tracebacks():
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "fetched %s", ("/calendar/T0KEN.ics?code=c0de",), None
    )
    try:
        raise ValueError("bad token=abcdef for alex@example.com")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()

    RedactingFilter().filter(record)

    assert record.getMessage() == "fetched /calendar/[redacted].ics?code=[redacted]"
    assert "abcdef" not in record.exc_text
    assert "alex@example.com" not in record.exc_text
    assert "token=[redacted] for [e-mail]" in record.exc_text


def test_json_formatter_writes_one_object_per_line_with_request_id():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.json")
    logger.addHandler(handler)
    logger.propagate = False
    token = request_id_var.set("req-0123456789")
    try:
        logger.warning("claim for %s\nsecond line", "alex@example.com", extra={"seats": 3})
    finally:
        request_id_var.reset(token)
        logger.removeHandler(handler)

    [line] = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["message"] == "claim for [e-mail]\nsecond line"
    assert entry["request_id"] == "req-0123456789"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "tests.json"
    assert entry["seats"] == 3
    assert entry["time"].endswith("+00:00")


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [("abcdef0123456789", True), ("short", False), ("bad id with spaces", False), (None, False)],
)
def test_new_request_id_keeps_only_plain_incoming_ids(incoming, kept):
    result = new_request_id(incoming)

    assert (result == incoming) is kept
    assert 8 <= len(result) <= 64


@pytest.mark.django_db
def test_request_logs_carry_request_id_and_user_id_but_no_email(client, employee, caplog):
    sso_login(client, employee)
    caplog.handler.addFilter(ContextFilter())
    caplog.handler.addFilter(RedactingFilter())

    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="trace-0123456789")

    assert response.status_code == 404
    assert response["X-Request-ID"] == "trace-0123456789"
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.request_id == "trace-0123456789"
    assert record.user_id == str(employee.pk)
    assert employee.email not in caplog.text
