import base64
import hashlib
import hmac
import smtplib
import time

import pytest
from django.core.mail import EmailMessage

from memberships import senders
from memberships.exceptions import DeliveryFailed
from memberships.senders import (
    DeliveryRejected,
    send_email,
    send_webhook,
    signing_key,
    verify_webhook,
    webhook_headers,
)
from tests.system.worker_harness import Receiver, free_port

pytestmark = [pytest.mark.unit]

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef").decode()
BODY = b'{"data":{"membership":"m-1"},"type":"partner_member_claimed"}'


@pytest.fixture
def receiver():
    server = Receiver()
    server.start()
    yield server
    server.stop()


def test_signing_key_decodes_standard_webhooks_secrets_only():
    assert signing_key(SECRET) == b"0123456789abcdef"
    assert signing_key("whsec_not base64!") == b"whsec_not base64!"
    assert signing_key("plain-secret") == b"plain-secret"


def test_webhook_headers_sign_id_timestamp_and_body():
    headers = webhook_headers(secret=SECRET, webhook_id="msg_1", body=BODY, timestamp=1700000000)

    expected = base64.b64encode(
        hmac.new(b"0123456789abcdef", b"msg_1.1700000000." + BODY, hashlib.sha256).digest()
    ).decode()
    assert headers == {
        "content-type": "application/json",
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": f"v1,{expected}",
    }


def test_verify_webhook_accepts_a_fresh_signature_in_any_header_case():
    headers = webhook_headers(secret=SECRET, webhook_id="msg_1", body=BODY)

    assert verify_webhook(SECRET, {k.title(): v for k, v in headers.items()}, BODY) is True


@pytest.mark.parametrize(
    ("secret", "body", "age"),
    [
        ("whsec_" + base64.b64encode(b"another").decode(), BODY, 0),
        (SECRET, BODY + b" ", 0),
        (SECRET, BODY, 10 * 60),
    ],
    ids=["wrong-secret", "tampered-body", "too-old"],
)
def test_verify_webhook_refuses_wrong_secret_tampering_and_replays(secret, body, age):
    headers = webhook_headers(
        secret=SECRET, webhook_id="msg_1", body=BODY, timestamp=int(time.time()) - age
    )

    assert verify_webhook(secret, headers, body) is False


def test_verify_webhook_refuses_missing_headers():
    assert verify_webhook(SECRET, {"webhook-id": "msg_1"}, BODY) is False


def test_send_webhook_posts_signed_json(receiver):
    status = send_webhook(receiver.url, SECRET, "membership:1:claimed:webhook", BODY, 5)

    [request] = receiver.requests
    assert status == 200
    assert request.body == BODY
    assert request.webhook_id == "membership:1:claimed:webhook"
    assert request.headers["content-type"] == "application/json"
    assert verify_webhook(SECRET, request.headers, request.body) is True


@pytest.mark.parametrize("status", [500, 503, 408, 429])
def test_send_webhook_recoverable_statuses_raise_delivery_failed(receiver, status):
    receiver.statuses = [status]

    with pytest.raises(DeliveryFailed) as raised:
        send_webhook(receiver.url, SECRET, "k", BODY, 5)

    assert str(raised.value).startswith(f"webhook answered HTTP {status}: ")


@pytest.mark.parametrize("status", [400, 401, 404, 410])
def test_send_webhook_other_client_errors_are_permanent(receiver, status):
    receiver.statuses = [status]

    with pytest.raises(DeliveryRejected) as raised:
        send_webhook(receiver.url, SECRET, "k", BODY, 5)

    assert str(raised.value).startswith(f"webhook answered HTTP {status}: ")


def test_send_webhook_timeout_is_recoverable_and_names_no_secret(receiver):
    receiver.delay, receiver.slow_requests = 1.0, 1

    with pytest.raises(DeliveryFailed) as raised:
        send_webhook(receiver.url, SECRET, "k", BODY, 0.2)

    assert str(raised.value) == "webhook timed out after 0.2 s"


def test_send_webhook_refused_connection_is_recoverable():
    url = f"http://127.0.0.1:{free_port()}/hooks"

    with pytest.raises(DeliveryFailed) as raised:
        send_webhook(url, SECRET, "k", BODY, 1)

    assert str(raised.value) == "webhook connection failed: could not connect"
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize(("url", "secret"), [("", SECRET), ("http://127.0.0.1:9/", "")])
def test_send_webhook_without_url_or_secret_is_permanent(url, secret):
    with pytest.raises(DeliveryRejected):
        send_webhook(url, secret, "k", BODY, 1)


def test_send_email_uses_the_configured_backend(mailoutbox):
    message = EmailMessage("Subject", "Body", "from@example.com", ["to@example.com"])

    send_email(message, 5)

    assert [(m.subject, m.to) for m in mailoutbox] == [("Subject", ["to@example.com"])]


class FailingBackend:
    error: Exception

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise self.error


@pytest.mark.parametrize(
    ("error", "expected", "reason"),
    [
        (
            smtplib.SMTPResponseException(451, b"try later"),
            DeliveryFailed,
            "SMTP 451 local error in processing (command refused)",
        ),
        (
            smtplib.SMTPResponseException(550, b"no such user"),
            DeliveryRejected,
            "SMTP 550 mailbox unavailable (command refused)",
        ),
        (
            smtplib.SMTPRecipientsRefused({"to@example.com": (550, b"no such user here")}),
            DeliveryRejected,
            "SMTP 550 mailbox unavailable (recipient refused)",
        ),
        (
            smtplib.SMTPRecipientsRefused({"to@example.com": (452, b"full")}),
            DeliveryFailed,
            "SMTP 452 insufficient storage (recipient refused)",
        ),
        (
            smtplib.SMTPSenderRefused(553, b"sender not allowed", "from@example.com"),
            DeliveryRejected,
            "SMTP 553 mailbox name not allowed (sender refused)",
        ),
        (
            smtplib.SMTPDataError(554, b"5.7.1 message content rejected: <the body>"),
            DeliveryRejected,
            "SMTP 554 transaction failed (message refused)",
        ),
        (
            smtplib.SMTPAuthenticationError(535, b"bad password for alex"),
            DeliveryRejected,
            "SMTP 535 authentication failed (sign-in refused)",
        ),
        (
            smtplib.SMTPResponseException(597, b"odd"),
            DeliveryRejected,
            "SMTP 597 permanent failure (command refused)",
        ),
        (
            smtplib.SMTPServerDisconnected("gone"),
            DeliveryFailed,
            "SMTP connection failed: SMTPServerDisconnected",
        ),
        (
            ConnectionRefusedError(),
            DeliveryFailed,
            "SMTP connection failed: ConnectionRefusedError",
        ),
    ],
    ids=[
        "4xx",
        "5xx",
        "recipient-5xx",
        "recipient-4xx",
        "sender-5xx",
        "data-5xx",
        "auth-5xx",
        "unknown-5xx",
        "disconnected",
        "refused",
    ],
)
def test_send_email_maps_smtp_errors_to_code_and_short_reason_never_the_reply(
    monkeypatch, error, expected, reason
):
    FailingBackend.error = error
    monkeypatch.setattr(senders, "get_connection", lambda **kwargs: FailingBackend())
    message = EmailMessage("Subject", "Body", "from@example.com", ["to@example.com"])

    with pytest.raises(expected) as raised:
        send_email(message, 5)

    assert type(raised.value) is expected
    assert str(raised.value) == reason


def test_send_webhook_reuses_the_connection_to_a_partner(receiver):
    for n in range(3):
        send_webhook(receiver.url, SECRET, f"k{n}", BODY, 5)

    ports = {request.client_port for request in receiver.requests}
    assert len(receiver.requests) == 3
    assert len(ports) == 1
