import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from memberships import services
from memberships.enums import (
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    PartnerChannels,
)
from memberships.exceptions import DeliveryFailed, DeliveryRejected
from memberships.models import Notification, Partner
from memberships.services.notifications import (
    NotificationRetry,
    notification_backoff_seconds,
    notification_create,
    notification_deliver,
    notification_due_ids,
    notification_resend,
    notification_sweep,
    notification_webhook_body,
    notify_employee,
    notify_partner,
)
from portal.celery import app as celery_app
from tests.factories import PartnerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]

DIGEST_PAYLOAD = {
    "partner_name": "Association",
    "member_count": 2,
    "generated_on": "2026-01-05",
    "attachments": [{"filename": "members.csv", "content": "a,b\n1,2\n", "mimetype": "text/csv"}],
}


class FakeWebhook:
    """Stands in for senders.send_webhook (the partner's server); records each call."""

    def __init__(self, *, failures=(), delay=0.0):
        self.calls = []
        self.failures = list(failures)
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self, url, secret, idempotency_key, body_bytes, timeout):
        with self.lock:
            self.calls.append((url, secret, idempotency_key, body_bytes, timeout))
            failure = self.failures.pop(0) if self.failures else None
        time.sleep(self.delay)
        if failure is not None:
            raise failure
        return 200


@pytest.fixture
def fake_webhook(monkeypatch):
    def install(**kwargs):
        fake = FakeWebhook(**kwargs)
        monkeypatch.setattr(services.notifications, "send_webhook", fake)
        return fake

    return install


@pytest.fixture
def webhook_partner(db):
    return PartnerFactory(
        webhook_url="https://partner.example.org/hooks",
        webhook_secret="whsec_dGVzdC1zZWNyZXQ=",
        notification_channels=PartnerChannels.WEBHOOK,
    )


def make_webhook_notification(partner, key="membership:1:claimed:webhook", **fields):
    return Notification.objects.create(
        kind=NotificationKind.PARTNER_MEMBER_CLAIMED,
        recipient="partner",
        channel=NotificationChannel.WEBHOOK,
        partner=partner,
        payload={"membership": "m-1", "email": "alex@example.com"},
        idempotency_key=key,
        **fields,
    )


def test_notification_create_writes_row_and_delivers_after_commit(
    partner, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = notification_create(
            kind=NotificationKind.PARTNER_WEEKLY_DIGEST,
            channel=NotificationChannel.EMAIL,
            payload=DIGEST_PAYLOAD,
            idempotency_key="digest:1:2026-W02",
            partner=partner,
        )

    notification.refresh_from_db()
    assert len(callbacks) == 1
    assert notification.status == NotificationStatus.DELIVERED
    assert notification.attempts == 1
    assert notification.to_email == partner.operations_email
    assert [m.to for m in mailoutbox] == [[partner.operations_email]]
    assert mailoutbox[0].attachments[0][0] == "members.csv"


def test_notification_create_is_idempotent_per_key(partner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = notification_create(
            kind=NotificationKind.PARTNER_WEEKLY_DIGEST,
            channel=NotificationChannel.EMAIL,
            payload=DIGEST_PAYLOAD,
            idempotency_key="digest:1:2026-W02",
            partner=partner,
        )
        second = notification_create(
            kind=NotificationKind.PARTNER_WEEKLY_DIGEST,
            channel=NotificationChannel.EMAIL,
            payload=DIGEST_PAYLOAD,
            idempotency_key="digest:1:2026-W02",
            partner=partner,
        )

    assert second.pk == first.pk
    assert Notification.objects.count() == 1
    assert len(callbacks) == 1


def test_notify_partner_writes_one_row_per_chosen_channel(webhook_partner):
    webhook_partner.notification_channels = PartnerChannels.BOTH
    webhook_partner.save()

    rows = notify_partner(
        partner=webhook_partner,
        kind=NotificationKind.PARTNER_MEMBER_RELEASED,
        payload={"membership": "m-1"},
        key="membership:1:released",
    )

    assert [(n.channel, n.idempotency_key) for n in rows] == [
        ("email", "membership:1:released:email"),
        ("webhook", "membership:1:released:webhook"),
    ]


def test_notify_employee_addresses_the_employee(employee):
    notification = notify_employee(
        user=employee,
        kind=NotificationKind.MEMBERSHIP_RECEIVED,
        payload={"sponsorship": "Association"},
        key="membership:1:received",
    )

    assert (notification.recipient, notification.channel, notification.to_email) == (
        "employee",
        "email",
        "alex@example.com",
    )


def test_notification_deliver_webhook_success_records_delivery(webhook_partner, fake_webhook):
    fake = fake_webhook()
    notification = make_webhook_notification(webhook_partner)

    notification_deliver(notification_id=notification.pk, attempt=0)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.locked_until) == (
        NotificationStatus.DELIVERED,
        1,
        None,
    )
    assert notification.delivered_at is not None
    assert fake.calls == [
        (
            "https://partner.example.org/hooks",
            "whsec_dGVzdC1zZWNyZXQ=",
            "membership:1:claimed:webhook",
            notification_webhook_body(notification),
            settings.NOTIFICATION_SEND_TIMEOUT,
        )
    ]


def test_notification_webhook_body_is_type_timestamp_data(webhook_partner):
    notification = make_webhook_notification(webhook_partner)

    body = notification_webhook_body(notification)

    assert body == (
        b'{"data":{"email":"alex@example.com","membership":"m-1"},'
        b'"timestamp":"' + notification.created_at.isoformat().encode() + b'",'
        b'"type":"partner_member_claimed"}'
    )


def test_notification_deliver_recoverable_failure_is_recorded_then_raised(
    webhook_partner, fake_webhook
):
    fake_webhook(failures=[DeliveryFailed("webhook answered HTTP 500: oops")])
    notification = make_webhook_notification(webhook_partner)
    before = timezone.now()

    with pytest.raises(NotificationRetry) as raised:
        notification_deliver(notification_id=notification.pk, attempt=0)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.locked_until) == (
        NotificationStatus.FAILED,
        1,
        None,
    )
    assert notification.last_error == "attempt 1: webhook answered HTTP 500: oops"
    assert notification.next_attempt_at > before
    assert 0 < raised.value.retry_in <= settings.NOTIFICATION_RETRY_BASE_SECONDS


def test_notification_deliver_last_attempt_marks_dead_without_raising(
    webhook_partner, fake_webhook, settings
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    fake_webhook(failures=[DeliveryFailed("timed out")])
    notification = make_webhook_notification(
        webhook_partner, status=NotificationStatus.FAILED, attempts=2
    )

    notification_deliver(notification_id=notification.pk, attempt=2)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (
        NotificationStatus.DEAD,
        3,
        "attempt 3: timed out",
    )


def test_notification_deliver_permanent_refusal_is_dead_at_once(webhook_partner, fake_webhook):
    fake_webhook(failures=[DeliveryRejected("webhook answered HTTP 410: gone")])
    notification = make_webhook_notification(webhook_partner)

    notification_deliver(notification_id=notification.pk, attempt=0)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (
        NotificationStatus.DEAD,
        1,
        "attempt 1: webhook answered HTTP 410: gone",
    )


def test_notification_deliver_skips_delivered_dead_and_leased_rows(webhook_partner, fake_webhook):
    fake = fake_webhook()
    delivered = make_webhook_notification(webhook_partner, "k1", status="delivered", attempts=1)
    dead = make_webhook_notification(webhook_partner, "k2", status="dead", attempts=8)
    leased = make_webhook_notification(
        webhook_partner, "k3", locked_until=timezone.now() + timedelta(minutes=1)
    )

    results = [
        notification_deliver(notification_id=n.pk, attempt=0) for n in (delivered, dead, leased)
    ]

    assert results == [None, None, None]
    assert fake.calls == []
    assert list(Notification.objects.order_by("pk").values_list("attempts", flat=True)) == [1, 8, 0]


def test_notification_deliver_takes_an_expired_lease(webhook_partner, fake_webhook):
    fake = fake_webhook()
    notification = make_webhook_notification(
        webhook_partner, locked_until=timezone.now() - timedelta(seconds=1)
    )

    notification_deliver(notification_id=notification.pk, attempt=0)

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.DELIVERED
    assert len(fake.calls) == 1


def test_notification_deliver_missing_row_is_ignored(fake_webhook):
    fake = fake_webhook()

    result = notification_deliver(notification_id=987654, attempt=0)

    assert result is None
    assert fake.calls == []


def test_notification_deliver_missing_template_is_dead_with_clear_error(partner, mailoutbox):
    notification = Notification.objects.create(
        kind="no_such_kind",
        recipient="partner",
        channel=NotificationChannel.EMAIL,
        partner=partner,
        to_email="ops@example.org",
        idempotency_key="k",
    )

    notification_deliver(notification_id=notification.pk, attempt=0)

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.DEAD
    assert notification.last_error == (
        "attempt 1: e-mail template missing: emails/no_such_kind-subject.txt"
    )
    assert mailoutbox == []


def test_notification_deliver_email_renders_the_template_triplet(partner, mailoutbox):
    notification = Notification.objects.create(
        kind=NotificationKind.PARTNER_WEEKLY_DIGEST,
        recipient="partner",
        channel=NotificationChannel.EMAIL,
        partner=partner,
        to_email="ops@example.org",
        payload=DIGEST_PAYLOAD,
        idempotency_key="digest:1:2026-W02:email",
    )

    notification_deliver(notification_id=notification.pk, attempt=0)

    [message] = mailoutbox
    assert message.to == ["ops@example.org"]
    assert message.subject == f"{settings.PROGRAMME_NAME}: weekly members list (2 members)"
    assert "Hello Association team," in message.body
    assert message.alternatives[0][1] == "text/html"
    assert message.attachments == [("members.csv", "a,b\n1,2\n", "text/csv")]
    assert message.extra_headers["X-Notification-Id"] == "digest:1:2026-W02:email"


def test_notification_deliver_claims_the_row_with_a_conditional_update(
    webhook_partner, fake_webhook
):
    fake_webhook()
    notification = make_webhook_notification(webhook_partner)

    with CaptureQueriesContext(connection) as queries:
        notification_deliver(notification_id=notification.pk, attempt=0)

    first = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE"))
    assert first.startswith('UPDATE "memberships_notification" SET "locked_until"')
    assert '"locked_until" < ' in first


@pytest.mark.django_db(transaction=True)
def test_notification_deliver_concurrent_workers_send_once(webhook_partner, fake_webhook):
    fake = fake_webhook(delay=0.3)
    notification = make_webhook_notification(webhook_partner)
    barrier = threading.Barrier(4)

    def worker():
        try:
            barrier.wait()
            notification_deliver(notification_id=notification.pk, attempt=0)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    notification.refresh_from_db()
    assert len(fake.calls) == 1
    assert (notification.status, notification.attempts) == (NotificationStatus.DELIVERED, 1)


@pytest.mark.parametrize(("attempts", "ceiling"), [(1, 30), (2, 60), (5, 480), (30, 21600)])
def test_notification_backoff_seconds_grows_with_jitter(attempts, ceiling):
    delays = [notification_backoff_seconds(attempts=attempts) for _ in range(50)]

    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
    assert len(set(delays)) > 1


def test_notification_due_ids_picks_overdue_unleased_rows_only(webhook_partner):
    now = timezone.now()
    grace = timedelta(seconds=settings.NOTIFICATION_SWEEP_GRACE_SECONDS + 1)
    overdue = make_webhook_notification(webhook_partner, "a", next_attempt_at=now - grace)
    failed = make_webhook_notification(
        webhook_partner, "b", status="failed", next_attempt_at=now - grace
    )
    expired = make_webhook_notification(
        webhook_partner, "c", next_attempt_at=now - grace, locked_until=now - timedelta(seconds=1)
    )
    make_webhook_notification(webhook_partner, "fresh", next_attempt_at=now)
    make_webhook_notification(
        webhook_partner, "leased", next_attempt_at=now - grace, locked_until=now + grace
    )
    make_webhook_notification(
        webhook_partner, "delivered", status="delivered", next_attempt_at=now - grace
    )
    make_webhook_notification(webhook_partner, "dead", status="dead", next_attempt_at=now - grace)

    ids = notification_due_ids(limit=100)

    assert sorted(ids) == sorted([overdue.pk, failed.pk, expired.pk])


def test_notification_sweep_delivers_overdue_rows(webhook_partner, fake_webhook, settings):
    settings.NOTIFICATION_SWEEP_GRACE_SECONDS = 0
    fake = fake_webhook()
    past = timezone.now() - timedelta(seconds=5)
    make_webhook_notification(webhook_partner, "a", next_attempt_at=past)
    make_webhook_notification(webhook_partner, "b", next_attempt_at=past)

    queued = notification_sweep()

    assert queued == 2
    assert sorted(call[2] for call in fake.calls) == ["a", "b"]
    assert set(Notification.objects.values_list("status", flat=True)) == {"delivered"}


@pytest.fixture
def not_eager():
    """Queue on the in-memory broker without running the task, as with a real worker."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def test_notification_sweep_pushes_queued_rows_back(webhook_partner, not_eager, settings):
    settings.NOTIFICATION_SWEEP_GRACE_SECONDS = 0
    notification = make_webhook_notification(
        webhook_partner, next_attempt_at=timezone.now() - timedelta(seconds=5)
    )

    first = notification_sweep()
    second = notification_sweep()

    notification.refresh_from_db()
    assert (first, second) == (1, 0)
    assert notification.status == NotificationStatus.PENDING
    assert notification.next_attempt_at > timezone.now() + timedelta(
        seconds=settings.NOTIFICATION_REQUEUE_SECONDS - 5
    )


def test_notification_sweep_with_nothing_due_queues_nothing(webhook_partner, fake_webhook):
    fake = fake_webhook()
    make_webhook_notification(webhook_partner, "fresh")

    queued = notification_sweep()

    assert queued == 0
    assert fake.calls == []


def test_notification_resend_revives_a_dead_row_once(
    webhook_partner, fake_webhook, django_capture_on_commit_callbacks
):
    fake = fake_webhook()
    notification = make_webhook_notification(
        webhook_partner, status="dead", attempts=8, last_error="attempt 8: down"
    )

    with django_capture_on_commit_callbacks(execute=True):
        first = notification_resend(notification=notification)
    second = notification_resend(notification=notification)

    notification.refresh_from_db()
    assert (first, second) == (True, False)
    assert (notification.status, notification.attempts) == (NotificationStatus.DELIVERED, 1)
    assert len(fake.calls) == 1


def test_every_notification_kind_has_its_three_email_templates():
    folder = Path(settings.BASE_DIR) / "templates" / "emails"
    missing = [
        f"{kind}{suffix}"
        for kind in NotificationKind.values
        for suffix in ("-subject.txt", "-body.txt", "-body.html")
        if not (folder / f"{kind}{suffix}").exists()
    ]

    assert missing == []


class WorkerKilled(BaseException):  # noqa: N818 -- the event it stands for
    """What a send that kills its worker (out of memory, hard time limit) looks like from
    inside: nothing after it runs, not even `except Exception`."""


def test_a_send_that_kills_its_worker_every_time_ends_dead_after_max_attempts(
    webhook_partner, fake_webhook, settings
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 4
    settings.NOTIFICATION_SWEEP_GRACE_SECONDS = 0
    fake = fake_webhook(failures=[WorkerKilled()] * 10)
    notification = make_webhook_notification(webhook_partner)

    for _ in range(8):  # sweeps, each after the dead worker's lease ran out
        Notification.objects.filter(locked_until__isnull=False).update(
            locked_until=timezone.now() - timedelta(seconds=1)
        )
        try:
            notification_sweep()
        except WorkerKilled:
            pass

    notification.refresh_from_db()
    assert len(fake.calls) == 4
    assert (notification.status, notification.attempts, notification.last_error) == (
        NotificationStatus.DEAD,
        4,
        "attempt 4: no attempts left; attempt 4 did not finish",
    )


def test_notification_deliver_unexpected_error_is_dead_at_once_without_raising(
    webhook_partner, fake_webhook
):
    fake = fake_webhook(failures=[KeyError("membership")])
    notification = make_webhook_notification(webhook_partner)

    notification_deliver(notification_id=notification.pk, attempt=0)
    notification_deliver(notification_id=notification.pk, attempt=0)

    notification.refresh_from_db()
    assert len(fake.calls) == 1
    assert (notification.status, notification.attempts, notification.last_error) == (
        NotificationStatus.DEAD,
        1,
        "attempt 1: unexpected error (KeyError); see the worker log",
    )


def test_notification_deliver_counts_the_attempt_when_it_takes_the_lease(
    webhook_partner, fake_webhook
):
    fake_webhook()
    notification = make_webhook_notification(webhook_partner, attempts=2, status="failed")

    with CaptureQueriesContext(connection) as queries:
        notification_deliver(notification_id=notification.pk, attempt=0)

    claim = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE"))
    notification.refresh_from_db()
    assert '"attempts" = "attempts" + 1' in claim
    assert (notification.status, notification.attempts) == (NotificationStatus.DELIVERED, 3)


def test_notification_deliver_runs_two_statements(webhook_partner, fake_webhook):
    fake = fake_webhook()
    notification = make_webhook_notification(webhook_partner)

    with CaptureQueriesContext(connection) as queries:
        notification_deliver(notification_id=notification.pk, attempt=0)

    # The claim reads back the row and the partner's URL and secret as they are now; then
    # the outcome. No transaction around them (each commits on its own).
    sqls = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert [sql.split(" ")[0] for sql in sqls] == ["UPDATE", "UPDATE"]
    assert '"webhook_secret" FROM "memberships_partner"' in sqls[0]
    assert "\"status\" = 'delivered'" in sqls[1]
    [(url, secret, *_rest)] = fake.calls
    assert (url, secret) == (webhook_partner.webhook_url, webhook_partner.webhook_secret)


def test_notification_deliver_sends_to_the_partners_address_as_it_is_now(
    webhook_partner, fake_webhook
):
    fake = fake_webhook()
    notification = make_webhook_notification(webhook_partner)
    Partner.objects.filter(pk=webhook_partner.pk).update(
        webhook_url="https://new.partner.example.org/hooks", webhook_secret="whsec_bmV3"
    )

    notification_deliver(notification_id=notification.pk, attempt=0)

    [(url, secret, *_rest)] = fake.calls
    assert (url, secret) == ("https://new.partner.example.org/hooks", "whsec_bmV3")


@pytest.mark.django_db(transaction=True)
def test_a_slow_send_keeps_its_lease_renewed_so_a_second_worker_stays_out(
    webhook_partner, fake_webhook, settings
):
    settings.NOTIFICATION_LEASE_SECONDS = 2
    fake = fake_webhook(delay=4)
    notification = make_webhook_notification(webhook_partner)

    def first_worker():
        try:
            notification_deliver(notification_id=notification.pk, attempt=0)
        finally:
            connection.close()

    sender = threading.Thread(target=first_worker)
    sender.start()
    time.sleep(3)  # past the first lease: only a renewal keeps it
    second = notification_deliver(notification_id=notification.pk, attempt=0)
    sender.join()

    notification.refresh_from_db()
    assert second is None
    assert len(fake.calls) == 1
    assert (notification.status, notification.attempts) == (NotificationStatus.DELIVERED, 1)


def test_notification_due_ids_takes_an_expired_lease_at_once_whatever_the_grace(
    webhook_partner, settings
):
    settings.NOTIFICATION_SWEEP_GRACE_SECONDS = 600
    now = timezone.now()
    expired = make_webhook_notification(
        webhook_partner, "expired", next_attempt_at=now, locked_until=now - timedelta(seconds=1)
    )
    make_webhook_notification(webhook_partner, "fresh", next_attempt_at=now)

    ids = notification_due_ids(limit=100)

    assert ids == [expired.pk]


@pytest.fixture
def refusing_broker():
    """This process publishes to a Redis address where nothing listens."""
    from tests.portal.healthz_support import refused_port
    from tests.system.worker_harness import use_broker

    use_broker(celery_app, f"redis://127.0.0.1:{refused_port()}/0", eager=False)
    yield
    use_broker(celery_app, "memory://", eager=True)


def test_notification_sweep_stops_at_the_first_publish_failure_and_leaves_rows_due(
    webhook_partner, refusing_broker, settings
):
    settings.NOTIFICATION_SWEEP_GRACE_SECONDS = 0
    past = timezone.now() - timedelta(seconds=5)
    for key in ("a", "b", "c"):
        make_webhook_notification(webhook_partner, key, next_attempt_at=past)

    queued = notification_sweep()

    assert queued == 0
    assert all(
        at <= timezone.now()
        for at in Notification.objects.values_list("next_attempt_at", flat=True)
    )
    assert len(notification_due_ids(limit=100)) == 3


def test_queueing_gives_up_within_the_broker_timeout_on_a_broker_that_never_answers(
    webhook_partner, settings, django_capture_on_commit_callbacks
):
    from tests.portal.healthz_support import silent_port
    from tests.system.worker_harness import use_broker

    settings.CELERY_BROKER_CONNECTION_TIMEOUT = 1
    with silent_port() as port:
        use_broker(celery_app, f"redis://127.0.0.1:{port}/0", eager=False)
        try:
            started = time.monotonic()
            with django_capture_on_commit_callbacks(execute=True):
                first = notification_create(
                    kind=NotificationKind.PARTNER_MEMBER_CLAIMED,
                    channel=NotificationChannel.WEBHOOK,
                    payload={"membership": "m-1"},
                    idempotency_key="k1",
                    partner=webhook_partner,
                )
            first_seconds = time.monotonic() - started
            started = time.monotonic()
            with django_capture_on_commit_callbacks(execute=True):
                notification_create(
                    kind=NotificationKind.PARTNER_MEMBER_CLAIMED,
                    channel=NotificationChannel.WEBHOOK,
                    payload={"membership": "m-2"},
                    idempotency_key="k2",
                    partner=webhook_partner,
                )
            second_seconds = time.monotonic() - started
        finally:
            use_broker(celery_app, "memory://", eager=True)

    first.refresh_from_db()
    # Without the deadline the socket timeouts (3 s here) would decide.
    assert 1 <= first_seconds < 2
    assert second_seconds < 1  # paused after the failure: no second wait
    assert list(Notification.objects.values_list("status", flat=True)) == ["pending", "pending"]
