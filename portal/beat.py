"""Celery beat's scheduler, with a heartbeat: every tick writes the time to the database, so
the status page and the metrics can tell when beat has gone silent (then no sweep, reminder,
expiry or digest runs). Configured by CELERY_BEAT_SCHEDULER."""

from __future__ import annotations

import logging
import time

from celery.beat import PersistentScheduler
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY_SECONDS = 15


def heartbeat_record(*, name: str) -> None:
    """Upsert the heartbeat row of `name` to now. Idempotent."""
    from .models import Heartbeat  # noqa: PLC0415 -- apps must be loaded

    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})


class HeartbeatScheduler(PersistentScheduler):
    """The default persistent scheduler that also records a heartbeat at most every
    HEARTBEAT_EVERY_SECONDS (and its loop wakes at least that often)."""

    _last_heartbeat = 0.0

    def tick(self, *args, **kwargs):
        now = time.monotonic()
        if now - self._last_heartbeat >= HEARTBEAT_EVERY_SECONDS:
            self._beat()
            self._last_heartbeat = now
        return min(super().tick(*args, **kwargs), HEARTBEAT_EVERY_SECONDS)

    def _beat(self) -> None:
        from .models import Heartbeat  # noqa: PLC0415 -- apps must be loaded

        try:
            close_old_connections()
            heartbeat_record(name=Heartbeat.BEAT)
        except Exception:  # noqa: BLE001 -- a database outage must not stop the schedule
            logger.warning("beat could not record its heartbeat", exc_info=True)
