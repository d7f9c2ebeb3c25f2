"""The e-mails of later changes render their triplets with the payloads they are written with."""

import datetime

import icalendar
import pytest
from django.utils import timezone

from memberships.emails import make_message
from memberships.enums import MembershipStatus, NotificationChannel
from memberships.models import Notification
from memberships.services.claims import (
    membership_claim,
    membership_release_idle,
    memberships_idle_remind,
    memberships_renewal_notices_send,
    sponsorship_renew,
    waitlist_join,
    waitlist_leave,
)
from memberships.services.events import event_update, registration_cancel, registration_create
from tests.factories import EventFactory, MembershipFactory, SponsorshipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]

NEW_KINDS = [
    "event_changed",
    "membership_released",
    "membership_renewal_notice",
    "membership_renewed",
    "partner_activation_reminder",
    "partner_member_renewed",
    "programme_term_ending",
    "registration_cancelled",
    "seat_waitlist_joined",
    "seat_waitlist_left",
]


def test_later_change_emails_render_for_every_new_kind(employee, admin_user, settings):
    settings.PARTNER_ACTIVATION_DAYS = 14
    today = timezone.localdate()
    ending = SponsorshipFactory(
        seats=2,
        starts_on=today - datetime.timedelta(days=300),
        ends_on=today + datetime.timedelta(days=10),
    )
    MembershipFactory(sponsorship=ending, status=MembershipStatus.ACTIVE, member_number="M-5")
    idle = MembershipFactory(
        sponsorship=ending, shared_at=timezone.now() - datetime.timedelta(days=20)
    )
    memberships_renewal_notices_send()
    waiting = UserFactory()
    waitlist_join(user=waiting, sponsorship=ending, consent_version="v1")
    waitlist_leave(user=waiting, sponsorship=ending)
    memberships_idle_remind()
    membership_release_idle(membership=idle, actor=admin_user)
    renewer = MembershipFactory(
        sponsorship=ending, status=MembershipStatus.ACTIVE, member_number="M-9"
    )
    starts = ending.ends_on + datetime.timedelta(days=1)
    renewal = sponsorship_renew(
        sponsorship=ending,
        actor=admin_user,
        starts_on=starts,
        ends_on=starts + datetime.timedelta(days=364),
    )
    membership_claim(
        user=renewer.user, sponsorship=renewal, consent_version=renewal.consent_version
    )
    event = EventFactory(venue="Room 1", format="in_person")
    seat = registration_create(user=employee, event=event)
    event_update(event=event, actor=admin_user, data={"venue": "Room 2"})
    registration_cancel(registration=seat, actor=employee)

    emails = Notification.objects.filter(channel=NotificationChannel.EMAIL, kind__in=NEW_KINDS)
    messages = {n.kind: make_message(n) for n in emails}

    assert sorted(messages) == NEW_KINDS
    assert "Room 1 → Room 2" in messages["event_changed"].body
    assert "<del>Room 1</del> → <strong>Room 2</strong>" in (
        messages["event_changed"].alternatives[0].content
    )
    assert "did not activate the claim within 14 days" in messages["membership_released"].body
    assert "keep your member number M-9" in messages["membership_renewed"].body
    assert "waiting 20 days" in messages["partner_activation_reminder"].body
    assert "number 1 in line" in messages["seat_waitlist_joined"].body
    assert "As you asked, your registration" in messages["registration_cancelled"].body
    assert messages["programme_term_ending"].to == [settings.SUPPORT_EMAIL]
    for kind in ("event_changed", "registration_cancelled"):
        (name, content, mimetype) = messages[kind].attachments[0]
        method = "REQUEST" if kind == "event_changed" else "CANCEL"
        assert str(icalendar.Calendar.from_ical(content)["method"]) == method
        assert (name.endswith(".ics"), mimetype) == (True, f"text/calendar; method={method}")
    raw = messages["registration_cancelled"].message().as_string()
    assert 'Content-Type: text/calendar; method="CANCEL"; charset="utf-8"' in raw
    assert "{{" not in "".join(m.body + m.subject for m in messages.values())
    assert all(m.alternatives[0].content.startswith("<!doctype html>") for m in messages.values())
