import datetime
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest

from memberships.services.calendar import (
    calendar_feed_for_user,
    calendar_feed_reset,
    calendar_for_events,
    google_calendar_url,
    outlook_calendar_url,
    webcal_url,
)
from memberships.services.events import event_cancel, event_update
from tests.factories import EventFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def _vevents(content: bytes) -> list:
    return icalendar.Calendar.from_ical(content).walk("VEVENT")


def test_calendar_for_events_parses_back_to_the_event_instants():
    event = EventFactory(time_zone="Asia/Karachi", venue="Serena Hotel, Islamabad")

    content = calendar_for_events([event])

    calendar = icalendar.Calendar.from_ical(content)
    (vevent,) = calendar.walk("VEVENT")
    assert vevent.decoded("dtstart") == event.starts_at
    assert vevent.decoded("dtend") == event.ends_at
    assert vevent["dtstart"].params["TZID"] == "Asia/Karachi"
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Karachi"]
    assert str(vevent["uid"]) == f"event-{event.pk}@127.0.0.1"
    assert (str(vevent["summary"]), str(vevent["location"])) == (event.title, event.venue)
    assert (vevent["sequence"], str(vevent["status"])) == (0, "CONFIRMED")
    assert str(calendar["version"]) == "2.0"


def test_calendar_for_events_sequence_grows_when_the_event_changes(admin_user):
    event = EventFactory()
    before = _vevents(calendar_for_events([event]))[0]

    changed = event_update(
        event=event,
        actor=admin_user,
        data={"venue": "Room 4", "starts_at": event.starts_at + datetime.timedelta(hours=1)},
    )

    after = _vevents(calendar_for_events([changed]))[0]
    assert after["sequence"] > before["sequence"]
    assert after["uid"] == before["uid"]
    assert after.decoded("dtstart") == event.starts_at + datetime.timedelta(hours=1)


def test_calendar_for_events_says_a_cancelled_event_is_cancelled(admin_user):
    event = EventFactory()

    cancelled = event_cancel(event=event, actor=admin_user)

    vevent = _vevents(calendar_for_events([cancelled]))[0]
    assert (str(vevent["status"]), vevent["sequence"]) == ("CANCELLED", 1)


def test_calendar_for_events_description_is_plain_text():
    event = EventFactory(
        body="<p>Bring <strong>questions</strong> &amp; cases.</p><script>x()</script>"
    )

    vevent = _vevents(calendar_for_events([event]))[0]

    assert "Bring questions & cases." in str(vevent["description"])
    assert "<" not in str(vevent["description"])


def test_calendar_feed_reset_replaces_the_token(employee):
    feed = calendar_feed_for_user(user=employee)
    old_token = feed.token

    reset = calendar_feed_reset(user=employee)

    assert reset.pk == feed.pk
    assert reset.token != old_token
    assert reset.reset_at is not None
    assert calendar_feed_for_user(user=employee).token == reset.token


def test_google_and_outlook_links_carry_the_event_in_utc(settings):
    settings.SITE_URL = "https://portal.example.com"
    start = datetime.datetime(2027, 3, 13, 13, 0, tzinfo=datetime.UTC)
    event = EventFactory.build(
        title="Karachi meetup",
        slug="karachi-meetup",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        time_zone="Asia/Karachi",
        venue="Clifton, Karachi",
        summary="Meet.",
    )

    google = urlsplit(google_calendar_url(event))
    outlook = urlsplit(outlook_calendar_url(event))

    assert google.netloc == "calendar.google.com"
    assert parse_qs(google.query)["dates"] == ["20270313T130000Z/20270313T150000Z"]
    assert parse_qs(google.query)["text"] == ["Karachi meetup"]
    assert parse_qs(google.query)["details"] == [
        "Meet.\n\nhttps://portal.example.com/events/karachi-meetup/"
    ]
    assert parse_qs(outlook.query)["startdt"] == ["2027-03-13T13:00:00+00:00"]
    assert parse_qs(outlook.query)["location"] == ["Clifton, Karachi"]
    assert webcal_url("https://portal.example.com/calendar/abc.ics") == (
        "webcal://portal.example.com/calendar/abc.ics"
    )
