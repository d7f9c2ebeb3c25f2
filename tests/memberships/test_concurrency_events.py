import threading

import pytest
from django.db import connection

from memberships.enums import NotificationKind, RegistrationStatus
from memberships.models import Notification, Registration
from memberships.selectors.events import registrations_with_position
from memberships.services.events import registration_cancel, registration_create
from tests.factories import EventFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def _run_in_threads(jobs) -> list[BaseException]:
    """Start every job at once (a barrier), each on its own database connection."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # noqa: BLE001 -- reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_registration_create_30_at_once_for_10_seats_then_3_cancellations(mailoutbox):
    event = EventFactory(capacity=10)
    users = UserFactory.create_batch(30)

    errors = _run_in_threads([lambda u=u: registration_create(user=u, event=event) for u in users])

    assert errors == []
    confirmed = list(Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED))
    waitlist = list(
        registrations_with_position(
            Registration.objects.filter(event=event, status=RegistrationStatus.WAITLISTED)
        ).order_by("created_at", "pk")
    )
    assert (len(confirmed), len(waitlist)) == (10, 20)
    # Arrival order is lock order: creation times and ids agree, positions run 1..20.
    assert [r.pk for r in waitlist] == sorted(r.pk for r in waitlist)
    assert [r.waitlist_position for r in waitlist] == list(range(1, 21))
    assert max(r.created_at for r in confirmed) < waitlist[0].created_at

    mailoutbox.clear()
    errors = _run_in_threads(
        [lambda r=r: registration_cancel(registration=r, actor=r.user) for r in confirmed[:3]]
    )

    assert errors == []
    promoted = Registration.objects.filter(event=event, promoted_at__isnull=False)
    assert sorted(promoted.values_list("pk", flat=True)) == [r.pk for r in waitlist[:3]]
    assert Registration.objects.filter(event=event, status="confirmed").count() == 10
    notices = Notification.objects.filter(kind=NotificationKind.REGISTRATION_PROMOTED)
    assert sorted(notices.values_list("user", flat=True)) == sorted(r.user_id for r in waitlist[:3])
    # The promoted hear of their seat, the three who cancelled get their confirmation.
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [r.user.email for r in waitlist[:3]] + [r.user.email for r in confirmed[:3]]
    )
