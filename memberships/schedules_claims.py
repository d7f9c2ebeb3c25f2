"""Periodic schedule of the membership claims area (merged into CELERY_BEAT_SCHEDULE)."""

from celery.schedules import crontab

CLAIMS_BEAT_SCHEDULE = {
    # "15 2 * * *": every day at 02:15 (https://crontab.guru/#15_2_*_*_*)
    "expire-memberships": {
        "task": "memberships.expire_memberships",
        "schedule": crontab(minute=15, hour=2),
    },
}
