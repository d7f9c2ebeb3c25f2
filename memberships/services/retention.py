"""Data retention, applied daily by beat (memberships.apply_retention). Every step is
idempotent: running it twice, or on two machines at once, removes nothing more.

- Notifications older than NOTIFICATION_RETENTION_DAYS that are settled (delivered or dead)
  lose their payload, error text and address; the row, its kind, status, timestamps and
  idempotency key stay, so a repeated business event still finds its key and sends nothing.
- Calendar feed tokens of deactivated people, and tokens older than
  CALENDAR_TOKEN_RETENTION_DAYS of people with no live registration to an event that has
  not ended, are deleted (a new one is made when the person opens their settings).
- Audit entries older than AUDIT_RETENTION_DAYS are deleted.
Expired sessions are purged by memberships.purge_sessions."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..enums import LIVE_REGISTRATION_STATUSES, NotificationStatus
from ..models import AuditEntry, CalendarFeed, Notification, Registration

logger = logging.getLogger(__name__)

REDACTED_KEY = "redacted_at"
SETTLED_STATUSES = (NotificationStatus.DELIVERED, NotificationStatus.DEAD)


@dataclass(frozen=True)
class RetentionResult:
    notifications_redacted: int
    calendar_feeds_deleted: int
    audit_entries_deleted: int


def notifications_redact_expired(*, now: datetime.datetime | None = None) -> int:
    """Redact settled notifications older than the retention period. Idempotent: a redacted
    row carries `redacted_at` in its payload and is not touched again."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.NOTIFICATION_RETENTION_DAYS)
    return (
        Notification.objects.filter(created_at__lt=cutoff, status__in=SETTLED_STATUSES)
        .exclude(payload__has_key=REDACTED_KEY)
        .update(payload={REDACTED_KEY: now.isoformat()}, last_error="", to_email="")
    )


def calendar_feeds_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the calendar tokens nobody should still hold. Idempotent."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.CALENDAR_TOKEN_RETENTION_DAYS)
    in_use = Registration.objects.filter(
        status__in=LIVE_REGISTRATION_STATUSES, event__ends_at__gte=now
    ).values("user_id")
    stale = Q(user__is_active=False) | (
        Q(created_at__lt=cutoff)
        & (Q(reset_at__isnull=True) | Q(reset_at__lt=cutoff))
        & ~Q(user_id__in=in_use)
    )
    deleted, _by_model = CalendarFeed.objects.filter(stale).delete()
    return deleted


def audit_entries_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete audit entries older than AUDIT_RETENTION_DAYS. Idempotent."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _by_model = AuditEntry.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def retention_apply(*, now: datetime.datetime | None = None) -> RetentionResult:
    """All retention steps in one transaction (all or nothing). Idempotent."""
    now = now or timezone.now()
    result = RetentionResult(
        notifications_redacted=notifications_redact_expired(now=now),
        calendar_feeds_deleted=calendar_feeds_purge(now=now),
        audit_entries_deleted=audit_entries_purge(now=now),
    )
    logger.info(
        "retention: %s notifications redacted, %s calendar tokens and %s audit entries deleted",
        result.notifications_redacted,
        result.calendar_feeds_deleted,
        result.audit_entries_deleted,
    )
    return result


def sessions_purge() -> None:
    """Delete expired sessions from the session store (what `clearsessions` does)."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    logger.info("expired sessions purged")
