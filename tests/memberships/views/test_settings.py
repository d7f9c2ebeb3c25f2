import pytest
from django.urls import reverse

from tests.factories import EventFactory, RegistrationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

SETTINGS_URL = reverse("memberships:my-settings")


def test_time_zone_suggestion_shows_until_the_person_chooses(employee_client, employee):
    before = employee_client.get(reverse("home")).content.decode()
    employee.time_zone = "Asia/Karachi"
    employee.save()
    after = employee_client.get(reverse("home")).content.decode()

    assert 'id="tz-suggest"' in before
    assert "Times are shown in UTC until you choose your time zone." in before
    assert 'id="tz-suggest"' not in after


def test_time_zone_suggestion_takes_a_browser_alias_as_the_canonical_zone(
    employee_client, employee
):
    response = employee_client.post(
        SETTINGS_URL, {"time_zone": "Asia/Calcutta", "next": "/events/?kind=workshop"}
    )

    employee.refresh_from_db()
    assert employee.time_zone == "Asia/Kolkata"
    assert response["Location"] == "/events/?kind=workshop"


def test_time_zone_suggestion_never_redirects_off_site(employee_client, employee):
    response = employee_client.post(
        SETTINGS_URL, {"time_zone": "Europe/Dublin", "next": "https://evil.example.net/"}
    )

    assert response["Location"] == SETTINGS_URL


@pytest.mark.parametrize("name", ["Factory", "localtime", "Mars/Olympus"])
def test_time_zone_refuses_zones_outside_the_curated_list(employee_client, employee, name):
    response = employee_client.post(SETTINGS_URL, {"time_zone": name})

    employee.refresh_from_db()
    assert response.status_code == 400
    assert employee.time_zone == ""


def test_time_zone_list_is_grouped_by_region_without_aliases(employee_client):
    html = employee_client.get(SETTINGS_URL).content.decode()

    assert '<optgroup label="America">' in html
    assert '<option value="America/Los_Angeles">Los Angeles (UTC' in html
    for alias in ("Factory", "localtime", "US/Pacific", "Asia/Calcutta", "GB"):
        assert f'value="{alias}"' not in html


def test_my_events_shows_times_with_their_zone(employee_client, employee):
    employee.time_zone = "America/Los_Angeles"
    employee.save()
    RegistrationFactory(event=EventFactory(title="Queue review"), user=employee)

    html = employee_client.get(reverse("memberships:my-events")).content.decode()

    assert "(America/Los_Angeles) · Online" in html


def test_settings_offer_the_feed_with_a_copy_button_and_a_webcal_link(employee_client, employee):
    html = employee_client.get(SETTINGS_URL).content.decode()

    token = employee.calendar_feed.token
    assert f'href="webcal://testserver/calendar/{token}.ics"' in html
    assert 'data-copy-target="feed-url"' in html
