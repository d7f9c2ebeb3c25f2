"""Partner webhooks cannot reach our own network (SSRF): refused when the URL is saved, and
again for every connection, after DNS resolution, on the address actually connected to."""

import socket

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from memberships.exceptions import DeliveryFailed, DeliveryRejected
from memberships.senders import send_webhook
from memberships.validators import is_public_address, validate_webhook_url
from tests.factories import PartnerFactory
from tests.system.worker_harness import Receiver

SECRET = "whsec_dGVzdC1zZWNyZXQ="
BODY = b'{"type":"partner_member_claimed"}'


@pytest.fixture
def guarded(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    return settings


@pytest.fixture
def receiver():
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),  # noqa: S104 -- the address under test
        ("224.0.0.1", False),
        ("::1", False),
        ("fd00::1", False),
        ("fe80::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.1", False),
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
    ],
)
def test_is_public_address(address, expected):
    assert is_public_address(address) is expected


@pytest.mark.unit
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/hooks",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
    ],
)
def test_internal_webhook_urls_are_refused_with_https(guarded, url):
    guarded.HTTPS = True

    with pytest.raises(ValidationError):
        validate_webhook_url(url)


@pytest.mark.unit
def test_https_only_when_https_is_on(guarded):
    guarded.HTTPS = True

    with pytest.raises(ValidationError) as raised:
        validate_webhook_url("http://93.184.215.14/hooks")

    assert raised.value.messages == ["Webhook URLs must start with https://."]


@pytest.mark.unit
def test_http_to_a_public_address_is_allowed_without_https(guarded):
    guarded.HTTPS = False

    validate_webhook_url("http://93.184.215.14/hooks")


@pytest.mark.unit
def test_loopback_refusal_names_the_reason(guarded):
    with pytest.raises(ValidationError) as raised:
        validate_webhook_url("https://127.0.0.1:9000/hooks")

    assert raised.value.messages == [
        "Webhooks cannot go to 127.0.0.1: it is a loopback, private, link-local or otherwise "
        "internal address."
    ]


@pytest.mark.unit
def test_credentials_in_a_webhook_url_are_refused(guarded):
    with pytest.raises(ValidationError):
        validate_webhook_url("https://user:pass@93.184.215.14/hooks")


@pytest.mark.unit
def test_public_and_unresolvable_hosts_are_accepted_at_save_time(guarded):
    validate_webhook_url("https://93.184.215.14/hooks")
    validate_webhook_url("https://hooks.partner.invalid/hooks")  # checked again at send time


@pytest.mark.unit
def test_private_addresses_are_allowed_when_switched_on_for_development(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.HTTPS = False

    validate_webhook_url("http://127.0.0.1:8000/hooks")


@pytest.mark.django_db
@pytest.mark.integration
def test_admin_refuses_a_loopback_webhook_with_https(admin_client_sso, guarded):
    guarded.HTTPS = True
    guarded.SECURE_SSL_REDIRECT = False
    partner = PartnerFactory(name="Guild", slug="guild")

    response = admin_client_sso.post(
        reverse("admin:memberships_partner_change", args=[partner.pk]),
        {
            "name": "Guild",
            "slug": "guild",
            "website": "",
            "operations_email": "ops@guild.example.org",
            "notification_channels": "webhook",
            "webhook_url": "http://127.0.0.1:8000/hooks",
            "webhook_secret": "",
            "is_active": "on",
        },
    )

    partner.refresh_from_db()
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["webhook_url"] == [
        "Webhook URLs must start with https://."
    ]
    assert partner.webhook_url == ""


@pytest.mark.django_db
@pytest.mark.unit
def test_full_clean_refuses_a_metadata_webhook(guarded):
    partner = PartnerFactory.build(webhook_url="https://169.254.169.254/latest/meta-data/")

    with pytest.raises(ValidationError) as raised:
        partner.full_clean(validate_unique=False)

    assert list(raised.value.message_dict) == ["webhook_url"]


@pytest.mark.unit
def test_send_time_refuses_a_host_that_resolves_to_loopback(guarded, receiver):
    # Saved while it pointed elsewhere (or written around the form): refused when sending.
    url = receiver.url.replace("127.0.0.1", "localhost")

    with pytest.raises(DeliveryRejected) as raised:
        send_webhook(url, SECRET, "k", BODY, 2)

    assert str(raised.value) == "webhook refused: the host is an internal address"
    assert receiver.requests == []


@pytest.mark.unit
def test_send_time_connects_to_the_address_it_checked(guarded, receiver, monkeypatch):
    # DNS rebinding: the first answer is public, every later one points at our own machine.
    # The request must go to the checked (public, here unreachable) address, never to us.
    port = int(receiver.url.split(":")[2].split("/")[0])
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["93.184.215.14"])

    def rebinding_getaddrinfo(host, *args, **kwargs):
        if host == "rebind.partner.test":
            address = next(answers, "127.0.0.1")
            return real_getaddrinfo(address, *args, **kwargs)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)

    with pytest.raises(DeliveryFailed):
        send_webhook(f"http://rebind.partner.test:{port}/hooks", SECRET, "k", BODY, 1)

    assert receiver.requests == []


@pytest.mark.unit
def test_send_time_https_only_when_https_is_on(settings):
    settings.HTTPS = True

    with pytest.raises(DeliveryRejected) as raised:
        send_webhook("http://93.184.215.14/hooks", SECRET, "k", BODY, 1)

    assert str(raised.value) == "the webhook URL is not https"


@pytest.mark.unit
def test_last_error_never_carries_the_response_body(receiver):
    receiver.statuses = [404]

    with pytest.raises(DeliveryRejected) as raised:
        send_webhook(receiver.url, SECRET, "k", BODY, 2)

    assert str(raised.value) == "webhook answered HTTP 404: Not Found"
