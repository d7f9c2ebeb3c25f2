import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from memberships.models import Attendance, Event, Membership, Registration
from memberships.selectors.insights import add_months, last_completed_month
from portal.models import User
from tests.conftest import sso_login
from tests.factories import PartnerFactory, RosterEntryFactory, SponsorshipFactory
from tests.memberships.insights_data import seed_programme

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

URL = reverse("admin:insights")


def _range(seeded) -> dict:
    return {"from_month": f"{seeded.first:%Y-%m}", "to_month": f"{seeded.second:%Y-%m}"}


def test_insights_page_shows_charts_with_tables_and_the_floor(admin_client_sso):
    seeded = seed_programme()

    response = admin_client_sso.get(URL, _range(seeded))

    assert response.status_code == 200
    content = response.content.decode()
    main = content.split('id="content-main"')[1]
    assert main.count('<svg role="img"') == 4
    assert main.count("<table>") == 7
    assert "fewer than 5" in content
    assert "<script" not in main
    assert response.context["tables"]["months"].rows[0][1] == "7"
    assert seeded.target.email not in content
    assert seeded.target.display_name not in content


def test_insights_csv_downloads_each_table_with_the_same_figures(admin_client_sso):
    seeded = seed_programme()

    response = admin_client_sso.get(URL, {**_range(seeded), "csv": "months"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "month",
        "claims",
        "activations",
        "seats used at month end",
        "active members at month end",
        "event registrations",
        "attended",
    ]
    assert rows[2] == [
        f"{seeded.second:%Y-%m}",
        *["fewer than 5"] * 2,
        "5–9",
        "5–9",
        *["fewer than 5"] * 2,
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"from_month": "2026-01-15", "to_month": "2026-02"},  # days: differencing by the day
        {"from_month": "2026-01", "to_month": "2099-12"},  # a month that has not ended
        {"from_month": "2026-03", "to_month": "2026-01"},
        {"from_month": "2020-01", "to_month": "2024-01"},  # more than 36 months
        {"from_month": "2026-13", "to_month": "2026-14"},
    ],
)
def test_insights_refuses_ranges_other_than_whole_finished_months(admin_client_sso, params):
    response = admin_client_sso.get(URL, params)

    assert response.status_code == 400
    assert response.context["insights"] is None


def test_insights_refuses_the_running_month(admin_client_sso):
    running = timezone.localdate()

    response = admin_client_sso.get(
        URL, {"from_month": f"{running:%Y-%m}", "to_month": f"{running:%Y-%m}"}
    )

    assert response.status_code == 400


def test_insights_is_staff_only(client, employee):
    sso_login(client, employee)

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def _bulk_registrations(count: int) -> None:
    partner = PartnerFactory()
    month = last_completed_month()
    starts = timezone.make_aware(
        timezone.datetime.combine(month.replace(day=5), timezone.datetime.min.time())
    )
    events = Event.objects.bulk_create(
        Event(
            partner=partner,
            title=f"Session {n}",
            slug=f"bulk-session-{n}",
            kind=["workshop", "webinar", "well_being"][n % 3],
            summary="s",
            starts_at=starts + timedelta(hours=n % 500),
            ends_at=starts + timedelta(hours=n % 500, minutes=60),
            format="online",
            status="published",
        )
        for n in range(max(count // 20, 1))
    )
    users = User.objects.bulk_create(
        User(username=f"bulk{n}", email=f"bulk{n}@example.com", idp_subject=f"bulk-{n}")
        for n in range(count)
    )
    registrations = Registration.objects.bulk_create(
        Registration(event=events[n % len(events)], user=user, status="confirmed")
        for n, user in enumerate(users)
    )
    Attendance.objects.bulk_create(
        Attendance(registration=r, status="attended", source="admin", marked_at=starts)
        for r in registrations[::2]
    )
    sponsorship = SponsorshipFactory(partner=partner, uses_roster=True, seats=None)
    RosterEntryFactory(sponsorship=sponsorship, email=users[0].email)
    Membership.objects.bulk_create(
        Membership(
            user=user,
            sponsorship=sponsorship,
            status="active",
            consent_version="v1",
            consent_text="ok",
            consented_at=starts,
            claimed_at=starts,
            activated_at=starts + timedelta(days=n % 9),
        )
        for n, user in enumerate(users)
    )


@pytest.mark.parametrize("item_count", [10, 10_000])
def test_insights_page_runs_constant_queries(
    admin_client_sso, django_assert_max_num_queries, item_count
):
    _bulk_registrations(item_count)
    last = last_completed_month()
    params = {"from_month": f"{add_months(last, -11):%Y-%m}", "to_month": f"{last:%Y-%m}"}

    # 18, plus at most two exact counts of people for cells near the floor.
    with django_assert_max_num_queries(20):
        response = admin_client_sso.get(URL, params)

    assert response.status_code == 200
    kinds = {row[0]: row[1] for row in response.context["tables"]["kinds"].rows}
    # 10: one workshop with 10 seats; 10,000: 500 events in turn workshop, webinar,
    # well-being, 20 seats each (167 workshops). Other months are empty, hence the "*".
    expected = {10: "10*", 10_000: "3340*"}[item_count]
    assert kinds["Workshop"] == expected
    headline = dict(response.context["tables"]["headline"].rows)
    assert headline["Active members"] == {10: "10", 10_000: "10000"}[item_count]
