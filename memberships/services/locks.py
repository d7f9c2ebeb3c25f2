"""Row locks on the scarce things, in one place so that every service takes them the same way.

Lock order, everywhere: sponsorship, then membership, then events (a membership that ends
cancels members-only registrations while it holds its locks); an event is never locked before
a sponsorship or membership. Each function must run inside a transaction (the caller's
`atomic(durable=True)` entry point), and locks only the named row (`of=("self",)`), never the
related rows it preloads."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from ..enums import LIVE_MEMBERSHIP_STATUSES
from ..models import Event, Membership, Sponsorship


def sponsorship_lock(*, sponsorship_id: int) -> Sponsorship:
    """The sponsorship row, locked (seat counts and the seat waitlist hang on it)."""
    return (
        Sponsorship.objects.select_for_update(of=("self",))
        .select_related("partner")
        .get(pk=sponsorship_id)
    )


def membership_lock(*, membership: Membership) -> Membership:
    """The membership's sponsorship, then the membership itself (always in that order), fresh
    from the database."""
    sponsorship = sponsorship_lock(sponsorship_id=membership.sponsorship_id)
    locked = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=membership.pk)
    )
    locked.sponsorship = sponsorship
    return locked


def event_lock(*, event_id: int) -> Event:
    """The event row, locked (capacity, the waitlist and the calendar sequence hang on it)."""
    return Event.objects.select_for_update(of=("self",)).select_related("partner").get(pk=event_id)


def user_lock(*, user_id: int):
    """The person's row, locked (no key update): deprovisioning holds it while it revokes."""
    return get_user_model().objects.select_for_update(no_key=True).get(pk=user_id)


def live_memberships_lock(*, sponsorship: Sponsorship):
    """The live memberships of a sponsorship whose row the caller has locked, locked in id
    order (the expiry sweep ends them one by one)."""
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(sponsorship=sponsorship, status__in=LIVE_MEMBERSHIP_STATUSES)
        .order_by("pk")
    )


def active_user_lock(*, user_id: int) -> bool:
    """The person's row, locked (no key update) if the account is still active; False if it
    is not. Deprovisioning holds this lock while it revokes, so a claim in flight waits."""
    return (
        get_user_model()
        .objects.select_for_update(no_key=True)
        .filter(pk=user_id, is_active=True)
        .exists()
    )
