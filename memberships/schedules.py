"""Every periodic task, in one place. Celery beat reads BEAT_SCHEDULE (see portal/celery.py);
run exactly one beat process per deployment."""

from datetime import timedelta

from celery.schedules import crontab
from django.conf import settings

from .schedules_claims import CLAIMS_BEAT_SCHEDULE
from .schedules_events import EVENTS_BEAT_SCHEDULE

NOTIFICATIONS_BEAT_SCHEDULE = {
    "sweep-notifications": {
        "task": "memberships.sweep_notifications",
        "schedule": crontab(),  # every minute: https://crontab.guru/#*_*_*_*_*
        "options": {"expires": 55},
    },
    "partner-weekly-digests": {
        "task": "memberships.partner_weekly_digest",
        # Mondays at 07:00 (UTC): https://crontab.guru/#0_7_*_*_1
        "schedule": crontab(minute="0", hour="7", day_of_week="1"),
    },
}

BEAT_SCHEDULE = {
    # Retention: expired sessions daily at 03:05 (https://crontab.guru/#5_3_*_*_*), then
    # notification payloads, calendar tokens and audit entries at 03:20
    # (https://crontab.guru/#20_3_*_*_*).
    "purge-sessions": {
        "task": "memberships.purge_sessions",
        "schedule": crontab(minute=5, hour=3),
    },
    "apply-retention": {
        "task": "memberships.apply_retention",
        "schedule": crontab(minute=20, hour=3),
    },
    **NOTIFICATIONS_BEAT_SCHEDULE,
    **CLAIMS_BEAT_SCHEDULE,
    **EVENTS_BEAT_SCHEDULE,
}

# NOTIFICATION_SWEEP_SECONDS other than 60 replaces the every-minute sweep by that interval
# (a shorter one makes a killed worker's notification go out sooner after its lease ends).
if settings.NOTIFICATION_SWEEP_SECONDS != 60:
    BEAT_SCHEDULE["sweep-notifications"] = {
        "task": "memberships.sweep_notifications",
        "schedule": timedelta(seconds=settings.NOTIFICATION_SWEEP_SECONDS),
        "options": {"expires": max(settings.NOTIFICATION_SWEEP_SECONDS - 1, 1)},
    }
