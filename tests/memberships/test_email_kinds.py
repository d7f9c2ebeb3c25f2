"""Every e-mail kind, rendered from payloads the services really write, in every language
the portal has: branded layout, real links, readable dates, a Reply-To, the reason why."""

import datetime
import re

import pytest
from django.conf import settings
from django.utils import timezone, translation

from memberships.emails import make_message
from memberships.enums import (
    AttendanceStatus,
    MembershipStatus,
    NotificationChannel,
    NotificationKind,
)
from memberships.models import Notification
from memberships.services.attendance import attendance_mark_by_partner
from memberships.services.claims import (
    membership_activate,
    membership_approve,
    membership_claim,
    membership_decline,
    membership_release,
    membership_revoke,
    memberships_expire_ended,
    memberships_idle_remind,
    memberships_renewal_notices_send,
    sponsorship_renew,
    waitlist_join,
    waitlist_leave,
)
from memberships.services.digests import partner_weekly_digest
from memberships.services.events import (
    event_cancel,
    event_reminders_send,
    event_roster_send,
    event_update,
    registration_cancel,
    registration_create,
)
from memberships.services.insights import insights_monthly_report_send
from portal.provisioning import user_groups_apply
from tests.factories import EventFactory, MembershipFactory, SponsorshipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]

HREF = re.compile(r'href="([^"]*)"')
UNREADABLE_TIME = re.compile(r"\d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T")


def _every_email_kind(employee, admin_user) -> dict[str, Notification]:
    today = timezone.localdate()
    employee.time_zone = "Asia/Karachi"
    employee.save()
    sponsorship = SponsorshipFactory(seats=2, requires_approval=True)
    first = membership_claim(user=employee, sponsorship=sponsorship, consent_version="v1")
    membership_approve(membership=first, actor=admin_user)
    membership_activate(membership=first, member_number="TSPA-0042")
    second = membership_claim(user=UserFactory(), sponsorship=sponsorship, consent_version="v1")
    waitlist_join(user=UserFactory(), sponsorship=sponsorship, consent_version="v1")
    membership_decline(membership=second, actor=admin_user, reason="Not in the team yet")
    membership_release(membership=first, user=employee)
    revoked = MembershipFactory(status=MembershipStatus.ACTIVE, member_number="TSPA-9")
    membership_revoke(membership=revoked, actor=admin_user, reason="Left the company")
    ended = SponsorshipFactory(
        starts_on=today - datetime.timedelta(days=400), ends_on=today - datetime.timedelta(days=1)
    )
    MembershipFactory(sponsorship=ended, status=MembershipStatus.ACTIVE)
    memberships_expire_ended(today=today)
    partner_weekly_digest(partner_id=sponsorship.partner_id)

    # A term ending soon: an idle claim, a renewal into the next term, notices, the waitlist.
    ending = SponsorshipFactory(
        seats=3,
        starts_on=today - datetime.timedelta(days=300),
        ends_on=today + datetime.timedelta(days=10),
    )
    MembershipFactory(sponsorship=ending, status=MembershipStatus.ACTIVE, member_number="M-5")
    MembershipFactory(sponsorship=ending, shared_at=timezone.now() - datetime.timedelta(days=20))
    renewer = MembershipFactory(
        sponsorship=ending, status=MembershipStatus.ACTIVE, member_number="M-9"
    )
    memberships_idle_remind()
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
    memberships_renewal_notices_send(today=today)
    waiting = UserFactory()
    waitlist_join(user=waiting, sponsorship=ending, consent_version="v1")
    waitlist_leave(user=waiting, sponsorship=ending)
    # The directory drops someone from the eligible group: a grace period starts.
    leaving = UserFactory(time_zone="Asia/Karachi")
    MembershipFactory(user=leaving, status=MembershipStatus.ACTIVE, member_number="TSPA-7")
    user_groups_apply(user=leaving, groups=[], actor_label="directory")

    soon = timezone.now() + datetime.timedelta(hours=2)
    event = EventFactory(
        capacity=1, starts_at=soon, ends_at=soon + datetime.timedelta(hours=1), venue="Room 4"
    )
    seat = registration_create(user=employee, event=event)
    registration_create(user=UserFactory(), event=event)  # waitlisted
    registration_cancel(registration=seat, actor=employee)  # promotes
    event_reminders_send()
    event_update(event=event, actor=admin_user, data={"venue": "Room 5"})
    event_roster_send(
        event=EventFactory(starts_at=soon, ends_at=soon + datetime.timedelta(hours=1))
    )
    event_cancel(event=event, actor=admin_user, reason="The speaker is ill")
    attended = EventFactory()
    place = registration_create(user=employee, event=attended)
    attendance_mark_by_partner(
        event=attended,
        marks={place.pk: AttendanceStatus.ATTENDED},
        now=attended.starts_at + datetime.timedelta(minutes=30),
    )
    dropped = registration_create(user=employee, event=EventFactory())
    registration_cancel(registration=dropped, actor=admin_user, reason="The room is closed.")
    insights_monthly_report_send(today=today)

    emails = Notification.objects.filter(channel=NotificationChannel.EMAIL).order_by("pk")
    return {n.kind: n for n in emails}


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_every_email_kind_renders_branded_with_real_links_in_every_language(
    employee, admin_user, language, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notifications = _every_email_kind(employee, admin_user)

    assert sorted(notifications) == sorted(NotificationKind.values)
    for kind, notification in notifications.items():
        with translation.override(language):
            message = make_message(notification)
        html = message.alternatives[0].content
        text = message.body
        everything = message.subject + text + html
        assert html.startswith("<!doctype html>"), kind
        assert settings.PROGRAMME_NAME.replace("&", "&amp;") in html, kind
        assert "Why you got this e-mail" in html and "Why you got this e-mail" in text, kind
        for placeholder in ("{{", "{%", "None", "<membership", "//activate", "memberships//"):
            assert placeholder not in everything, (kind, placeholder)
        assert not UNREADABLE_TIME.search(text + message.subject), (kind, text)
        links = HREF.findall(html)
        assert links, kind
        for link in links:
            assert re.match(r"^(https?://[^/\s]+(/[^\s]*)?|mailto:[^@\s]+@[^@\s]+)$", link), (
                kind,
                link,
            )
            assert "//" not in link.split("://", 1)[-1], (kind, link)
        assert message.reply_to and "no-reply" not in message.reply_to[0], kind


def test_partner_new_member_email_names_the_activation_url_of_that_membership(
    employee, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notifications = _every_email_kind(employee, admin_user)

    message = make_message(notifications["partner_member_claimed"])

    membership_id = notifications["partner_member_claimed"].payload["membership_id"]
    url = f"{settings.SITE_URL}/api/partner/v1/memberships/{membership_id}/activate"
    assert f"POST {url}" in message.body
    assert f"<code>POST {url}</code>" in message.alternatives[0].content


def test_email_dates_are_in_the_recipients_zone_without_seconds(
    employee, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notifications = _every_email_kind(employee, admin_user)

    claimed = make_message(notifications["partner_member_claimed"]).body
    active = make_message(notifications["membership_active"]).body

    assert re.search(r"Claimed on \d{1,2} \w+ \d{4}, \d{2}:\d{2} \(UTC\);", claimed)
    ends_on = notifications["membership_active"].payload["ends_on"]
    assert datetime.date.fromisoformat(ends_on).strftime("%-d %B %Y") in active


def test_event_email_replies_reach_the_host_and_others_the_programme_team(
    employee, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notifications = _every_email_kind(employee, admin_user)

    event_mail = make_message(notifications["registration_confirmed"])
    membership_mail = make_message(notifications["membership_active"])

    assert event_mail.reply_to == ["membership-ops@association.example.org"]
    assert membership_mail.reply_to == [settings.EMAIL_REPLY_TO]
    assert settings.EMAIL_REPLY_TO == settings.SUPPORT_EMAIL
    assert "The reason: The speaker is ill" in make_message(notifications["event_cancelled"]).body
