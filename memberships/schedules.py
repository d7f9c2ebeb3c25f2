"""Every periodic task, in one place. Celery beat reads BEAT_SCHEDULE (see portal/celery.py);
run exactly one beat process per deployment."""

from celery.schedules import crontab

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
    **NOTIFICATIONS_BEAT_SCHEDULE,
    **CLAIMS_BEAT_SCHEDULE,
    **EVENTS_BEAT_SCHEDULE,
    # Memberships of people who stopped being eligible, once their grace period ran out
    # (ELIGIBILITY_GRACE_DAYS; portal/provisioning.py). Daily at 02:45: https://crontab.guru/#45_2_*_*_*
    "end-eligibility-graces": {
        "task": "portal.end_eligibility_graces",
        "schedule": crontab(minute="45", hour="2"),
    },
}
