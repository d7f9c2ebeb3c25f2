"""The seat race on real PostgreSQL: many people claim the last seats at the same moment."""

import threading

import pytest
from django.db import connection

from memberships.enums import LIVE_MEMBERSHIP_STATUSES, NotificationKind, WaitlistStatus
from memberships.exceptions import MembershipError, SeatsExhausted
from memberships.models import Membership, Notification, SeatWaitlistEntry
from memberships.services.claims import membership_claim, waitlist_join
from tests.factories import SponsorshipFactory, UserFactory

pytestmark = [pytest.mark.integration]

CLAIMANTS = 50
SEATS = 10


def _race(users, target) -> list:
    """Run `target(user)` for every user in its own thread, all released at once."""
    barrier = threading.Barrier(len(users))
    outcomes: list = [None] * len(users)

    def run(index: int, user) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = target(user)
        except Exception as exc:  # noqa: BLE001 -- the test asserts on every outcome
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, u)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_membership_claim_under_concurrency_never_oversells():
    sponsorship = SponsorshipFactory(seats=SEATS)
    users = [UserFactory() for _ in range(CLAIMANTS)]

    def claim_or_wait(user):
        try:
            return membership_claim(user=user, sponsorship=sponsorship, consent_version="v1")
        except SeatsExhausted:
            return waitlist_join(user=user, sponsorship=sponsorship, consent_version="v1")

    outcomes = _race(users, claim_or_wait)

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == []
    live = Membership.objects.filter(sponsorship=sponsorship, status__in=LIVE_MEMBERSHIP_STATUSES)
    assert live.count() == SEATS
    assert (
        SeatWaitlistEntry.objects.filter(
            sponsorship=sponsorship, status=WaitlistStatus.WAITING
        ).count()
        == CLAIMANTS - SEATS
    )
    assert (
        Notification.objects.filter(kind=NotificationKind.PARTNER_MEMBER_CLAIMED).count() == SEATS
    )


@pytest.mark.django_db(transaction=True)
def test_membership_claim_double_submit_under_concurrency_yields_one_membership():
    sponsorship = SponsorshipFactory(seats=SEATS)
    user = UserFactory()

    outcomes = _race(
        [user] * 8,
        lambda u: membership_claim(user=u, sponsorship=sponsorship, consent_version="v1"),
    )

    created = [o for o in outcomes if isinstance(o, Membership)]
    refused = [o for o in outcomes if isinstance(o, MembershipError)]
    assert (len(created), len(refused)) == (1, 7)
    assert Membership.objects.filter(user=user).count() == 1
