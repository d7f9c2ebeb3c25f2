"""The notification outbox: every message to a partner or an employee is written here, in
the transaction of the change it reports, and delivered by a worker after commit."""

from __future__ import annotations

import json
import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
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


def _enqueue(notification_id: int) -> None:
    from ..tasks import task_deliver_notification  # noqa: PLC0415 -- circular import

    try:
        task_deliver_notification.delay(notification_id=notification_id)
    except Exception:
        if task_deliver_notification.app.conf.task_always_eager:
            raise  # the task ran right here (tests): its errors are bugs, not an outage
        # Broker down or unreachable: the row is committed and the sweep queues it later.
        logger.warning("could not queue notification %s; the sweep will retry", notification_id)


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


def _claim(notification_id: int) -> Notification | None:
    """Take the lease on a sendable row (compare-and-set); None if someone else holds it,
    or the row is gone, delivered or dead."""
    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, status__in=SENDABLE_STATUSES)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS))
    )
    if claimed != 1:
        return None
    return Notification.objects.select_related("partner", "user").get(pk=notification_id)


def notification_deliver(*, notification_id: int, attempt: int = 0) -> Notification | None:
    """Send one outbox row once. Safe to run twice or concurrently: a lease on the row
    (compare-and-set, committed before sending) keeps a second worker out, and a delivered
    or dead row is skipped. A recoverable failure is recorded and committed, then
    `NotificationRetry` is raised; after NOTIFICATION_MAX_ATTEMPTS the row is `dead`."""
    notification = _claim(notification_id)
    if notification is None:
        logger.info(
            "notification %s: not sendable now (delivered, dead, leased or gone)", notification_id
        )
        return None
    attempts = notification.attempts + 1
    try:
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
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.DELIVERED,
        attempts=attempts,
        delivered_at=now,
        locked_until=None,
        last_error="",
    )
    notification.status, notification.attempts, notification.delivered_at = (
        NotificationStatus.DELIVERED,
        attempts,
        now,
    )
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
    # Autocommit: the record survives the retry exception raised afterwards.
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
    failed row's own retry, is given that long to happen first)."""
    now = timezone.now()
    overdue = now - timedelta(seconds=settings.NOTIFICATION_SWEEP_GRACE_SECONDS)
    return list(
        Notification.objects.filter(status__in=SENDABLE_STATUSES, next_attempt_at__lte=overdue)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def notification_sweep() -> int:
    """Queue every overdue row again (broker outage, lost message, worker killed mid-send).
    Safe to run concurrently with workers: the lease in `notification_deliver` prevents
    double sends. Each queued row is pushed back by NOTIFICATION_REQUEUE_SECONDS so that a
    long queue is not flooded with copies. Returns how many were queued."""
    from ..tasks import task_deliver_notification  # noqa: PLC0415 -- circular import

    ids = notification_due_ids(limit=settings.NOTIFICATION_SWEEP_BATCH)
    if not ids:
        return 0
    pushed_back = timezone.now() + timedelta(seconds=settings.NOTIFICATION_REQUEUE_SECONDS)
    Notification.objects.filter(pk__in=ids, status__in=SENDABLE_STATUSES).update(
        next_attempt_at=pushed_back
    )
    queued = 0
    for notification_id in ids:
        try:
            task_deliver_notification.delay(notification_id=notification_id)
        except Exception:  # noqa: BLE001 -- broker down again: the next sweep tries again
            logger.warning("sweep could not queue notification %s", notification_id)
            Notification.objects.filter(pk=notification_id).update(next_attempt_at=timezone.now())
            continue
        queued += 1
    logger.info("sweep queued %s notifications", queued)
    return queued


@transaction.atomic(durable=True)
def notification_resend(*, notification: Notification) -> bool:
    """Give a dead row a fresh set of attempts and queue it after commit. Idempotent: a
    row that is not dead is left alone (returns False)."""
    updated = Notification.objects.filter(
        pk=notification.pk, status=NotificationStatus.DEAD
    ).update(
        status=NotificationStatus.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        locked_until=None,
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
    with transaction.atomic():
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
