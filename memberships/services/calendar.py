"""Calendar files (RFC 5545, made with `icalendar`), the iTIP messages that e-mails carry
(RFC 5546: METHOD:REQUEST for a seat or a change, METHOD:CANCEL for a cancellation, always
with the event's UID, its SEQUENCE and an ORGANIZER) and the personal feed's secret token."""

from __future__ import annotations

import datetime
import html
import zoneinfo
from collections.abc import Iterable
from email.utils import parseaddr
from urllib.parse import urlencode, urlsplit

import icalendar
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from ..enums import EventFormat, EventStatus
from ..models import CalendarFeed, Event
from ..models.events import new_feed_token

PRODID = "-//Membership portal//Events//EN"
METHOD_PUBLISH = "PUBLISH"
METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"


def event_absolute_url(event: Event) -> str:
    return settings.SITE_URL + reverse("memberships:event-detail", args=[event.slug])


def event_uid(event: Event) -> str:
    """Stable for the life of the event, so calendar apps update instead of duplicating."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"event-{event.pk}@{host}"


def _plain_text(event: Event) -> str:
    body = html.unescape(strip_tags(event.body)).strip()
    parts = [event.summary, body, event_absolute_url(event)]
    return "\n\n".join(part for part in parts if part)


def _organizer(event: Event) -> icalendar.vCalAddress:
    """The portal sends the invitations, so it is the organizer (iTIP needs one); the host's
    name is shown."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = icalendar.vCalAddress(f"mailto:{address or settings.SUPPORT_EMAIL}")
    organizer.params["cn"] = icalendar.vText(event.partner.name)
    return organizer


def _attendee(user, *, is_cancelled: bool) -> icalendar.vCalAddress:
    attendee = icalendar.vCalAddress(f"mailto:{user.email}")
    attendee.params["cn"] = icalendar.vText(user.display_name)
    attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = icalendar.vText("DECLINED" if is_cancelled else "ACCEPTED")
    attendee.params["rsvp"] = icalendar.vText("FALSE")
    return attendee


def _vevent(event: Event, *, stamp) -> icalendar.Event:
    zone = zoneinfo.ZoneInfo(event.time_zone)
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event))
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", event.starts_at.astimezone(zone))
    vevent.add("dtend", event.ends_at.astimezone(zone))
    vevent.add("summary", event.title)
    vevent.add("description", _plain_text(event))
    location = event.venue or (
        str(EventFormat(event.format).label) if event.format == EventFormat.ONLINE else ""
    )
    if location:
        vevent.add("location", location)
    vevent.add("url", event_absolute_url(event))
    vevent.add("sequence", event.sequence)
    vevent.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
    if event.updated_at:
        vevent.add("last-modified", event.updated_at)
    return vevent


def _calendar(method: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def calendar_for_events(events: Iterable[Event], *, name: str = "") -> bytes:
    """One VCALENDAR (METHOD:PUBLISH, for downloads and the feed) with a VEVENT per event
    and one VTIMEZONE per zone they use."""
    calendar = _calendar(METHOD_PUBLISH)
    if name:
        calendar.add("x-wr-calname", name)
    stamp = timezone.now()
    for event in events:
        calendar.add_component(_vevent(event, stamp=stamp))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def calendar_itip(*, event: Event, user, method: str) -> bytes:
    """The iTIP message for one registrant: REQUEST adds or updates their entry, CANCEL
    removes it (the whole event was cancelled, or only their seat). Same UID as every other
    file of the event; SEQUENCE is the event's current one."""
    if method not in (METHOD_REQUEST, METHOD_CANCEL):
        raise ValueError(f"unsupported iTIP method {method}")
    calendar = _calendar(method)
    vevent = _vevent(event, stamp=timezone.now())
    if method == METHOD_CANCEL:
        vevent["status"] = icalendar.vText("CANCELLED")
    vevent.add("organizer", _organizer(event))
    vevent.add("attendee", _attendee(user, is_cancelled=method == METHOD_CANCEL))
    calendar.add_component(vevent)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def calendar_attachment(*, event: Event, user, method: str) -> dict:
    """The outbox attachment for an e-mail (see `memberships.emails`)."""
    return {
        "filename": f"{event.slug}.ics" if method == METHOD_REQUEST else f"{event.slug}-cancel.ics",
        "content": calendar_itip(event=event, user=user, method=method).decode(),
        # The method in the MIME type too: Outlook and Gmail read it to offer the update.
        "mimetype": f"text/calendar; method={method}",
    }


def calendar_feed_for_user(*, user) -> CalendarFeed:
    """The person's feed token, made on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def calendar_feed_reset(*, user) -> CalendarFeed:
    """A new secret token: subscriptions with the old link stop working."""
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(user=user)
    if not created:
        feed.token = new_feed_token()
        feed.reset_at = timezone.now()
        feed.save(update_fields=["token", "reset_at"])
    return feed


def _utc_stamp(value) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def _location(event: Event) -> str:
    return event.venue or str(event.get_format_display())


def google_calendar_url(event: Event) -> str:
    """Google Calendar's "add event" page, filled in (times in UTC, so no zone confusion)."""
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": event.title,
            "dates": f"{_utc_stamp(event.starts_at)}/{_utc_stamp(event.ends_at)}",
            "details": f"{event.summary}\n\n{event_absolute_url(event)}",
            "location": _location(event),
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"


def outlook_calendar_url(event: Event) -> str:
    """Outlook on the web (work or school accounts): its "new event" page, filled in."""
    query = urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": event.title,
            "startdt": event.starts_at.astimezone(datetime.UTC).isoformat(timespec="seconds"),
            "enddt": event.ends_at.astimezone(datetime.UTC).isoformat(timespec="seconds"),
            "body": f"{event.summary}\n\n{event_absolute_url(event)}",
            "location": _location(event),
        }
    )
    return f"https://outlook.office.com/calendar/0/deeplink/compose?{query}"


def webcal_url(url: str) -> str:
    """The subscribe form of a feed URL: calendar apps open `webcal://` links themselves."""
    return "webcal://" + url.split("://", 1)[1]
