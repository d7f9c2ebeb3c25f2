"""Deprovisioning racing a claim in flight, on real PostgreSQL.

The claim is held in flight deterministically: a third connection holds the sponsorship lock,
so the claim has passed its eligibility check and waits; the deprovisioning then starts; the
lock is released. Whatever the order, the leaver must end with no live membership, the seat
their future registration must be cancelled with the waitlist
promoted, and the partner must hear of each revocation exactly once."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from memberships.enums import LIVE_MEMBERSHIP_STATUSES, NotificationKind, RegistrationStatus
from memberships.exceptions import NotEligible
from memberships.models import Membership, Notification, Sponsorship
from memberships.services.claims import membership_claim
from portal.models import User
from portal.provisioning import user_deprovision
from tests.factories import EventFactory, RegistrationFactory, SponsorshipFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _waiting_on_locks() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def _wait_for_lock_waiters(count: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while _waiting_on_locks() < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"fewer than {count} sessions ever waited on a lock")
        time.sleep(0.02)


def _in_thread(target, outcomes: dict, key: str) -> threading.Thread:
    def run():
        try:
            outcomes[key] = target()
        except Exception as exc:  # noqa: BLE001 -- the test asserts on every outcome
            outcomes[key] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_deprovision_with_a_claim_in_flight_leaves_no_live_membership():
    sponsorship = SponsorshipFactory(seats=1)
    leaver = UserFactory(email="leaver@example.com")
    next_in_line = UserFactory(email="next@example.com")
    event = EventFactory(capacity=1)
    seat = RegistrationFactory(event=event, user=leaver, status=RegistrationStatus.CONFIRMED)
    waiting = RegistrationFactory(
        event=event, user=next_in_line, status=RegistrationStatus.WAITLISTED
    )
    outcomes: dict = {}
    lock_held = threading.Event()
    release = threading.Event()

    def hold_sponsorship_lock():
        with transaction.atomic():
            list(Sponsorship.objects.select_for_update().filter(pk=sponsorship.pk))
            lock_held.set()
            release.wait(timeout=30)

    holder_thread = _in_thread(hold_sponsorship_lock, outcomes, "holder")
    assert lock_held.wait(timeout=10)
    claim_thread = _in_thread(
        lambda: membership_claim(user=leaver, sponsorship=sponsorship, consent_version="v1"),
        outcomes,
        "claim",
    )
    _wait_for_lock_waiters(1)  # the claim is in flight, past its eligibility check
    deprovision_thread = _in_thread(
        lambda: user_deprovision(user=User.objects.get(pk=leaver.pk), actor_label="SCIM: test"),
        outcomes,
        "deprovision",
    )
    time.sleep(0.5)  # let the deprovisioning run as far as it can before the claim finishes
    release.set()
    for thread in (holder_thread, claim_thread, deprovision_thread):
        thread.join(timeout=60)

    assert not isinstance(outcomes["deprovision"], Exception), outcomes["deprovision"]
    assert isinstance(outcomes["claim"], Membership | NotEligible), outcomes["claim"]
    live = Membership.objects.filter(user=leaver, status__in=LIVE_MEMBERSHIP_STATUSES)
    assert list(live) == []
    assert User.objects.get(pk=leaver.pk).is_active is False
    seat.refresh_from_db()
    waiting.refresh_from_db()
    assert (seat.status, waiting.status) == (
        RegistrationStatus.CANCELLED,
        RegistrationStatus.CONFIRMED,
    )
    claimed = Membership.objects.filter(user=leaver)
    revocations = Notification.objects.filter(kind=NotificationKind.PARTNER_MEMBER_REVOKED)
    assert revocations.count() == claimed.count()
    assert [m.end_reason for m in claimed] == ["Left the company"] * claimed.count()
