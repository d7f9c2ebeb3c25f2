"""Every membership notification renders its e-mail triplet with the payload it is written with."""

import datetime

import pytest
from django.utils import timezone

from memberships.emails import make_message
from memberships.enums import MembershipStatus, NotificationChannel
from memberships.models import Notification
from memberships.services.claims import (
    membership_activate,
    membership_approve,
    membership_claim,
    membership_decline,
    membership_release,
    membership_revoke,
    memberships_expire_ended,
    waitlist_join,
)
from tests.factories import MembershipFactory, SponsorshipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def test_membership_emails_render_for_every_kind(employee, admin_user):
    today = timezone.localdate()
    sponsorship = SponsorshipFactory(seats=2, requires_approval=True)
    first = membership_claim(user=employee, sponsorship=sponsorship, consent_version="v1")
    membership_approve(membership=first, actor=admin_user)
    membership_activate(membership=first, member_number="TSPA-0042")
    second = membership_claim(user=UserFactory(), sponsorship=sponsorship, consent_version="v1")
    waiting = UserFactory()
    waitlist_join(user=waiting, sponsorship=sponsorship, consent_version="v1")
    membership_decline(membership=second, actor=admin_user, reason="Not in the team yet")
    membership_release(membership=first, user=employee)
    revoked = MembershipFactory(status=MembershipStatus.ACTIVE, member_number="TSPA-9")
    membership_revoke(membership=revoked, actor=admin_user, reason="Left the company")
    ended = SponsorshipFactory(
        starts_on=today - datetime.timedelta(days=400), ends_on=today - datetime.timedelta(days=1)
    )
    MembershipFactory(sponsorship=ended, status=MembershipStatus.ACTIVE)
    memberships_expire_ended(today=today)

    emails = Notification.objects.filter(channel=NotificationChannel.EMAIL)
    messages = {n.kind: make_message(n) for n in emails}

    assert sorted(messages) == [
        "membership_active",
        "membership_approved",
        "membership_declined",
        "membership_expired",
        "membership_received",
        "membership_released",
        "membership_revoked",
        "partner_member_claimed",
        "partner_member_expired",
        "partner_member_released",
        "partner_member_revoked",
        "seat_offered",
        "seat_waitlist_joined",
    ]
    assert "TSPA-0042" in messages["membership_active"].body
    assert "Not in the team yet" in messages["membership_declined"].body
    assert "it is now yours" in messages["seat_offered"].body
    claimed = messages["partner_member_claimed"]
    assert f"email: {employee.email}" in claimed.body
    assert "{{" not in "".join(m.body + m.subject for m in messages.values())
    assert all(m.alternatives[0].content.startswith("<!doctype html>") for m in messages.values())
