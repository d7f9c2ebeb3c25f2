"""Memberships stay true after the moment of the claim: seats changed later, consent text
changed later, renewal into a next term, claims the partner never activates."""

import datetime

import pytest
from django.utils import timezone

from memberships.enums import MembershipStatus, NotificationKind, WaitlistStatus
from memberships.exceptions import ConsentRequired, InvalidTransition, SeatsBelowLive
from memberships.models import Membership, Notification, RosterEntry, SeatWaitlistEntry
from memberships.models.sponsorships import consent_version_for
from memberships.services.claims import (
    membership_claim,
    membership_release_idle,
    memberships_expire_ended,
    memberships_idle_remind,
    memberships_renewal_notices_send,
    sponsorship_renew,
    sponsorship_update,
    waitlist_join,
    waitlist_leave,
)
from memberships.services.digests import partner_members_csv
from memberships.services.notifications import notification_webhook_body
from tests.factories import (
    MembershipFactory,
    PartnerFactory,
    RosterEntryFactory,
    SponsorshipFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def _kinds(**filters) -> list[str]:
    return sorted(Notification.objects.filter(**filters).values_list("kind", flat=True))


def _live(sponsorship) -> list:
    return list(
        Membership.objects.filter(
            sponsorship=sponsorship, status__in=["pending_approval", "pending_partner", "active"]
        )
        .order_by("pk")
        .values_list("user_id", flat=True)
    )


# Seats ------------------------------------------------------------------------------------


def test_sponsorship_update_more_seats_claims_them_for_the_waitlist_in_order(admin_user):
    sponsorship = SponsorshipFactory(seats=1)
    holder = MembershipFactory(sponsorship=sponsorship)
    first, second, third = UserFactory.create_batch(3)
    for user in (first, second, third):
        waitlist_join(user=user, sponsorship=sponsorship, consent_version="v1")

    sponsorship_update(sponsorship=sponsorship, actor=admin_user, data={"seats": 3})

    assert _live(sponsorship) == [holder.user_id, first.pk, second.pk]
    statuses = dict(SeatWaitlistEntry.objects.values_list("user_id", "status"))
    assert statuses == {
        first.pk: WaitlistStatus.OFFERED,
        second.pk: WaitlistStatus.OFFERED,
        third.pk: WaitlistStatus.WAITING,
    }
    assert sorted(
        Notification.objects.filter(kind=NotificationKind.SEAT_OFFERED).values_list(
            "user_id", flat=True
        )
    ) == sorted([first.pk, second.pk])


def test_sponsorship_update_fewer_seats_than_live_is_refused_with_the_live_count(admin_user):
    sponsorship = SponsorshipFactory(seats=5)
    MembershipFactory.create_batch(3, sponsorship=sponsorship)

    with pytest.raises(SeatsBelowLive) as refused:
        sponsorship_update(sponsorship=sponsorship, actor=admin_user, data={"seats": 2})

    assert str(refused.value).startswith("3 memberships are live")
    sponsorship.refresh_from_db()
    assert sponsorship.seats == 5


def test_sponsorship_update_down_to_the_live_count_is_allowed(admin_user):
    sponsorship = SponsorshipFactory(seats=5)
    MembershipFactory.create_batch(3, sponsorship=sponsorship)

    updated = sponsorship_update(sponsorship=sponsorship, actor=admin_user, data={"seats": 3})

    assert updated.seats == 3


# Consent integrity ------------------------------------------------------------------------


def test_consent_version_for_changes_with_the_text_and_with_the_fields():
    base = consent_version_for(label="2026", text="I agree.", fields=["email", "name"])

    same = consent_version_for(label="2026", text="I agree.\r\n", fields=["name", "email"])
    new_text = consent_version_for(
        label="2026", text="I agree, and more.", fields=["email", "name"]
    )
    new_fields = consent_version_for(
        label="2026", text="I agree.", fields=["email", "name", "department"]
    )

    assert base.startswith("2026-")
    assert same == base
    assert len({base, new_text, new_fields}) == 3


def test_sponsorship_update_of_text_or_fields_makes_a_new_version_members_keep_theirs(
    admin_user, employee
):
    sponsorship = SponsorshipFactory(shared_fields=["email"], consent_text="Share my e-mail.")
    sponsorship = sponsorship_update(
        sponsorship=sponsorship, actor=admin_user, data={"consent_label": "2026"}
    )
    first_version = sponsorship.consent_version
    member = membership_claim(user=employee, sponsorship=sponsorship, consent_version=first_version)

    changed = sponsorship_update(
        sponsorship=sponsorship,
        actor=admin_user,
        data={"shared_fields": ["email", "department"]},
    )

    member.refresh_from_db()
    assert changed.consent_version != first_version
    assert changed.consent_version == consent_version_for(
        label="2026", text="Share my e-mail.", fields=["email", "department"]
    )
    assert (member.consent_version, member.consent_text, member.consent_fields) == (
        first_version,
        "Share my e-mail.",
        ["email"],
    )
    with pytest.raises(ConsentRequired):
        membership_claim(user=UserFactory(), sponsorship=changed, consent_version=first_version)


def test_partner_payloads_carry_only_the_members_consented_fields(employee):
    sponsorship = SponsorshipFactory(shared_fields=["email", "department"])
    membership = MembershipFactory(
        user=employee,
        sponsorship=sponsorship,
        status=MembershipStatus.ACTIVE,
        member_number="M-7",
        activated_at=timezone.now(),
        consent_fields=["email"],
        shared_data={"email": employee.email, "department": "Never agreed to"},
    )
    claimant = UserFactory()

    claimed = membership_claim(user=claimant, sponsorship=sponsorship, consent_version="v1")
    content, _count = partner_members_csv(partner=sponsorship.partner)

    assert membership.partner_data == {"email": employee.email}
    assert content.splitlines()[0] == "member_number,membership_id,sponsorship,active_since,email"
    assert "Never agreed to" not in content
    notice = Notification.objects.get(
        kind=NotificationKind.PARTNER_MEMBER_CLAIMED, payload__membership_id=str(claimed.public_id)
    )
    assert notice.payload["member"] == {
        "email": claimant.email,
        "department": claimant.department,
    }
    assert b"Never agreed to" not in notification_webhook_body(notice)


# Seat waitlist e-mails ----------------------------------------------------------------------


def test_waitlist_join_and_leave_each_send_one_email(employee):
    sponsorship = SponsorshipFactory(seats=1)
    MembershipFactory(sponsorship=sponsorship)

    waitlist_join(user=employee, sponsorship=sponsorship, consent_version="v1")
    waitlist_join(user=employee, sponsorship=sponsorship, consent_version="v1")
    left = waitlist_leave(user=employee, sponsorship=sponsorship)
    again = waitlist_leave(user=employee, sponsorship=sponsorship)

    assert (left, again) == (1, 0)
    assert _kinds(user=employee) == [
        NotificationKind.SEAT_WAITLIST_JOINED,
        NotificationKind.SEAT_WAITLIST_LEFT,
    ]
    joined = Notification.objects.get(kind=NotificationKind.SEAT_WAITLIST_JOINED)
    assert joined.payload["position"] == 1


# Renewal ----------------------------------------------------------------------------------


def _ending_sponsorship(days_left: int = 20, **kwargs):
    today = timezone.localdate()
    return SponsorshipFactory(
        starts_on=today - datetime.timedelta(days=300),
        ends_on=today + datetime.timedelta(days=days_left),
        **kwargs,
    )


def test_sponsorship_renew_opens_the_next_term_once_with_roster_and_new_consent(admin_user):
    sponsorship = _ending_sponsorship(uses_roster=True)
    RosterEntryFactory(sponsorship=sponsorship, email="kept@example.com")
    starts = sponsorship.ends_on + datetime.timedelta(days=1)

    renewal = sponsorship_renew(
        sponsorship=sponsorship,
        actor=admin_user,
        starts_on=starts,
        ends_on=starts + datetime.timedelta(days=364),
        consent_text="A new text for the new year.",
        consent_label="2027",
    )
    again = sponsorship_renew(
        sponsorship=sponsorship,
        actor=admin_user,
        starts_on=starts,
        ends_on=starts + datetime.timedelta(days=364),
    )

    assert again == renewal
    assert renewal.renewed_from == sponsorship
    assert (renewal.starts_on, renewal.seats, renewal.partner) == (
        starts,
        sponsorship.seats,
        sponsorship.partner,
    )
    assert renewal.consent_version == consent_version_for(
        label="2027", text="A new text for the new year.", fields=sponsorship.shared_fields
    )
    emails = RosterEntry.objects.filter(sponsorship=renewal).values_list("email", flat=True)
    assert list(emails) == ["kept@example.com"]


def test_membership_claim_of_the_renewal_keeps_the_member_number_and_is_active(
    admin_user, employee
):
    sponsorship = _ending_sponsorship()
    old = MembershipFactory(
        user=employee, sponsorship=sponsorship, status=MembershipStatus.ACTIVE, member_number="M-42"
    )
    starts = sponsorship.ends_on + datetime.timedelta(days=1)
    renewal = sponsorship_renew(
        sponsorship=sponsorship,
        actor=admin_user,
        starts_on=starts,
        ends_on=starts + datetime.timedelta(days=364),
    )

    renewed = membership_claim(
        user=employee, sponsorship=renewal, consent_version=renewal.consent_version
    )

    assert (renewed.status, renewed.member_number, renewed.sponsorship) == (
        MembershipStatus.ACTIVE,
        "M-42",
        renewal,
    )
    partner_notice = Notification.objects.get(kind=NotificationKind.PARTNER_MEMBER_RENEWED)
    assert partner_notice.payload["previous_membership_id"] == str(old.public_id)
    assert partner_notice.payload["member_number"] == "M-42"
    assert _kinds(user=employee) == [NotificationKind.MEMBERSHIP_RENEWED]
    # Without renewal the old term expires as today; the renewed one lives on.
    memberships_expire_ended(today=sponsorship.ends_on + datetime.timedelta(days=1))
    old.refresh_from_db()
    renewed.refresh_from_db()
    assert (old.status, renewed.status) == (MembershipStatus.EXPIRED, MembershipStatus.ACTIVE)


def test_memberships_renewal_notices_send_tells_each_member_once_and_the_team_a_summary(
    settings, admin_user
):
    settings.RENEWAL_NOTICE_DAYS = 30
    ending = _ending_sponsorship(days_left=20)
    later = _ending_sponsorship(days_left=60)
    told = MembershipFactory(sponsorship=ending, status=MembershipStatus.ACTIVE)
    MembershipFactory(sponsorship=later, status=MembershipStatus.ACTIVE)

    first = memberships_renewal_notices_send()
    second = memberships_renewal_notices_send()

    assert (first, second) == (1, 0)
    notice = Notification.objects.get(kind=NotificationKind.MEMBERSHIP_RENEWAL_NOTICE)
    assert (notice.user_id, notice.payload["has_renewal"]) == (told.user_id, False)
    summary = Notification.objects.get(kind=NotificationKind.PROGRAMME_TERM_ENDING)
    assert (summary.to_email, summary.recipient) == (settings.SUPPORT_EMAIL, "programme")
    assert (summary.payload["live_count"], summary.payload["days_left"]) == (1, 20)


def test_memberships_renewal_notices_send_skips_people_who_already_renewed(admin_user):
    sponsorship = _ending_sponsorship(days_left=10)
    member = MembershipFactory(
        sponsorship=sponsorship, status=MembershipStatus.ACTIVE, member_number="M-1"
    )
    starts = sponsorship.ends_on + datetime.timedelta(days=1)
    renewal = sponsorship_renew(
        sponsorship=sponsorship,
        actor=admin_user,
        starts_on=starts,
        ends_on=starts + datetime.timedelta(days=364),
    )
    membership_claim(user=member.user, sponsorship=renewal, consent_version=renewal.consent_version)

    sent = memberships_renewal_notices_send()

    assert sent == 0
    summary = Notification.objects.get(kind=NotificationKind.PROGRAMME_TERM_ENDING)
    assert (summary.payload["renewed_count"], summary.payload["has_renewal"]) == (1, True)


# Idle claims -------------------------------------------------------------------------------


def test_memberships_idle_remind_reminds_the_partner_once_a_week(settings):
    settings.PARTNER_ACTIVATION_DAYS = 14
    now = timezone.now()
    partner = PartnerFactory()
    sponsorship = SponsorshipFactory(partner=partner)
    overdue = MembershipFactory(
        sponsorship=sponsorship, shared_at=now - datetime.timedelta(days=15)
    )
    MembershipFactory(sponsorship=sponsorship, shared_at=now - datetime.timedelta(days=3))

    runs = [
        memberships_idle_remind(now=now),
        memberships_idle_remind(now=now + datetime.timedelta(days=1)),
        memberships_idle_remind(now=now + datetime.timedelta(days=7)),
    ]

    assert runs == [1, 0, 1]
    reminders = Notification.objects.filter(
        kind=NotificationKind.PARTNER_ACTIVATION_REMINDER
    ).order_by("pk")
    assert [[c["membership_id"] for c in r.payload["claims"]] for r in reminders] == [
        [str(overdue.public_id)],
        [str(overdue.public_id)],
    ]


def test_membership_release_idle_frees_the_seat_of_an_overdue_claim_only(settings, admin_user):
    settings.PARTNER_ACTIVATION_DAYS = 14
    sponsorship = SponsorshipFactory(seats=1)
    overdue = MembershipFactory(
        sponsorship=sponsorship, shared_at=timezone.now() - datetime.timedelta(days=20)
    )
    waiting = UserFactory()
    waitlist_join(user=waiting, sponsorship=sponsorship, consent_version="v1")
    fresh = MembershipFactory(shared_at=timezone.now())

    released = membership_release_idle(membership=overdue, actor=admin_user)

    assert released.status == MembershipStatus.RELEASED
    assert "did not activate the claim within 14 days" in released.end_reason
    assert _live(sponsorship) == [waiting.pk]
    employee_notice = Notification.objects.get(
        user=overdue.user, kind=NotificationKind.MEMBERSHIP_RELEASED
    )
    assert employee_notice.payload["is_released_by_programme"] is True
    with pytest.raises(InvalidTransition):
        membership_release_idle(membership=fresh, actor=admin_user)
