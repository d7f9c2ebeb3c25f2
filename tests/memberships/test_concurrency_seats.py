"""Seat changes racing claims on real PostgreSQL: an admin raises or lowers the seats of a
sponsorship at the moment people claim it."""

import pytest

from memberships.enums import LIVE_MEMBERSHIP_STATUSES, WaitlistStatus
from memberships.exceptions import SeatsBelowLive, SeatsExhausted
from memberships.models import Membership, SeatWaitlistEntry, Sponsorship
from memberships.services.claims import membership_claim, sponsorship_update, waitlist_join
from tests.factories import MembershipFactory, SponsorshipFactory, UserFactory
from tests.memberships.test_concurrency_claims import _race

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROUNDS = 5


def _live_user_ids(sponsorship) -> set[int]:
    return set(
        Membership.objects.filter(
            sponsorship=sponsorship, status__in=LIVE_MEMBERSHIP_STATUSES
        ).values_list("user_id", flat=True)
    )


def _claim_or_wait(sponsorship):
    def run(user):
        try:
            return membership_claim(user=user, sponsorship=sponsorship, consent_version="v1")
        except SeatsExhausted:
            return waitlist_join(user=user, sponsorship=sponsorship, consent_version="v1")

    return run


def test_seats_raised_while_two_people_claim_keeps_the_waitlist_order_and_never_oversells():
    admin = UserFactory(is_staff=True)
    for _round in range(ROUNDS):
        sponsorship = SponsorshipFactory(seats=1)
        MembershipFactory(sponsorship=sponsorship)
        first, second = UserFactory.create_batch(2)
        waitlist_join(user=first, sponsorship=sponsorship, consent_version="v1")
        waitlist_join(user=second, sponsorship=sponsorship, consent_version="v1")
        claimants = UserFactory.create_batch(2)
        claim = _claim_or_wait(sponsorship)

        def act(actor, sponsorship=sponsorship, claim=claim):
            if actor == admin:
                return sponsorship_update(sponsorship=sponsorship, actor=admin, data={"seats": 3})
            return claim(actor)

        outcomes = _race([admin, *claimants], act)

        assert [o for o in outcomes if isinstance(o, Exception)] == []
        live = _live_user_ids(sponsorship)
        assert len(live) == 3
        # The two who were waiting get the new seats; the claimants queue behind them.
        assert {first.pk, second.pk} <= live
        assert set(
            SeatWaitlistEntry.objects.filter(
                sponsorship=sponsorship, status=WaitlistStatus.WAITING
            ).values_list("user_id", flat=True)
        ) == {c.pk for c in claimants}


def test_seats_lowered_while_people_claim_never_leave_more_live_than_seats():
    admin = UserFactory(is_staff=True)
    for _round in range(ROUNDS):
        sponsorship = SponsorshipFactory(seats=5)
        MembershipFactory.create_batch(3, sponsorship=sponsorship)
        claimants = UserFactory.create_batch(2)
        claim = _claim_or_wait(sponsorship)

        def act(actor, sponsorship=sponsorship, claim=claim):
            if actor == admin:
                try:
                    return sponsorship_update(
                        sponsorship=sponsorship, actor=admin, data={"seats": 4}
                    )
                except SeatsBelowLive as refused:
                    return refused
            return claim(actor)

        outcomes = _race([admin, *claimants], act)

        assert [
            o for o in outcomes if type(o) is not SeatsBelowLive and isinstance(o, Exception)
        ] == []
        seats = Sponsorship.objects.get(pk=sponsorship.pk).seats
        assert len(_live_user_ids(sponsorship)) <= seats
