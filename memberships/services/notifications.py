"""The notification outbox: every message to a partner or an employee is written here, in
the transaction of the change it reports, and delivered by a worker after commit.

Delivery takes a short lease on the row (a compare-and-set update that also counts the
attempt), renews it while the send is in flight, and records the outcome. Counting the
attempt before sending bounds every row: even a send that kills its worker each time
ends `dead` after NOTIFICATION_MAX_ATTEMPTS."""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import os
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import Q
from django.template import TemplateDoesNotExist
from django.utils import timezone

from ..emails import make_message
from ..enums import (
    NotificationChannel,
    NotificationKind,
    NotificationRecipient,
    NotificationStatus,
    PartnerChannels,
)
from ..exceptions import DeliveryFailed, DeliveryRejected, NotificationRetry
from ..models import Notification, Partner
from ..senders import send_email, send_webhook

logger = logging.getLogger(__name__)

LAST_ERROR_MAX_CHARS = 2000
SENDABLE_STATUSES = (NotificationStatus.PENDING, NotificationStatus.FAILED)
# After a publish that failed or timed out, this process leaves queueing to the sweep for
# this long: during an outage a request pays the broker timeout once, not once per row.
PUBLISH_PAUSE_SECONDS = 10
# Database errors that a later try can get past (connection lost, server restarting).
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)


class _Publisher:
    """Queues delivery tasks with a deadline. A broker that refuses connections fails fast,
    but one that accepts and never answers (a stalled host, SIGSTOP) would hold the caller
    until the socket timeout, once per retry: the publish runs on a small thread pool and
    the caller waits at most CELERY_BROKER_CONNECTION_TIMEOUT."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0
        self._paused_until: dict[str, float] = {}  # per broker URL
        self._lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():  # new after a fork
                self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="publish")
                self._pid = os.getpid()
            return self._pool

    def publish(self, notification_id: int) -> bool:
        """True once the broker holds the task; False if it did not take it in time (the
        row stays due and the sweep queues it later)."""
        from ..tasks import task_deliver_notification  # noqa: PLC0415 -- circular import

        broker_url = task_deliver_notification.app.conf.broker_url
        if time.monotonic() < self._paused_until.get(broker_url, 0.0):
            return False
        # The publishing thread runs in the caller's context, so the request id (and user id)
        # still reach the task's headers.
        future = self._executor().submit(
            contextvars.copy_context().run,
            task_deliver_notification.apply_async,
            kwargs={"notification_id": notification_id},
        )
        try:
            future.result(timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 -- any failure: the sweep queues it later
            future.cancel()
            self._paused_until[broker_url] = time.monotonic() + PUBLISH_PAUSE_SECONDS
            # The broker URL may hold a password: log the kind of failure only.
            logger.warning(
                "could not queue notification %s (%s); the sweep will",
                notification_id,
                type(exc).__name__,
            )
            return False
        return True


_publisher = _Publisher()


def _enqueue(notification_id: int) -> bool:
    """Queue the delivery of a committed row; False leaves it due for the sweep."""
    from ..tasks import task_deliver_notification  # noqa: PLC0415 -- circular import

    if task_deliver_notification.app.conf.task_always_eager:
        # The task runs right here (tests): its errors are bugs, not an outage.
        task_deliver_notification.delay(notification_id=notification_id)
        return True
    return _publisher.publish(notification_id)


class _LeaseKeeper:
    """Renews the leases this process holds while their sends are in flight, from one
    thread per process. The lease can then be short (a killed worker's rows are free again
    within NOTIFICATION_LEASE_SECONDS) without ever expiring under a slow but live send.
    A renewal is a compare-and-set on the exact `locked_until` this process wrote, so it
    never extends a lease that another worker has taken since."""

    def __init__(self) -> None:
        self._held: dict[int, datetime] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    @contextmanager
    def hold(self, notification_id: int, locked_until: datetime) -> Iterator[None]:
        with self._lock:
            self._held[notification_id] = locked_until
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="lease", daemon=True)
                self._pid = os.getpid()
                self._thread.start()
        self._wake.set()
        try:
            yield
        finally:
            with self._lock:
                self._held.pop(notification_id, None)

    def _run(self) -> None:
        while True:
            self._wake.wait(timeout=self._seconds_to_next_renewal())
            self._wake.clear()
            try:
                self._renew_due()
            except DatabaseError:
                logger.warning("could not renew notification leases; trying again")
                time.sleep(1)  # not a tight loop against a database that is down
            finally:
                close_old_connections()

    def _seconds_to_next_renewal(self) -> float | None:
        lease = settings.NOTIFICATION_LEASE_SECONDS
        with self._lock:
            if not self._held:
                return None
            earliest = min(self._held.values())
        # A lease is renewed once a third of it has gone by.
        due_at = earliest - timedelta(seconds=lease * 2 / 3)
        return max((due_at - timezone.now()).total_seconds(), 0.05)

    def _renew_due(self) -> None:
        lease = timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
        now = timezone.now()
        with self._lock:
            due = {pk: until for pk, until in self._held.items() if until - now < lease * 2 / 3}
        for pk, until in due.items():
            renewed = now + lease
            is_renewed = Notification.objects.filter(pk=pk, locked_until=until).update(
                locked_until=renewed
            )
            if is_renewed:
                with self._lock:
                    if pk in self._held:
                        self._held[pk] = renewed
            else:  # lost (expired and taken, or recorded meanwhile): stop renewing it
                with self._lock:
                    self._held.pop(pk, None)


_lease_keeper = _LeaseKeeper()


def notification_backoff_seconds(*, attempts: int) -> float:
    """Exponential backoff with full jitter after `attempts` failed attempts (1, 2, ...):
    a random delay between half and all of base * 2**(attempts-1), capped."""
    ceiling = min(
        settings.NOTIFICATION_RETRY_MAX_SECONDS,
        settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return ceiling / 2 + random.random() * ceiling / 2  # noqa: S311 -- jitter, not crypto


def _truncate(text: str) -> str:
    return text if len(text) <= LAST_ERROR_MAX_CHARS else text[: LAST_ERROR_MAX_CHARS - 1] + "…"


def notification_webhook_body(notification: Notification) -> bytes:
    """The JSON body of a webhook: `{"type", "timestamp", "data"}` (Standard Webhooks)."""
    body = {
        "type": notification.kind,
        "timestamp": notification.created_at.isoformat(),
        "data": notification.payload,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def _send(notification: Notification) -> None:
    timeout = settings.NOTIFICATION_SEND_TIMEOUT
    if notification.channel == NotificationChannel.WEBHOOK:
        partner = notification.partner
        if partner is None:
            raise DeliveryRejected("a webhook needs a partner")
        send_webhook(
            partner.webhook_url,
            partner.webhook_secret,
            notification.idempotency_key,
            notification_webhook_body(notification),
            timeout,
        )
        return
    if not notification.to_email:
        raise DeliveryRejected("no e-mail address to send to")
    try:
        message = make_message(notification)
    except TemplateDoesNotExist as exc:
        raise DeliveryRejected(f"e-mail template missing: {exc}") from exc
    send_email(message, timeout)


@functools.cache  # one process, one database: the same text every time
def _sql(statement: str) -> str:
    """`statement` with {table}, {field_name} and {partner_columns} filled in from the
    models, quoted."""
    quote = connection.ops.quote_name
    names = {field.name: quote(field.column) for field in Notification._meta.concrete_fields}
    partner_table = quote(Partner._meta.db_table)
    partner_columns = ", ".join(
        f"(SELECT {quote(Partner._meta.get_field(name).column)} FROM {partner_table}"  # noqa: S608 -- model names
        f" WHERE {partner_table}.{quote(Partner._meta.pk.column)} = {names['partner']})"
        f" AS {quote(PARTNER_PREFIX + name)}"
        for name in PARTNER_FIELDS
    )
    filled = statement.format(
        table=quote(Notification._meta.db_table), partner_columns=partner_columns, **names
    )
    return " ".join(filled.split())  # one line in logs and query captures


def _db_datetime(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


# The two statements every delivery runs, written out: the ORM spends longer building them
# than the database spends running them (about 1 ms each against 0.3 ms), and they run once
# per notification. UPDATE ... RETURNING needs PostgreSQL or SQLite 3.35+.
# The claim reads back the row and what sending needs of its partner (webhook URL and
# secret as they are now, the language of its e-mails), in the same statement.
PARTNER_FIELDS = ("webhook_url", "webhook_secret", "language")
PARTNER_PREFIX = "partner__"
CLAIM_SQL = """
    UPDATE {table} SET {locked_until} = %s, {attempts} = {attempts} + 1
    WHERE {id} = %s AND {status} IN (%s, %s) AND ({locked_until} IS NULL OR {locked_until} < %s)
    RETURNING *, {partner_columns}
"""
DELIVERED_SQL = """
    UPDATE {table} SET {status} = %s, {delivered_at} = %s, {locked_until} = NULL, {last_error} = ''
    WHERE {id} = %s
"""


def _claim(notification_id: int) -> tuple[Notification, datetime] | None:
    """Take the lease on a sendable row, count the attempt and read the row, in one
    compare-and-set statement (committed at once); None if someone else holds it, or the
    row is gone, delivered or dead."""
    now = timezone.now()
    locked_until = now + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
    params = [_db_datetime(locked_until), notification_id, *SENDABLE_STATUSES, _db_datetime(now)]
    claimed = list(Notification.objects.raw(_sql(CLAIM_SQL), params))
    if not claimed:
        return None
    [notification] = claimed
    partner_values = [vars(notification).pop(PARTNER_PREFIX + name) for name in PARTNER_FIELDS]
    if notification.partner_id is not None:
        # Only these fields are loaded; any other is read from the database if asked for.
        notification.partner = Partner.from_db(
            notification._state.db,
            ["id", *PARTNER_FIELDS],
            [notification.partner_id, *partner_values],
        )
    return notification, locked_until


def notification_deliver(*, notification_id: int, attempt: int = 0) -> Notification | None:
    """Send one outbox row once. Safe to run twice or concurrently: a lease on the row
    (compare-and-set, committed before sending, renewed while the send is in flight) keeps
    a second worker out, and a delivered or dead row is skipped. A recoverable failure is
    recorded and committed, then `NotificationRetry` is raised; after
    NOTIFICATION_MAX_ATTEMPTS, a refusal or an unexpected error, the row is `dead`."""
    claim = _claim(notification_id)
    if claim is None:
        logger.info(
            "notification %s: not sendable now (delivered, dead, leased or gone)", notification_id
        )
        return None
    notification, locked_until = claim
    attempts = notification.attempts
    if attempts > settings.NOTIFICATION_MAX_ATTEMPTS:
        # The previous attempt never recorded an outcome (its worker was killed or crashed).
        error = f"no attempts left; attempt {attempts - 1} did not finish"
        return _record_failure(notification, attempts=attempts - 1, error=error, is_final=True)
    try:
        with _lease_keeper.hold(notification.pk, locked_until):
            _send(notification)
    except DeliveryRejected as exc:
        return _record_failure(notification, attempts=attempts, error=str(exc), is_final=True)
    except DeliveryFailed as exc:
        is_final = attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
        _record_failure(notification, attempts=attempts, error=str(exc), is_final=is_final)
        if is_final:
            return notification
        retry_in = (notification.next_attempt_at - timezone.now()).total_seconds()
        raise NotificationRetry(str(exc), retry_in=max(retry_in, 0)) from exc
    except TRANSIENT_DATABASE_ERRORS:
        raise  # the task tries again; the attempt is counted and the lease runs out
    except Exception as exc:
        # A bug or an error nobody planned for: a retry would fail the same way, so the row
        # is dead at once (resend it from the admin once fixed) instead of looping.
        logger.exception("notification %s: unexpected error while sending", notification.pk)
        error = f"unexpected error ({type(exc).__name__}); see the worker log"
        return _record_failure(notification, attempts=attempts, error=error, is_final=True)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _sql(DELIVERED_SQL), [NotificationStatus.DELIVERED, _db_datetime(now), notification.pk]
        )
    notification.status, notification.delivered_at = NotificationStatus.DELIVERED, now
    notification.locked_until, notification.last_error = None, ""
    logger.info(
        "notification %s delivered (attempt %s, task retry %s)", notification.pk, attempts, attempt
    )
    return notification


def _record_failure(
    notification: Notification, *, attempts: int, error: str, is_final: bool
) -> Notification:
    now = timezone.now()
    notification.attempts = attempts
    notification.last_error = _truncate(f"attempt {attempts}: {error}")
    notification.locked_until = None
    if is_final:
        notification.status = NotificationStatus.DEAD
    else:
        notification.status = NotificationStatus.FAILED
        notification.next_attempt_at = now + timedelta(
            seconds=notification_backoff_seconds(attempts=attempts)
        )
    # One statement, committed at once: the record survives the retry raised afterwards.
    Notification.objects.filter(pk=notification.pk).update(
        status=notification.status,
        attempts=attempts,
        last_error=notification.last_error,
        locked_until=None,
        next_attempt_at=notification.next_attempt_at,
    )
    logger.warning(
        "notification %s %s after attempt %s: %s",
        notification.pk,
        notification.status,
        attempts,
        notification.last_error,
    )
    return notification


def notification_due_ids(*, limit: int) -> list[int]:
    """Rows the sweep should queue again: pending or failed, not leased, and overdue by
    more than NOTIFICATION_SWEEP_GRACE_SECONDS (a fresh row's own on-commit queueing, or a
    failed row's own retry, is given that long to happen first); and at once, rows whose
    lease has run out (their worker died mid-send: nobody else will queue them)."""
    now = timezone.now()
    overdue = now - timedelta(seconds=settings.NOTIFICATION_SWEEP_GRACE_SECONDS)
    return list(
        Notification.objects.filter(status__in=SENDABLE_STATUSES)
        .filter(
            Q(locked_until__isnull=True, next_attempt_at__lte=overdue) | Q(locked_until__lt=now)
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def notification_sweep() -> int:
    """Queue every overdue row again (broker outage, lost message, worker killed mid-send).
    Safe to run concurrently with workers: the lease in `notification_deliver` prevents
    double sends. Each queued row is pushed back by NOTIFICATION_REQUEUE_SECONDS so that a
    long queue is not flooded with copies; if the broker fails, the sweep stops and leaves
    the rest due for the next one. Returns how many were queued."""
    ids = notification_due_ids(limit=settings.NOTIFICATION_SWEEP_BATCH)
    if not ids:
        return 0
    pushed_back = timezone.now() + timedelta(seconds=settings.NOTIFICATION_REQUEUE_SECONDS)
    Notification.objects.filter(pk__in=ids, status__in=SENDABLE_STATUSES).update(
        next_attempt_at=pushed_back
    )
    queued = 0
    for notification_id in ids:
        if not _enqueue(notification_id):
            Notification.objects.filter(pk__in=ids[queued:], next_attempt_at=pushed_back).update(
                next_attempt_at=timezone.now()
            )
            break
        queued += 1
    logger.info("sweep queued %s notifications", queued)
    return queued


@transaction.atomic(durable=True)
def notification_resend(*, notification: Notification) -> bool:
    """Give a dead row a fresh set of attempts and queue it after commit. Idempotent: a
    row that is not dead is left alone (returns False)."""
    # A row whose payload was redacted by retention has nothing left to send.
    updated = (
        Notification.objects.filter(pk=notification.pk, status=NotificationStatus.DEAD)
        .exclude(payload__has_key="redacted_at")
        .update(
            status=NotificationStatus.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            locked_until=None,
        )
    )
    if updated != 1:
        return False
    notification_id = notification.pk
    transaction.on_commit(lambda: _enqueue(notification_id))
    return True


def notification_create(
    *,
    kind: NotificationKind | str,
    channel: NotificationChannel | str,
    payload: dict,
    idempotency_key: str,
    partner: Partner | None = None,
    user=None,
    to_email: str = "",
    recipient: NotificationRecipient | str | None = None,
) -> Notification:
    """Write one outbox row and queue its delivery once the surrounding transaction commits.

    Idempotent: a second call with the same key returns the existing row and queues nothing.
    `payload` must be JSON-serialisable (no lazy strings, no model instances)."""
    if recipient is None:
        recipient = (
            NotificationRecipient.PARTNER if partner is not None else NotificationRecipient.EMPLOYEE
        )
    if not to_email and channel == NotificationChannel.EMAIL:
        to_email = partner.operations_email if partner is not None else user.email
    # get_or_create inserts in a savepoint of its own: a concurrent twin's row is found, and
    # the caller's transaction survives the unique violation.
    notification, created = Notification.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "kind": kind,
            "recipient": recipient,
            "channel": channel,
            "partner": partner,
            "user": user,
            "to_email": to_email,
            "payload": payload,
        },
    )
    if created:
        transaction.on_commit(lambda: _enqueue(notification.pk))
    return notification


def notify_partner(
    *, partner: Partner, kind: NotificationKind | str, payload: dict, key: str
) -> list[Notification]:
    """One row per channel the partner chose (e-mail, webhook or both). Idempotent per key."""
    channels = {
        PartnerChannels.EMAIL: [NotificationChannel.EMAIL],
        PartnerChannels.WEBHOOK: [NotificationChannel.WEBHOOK],
        PartnerChannels.BOTH: [NotificationChannel.EMAIL, NotificationChannel.WEBHOOK],
    }[partner.notification_channels]
    return [
        notification_create(
            kind=kind,
            channel=channel,
            payload=payload,
            idempotency_key=f"{key}:{channel}",
            partner=partner,
        )
        for channel in channels
    ]


def notify_employee(*, user, kind: NotificationKind | str, payload: dict, key: str) -> Notification:
    """An e-mail to one employee. Idempotent per key."""
    return notification_create(
        kind=kind,
        channel=NotificationChannel.EMAIL,
        payload=payload,
        idempotency_key=key,
        user=user,
    )


def notify_programme(*, kind: NotificationKind | str, payload: dict, key: str) -> Notification:
    """An e-mail to the programme team (SUPPORT_EMAIL). Idempotent per key."""
    return notification_create(
        kind=kind,
        channel=NotificationChannel.EMAIL,
        payload=payload,
        idempotency_key=key,
        to_email=settings.SUPPORT_EMAIL,
        recipient=NotificationRecipient.PROGRAMME,
    )
