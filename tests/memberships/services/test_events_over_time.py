"""Events stay true after registration: capacity changed later, memberships that end,
events changed, moved or cancelled, and the calendar files that follow them."""

import datetime
import zoneinfo

import icalendar
import pytest
from django.utils import timezone

from memberships.enums import EventStatus, MembershipStatus, NotificationKind, RegistrationStatus
from memberships.exceptions import InvalidEventChange
from memberships.models import Notification, Registration
from memberships.services.calendar import event_uid
from memberships.services.claims import (
    membership_release,
    membership_revoke,
    memberships_expire_ended,
)
from memberships.services.events import (
    event_cancel,
    event_reminders_send,
    event_update,
    registration_cancel,
    registration_create,
)
from tests.factories import (
    EventFactory,
    MembershipFactory,
    PartnerFactory,
    RegistrationFactory,
    SponsorshipFactory,
    UserFactory,
    active_membership,
)

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def _statuses(event) -> list[tuple[int, str]]:
    return list(
        Registration.objects.filter(event=event).order_by("pk").values_list("user_id", "status")
    )


def _ics(notification) -> icalendar.Calendar:
    (attachment,) = notification.payload["attachments"]
    calendar = icalendar.Calendar.from_ical(attachment["content"])
    assert attachment["mimetype"] == f"text/calendar; method={calendar['method']}"
    return calendar


# Capacity ---------------------------------------------------------------------------------


def test_event_update_capacity_below_confirmed_keeps_every_seat(admin_user):
    event = EventFactory(capacity=3)
    seated = [registration_create(user=UserFactory(), event=event) for _ in range(3)]
    waiting = registration_create(user=UserFactory(), event=event)

    updated = event_update(event=event, actor=admin_user, data={"capacity": 1})

    assert updated.capacity == 1
    assert _statuses(event) == [
        *[(r.user_id, RegistrationStatus.CONFIRMED) for r in seated],
        (waiting.user_id, RegistrationStatus.WAITLISTED),
    ]
    # One seat freed while still over capacity promotes nobody.
    registration_cancel(registration=seated[0], actor=seated[0].user)
    assert Registration.objects.get(pk=waiting.pk).status == RegistrationStatus.WAITLISTED


@pytest.mark.parametrize("capacity", [-1, "ten", 2.5, True])
def test_event_update_invalid_capacity_is_refused_with_a_message(admin_user, capacity):
    event = EventFactory(capacity=5)

    with pytest.raises(InvalidEventChange) as refused:
        event_update(event=event, actor=admin_user, data={"capacity": capacity})

    assert str(refused.value) == "Capacity must be empty (no limit) or a whole number ≥ 0."
    event.refresh_from_db()
    assert event.capacity == 5


def test_event_update_invalid_times_are_refused_with_a_message(admin_user):
    event = EventFactory()

    with pytest.raises(InvalidEventChange):
        event_update(
            event=event,
            actor=admin_user,
            data={"ends_at": event.starts_at - datetime.timedelta(hours=1)},
        )


def test_event_update_higher_capacity_promotes_in_order(admin_user):
    event = EventFactory(capacity=1)
    registration_create(user=UserFactory(), event=event)
    first = registration_create(user=UserFactory(), event=event)
    second = registration_create(user=UserFactory(), event=event)

    event_update(event=event, actor=admin_user, data={"capacity": 2})

    assert Registration.objects.get(pk=first.pk).status == RegistrationStatus.CONFIRMED
    assert Registration.objects.get(pk=second.pk).status == RegistrationStatus.WAITLISTED


# Membership end => registrations ----------------------------------------------------------


def _member_with_registrations(employee):
    partner = PartnerFactory()
    membership = active_membership(user=employee, partner=partner)
    members_only = EventFactory(partner=partner, is_members_only=True, capacity=1)
    open_to_all = EventFactory(partner=partner, is_members_only=False)
    other_host = EventFactory(is_members_only=True)
    active_membership(user=employee, partner=other_host.partner)
    seat = registration_create(user=employee, event=members_only)
    successor_member = UserFactory()
    active_membership(user=successor_member, partner=partner)
    next_in_line = registration_create(user=successor_member, event=members_only)
    registration_create(user=employee, event=open_to_all)
    registration_create(user=employee, event=other_host)
    return membership, members_only, seat, next_in_line


def test_membership_revoke_cancels_members_only_registrations_of_that_partner(employee, admin_user):
    membership, members_only, seat, next_in_line = _member_with_registrations(employee)

    membership_revoke(membership=membership, actor=admin_user, reason="Left the team")

    assert Registration.objects.get(pk=seat.pk).status == RegistrationStatus.CANCELLED
    assert Registration.objects.get(pk=next_in_line.pk).status == RegistrationStatus.CONFIRMED
    assert sorted(
        Registration.objects.filter(user=employee).values_list("event__is_members_only", "status")
    ) == [
        (False, RegistrationStatus.CONFIRMED),
        (True, RegistrationStatus.CANCELLED),
        (True, RegistrationStatus.CONFIRMED),
    ]
    notice = Notification.objects.get(user=employee, kind=NotificationKind.REGISTRATION_CANCELLED)
    assert notice.payload["cancelled_by"] == "portal"
    assert notice.payload["event_title"] == members_only.title
    assert str(_ics(notice)["method"]) == "CANCEL"


def test_membership_release_and_expiry_also_cancel_members_only_registrations(employee):
    partner = PartnerFactory()
    released = MembershipFactory(
        user=employee,
        sponsorship=SponsorshipFactory(partner=partner),
        status=MembershipStatus.ACTIVE,
    )
    event = EventFactory(partner=partner, is_members_only=True)
    seat = registration_create(user=employee, event=event)
    expiring_user = UserFactory()
    today = timezone.localdate()
    ended = SponsorshipFactory(
        partner=partner,
        starts_on=today - datetime.timedelta(days=400),
        ends_on=today - datetime.timedelta(days=1),
    )
    expired = MembershipFactory(user=expiring_user, sponsorship=ended, status="active")
    expiring_seat = RegistrationFactory(user=expiring_user, event=event)

    membership_release(membership=released, user=employee)
    memberships_expire_ended(today=today)

    expired.refresh_from_db()
    assert expired.status == MembershipStatus.EXPIRED
    assert Registration.objects.get(pk=seat.pk).status == RegistrationStatus.CANCELLED
    assert Registration.objects.get(pk=expiring_seat.pk).status == RegistrationStatus.CANCELLED


def test_membership_end_keeps_past_events_and_registrations_while_another_membership_lives(
    employee, admin_user
):
    partner = PartnerFactory()
    ending = active_membership(user=employee, partner=partner)
    MembershipFactory(
        user=employee, sponsorship=SponsorshipFactory(partner=partner), status="active"
    )
    event = EventFactory(partner=partner, is_members_only=True)
    seat = registration_create(user=employee, event=event)

    membership_revoke(membership=ending, actor=admin_user, reason="Moved to the other term")

    assert Registration.objects.get(pk=seat.pk).status == RegistrationStatus.CONFIRMED


# Cancellation e-mails ---------------------------------------------------------------------


def test_registration_cancel_emails_the_person_with_who_cancelled(employee, admin_user):
    event = EventFactory()
    own = registration_create(user=employee, event=event)
    other = registration_create(user=UserFactory(), event=event)

    registration_cancel(registration=own, actor=employee)
    registration_cancel(registration=other, actor=admin_user, reason="Duplicate account")
    registration_cancel(registration=other, actor=admin_user, reason="Duplicate account")
    by_portal = registration_create(user=UserFactory(), event=event)
    registration_cancel(registration=by_portal, actor=None, reason="Left the company.")

    notices = Notification.objects.filter(kind=NotificationKind.REGISTRATION_CANCELLED)
    assert sorted((n.user_id, n.payload["cancelled_by"], n.payload["reason"]) for n in notices) == (
        sorted(
            [
                (employee.pk, "employee", ""),
                (other.user_id, "admin", "Duplicate account"),
                (by_portal.user_id, "portal", "Left the company."),
            ]
        )
    )


# Calendars speak iTIP ---------------------------------------------------------------------


def test_confirmation_change_and_cancellation_carry_one_uid_with_rising_sequence(
    employee, admin_user
):
    employee.time_zone = "America/New_York"
    employee.save(update_fields=["time_zone"])
    event = EventFactory(time_zone="Asia/Karachi", venue="Room 1", format="in_person")
    registration = registration_create(user=employee, event=event)
    new_start = event.starts_at + datetime.timedelta(days=1)

    event_update(
        event=event,
        actor=admin_user,
        data={
            "starts_at": new_start,
            "ends_at": new_start + datetime.timedelta(hours=2),
            "venue": "Room 2",
        },
    )
    event_cancel(event=event, actor=admin_user)

    confirmed = Notification.objects.get(kind=NotificationKind.REGISTRATION_CONFIRMED)
    changed = Notification.objects.get(kind=NotificationKind.EVENT_CHANGED)
    cancelled = Notification.objects.get(kind=NotificationKind.EVENT_CANCELLED)
    calendars = [_ics(n) for n in (confirmed, changed, cancelled)]
    assert [str(c["method"]) for c in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
    vevents = [c.walk("VEVENT")[0] for c in calendars]
    assert {str(v["uid"]) for v in vevents} == {event_uid(event)}
    assert [v["sequence"] for v in vevents] == [0, 1, 2]
    assert [str(v["status"]) for v in vevents] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    for calendar, vevent in zip(calendars, vevents, strict=True):
        assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Karachi"]
        assert str(vevent["organizer"]).startswith("mailto:")
        assert str(vevent["attendee"]) == f"mailto:{employee.email}"
    assert vevents[1].decoded("dtstart") == new_start
    assert str(vevents[1]["location"]) == "Room 2"
    new_york = zoneinfo.ZoneInfo("America/New_York")
    old_local = timezone.localtime(event.starts_at, new_york)
    new_local = timezone.localtime(new_start, new_york)
    assert changed.payload["changes"] == [
        {
            "field": "starts at",
            "old": old_local.strftime("%A %-d %B %Y, %H:%M") + " (America/New_York)",
            "new": new_local.strftime("%A %-d %B %Y, %H:%M") + " (America/New_York)",
        },
        {
            "field": "ends at",
            "old": timezone.localtime(event.ends_at, new_york).strftime("%A %-d %B %Y, %H:%M")
            + " (America/New_York)",
            "new": timezone.localtime(new_start + datetime.timedelta(hours=2), new_york).strftime(
                "%A %-d %B %Y, %H:%M"
            )
            + " (America/New_York)",
        },
        {"field": "venue", "old": "Room 1", "new": "Room 2"},
    ]
    assert registration.pk == changed.payload["registration_id"]


def test_event_change_of_join_link_is_not_told_to_the_waitlist(admin_user):
    event = EventFactory(capacity=1)
    seat = registration_create(user=UserFactory(), event=event)
    waiting = registration_create(user=UserFactory(), event=event)

    event_update(event=event, actor=admin_user, data={"join_url": "https://meet.example.org/new"})

    by_user = {
        n.user_id: n for n in Notification.objects.filter(kind=NotificationKind.EVENT_CHANGED)
    }
    assert [c["field"] for c in by_user[seat.user_id].payload["changes"]] == ["join link"]
    assert by_user[waiting.user_id].payload["changes"] == []
    assert "attachments" not in by_user[waiting.user_id].payload
    assert "https://meet.example.org/new" not in str(by_user[waiting.user_id].payload)


def test_registration_cancel_of_a_seat_sends_an_itip_cancel_with_a_higher_sequence(employee):
    event = EventFactory()
    registration = registration_create(user=employee, event=event)

    registration_cancel(registration=registration, actor=employee)

    confirmed = _ics(Notification.objects.get(kind=NotificationKind.REGISTRATION_CONFIRMED))
    cancelled = _ics(Notification.objects.get(kind=NotificationKind.REGISTRATION_CANCELLED))
    first, last = confirmed.walk("VEVENT")[0], cancelled.walk("VEVENT")[0]
    assert (str(cancelled["method"]), str(last["uid"])) == ("CANCEL", str(first["uid"]))
    assert last["sequence"] > first["sequence"]
    assert last["attendee"].params["PARTSTAT"] == "DECLINED"


def test_event_moved_after_its_reminder_reminds_again_before_the_new_start(admin_user, settings):
    settings.EVENT_REMINDER_HOURS = 24
    now = timezone.now()
    event = EventFactory(
        starts_at=now + datetime.timedelta(hours=5), ends_at=now + datetime.timedelta(hours=6)
    )
    RegistrationFactory(event=event)
    assert event_reminders_send(now=now) == 1

    event_update(
        event=event,
        actor=admin_user,
        data={
            "starts_at": now + datetime.timedelta(hours=10),
            "ends_at": now + datetime.timedelta(hours=11),
        },
    )

    assert event_reminders_send(now=now) == 1
    assert event_reminders_send(now=now) == 0
    assert Notification.objects.filter(kind=NotificationKind.EVENT_REMINDER).count() == 2


def test_event_cancel_records_when(admin_user):
    event = EventFactory()

    cancelled = event_cancel(event=event, actor=admin_user)

    assert cancelled.status == EventStatus.CANCELLED
    assert cancelled.cancelled_at is not None
    assert abs((timezone.now() - cancelled.cancelled_at).total_seconds()) < 60
