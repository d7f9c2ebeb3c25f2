"""Arrangement helpers shared by the events tests."""

import datetime

from django.utils import timezone

from memberships.enums import MembershipStatus
from memberships.models import Membership, Sponsorship


def active_membership(*, user, partner, shared_data=None, member_number="M-1001"):
    """An active membership of `partner` for `user`, as the claims flow leaves it."""
    today = timezone.localdate()
    sponsorship, _created = Sponsorship.objects.get_or_create(
        slug=f"{partner.slug}-sponsorship",
        defaults={
            "partner": partner,
            "name": "Sponsored membership",
            "company": "Example Corp",
            "starts_on": today - datetime.timedelta(days=30),
            "ends_on": today + datetime.timedelta(days=335),
            "consent_text": "I agree to share my name and e-mail.",
            "consent_version": "v1",
            "contact_email": "programme@example.com",
            "shared_fields": ["name", "email"],
        },
    )
    return Membership.objects.create(
        user=user,
        sponsorship=sponsorship,
        status=MembershipStatus.ACTIVE,
        member_number=member_number,
        consent_version="v1",
        consent_text=sponsorship.consent_text,
        consented_at=timezone.now(),
        shared_data=shared_data
        if shared_data is not None
        else {"name": user.name, "email": user.email},
    )
