import pytest

from memberships.enums import NotificationKind
from memberships.models import Notification
from memberships.schedules import BEAT_SCHEDULE
from memberships.services.insights import insights_monthly_report_send
from memberships.tasks import task_insights_monthly_report
from tests.factories import UserFactory
from tests.memberships.insights_data import seed_programme

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def test_insights_monthly_report_mails_last_month_to_programme_admins_once(
    admin_user, django_capture_on_commit_callbacks, mailoutbox
):
    seeded = seed_programme()
    UserFactory(is_staff=False)  # not a programme admin: gets nothing

    with django_capture_on_commit_callbacks(execute=True):
        sent = insights_monthly_report_send()
    with django_capture_on_commit_callbacks(execute=True):
        again = task_insights_monthly_report.delay().get()

    assert (sent, again) == (1, 1)
    assert Notification.objects.filter(kind=NotificationKind.INSIGHTS_MONTHLY_REPORT).count() == 1
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    month = f"{seeded.second:%Y-%m}"
    assert message.to == [admin_user.email]
    assert message.subject == f"Programme insights for {month}"
    assert [name for name, _content, _type in message.attachments] == [
        f"insights-{table}-{month}.csv"
        for table in ("headline", "months", "activation", "kinds", "topics", "cost", "departments")
    ]
    months_csv = message.attachments[1][1]
    assert months_csv.splitlines()[1] == (
        f"{month},fewer than 5,fewer than 5,5–9,5–9,fewer than 5,fewer than 5"
    )
    assert seeded.target.email not in message.body
    assert "Claims: fewer than 5" in message.body


def test_insights_monthly_report_is_on_the_beat_on_the_first_of_the_month():
    entry = BEAT_SCHEDULE["insights-monthly-report"]

    assert entry["task"] == task_insights_monthly_report.name
    assert (entry["schedule"].day_of_month, entry["schedule"].hour, entry["schedule"].minute) == (
        {1},
        {6},
        {0},
    )
