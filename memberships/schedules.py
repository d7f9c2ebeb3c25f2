"""Every periodic task, in one place. Celery beat reads the schedule through settings
(`CELERY_BEAT_SCHEDULE = beat_schedule(...)`); run exactly one beat process per deployment.
Times are UTC. No Django import here: settings import this module."""

from datetime import timedelta

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Notifications
    "sweep-notifications": {
        "task": "memberships.sweep_notifications",
        "schedule": crontab(),  # every minute: https://crontab.guru/#*_*_*_*_*
        "options": {"expires": 55},
    },
    "partner-weekly-digests": {
        "task": "memberships.partner_weekly_digest",
        # Mondays at 07:00: https://crontab.guru/#0_7_*_*_1
        "schedule": crontab(minute="0", hour="7", day_of_week="1"),
    },
    # Claims
    "expire-memberships": {
        "task": "memberships.expire_memberships",
        # every day at 02:15: https://crontab.guru/#15_2_*_*_*
        "schedule": crontab(minute=15, hour=2),
    },
    "send-renewal-notices": {
        "task": "memberships.send_renewal_notices",
        # every day at 06:00: https://crontab.guru/#0_6_*_*_*
        "schedule": crontab(minute=0, hour=6),
    },
    "remind-idle-claims": {
        "task": "memberships.remind_idle_claims",
        # every day at 08:30: https://crontab.guru/#30_8_*_*_*
        "schedule": crontab(minute=30, hour=8),
    },
    # Events
    "send-event-reminders": {
        "task": "memberships.send_event_reminders",
        # every 15 minutes: https://crontab.guru/#*/15_*_*_*_*
        "schedule": crontab(minute="*/15"),
    },
    "send-event-rosters": {
        "task": "memberships.send_event_rosters",
        # at minutes 5 and 35 of every hour: https://crontab.guru/#5,35_*_*_*_*
        "schedule": crontab(minute="5,35"),
    },
    # Identity: memberships of people who stopped being eligible, once their grace period ran
    # out (ELIGIBILITY_GRACE_DAYS); daily at 02:45: https://crontab.guru/#45_2_*_*_*
    "end-eligibility-graces": {
        "task": "portal.end_eligibility_graces",
        "schedule": crontab(minute="45", hour="2"),
    },
    # Retention
    "purge-sessions": {
        "task": "memberships.purge_sessions",
        # expired sessions, daily at 03:05: https://crontab.guru/#5_3_*_*_*
        "schedule": crontab(minute=5, hour=3),
    },
    "apply-retention": {
        "task": "memberships.apply_retention",
        # payloads, calendar tokens and audit entries, daily at 03:20:
        # https://crontab.guru/#20_3_*_*_*
        "schedule": crontab(minute=20, hour=3),
    },
    # Programme insights
    "insights-monthly-report": {
        "task": "memberships.insights_monthly_report",
        # the 1st of every month at 06:00: https://crontab.guru/#0_6_1_*_*
        "schedule": crontab(minute="0", hour="6", day_of_month="1"),
    },
}


def beat_schedule(*, sweep_seconds: int = 60) -> dict:
    """BEAT_SCHEDULE, with the sweep every `sweep_seconds` instead of every minute when
    asked (a shorter sweep sends a killed worker's notification sooner after its lease)."""
    schedule = dict(BEAT_SCHEDULE)
    if sweep_seconds != 60:
        schedule["sweep-notifications"] = {
            "task": "memberships.sweep_notifications",
            "schedule": timedelta(seconds=sweep_seconds),
            "options": {"expires": max(sweep_seconds - 1, 1)},
        }
    return schedule
