import datetime

import pytest
from django.utils import timezone

from memberships.enums import MembershipStatus, NotificationStatus
from memberships.models import Membership, Notification, Sponsorship
from memberships.services.digests import partner_weekly_digest, partner_weekly_digests
from tests.factories import PartnerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def make_active_membership(sponsorship, user, *, number, shared):
    return Membership.objects.create(
        user=user,
        sponsorship=sponsorship,
        status=MembershipStatus.ACTIVE,
        member_number=number,
        consent_version="v1",
        consent_text="I agree.",
        consented_at=timezone.now(),
        consent_fields=sorted(shared),
        shared_data=shared,
        activated_at=timezone.now(),
    )


@pytest.fixture
def sponsorship(partner):
    return Sponsorship.objects.create(
        partner=partner,
        name="T&S 2026",
        slug="ts-2026",
        company="Example Corp",
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
        shared_fields=["email", "name"],
        consent_text="I agree.",
        consent_version="v1",
        contact_email="programme@example.com",
    )


def test_partner_weekly_digest_attaches_consented_fields_of_active_members(
    partner, sponsorship, employee, other_employee, mailoutbox, django_capture_on_commit_callbacks
):
    active = make_active_membership(
        sponsorship, employee, number="=A-1", shared={"email": "alex@example.com", "name": "Alex"}
    )
    released = make_active_membership(
        sponsorship, other_employee, number="B-2", shared={"email": "sam@example.com"}
    )
    released.status = MembershipStatus.RELEASED
    released.save()

    with django_capture_on_commit_callbacks(execute=True):
        notification = partner_weekly_digest(partner_id=partner.pk, today=datetime.date(2026, 1, 7))

    notification.refresh_from_db()
    [message] = mailoutbox
    assert notification.idempotency_key == f"partner:{partner.pk}:digest:2026-W02"
    assert notification.status == NotificationStatus.DELIVERED
    assert message.to == [partner.operations_email]
    assert message.attachments == [
        (
            f"{partner.slug}-members-2026-W02.csv",
            "member_number,membership_id,sponsorship,active_since,email,name\n"
            f"'=A-1,{active.public_id},T&S 2026,{active.activated_at.date().isoformat()},"
            "alex@example.com,Alex\n",
            "text/csv",
        )
    ]
    assert "1 member sponsored" in message.body


def test_partner_weekly_digest_is_idempotent_per_week(partner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = partner_weekly_digest(partner_id=partner.pk, today=datetime.date(2026, 1, 5))
        second = partner_weekly_digest(partner_id=partner.pk, today=datetime.date(2026, 1, 11))

    assert second.pk == first.pk
    assert len(callbacks) == 1


def test_partner_weekly_digests_skip_inactive_and_addressless_partners(partner):
    PartnerFactory(is_active=False)
    PartnerFactory(operations_email="")

    count = partner_weekly_digests()

    assert count == 1
    assert list(Notification.objects.values_list("partner", flat=True)) == [partner.pk]
