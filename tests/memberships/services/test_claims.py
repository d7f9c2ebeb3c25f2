import datetime

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from memberships.enums import MembershipStatus, NotificationKind, WaitlistStatus
from memberships.exceptions import (
    AlreadyMember,
    ConsentRequired,
    InvalidTransition,
    MembershipError,
    NotEligible,
    SeatsExhausted,
)
from memberships.models import AuditEntry, Membership, Notification, SeatWaitlistEntry
from memberships.services.claims import (
    membership_activate,
    membership_approve,
    membership_claim,
    membership_decline,
    membership_release,
    membership_revoke,
    membership_revoke_all_for_user,
    memberships_expire_ended,
    waitlist_join,
)
from portal.services import user_deactivate_from_idp
from tests.factories import MembershipFactory, SponsorshipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def _audit(membership) -> list[tuple[str, dict, str]]:
    rows = AuditEntry.objects.filter(
        object_type="memberships.membership", object_id=str(membership.pk)
    ).order_by("pk")
    return [(a.action, a.changes["status"], a.reason) for a in rows]


def _kinds(**filters) -> list[str]:
    return sorted(Notification.objects.filter(**filters).values_list("kind", flat=True))


def test_membership_claim_auto_approved_goes_to_partner_with_consented_fields_only(employee):
    sponsorship = SponsorshipFactory(shared_fields=["email", "name"])

    membership = membership_claim(user=employee, sponsorship=sponsorship, consent_version="v1")

    assert membership.status == MembershipStatus.PENDING_PARTNER
    assert membership.shared_data == {"email": "alex@example.com", "name": "Alex Morgan"}
    assert membership.consent_version == "v1"
    assert membership.consent_text == sponsorship.consent_text
    assert membership.shared_at is not None
    partner_notice = Notification.objects.get(kind=NotificationKind.PARTNER_MEMBER_CLAIMED)
    assert partner_notice.partner == sponsorship.partner
    assert partner_notice.idempotency_key == f"membership:{membership.pk}:claimed:email"
    assert partner_notice.payload["member"] == {"email": "alex@example.com", "name": "Alex Morgan"}
    assert partner_notice.payload["membership_id"] == str(membership.public_id)
    assert "employee_id" not in str(partner_notice.payload)
    assert _kinds(user=employee) == [NotificationKind.MEMBERSHIP_RECEIVED]
    assert _audit(membership) == [("claimed", [None, "pending_partner"], "")]


def test_membership_claim_needing_approval_tells_the_partner_nothing_yet(employee):
    sponsorship = SponsorshipFactory(requires_approval=True)

    membership = membership_claim(user=employee, sponsorship=sponsorship, consent_version="v1")

    assert membership.status == MembershipStatus.PENDING_APPROVAL
    assert membership.shared_at is None
    assert _kinds(partner=sponsorship.partner) == []
    assert _kinds(user=employee) == [NotificationKind.MEMBERSHIP_RECEIVED]


def test_membership_claim_locks_the_sponsorship_row(employee):
    sponsorship = SponsorshipFactory()

    with CaptureQueriesContext(connection) as queries:
        membership_claim(user=employee, sponsorship=sponsorship, consent_version="v1")

    locking = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 1
    assert 'FROM "memberships_sponsorship"' in locking[0]


def test_membership_claim_refuses_an_ineligible_employee(other_employee):
    sponsorship = SponsorshipFactory()

    with pytest.raises(NotEligible) as excinfo:
        membership_claim(user=other_employee, sponsorship=sponsorship, consent_version="v1")

    assert "does not place you in one of them" in str(excinfo.value)
    assert "trust-safety" not in str(excinfo.value)
    assert "tns-programme@example.com" in str(excinfo.value)
    assert Membership.objects.count() == 0


def test_membership_claim_refuses_an_existing_member(employee):
    sponsorship = SponsorshipFactory()
    first = membership_claim(user=employee, sponsorship=sponsorship, consent_version="v1")

    with pytest.raises(AlreadyMember) as excinfo:
        membership_claim(user=employee, sponsorship=sponsorship, consent_version="v1")

    assert excinfo.value.membership == first
    assert list(Membership.objects.all()) == [first]
    assert Notification.objects.filter(kind=NotificationKind.PARTNER_MEMBER_CLAIMED).count() == 1


def test_membership_claim_refuses_without_consent(employee):
    sponsorship = SponsorshipFactory()

    with pytest.raises(ConsentRequired):
        membership_claim(user=employee, sponsorship=sponsorship, consent_version="")

    assert Membership.objects.count() == 0


def test_membership_claim_refuses_consent_to_an_outdated_text(employee):
    sponsorship = SponsorshipFactory(consent_version="v2")

    with pytest.raises(ConsentRequired) as excinfo:
        membership_claim(user=employee, sponsorship=sponsorship, consent_version="v1")

    assert "changed" in str(excinfo.value)


def test_membership_claim_refuses_an_ended_sponsorship(employee):
    today = timezone.localdate()
    sponsorship = SponsorshipFactory(
        starts_on=today - datetime.timedelta(days=400), ends_on=today - datetime.timedelta(days=1)
    )

    with pytest.raises(NotEligible) as excinfo:
        membership_claim(user=employee, sponsorship=sponsorship, consent_version="v1")

    assert "ended on" in str(excinfo.value)


def test_membership_claim_refuses_a_sponsorship_not_yet_open(employee):
    today = timezone.localdate()
    sponsorship = SponsorshipFactory(
        starts_on=today + datetime.timedelta(days=3), ends_on=today + datetime.timedelta(days=300)
    )

    with pytest.raises(NotEligible) as excinfo:
        membership_claim(user=employee, sponsorship=sponsorship, consent_version="v1")

    assert "opens on" in str(excinfo.value)


def test_membership_claim_refuses_an_inactive_user(employee):
    employee.is_active = False
    employee.save()
    sponsorship = SponsorshipFactory()

    with pytest.raises(NotEligible) as excinfo:
        membership_claim(user=employee, sponsorship=sponsorship, consent_version="v1")

    assert "inactive" in str(excinfo.value)


def test_membership_claim_refuses_when_seats_are_full(employee):
    sponsorship = SponsorshipFactory(seats=1)
    MembershipFactory(sponsorship=sponsorship)

    with pytest.raises(SeatsExhausted):
        membership_claim(user=employee, sponsorship=sponsorship, consent_version="v1")

    assert sponsorship.memberships.count() == 1


def test_membership_constraint_allows_one_live_membership_per_user_and_sponsorship(employee):
    sponsorship = SponsorshipFactory()
    MembershipFactory(user=employee, sponsorship=sponsorship)

    with pytest.raises(IntegrityError):
        MembershipFactory(user=employee, sponsorship=sponsorship)


def test_membership_approve_sends_to_partner_and_audits(employee, admin_user):
    sponsorship = SponsorshipFactory(requires_approval=True)
    membership = membership_claim(user=employee, sponsorship=sponsorship, consent_version="v1")

    membership = membership_approve(membership=membership, actor=admin_user)

    assert membership.status == MembershipStatus.PENDING_PARTNER
    assert membership.approved_at is not None
    assert membership.shared_at is not None
    assert _kinds(partner=sponsorship.partner) == [NotificationKind.PARTNER_MEMBER_CLAIMED]
    assert _kinds(user=employee) == [
        NotificationKind.MEMBERSHIP_APPROVED,
        NotificationKind.MEMBERSHIP_RECEIVED,
    ]
    assert _audit(membership)[-1] == ("approved", ["pending_approval", "pending_partner"], "")
    assert AuditEntry.objects.filter(action="approved").get().actor == admin_user


def test_membership_approve_twice_is_idempotent(employee, admin_user):
    membership = membership_claim(
        user=employee,
        sponsorship=SponsorshipFactory(requires_approval=True),
        consent_version="v1",
    )
    membership_approve(membership=membership, actor=admin_user)

    membership_approve(membership=membership, actor=admin_user)

    assert AuditEntry.objects.filter(action="approved").count() == 1
    assert Notification.objects.filter(kind=NotificationKind.MEMBERSHIP_APPROVED).count() == 1


def test_membership_decline_records_reason_and_tells_the_employee(employee, admin_user):
    membership = membership_claim(
        user=employee,
        sponsorship=SponsorshipFactory(requires_approval=True),
        consent_version="v1",
    )

    membership = membership_decline(membership=membership, actor=admin_user, reason="Contractor")

    assert membership.status == MembershipStatus.DECLINED
    assert membership.end_reason == "Contractor"
    assert _audit(membership)[-1] == ("declined", ["pending_approval", "declined"], "Contractor")
    declined = Notification.objects.get(kind=NotificationKind.MEMBERSHIP_DECLINED)
    assert declined.payload["reason"] == "Contractor"


def test_membership_decline_needs_a_reason(employee, admin_user):
    membership = MembershipFactory(user=employee, status=MembershipStatus.PENDING_APPROVAL)

    with pytest.raises(MembershipError):
        membership_decline(membership=membership, actor=admin_user, reason="  ")


def test_membership_activate_stores_number_and_emails_once(employee):
    membership = MembershipFactory(user=employee)

    membership_activate(membership=membership, member_number="TSPA-0042")
    membership = membership_activate(membership=membership, member_number="TSPA-0042")

    assert membership.status == MembershipStatus.ACTIVE
    assert membership.member_number == "TSPA-0042"
    assert _kinds(user=employee) == [NotificationKind.MEMBERSHIP_ACTIVE]
    assert _audit(membership) == [("activated", ["pending_partner", "active"], "")]


def test_membership_activate_refuses_another_number_once_active(employee):
    membership = MembershipFactory(user=employee)
    membership_activate(membership=membership, member_number="TSPA-0042")

    with pytest.raises(InvalidTransition):
        membership_activate(membership=membership, member_number="TSPA-9999")

    membership.refresh_from_db()
    assert membership.member_number == "TSPA-0042"


def test_membership_activate_refuses_a_claim_awaiting_approval(employee):
    membership = MembershipFactory(user=employee, status=MembershipStatus.PENDING_APPROVAL)

    with pytest.raises(InvalidTransition):
        membership_activate(membership=membership, member_number="TSPA-1")


def test_membership_release_frees_seat_and_notifies_partner(employee):
    sponsorship = SponsorshipFactory()
    membership = MembershipFactory(user=employee, sponsorship=sponsorship)

    membership = membership_release(membership=membership, user=employee)

    assert membership.status == MembershipStatus.RELEASED
    assert membership.ended_at is not None
    assert _kinds(partner=sponsorship.partner) == [NotificationKind.PARTNER_MEMBER_RELEASED]
    assert _kinds(user=employee) == [NotificationKind.MEMBERSHIP_RELEASED]
    assert _audit(membership) == [
        ("released", ["pending_partner", "released"], "Released by the employee.")
    ]
    assert sponsorship.memberships.filter(status__in=["pending_partner", "active"]).count() == 0


def test_membership_release_refuses_someone_elses_membership(employee, other_employee):
    membership = MembershipFactory(user=employee)

    with pytest.raises(InvalidTransition):
        membership_release(membership=membership, user=other_employee)

    membership.refresh_from_db()
    assert membership.status == MembershipStatus.PENDING_PARTNER


def test_membership_release_twice_is_idempotent(employee):
    membership = MembershipFactory(user=employee)
    membership_release(membership=membership, user=employee)

    membership_release(membership=membership, user=employee)

    assert AuditEntry.objects.filter(action="released").count() == 1


def test_membership_revoke_records_reason_and_notifies(employee, admin_user):
    membership = MembershipFactory(user=employee, status=MembershipStatus.ACTIVE)

    membership = membership_revoke(membership=membership, actor=admin_user, reason="Left team")

    assert membership.status == MembershipStatus.REVOKED
    assert _audit(membership) == [("revoked", ["active", "revoked"], "Left team")]
    assert _kinds(partner=membership.sponsorship.partner) == [
        NotificationKind.PARTNER_MEMBER_REVOKED
    ]
    assert _kinds(user=employee) == [NotificationKind.MEMBERSHIP_REVOKED]


def test_membership_revoke_refuses_an_ended_membership(employee, admin_user):
    membership = MembershipFactory(user=employee, status=MembershipStatus.RELEASED)

    with pytest.raises(InvalidTransition):
        membership_revoke(membership=membership, actor=admin_user, reason="x")


def test_membership_revoke_all_for_user_ends_every_live_membership(employee):
    live_a = MembershipFactory(user=employee)
    live_b = MembershipFactory(user=employee, status=MembershipStatus.ACTIVE)
    MembershipFactory(user=employee, status=MembershipStatus.RELEASED)

    revoked = membership_revoke_all_for_user(user=employee, reason="Left the company")

    assert sorted(m.pk for m in revoked) == sorted([live_a.pk, live_b.pk])
    assert set(Membership.objects.filter(user=employee).values_list("status", flat=True)) == {
        MembershipStatus.REVOKED,
        MembershipStatus.RELEASED,
    }


def test_user_deactivate_from_idp_revokes_memberships(employee):
    membership = MembershipFactory(user=employee, status=MembershipStatus.ACTIVE)

    user_deactivate_from_idp(user=employee)

    membership.refresh_from_db()
    assert membership.status == MembershipStatus.REVOKED
    assert membership.end_reason == "Left the company"
    assert _kinds(partner=membership.sponsorship.partner) == [
        NotificationKind.PARTNER_MEMBER_REVOKED
    ]


def test_memberships_expire_ended_expires_only_ended_sponsorships(employee, other_employee):
    today = timezone.localdate()
    ended = SponsorshipFactory(
        starts_on=today - datetime.timedelta(days=400), ends_on=today - datetime.timedelta(days=1)
    )
    old = MembershipFactory(user=employee, sponsorship=ended, status=MembershipStatus.ACTIVE)
    current = MembershipFactory(user=other_employee)

    count = memberships_expire_ended(today=today)
    again = memberships_expire_ended(today=today)

    old.refresh_from_db()
    current.refresh_from_db()
    assert (count, again) == (1, 0)
    assert old.status == MembershipStatus.EXPIRED
    assert current.status == MembershipStatus.PENDING_PARTNER
    assert _audit(old) == [("expired", ["active", "expired"], "The sponsorship's term ended.")]
    assert _kinds(partner=ended.partner) == [NotificationKind.PARTNER_MEMBER_EXPIRED]


def test_returning_member_gets_previous_number_in_partner_payload(employee):
    sponsorship = SponsorshipFactory()
    MembershipFactory(
        user=employee,
        sponsorship=sponsorship,
        status=MembershipStatus.RELEASED,
        member_number="TSPA-0007",
    )

    membership = membership_claim(user=employee, sponsorship=sponsorship, consent_version="v1")
    membership_activate(membership=membership, member_number="TSPA-0007")

    notice = Notification.objects.get(
        kind=NotificationKind.PARTNER_MEMBER_CLAIMED, idempotency_key__contains=membership.pk
    )
    membership.refresh_from_db()
    assert notice.payload["previous_member_number"] == "TSPA-0007"
    assert membership.previous_member_number == "TSPA-0007"
    assert membership.member_number == "TSPA-0007"


def test_waitlist_join_then_freed_seat_goes_to_first_in_line(employee):
    sponsorship = SponsorshipFactory(seats=1)
    holder = MembershipFactory(sponsorship=sponsorship)
    second = UserFactory()
    first_entry = waitlist_join(user=employee, sponsorship=sponsorship, consent_version="v1")
    waitlist_join(user=second, sponsorship=sponsorship, consent_version="v1")

    membership_release(membership=holder, user=holder.user)

    first_entry.refresh_from_db()
    new = Membership.objects.get(user=employee)
    assert first_entry.status == WaitlistStatus.OFFERED
    assert first_entry.membership == new
    assert new.status == MembershipStatus.PENDING_PARTNER
    assert new.consent_version == "v1"
    assert _audit(new) == [("claimed_from_waitlist", [None, "pending_partner"], "")]
    assert SeatWaitlistEntry.objects.get(user=second).status == WaitlistStatus.WAITING
    assert Membership.objects.filter(user=second).count() == 0
    assert _kinds(user=employee) == [
        NotificationKind.MEMBERSHIP_RECEIVED,
        NotificationKind.SEAT_OFFERED,
        NotificationKind.SEAT_WAITLIST_JOINED,
    ]


def test_waitlist_join_is_idempotent_and_refused_while_seats_are_free(employee):
    full = SponsorshipFactory(seats=1)
    MembershipFactory(sponsorship=full)
    open_one = SponsorshipFactory(seats=5)

    entry = waitlist_join(user=employee, sponsorship=full, consent_version="v1")
    again = waitlist_join(user=employee, sponsorship=full, consent_version="v1")

    assert entry == again
    with pytest.raises(MembershipError):
        waitlist_join(user=employee, sponsorship=open_one, consent_version="v1")


def test_freed_seat_skips_a_waiting_person_who_is_no_longer_eligible(employee, other_employee):
    sponsorship = SponsorshipFactory(seats=1)
    holder = MembershipFactory(sponsorship=sponsorship)
    waitlist_join(user=employee, sponsorship=sponsorship, consent_version="v1")
    employee.idp_groups = ["marketing"]
    employee.save()

    membership_release(membership=holder, user=holder.user)

    assert SeatWaitlistEntry.objects.get(user=employee).status == WaitlistStatus.LEFT
    assert Membership.objects.filter(user=employee).count() == 0
