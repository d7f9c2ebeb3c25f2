"""Delivery through a real Redis and a real Celery worker process (not eager mode)."""

import base64
import datetime
import json
import time
from email import message_from_bytes, policy

import pytest
import requests
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test import Client

from memberships.enums import NotificationKind, NotificationStatus, PartnerChannels
from memberships.models import Notification, Sponsorship
from memberships.senders import verify_webhook
from memberships.services.claims import membership_claim
from memberships.services.digests import partner_weekly_digest
from memberships.services.notifications import notify_partner
from memberships.tasks import task_deliver_notification, task_sweep_notifications
from portal.celery import app as celery_app
from tests.factories import PartnerFactory, SponsorshipFactory, UserFactory
from tests.system.worker_harness import (
    Receiver,
    Redis,
    Worker,
    free_port,
    use_broker,
    wait_until,
    worker_env,
)

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

SECRET = "whsec_" + base64.b64encode(b"partner-shared-secret-0123456789").decode()


@pytest.fixture
def redis(tmp_path):
    server = Redis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis):
    """This test process publishes to the private Redis, for real (not eager)."""
    use_broker(celery_app, redis.url, eager=False)
    yield redis
    use_broker(celery_app, "memory://", eager=True)


@pytest.fixture
def make_worker(broker, tmp_path):
    workers = []

    def make(**extra_env) -> Worker:
        env = worker_env(
            database_name=connection.settings_dict["NAME"],
            broker_url=broker.url,
            var_dir=tmp_path / "var",
            **extra_env,
        )
        worker = Worker(env=env, log_path=tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        worker.start()
        return worker

    yield make
    for worker in workers:
        worker.stop()


@pytest.fixture
def receiver():
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def webhook_partner(receiver):
    return PartnerFactory(
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        notification_channels=PartnerChannels.WEBHOOK,
    )


def notify(partner, n: int) -> Notification:
    with transaction.atomic():
        [notification] = notify_partner(
            partner=partner,
            kind=NotificationKind.PARTNER_MEMBER_RELEASED,
            payload={"membership": f"m-{n}", "released_at": "2026-01-05T10:00:00+00:00"},
            key=f"membership:{n}:released",
        )
    return notification


def status_of(notification: Notification) -> str:
    notification.refresh_from_db()
    return notification.status


def test_worker_retries_a_failing_endpoint_with_the_same_webhook_id(
    make_worker, receiver, webhook_partner
):
    receiver.statuses = [500, 500]
    make_worker()

    notification = notify(webhook_partner, 1)

    assert wait_until(lambda: status_of(notification) == "delivered", timeout=30)
    assert notification.attempts == 3
    assert receiver.ids() == [notification.idempotency_key] * 3
    assert all(verify_webhook(SECRET, r.headers, r.body) for r in receiver.requests)
    assert json.loads(receiver.requests[-1].body)["data"]["membership"] == "m-1"
    assert not verify_webhook(
        "whsec_" + base64.b64encode(b"wrong").decode(),
        receiver.requests[-1].headers,
        receiver.requests[-1].body,
    )


def test_claims_during_a_broker_outage_are_delivered_once_when_it_returns(
    broker, make_worker, receiver, webhook_partner
):
    sponsorship = Sponsorship.objects.create(
        partner=webhook_partner,
        name="T&S 2026",
        slug="ts-2026",
        company="Example Corp",
        starts_on=datetime.date(2020, 1, 1),
        ends_on=datetime.date(2099, 12, 31),
        eligible_groups=["trust-safety"],
        shared_fields=["email", "name"],
        consent_text="I agree to share my work e-mail and name.",
        consent_version="v1",
        contact_email="programme@example.com",
    )
    employees = UserFactory.create_batch(20, idp_groups=["trust-safety"])
    make_worker()
    broker.stop()

    started = time.monotonic()
    memberships = [
        membership_claim(user=user, sponsorship=sponsorship, consent_version="v1")
        for user in employees
    ]
    outage_seconds = time.monotonic() - started
    webhooks = Notification.objects.filter(channel="webhook")

    assert len(memberships) == 20
    assert outage_seconds < 20  # each request gives up on the broker within a second
    assert set(webhooks.values_list("status", flat=True)) == {"pending"}
    assert webhooks.count() == 20

    broker.start()
    task_sweep_notifications.delay()

    assert wait_until(
        lambda: webhooks.filter(status="delivered").count() == 20, timeout=45, interval=0.5
    )
    time.sleep(1)  # anything sent twice would arrive now
    ids = receiver.ids()
    assert len(ids) == 20
    assert sorted(set(ids)) == sorted(webhooks.values_list("idempotency_key", flat=True))


def test_a_worker_killed_mid_delivery_is_replaced_and_delivers_once(
    make_worker, receiver, webhook_partner
):
    receiver.delay, receiver.slow_requests = 3.0, 1
    first = make_worker(NOTIFICATION_LEASE_SECONDS="4")
    notification = notify(webhook_partner, 7)
    assert receiver.first_request.wait(timeout=20)

    first.kill()  # SIGKILL to the whole worker while the partner is still answering
    assert status_of(notification) == NotificationStatus.PENDING
    make_worker(NOTIFICATION_LEASE_SECONDS="4")

    def delivered_after_sweep() -> bool:
        if status_of(notification) == "delivered":
            return True
        task_sweep_notifications.delay()  # picks the row up once the dead worker's lease ends
        return False

    assert wait_until(delivered_after_sweep, timeout=40, interval=1)
    # Sent once by the killed worker (no answer recorded) and once by its replacement; each
    # attempt was counted when it took the lease.
    assert receiver.ids() == [notification.idempotency_key] * 2
    assert notification.attempts == 2


def test_a_worker_keeps_its_database_connection_between_deliveries(
    make_worker, receiver, webhook_partner
):
    make_worker()
    database = connection.settings_dict["NAME"]

    notifications = [notify(webhook_partner, n) for n in range(5)]

    assert wait_until(lambda: all(status_of(n) == "delivered" for n in notifications), timeout=30)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        [(open_connections,)] = cursor.fetchall()
    assert open_connections == 1  # the worker's one process, idle between tasks


def test_a_database_connection_cut_between_deliveries_costs_a_retry_not_a_notification(
    make_worker, receiver, webhook_partner
):
    # A busy worker skips Django's per-task health check on a connection it used moments
    # ago; when that connection was cut in between, the next delivery's first query fails
    # and the task must retry on a new connection.
    worker = make_worker()
    first = notify(webhook_partner, 1)
    assert wait_until(lambda: status_of(first) == "delivered", timeout=30)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [connection.settings_dict["NAME"]],
        )
        [(cut,)] = cursor.fetchall()

    second = notify(webhook_partner, 2)

    assert cut >= 1
    assert wait_until(lambda: status_of(second) == "delivered", timeout=30)
    assert receiver.ids() == [first.idempotency_key, second.idempotency_key]
    assert second.attempts == 1  # the claim that failed with the connection counted nothing
    assert "OperationalError" in worker.log_path.read_text()


def test_two_workers_never_send_a_row_whose_first_send_is_still_in_flight(
    make_worker, receiver, webhook_partner
):
    # The partner takes 6 s to answer; the lease is 2 s, so only its renewal while the send
    # is in flight keeps the second worker out.
    receiver.delay, receiver.slow_requests = 6.0, 1
    make_worker(NOTIFICATION_LEASE_SECONDS="2")
    make_worker(NOTIFICATION_LEASE_SECONDS="2")
    notification = notify(webhook_partner, 9)
    assert receiver.first_request.wait(timeout=20)

    for _ in range(10):  # copies of the task, as a sweep or a redelivery would queue them
        task_deliver_notification.delay(notification_id=notification.pk)
        time.sleep(0.5)

    assert wait_until(lambda: status_of(notification) == "delivered", timeout=20)
    time.sleep(1)  # a second send would arrive now
    assert receiver.ids() == [notification.idempotency_key]
    assert notification.attempts == 1


def test_a_partner_failing_more_often_than_celerys_default_retries_is_dead_after_max_attempts(
    make_worker, receiver, webhook_partner
):
    receiver.statuses = [503] * 20
    worker = make_worker(NOTIFICATION_MAX_ATTEMPTS="6", NOTIFICATION_RETRY_MAX_SECONDS="2")

    notification = notify(webhook_partner, 4)

    assert wait_until(lambda: status_of(notification) == "dead", timeout=60, interval=0.2)
    time.sleep(1.5)  # one more attempt would arrive now
    assert (notification.attempts, notification.last_error) == (
        6,
        "attempt 6: webhook answered HTTP 503: Service Unavailable",
    )
    assert receiver.ids() == [notification.idempotency_key] * 6
    log = worker.log_path.read_text()
    assert ("Traceback" in log, "ERROR/" in log) == (False, False)


def signed_in(base_url: str, user) -> tuple[requests.Session, str]:
    """A browser-like session of `user` on the live server, and its CSRF token."""
    client = Client()
    client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    session = requests.Session()
    cookie = django_settings.SESSION_COOKIE_NAME
    session.cookies.set(cookie, client.cookies[cookie].value)
    response = session.get(f"{base_url}/membership/", timeout=10)
    assert response.status_code == 200
    return session, session.cookies["csrftoken"]


def test_claims_while_the_broker_is_frozen_answer_fast_and_the_sweep_delivers_them(
    broker, make_worker, receiver, webhook_partner, live_server, settings
):
    # The web's cache is on the same Redis, as with REDIS_URL in production.
    settings.CACHES = {
        **settings.CACHES,  # the rate limits keep their own cache
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": broker.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    settings.CELERY_BROKER_CONNECTION_TIMEOUT = 1
    sponsorship = SponsorshipFactory(partner=webhook_partner, seats=None)
    browsers = [signed_in(live_server.url, user) for user in UserFactory.create_batch(12)]
    make_worker()

    broker.freeze()  # accepts connections, never answers
    answers = []
    for session, token in browsers:
        started = time.monotonic()
        response = session.post(
            f"{live_server.url}/membership/claim/",
            data={
                "csrfmiddlewaretoken": token,
                "sponsorship": sponsorship.slug,
                "consent_version": sponsorship.consent_version,
                "consent": "on",
            },
            allow_redirects=False,
            timeout=30,
        )
        answers.append((response.status_code, time.monotonic() - started))
    during = sorted(set(Notification.objects.values_list("status", flat=True)))
    broker.thaw()

    def delivered_after_sweep() -> bool:
        if not Notification.objects.exclude(status="delivered").exists():
            return True
        task_sweep_notifications.delay()
        return False

    assert [status for status, _ in answers] == [302] * 12
    assert max(seconds for _, seconds in answers) < 3
    assert during == ["pending"]
    assert wait_until(delivered_after_sweep, timeout=60, interval=2)
    time.sleep(1)  # anything sent twice would arrive now
    webhooks = Notification.objects.filter(channel="webhook")
    assert webhooks.count() == 12
    assert sorted(receiver.ids()) == sorted(webhooks.values_list("idempotency_key", flat=True))


class Inbox:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 -- aiosmtpd's name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_an_email_reaches_a_real_smtp_server(make_worker, smtp_server):
    controller, inbox = smtp_server
    make_worker(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(controller.port),
    )
    partner = PartnerFactory(name="Safety Guild", operations_email="ops@guild.example.org")

    notification = partner_weekly_digest(partner_id=partner.pk, today=datetime.date(2026, 1, 5))

    assert wait_until(lambda: status_of(notification) == "delivered", timeout=30)
    [envelope] = inbox.envelopes
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert envelope.rcpt_tos == ["ops@guild.example.org"]
    assert message["Subject"] == (
        "Trust & Safety Membership Programme: weekly members list (0 members)"
    )
    assert "Hello Safety Guild team," in message.get_body(("plain",)).get_content()
    assert [part.get_filename() for part in message.iter_attachments()] == [
        "safety-guild-members-2026-W02.csv"
    ]
