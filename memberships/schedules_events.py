"""Periodic schedules of events, merged into CELERY_BEAT_SCHEDULE in memberships/schedules.py."""

from celery.schedules import crontab

EVENTS_BEAT_SCHEDULE = {
    "send-event-reminders": {
        "task": "memberships.send_event_reminders",
        # https://crontab.guru/#*/15_*_*_*_* -- every 15 minutes
        "schedule": crontab(minute="*/15"),
    },
    "send-event-rosters": {
        "task": "memberships.send_event_rosters",
        # https://crontab.guru/#5,35_*_*_*_* -- at minutes 5 and 35 of every hour
        "schedule": crontab(minute="5,35"),
    },
}
