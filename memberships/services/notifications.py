"""The notification outbox: every message to a partner or an employee is written here, in
the transaction of the change it reports, and delivered by a worker after commit."""

from __future__ import annotations

import logging

from django.db import transaction

from ..enums import (
    NotificationChannel,
    NotificationKind,
    NotificationRecipient,
    PartnerChannels,
)
from ..models import Notification, Partner

logger = logging.getLogger(__name__)


def _enqueue(notification_id: int) -> None:
    from ..tasks import task_deliver_notification  # noqa: PLC0415 -- circular import

    try:
        task_deliver_notification.delay(notification_id=notification_id)
    except Exception:  # noqa: BLE001 -- broker down: the periodic sweep delivers it later
        logger.warning("could not queue notification %s; the sweep will retry", notification_id)


def notification_create(
    *,
    kind: NotificationKind | str,
    channel: NotificationChannel | str,
    payload: dict,
    idempotency_key: str,
    partner: Partner | None = None,
    user=None,
    to_email: str = "",
) -> Notification:
    """Write one outbox row and queue its delivery once the surrounding transaction commits.

    Idempotent: a second call with the same key returns the existing row and queues nothing.
    `payload` must be JSON-serialisable (no lazy strings, no model instances)."""
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
