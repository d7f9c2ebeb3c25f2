import datetime
import zoneinfo

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from memberships.enums import EventStatus, RegistrationStatus
from memberships.models import Event, Registration, SeatWaitlistEntry
from memberships.services.calendar import calendar_feed_for_user
from memberships.services.events import event_search_refresh
from portal.models import User
from tests.conftest import sso_login
from tests.factories import (
    EventFactory,
    MembershipFactory,
    PartnerFactory,
    RegistrationFactory,
    ResourceFactory,
    SponsorshipFactory,
    TopicFactory,
    active_membership,
)

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

LIST_URL = reverse("memberships:event-list")


def _bulk_events(count: int) -> list[Event]:
    """`count` published events, each with one registration: the page must not care."""
    partner = PartnerFactory()
    topic = TopicFactory()
    start = timezone.now() + datetime.timedelta(days=2)
    events = Event.objects.bulk_create(
        Event(
            partner=partner,
            title=f"Policy clinic {n}",
            slug=f"policy-clinic-{n}",
            kind="workshop",
            summary="Bring a hard case.",
            starts_at=start + datetime.timedelta(hours=n),
            ends_at=start + datetime.timedelta(hours=n, minutes=45),
            format="online",
            capacity=5,
            status=EventStatus.PUBLISHED,
        )
        for n in range(count)
    )
    event_search_refresh(events=Event.objects.filter(pk__in=[e.pk for e in events]))
    Event.topics.through.objects.bulk_create(
        Event.topics.through(event_id=e.pk, topic_id=topic.pk) for e in events
    )
    users = User.objects.bulk_create(
        User(username=f"bulk{n}", email=f"bulk{n}@example.com", idp_subject=f"bulk-{n}")
        for n in range(count)
    )
    Registration.objects.bulk_create(
        Registration(event=e, user=u, status=RegistrationStatus.CONFIRMED)
        for e, u in zip(events, users, strict=True)
    )
    return events


def test_event_list_needs_sign_in(client):
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_event_list_shows_upcoming_published_events_in_the_viewers_zone(employee_client, employee):
    employee.time_zone = "Asia/Karachi"
    employee.save()
    start = (timezone.now() + datetime.timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0, tzinfo=datetime.UTC
    )
    EventFactory(
        title="Wellness circle", starts_at=start, ends_at=start + datetime.timedelta(hours=1)
    )
    EventFactory(title="Draft thing", status=EventStatus.DRAFT)
    EventFactory(
        title="Old session",
        starts_at=timezone.now() - datetime.timedelta(days=3),
        ends_at=timezone.now() - datetime.timedelta(days=3, hours=-1),
    )

    response = employee_client.get(LIST_URL)

    assert response.status_code == 200
    assert [e.title for e in response.context["events"]] == ["Wellness circle"]
    local = start.astimezone(zoneinfo.ZoneInfo("Asia/Karachi"))
    assert f"{local:%H}:00" == "15:00"
    assert "15:00</time>–16:00 (Asia/Karachi)" in response.content.decode()


def test_event_list_card_shows_seats_waitlist_and_own_status(employee_client, employee):
    open_event = EventFactory(title="Open", capacity=3)
    full = EventFactory(title="Full", capacity=1)
    RegistrationFactory(event=full)
    mine = EventFactory(title="Mine", capacity=1)
    RegistrationFactory(event=mine)
    RegistrationFactory(event=mine, user=employee, status=RegistrationStatus.WAITLISTED)

    content = employee_client.get(LIST_URL).content.decode()

    assert "3 seats left" in content
    assert "Full: you can join the waitlist" in content
    assert "You are number 1 on the waitlist" in content
    assert open_event.title in content


@pytest.mark.parametrize("item_count", [10, 2000])
def test_event_list_runs_constant_queries(
    employee_client, django_assert_max_num_queries, item_count
):
    _bulk_events(item_count)

    with django_assert_max_num_queries(7):
        response = employee_client.get(LIST_URL, {"kind": "workshop", "q": "clinic"})

    assert len(response.context["events"]) == (10 if item_count == 10 else 20)


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "karaoke"},
        {"date_from": "31/31/2020"},
        {"topic": "no-such-topic"},
        {"format": "<script>"},
        {"date_from": "2030-05-01", "date_to": "2030-04-01"},
    ],
)
def test_event_list_bad_filters_give_a_400_with_the_form_error(employee_client, params):
    EventFactory()

    response = employee_client.get(LIST_URL, params)

    assert response.status_code == 400
    assert response.context["form"].errors
    assert 'class="errorlist' in response.content.decode()
    assert list(response.context["events"]) == []
    assert "0 upcoming events" in response.content.decode()


def test_event_list_page_out_of_range_shows_the_last_page(employee_client):
    EventFactory(title="Only one")

    response = employee_client.get(LIST_URL, {"page": "9999"})

    assert response.status_code == 200
    assert [e.title for e in response.context["events"]] == ["Only one"]


def test_event_list_filters_by_text_kind_topic_and_content_notes(employee_client):
    topic = TopicFactory(name="Child safety", slug="child-safety")
    match = EventFactory(title="Escalation paths for child safety", kind="workshop")
    match.topics.add(topic)
    EventFactory(
        title="Escalation paths, noted", kind="workshop", content_note_label="Graphic content"
    )
    EventFactory(title="Career chat", kind="career")

    response = employee_client.get(
        LIST_URL,
        {
            "q": "escalation",
            "kind": "workshop",
            "topic": "child-safety",
            "hide_content_notes": "on",
        },
    )

    assert [e.title for e in response.context["events"]] == [match.title]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("moderat", ["Moderators' peer circle", "Moderation at scale"]),
        ("moderation", ["Moderators' peer circle", "Moderation at scale"]),  # one stem
        ("wellbeing", ["Well-being walk", "Wellbeing for leads"]),
        ("well-being", ["Well-being walk", "Wellbeing for leads"]),
        ("escal", ["Escalation paths"]),
        ("peer moderat", ["Moderators' peer circle"]),
        ("karaoke", []),
        ("' & | ! :*", []),
    ],
)
def test_event_list_search_matches_prefixes_and_simple_variants(employee_client, query, expected):
    for title in (
        "Moderators' peer circle",
        "Moderation at scale",
        "Well-being walk",
        "Wellbeing for leads",
        "Escalation paths",
    ):
        EventFactory(title=title, summary="A session.", body="")

    response = employee_client.get(LIST_URL, {"q": query})

    assert response.status_code == 200
    assert sorted(e.title for e in response.context["events"]) == sorted(expected)


def test_event_list_filters_sit_in_a_disclosure_that_counts_active_filters(employee_client):
    plain = employee_client.get(LIST_URL).content.decode()
    filtered = employee_client.get(LIST_URL, {"kind": "workshop", "q": "policy"}).content.decode()

    assert 'data-fold-on-phone data-active-filters="0"' in plain
    assert 'data-active-filters="2"' in filtered
    assert "Filters (2 active)" in filtered


def test_event_past_lists_ended_events_newest_first(employee_client):
    now = timezone.now()
    for days in (10, 3):
        EventFactory(
            title=f"{days} days ago",
            starts_at=now - datetime.timedelta(days=days),
            ends_at=now - datetime.timedelta(days=days) + datetime.timedelta(hours=1),
        )
    EventFactory(title="Upcoming")

    response = employee_client.get(reverse("memberships:event-past"))

    assert [e.title for e in response.context["events"]] == ["3 days ago", "10 days ago"]


def _detail(slug):
    return reverse("memberships:event-detail", args=[slug])


def test_event_detail_shows_join_link_only_to_confirmed_registrants(employee_client, employee):
    event = EventFactory(capacity=1, join_url="https://meet.example.org/secret-room")
    RegistrationFactory(event=event)
    RegistrationFactory(event=event, user=employee, status=RegistrationStatus.WAITLISTED)

    waitlisted_page = employee_client.get(_detail(event.slug)).content.decode()
    Registration.objects.filter(event=event).exclude(user=employee).update(status="cancelled")
    Registration.objects.filter(user=employee).update(status="confirmed")
    confirmed_page = employee_client.get(_detail(event.slug)).content.decode()

    assert "secret-room" not in waitlisted_page
    assert "You are number 1 on the waitlist" in waitlisted_page
    assert "https://meet.example.org/secret-room" in confirmed_page


def test_event_detail_renders_markdown_and_never_lets_script_reach_the_page(employee_client):
    event = EventFactory(
        body="Hi **there**\n\n- one\n- [two](https://example.org/two)\n\n"
        '<script>alert("x")</script><img src="x" onerror="alert(1)">\n\n'
        "[bad](javascript:alert(2))"
    )

    content = employee_client.get(_detail(event.slug)).content.decode()

    assert "<p>Hi <strong>there</strong></p>" in content
    assert (
        '<li><a href="https://example.org/two" rel="noopener noreferrer nofollow">two</a></li>'
    ) in content
    assert "<script>alert" not in content
    assert "<img" not in content
    assert "&lt;script&gt;" in content  # typed HTML is shown as text
    assert 'href="javascript:' not in content


def test_event_detail_members_only_invites_an_eligible_employee_to_claim(employee_client, employee):
    event = EventFactory(is_members_only=True)
    SponsorshipFactory(partner=event.partner)

    content = employee_client.get(_detail(event.slug)).content.decode()
    active_membership(user=employee, partner=event.partner)
    member_content = employee_client.get(_detail(event.slug)).content.decode()

    assert 'data-access-state="can_claim"' in content
    assert "Claim your membership" in content
    assert reverse("memberships:event-register", args=[event.slug]) not in content
    assert reverse("memberships:event-register", args=[event.slug]) in member_content
    assert "data-access-state" not in member_content


def test_event_detail_members_only_tells_a_not_eligible_employee_why_and_whom_to_ask(
    client, other_employee
):
    event = EventFactory(is_members_only=True)
    SponsorshipFactory(partner=event.partner, contact_email="help@example.com")
    sso_login(client, other_employee)

    content = client.get(_detail(event.slug)).content.decode()

    assert 'data-access-state="not_eligible"' in content
    assert "does not place you in one of them" in content
    assert "mailto:help@example.com" in content
    assert "Claim your membership" not in content
    assert "Get your membership" not in content


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending_approval", "usually within 2 working days"),
        ("pending_partner", "usually activates a membership within 5 working days"),
    ],
)
def test_event_detail_members_only_tells_a_pending_employee_what_happens_next(
    employee_client, employee, status, expected
):
    event = EventFactory(is_members_only=True)
    sponsorship = SponsorshipFactory(partner=event.partner)
    MembershipFactory(user=employee, sponsorship=sponsorship, status=status)

    content = employee_client.get(_detail(event.slug)).content.decode()

    assert f'data-access-state="{status}"' in content
    assert expected in content
    assert "Claim your membership" not in content


def test_event_detail_members_only_gives_a_seat_waitlisted_employee_the_position(
    employee_client, employee, other_employee
):
    event = EventFactory(is_members_only=True)
    sponsorship = SponsorshipFactory(partner=event.partner, seats=0)
    for person in (other_employee, employee):
        SeatWaitlistEntry.objects.create(
            user=person,
            sponsorship=sponsorship,
            consent_version="v1",
            consent_text="ok",
            consented_at=timezone.now(),
        )

    content = employee_client.get(_detail(event.slug)).content.decode()

    assert 'data-access-state="waitlisted"' in content
    assert "You are number 2 on the seat waitlist." in content


def test_event_detail_members_only_without_any_sponsorship_says_so(employee_client):
    event = EventFactory(is_members_only=True)

    content = employee_client.get(_detail(event.slug)).content.decode()

    assert 'data-access-state="no_sponsorship"' in content
    assert "does not sponsor a membership with them right now" in content


def test_event_detail_shows_the_content_note_before_registering(employee_client):
    event = EventFactory(
        content_note_label="Graphic content", content_note="Includes real abuse reports."
    )

    content = employee_client.get(_detail(event.slug)).content.decode()

    assert content.index("Includes real abuse reports.") < content.index(
        reverse("memberships:event-register", args=[event.slug])
    )


def test_event_detail_source_order_is_the_phone_order(employee_client):
    event = EventFactory(
        content_note_label="Graphic content",
        content_note="Includes real abuse reports.",
        body="The long description.",
    )

    content = employee_client.get(_detail(event.slug)).content.decode()

    order = [
        content.index("<h1>"),
        content.index('id="when-heading"'),
        content.index("Includes real abuse reports."),
        content.index(reverse("memberships:event-register", args=[event.slug])),
        content.index("The long description."),
    ]
    assert order == sorted(order)


def test_event_detail_offers_ics_google_and_outlook(employee_client):
    event = EventFactory()

    html = employee_client.get(_detail(event.slug)).content.decode()

    assert reverse("memberships:event-calendar", args=[event.slug]) in html
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in html
    assert "https://outlook.office.com/calendar/0/deeplink/compose?" in html


def test_event_detail_hides_drafts_from_employees(employee_client):
    event = EventFactory(status=EventStatus.DRAFT)

    response = employee_client.get(_detail(event.slug))

    assert response.status_code == 404


@pytest.mark.parametrize("item_count", [10, 2000])
def test_event_detail_runs_constant_queries(
    employee_client, employee, django_assert_max_num_queries, item_count
):
    event = EventFactory(capacity=5, is_members_only=True)
    users = User.objects.bulk_create(
        User(username=f"r{n}", email=f"r{n}@example.com", idp_subject=f"r-{n}")
        for n in range(item_count)
    )
    Registration.objects.bulk_create(
        Registration(event=event, user=u, status=RegistrationStatus.WAITLISTED) for u in users
    )
    RegistrationFactory(event=event, user=employee, status=RegistrationStatus.WAITLISTED)
    event.topics.add(TopicFactory(), TopicFactory())
    SponsorshipFactory(partner=event.partner)

    # 6 for the page, 4 for where the viewer stands with the members-only host.
    with django_assert_max_num_queries(10):
        response = employee_client.get(_detail(event.slug))

    assert response.context["registration"].waitlist_position == item_count + 1


def test_event_register_then_cancel(employee_client, employee, other_employee):
    event = EventFactory(capacity=1)
    register_url = reverse("memberships:event-register", args=[event.slug])
    cancel_url = reverse("memberships:event-cancel", args=[event.slug])

    registered = employee_client.post(register_url)
    RegistrationFactory(event=event, user=other_employee, status=RegistrationStatus.WAITLISTED)
    asked = employee_client.post(cancel_url)
    still = Registration.objects.get(user=employee).status
    cancelled = employee_client.post(cancel_url, {"confirm": "true"}, follow=True)

    assert registered.status_code == 302
    assert registered["Location"] == _detail(event.slug)
    assert "Cancel your seat?" in asked.content.decode()
    assert still == RegistrationStatus.CONFIRMED
    assert Registration.objects.get(user=employee).status == RegistrationStatus.CANCELLED
    assert Registration.objects.get(user=other_employee).status == RegistrationStatus.CONFIRMED
    assert "Your seat is cancelled. It goes to the next person on the waitlist." in (
        cancelled.content.decode()
    )


def test_leave_the_waitlist_asks_first_and_says_so_afterwards(employee_client, employee):
    event = EventFactory(capacity=1)
    RegistrationFactory(event=event)
    place = RegistrationFactory(event=event, user=employee, status=RegistrationStatus.WAITLISTED)
    cancel_url = reverse("memberships:event-cancel", args=[event.slug])

    asked = employee_client.post(cancel_url).content.decode()
    place.refresh_from_db()
    still = place.status
    left = employee_client.post(cancel_url, {"confirm": "true"}, follow=True).content.decode()

    place.refresh_from_db()
    assert "Leave the waitlist?" in asked
    assert "You are number 1 on the waitlist" in asked
    assert still == RegistrationStatus.WAITLISTED
    assert place.status == RegistrationStatus.CANCELLED
    assert "You have left the waitlist." in left
    assert "Your registration is cancelled." not in left
    assert "Your seat is cancelled" not in left


def test_event_register_get_goes_back_to_the_event_with_a_message(employee_client):
    event = EventFactory()

    response = employee_client.get(
        reverse("memberships:event-register", args=[event.slug]), follow=True
    )

    assert response.redirect_chain == [(_detail(event.slug), 302)]
    assert "That address only works from its button, so nothing was changed." in (
        response.content.decode()
    )
    assert not Registration.objects.exists()


def test_event_register_shows_a_domain_error(employee_client):
    event = EventFactory(is_members_only=True)

    response = employee_client.post(
        reverse("memberships:event-register", args=[event.slug]), follow=True
    )

    assert "your membership is not active yet" in response.content.decode()
    assert not Registration.objects.exists()


def test_event_calendar_downloads_a_valid_file(employee_client):
    event = EventFactory()

    response = employee_client.get(reverse("memberships:event-calendar", args=[event.slug]))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{event.slug}.ics"'
    (vevent,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert vevent.decoded("dtstart") == event.starts_at


def test_calendar_feed_lists_confirmed_registrations_by_token(client, employee, admin_user):
    confirmed = EventFactory(title="Seat")
    RegistrationFactory(event=confirmed, user=employee)
    cancelled_event = EventFactory(title="Called off", status=EventStatus.CANCELLED)
    RegistrationFactory(event=cancelled_event, user=employee)
    waitlisted = EventFactory(title="Waiting")
    RegistrationFactory(event=waitlisted, user=employee, status=RegistrationStatus.WAITLISTED)
    token = calendar_feed_for_user(user=employee).token

    response = client.get(reverse("memberships:calendar-feed", args=[token]))

    vevents = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert {str(v["summary"]): str(v["status"]) for v in vevents} == {
        "Seat": "CONFIRMED",
        "Called off": "CANCELLED",
    }


def test_calendar_feed_unknown_token_is_404(client):
    response = client.get(reverse("memberships:calendar-feed", args=["not-a-token"]))

    assert response.status_code == 404


def test_calendar_token_reset_breaks_the_old_link(employee_client, employee):
    old = employee_client.get(reverse("memberships:my-settings")).context["feed"].token

    asked = employee_client.post(reverse("memberships:calendar-token-reset"))
    unchanged = employee_client.get(reverse("memberships:calendar-feed", args=[old])).status_code
    employee_client.post(reverse("memberships:calendar-token-reset"), {"confirm": "true"})

    assert "Reset your calendar link?" in asked.content.decode()
    assert unchanged == 200
    assert employee_client.get(reverse("memberships:calendar-feed", args=[old])).status_code == 404
    employee.calendar_feed.refresh_from_db()
    assert employee.calendar_feed.token != old


def test_my_settings_saves_the_time_zone(employee_client, employee):
    response = employee_client.post(
        reverse("memberships:my-settings"), {"time_zone": "Europe/Dublin"}
    )
    bad = employee_client.post(reverse("memberships:my-settings"), {"time_zone": "Mars/Olympus"})

    assert response.status_code == 302
    assert bad.status_code == 400
    employee.refresh_from_db()
    assert employee.time_zone == "Europe/Dublin"


@pytest.mark.parametrize("item_count", [1, 3])
def test_my_events_lists_seats_and_waitlist_positions(
    employee_client, employee, django_assert_max_num_queries, item_count
):
    for n in range(item_count):
        event = EventFactory(title=f"Full {n}", capacity=1)
        RegistrationFactory(event=event)
        RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED)
        RegistrationFactory(event=event, user=employee, status=RegistrationStatus.WAITLISTED)
    other_employee_event = EventFactory(title="Someone else's")
    RegistrationFactory(event=other_employee_event)

    with django_assert_max_num_queries(6):
        response = employee_client.get(reverse("memberships:my-events"))

    positions = [(r.event.title, r.waitlist_position) for r in response.context["registrations"]]
    assert positions == [(f"Full {n}", 2) for n in range(item_count)]
    assert "You are number 2 on the waitlist" in response.content.decode()


def test_resource_list_filters_by_kind_and_hides_members_only_links(employee_client, employee):
    ResourceFactory(title="Breathing space", kind="well_being", url="https://example.org/breathe")
    ResourceFactory(
        title="Salary guide", kind="career", url="https://example.org/salary", is_members_only=True
    )

    everything = employee_client.get(reverse("memberships:resource-list")).content.decode()
    careers = employee_client.get(reverse("memberships:resource-list"), {"kind": "career"})
    bad = employee_client.get(reverse("memberships:resource-list"), {"kind": "nope"})

    assert "https://example.org/breathe" in everything
    assert "Salary guide" in everything
    assert "https://example.org/salary" not in everything
    assert [r.title for r in careers.context["resources"]] == ["Salary guide"]
    assert bad.status_code == 400


@pytest.mark.parametrize("partner_count", [1, 3])
def test_resource_list_runs_constant_queries_whatever_the_number_of_partners(
    employee_client, employee, partner_count, django_assert_max_num_queries
):
    for n in range(partner_count):
        partner = PartnerFactory()
        ResourceFactory(partner=partner, title=f"Open {n}", url=f"https://example.org/open/{n}")
        ResourceFactory(
            partner=partner,
            title=f"Members {n}",
            url=f"https://example.org/members/{n}",
            is_members_only=True,
        )
        if n == 0:
            active_membership(user=employee, partner=partner)
        else:
            SponsorshipFactory(partner=partner)

    # Session, user, resources, and at most 4 for where the viewer stands with every host.
    # Pagination adds its COUNT to the page's queries (constant in the number of resources).
    with django_assert_max_num_queries(8):
        response = employee_client.get(reverse("memberships:resource-list"))

    open_to_viewer = sorted(r.title for r in response.context["resources"] if r.is_open_to_viewer)
    assert open_to_viewer == sorted(["Members 0", *[f"Open {n}" for n in range(partner_count)]])


def test_other_people_cannot_cancel_someone_elses_seat(client, employee, other_employee):
    event = EventFactory()
    seat = RegistrationFactory(event=event, user=employee)
    sso_login(client, other_employee)

    client.post(reverse("memberships:event-cancel", args=[event.slug]), {"confirm": "true"})

    seat.refresh_from_db()
    assert seat.status == RegistrationStatus.CONFIRMED
