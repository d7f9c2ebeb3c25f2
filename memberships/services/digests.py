"""The partner's weekly members digest: a CSV of active members, e-mailed through the outbox."""

from django.db import transaction
from django.utils import timezone

from ..csv_export import csv_text
from ..enums import MembershipStatus, NotificationChannel, NotificationKind
from ..models import Membership, Notification, Partner
from ..models.sponsorships import SHAREABLE_FIELDS
from .notifications import notification_create

DIGEST_FIXED_COLUMNS = ["member_number", "membership_id", "sponsorship", "active_since"]


def partner_members_csv(*, partner: Partner) -> tuple[str, int]:
    """The partner's active members as CSV text, and how many there are. Only the fields
    each member agreed to share (their consent snapshot) are filled in. Two queries."""
    memberships = list(
        Membership.objects.filter(sponsorship__partner=partner, status=MembershipStatus.ACTIVE)
        .select_related("sponsorship")
        .order_by("activated_at", "pk")
    )
    shared = {field for m in memberships for field in m.partner_data}
    shared_columns = [field for field in SHAREABLE_FIELDS if field in shared]
    rows = (
        [
            membership.member_number,
            str(membership.public_id),
            membership.sponsorship.name,
            membership.activated_at.date().isoformat() if membership.activated_at else "",
            *[membership.partner_data.get(field, "") for field in shared_columns],
        ]
        for membership in memberships
    )
    return csv_text(header=DIGEST_FIXED_COLUMNS + shared_columns, rows=rows), len(memberships)


@transaction.atomic
def partner_weekly_digest(*, partner_id: int, today=None) -> Notification | None:
    """Queue this week's members list (CSV attached) to the partner's operations address.
    Idempotent per partner and ISO week; returns None for an inactive partner or one
    without an operations address."""
    partner = Partner.objects.filter(pk=partner_id, is_active=True).first()
    if partner is None or not partner.operations_email:
        return None
    today = today or timezone.localdate()
    year, week, _day = today.isocalendar()
    content, count = partner_members_csv(partner=partner)
    return notification_create(
        kind=NotificationKind.PARTNER_WEEKLY_DIGEST,
        channel=NotificationChannel.EMAIL,
        payload={
            "partner_name": partner.name,
            "member_count": count,
            "generated_on": today.isoformat(),
            "attachments": [
                {
                    "filename": f"{partner.slug}-members-{year}-W{week:02d}.csv",
                    "content": content,
                    "mimetype": "text/csv",
                }
            ],
        },
        idempotency_key=f"partner:{partner.pk}:digest:{year}-W{week:02d}",
        partner=partner,
        to_email=partner.operations_email,
    )


def partner_weekly_digests() -> int:
    """One digest per active partner (each in its own transaction). Returns how many."""
    partner_ids = Partner.objects.filter(is_active=True).values_list("pk", flat=True)
    return sum(
        partner_weekly_digest(partner_id=partner_id) is not None for partner_id in partner_ids
    )
