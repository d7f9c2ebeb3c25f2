import csv
import io
import json

import pytest
from django.urls import reverse

from memberships.services.calendar import calendar_feed_for_user
from memberships.services.claims import membership_activate, membership_claim
from memberships.services.digests import partner_weekly_digest
from memberships.services.events import event_roster_send, registration_create
from tests.factories import EventFactory, SponsorshipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _history(person, *, events: int):
    sponsorship = SponsorshipFactory(eligible_groups=["trust-safety"], seats=None)
    membership = membership_claim(user=person, sponsorship=sponsorship, consent_version="v1")
    membership_activate(membership=membership, member_number=f"M-{person.pk}")
    for n in range(events):
        event = EventFactory(partner=sponsorship.partner, title=f"{person.email} event {n}")
        registration_create(user=person, event=event)
        event_roster_send(event=event)
    partner_weekly_digest(partner_id=sponsorship.partner_id)
    return sponsorship


def test_my_data_json_holds_everything_about_the_person_and_nothing_about_others(
    employee_client, employee, other_employee, django_capture_on_commit_callbacks
):
    employee.idp_groups = ["trust-safety"]
    employee.save()
    other_employee.idp_groups = ["trust-safety"]
    other_employee.save()
    with django_capture_on_commit_callbacks(execute=False):
        sponsorship = _history(employee, events=1)
        membership_claim(user=other_employee, sponsorship=sponsorship, consent_version="v1")
    feed = calendar_feed_for_user(user=employee)

    response = employee_client.get(reverse("memberships:my-data-json"))

    data = json.loads(response.content)
    text = response.content.decode()
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    assert data["profile"]["email"] == "alex@example.com"
    assert [m["consent_text"] for m in data["memberships"]] == [sponsorship.consent_text]
    assert data["memberships"][0]["shared_with_partner"]["email"] == "alex@example.com"
    assert [r["event"] for r in data["registrations"]] == ["alex@example.com event 0"]
    kinds_to = sorted(n["kind"] for n in data["notifications_to_you"])
    assert kinds_to == ["membership_active", "membership_received", "registration_confirmed"]
    kinds_about = sorted(n["kind"] for n in data["notifications_about_you"])
    assert kinds_about == [
        "partner_event_roster",
        "partner_member_claimed",
        "partner_weekly_digest",
    ]
    digest = next(n for n in data["notifications_about_you"] if "digest" in n["kind"])
    assert [row["email"] for row in digest["content"]["your_rows"]] == ["alex@example.com"]
    assert "sam@example.com" not in text
    assert feed.token not in text


def test_my_data_csv_is_one_field_per_row_with_the_formula_guard(employee_client, employee):
    employee.name = "=HYPERLINK(1)"
    employee.save()

    response = employee_client.get(reverse("memberships:my-data-csv"))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["field", "value"]
    assert ["profile.name", "'=HYPERLINK(1)"] in rows
    assert ["profile.email", "alex@example.com"] in rows


@pytest.mark.parametrize("item_count", [1, 3])
def test_my_data_runs_constant_queries(
    employee_client,
    employee,
    item_count,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    employee.idp_groups = ["trust-safety"]
    employee.save()
    with django_capture_on_commit_callbacks(execute=False):
        _history(employee, events=item_count)

    with django_assert_max_num_queries(9):
        page = employee_client.get(reverse("memberships:my-data"))
    with django_assert_max_num_queries(9):
        download = employee_client.get(reverse("memberships:my-data-json"))

    assert page.context["counts"]["registrations"] == item_count
    assert len(json.loads(download.content)["registrations"]) == item_count
