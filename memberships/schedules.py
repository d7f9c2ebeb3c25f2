"""Every periodic task, in one place. Celery beat reads BEAT_SCHEDULE (see portal/celery.py);
run exactly one beat process per deployment. Times are UTC."""

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
    # Programme insights
    "insights-monthly-report": {
        "task": "memberships.insights_monthly_report",
        # the 1st of every month at 06:00: https://crontab.guru/#0_6_1_*_*
        "schedule": crontab(minute="0", hour="6", day_of_month="1"),
    },
}
