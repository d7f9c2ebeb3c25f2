"""A small programme whose insights are known by hand (see the expected figures in the
tests that use it). Two finished months: `first` and `second` (the last finished one)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from memberships.models import Attendance, Certificate, Feedback, Membership, Registration
from memberships.selectors.insights import add_months, last_completed_month
from tests.factories import (
    EventFactory,
    RosterEntryFactory,
    SponsorshipFactory,
    TopicFactory,
    UserFactory,
)


@dataclass
class Seeded:
    first: date
    second: date
    users: list
    target: object  # the one person whose activity in `second` must stay hidden


def _at(month: date, day: int, hour: int = 10) -> datetime:
    return datetime.combine(
        month.replace(day=day), time(hour), tzinfo=timezone.get_default_timezone()
    )


def _membership(user, sponsorship, claimed_at, activated_after_days=None):
    activated_at = (
        None if activated_after_days is None else claimed_at + timedelta(days=activated_after_days)
    )
    return Membership.objects.create(
        user=user,
        sponsorship=sponsorship,
        status="active" if activated_at else "pending_partner",
        consent_version="v1",
        consent_text="ok",
        consented_at=claimed_at,
        claimed_at=claimed_at,
        activated_at=activated_at,
    )


def _attend(event, users, attended=(), ratings=()):
    for index, user in enumerate(users):
        registration = Registration.objects.create(
            event=event, user=user, status="confirmed", created_at=event.starts_at
        )
        if user in attended:
            Attendance.objects.create(
                registration=registration,
                status="attended",
                source="admin",
                marked_at=event.ends_at,
            )
            Certificate.objects.create(registration=registration, issued_at=event.ends_at)
        if index < len(ratings):
            Feedback.objects.create(
                registration=registration,
                rating=ratings[index],
                submitted_at=event.ends_at,
                updated_at=event.ends_at,
            )


def seed_programme() -> Seeded:
    second = last_completed_month()
    first = add_months(second, -1)
    users = [UserFactory(department="Trust & Safety") for _n in range(8)]
    users[6].department = "Marketing"
    users[6].save()
    target = users[7]
    today = timezone.localdate()
    sponsorship = SponsorshipFactory(
        starts_on=first - timedelta(days=30),
        ends_on=today + timedelta(days=300),
        uses_roster=True,
        seats=None,
        fee=Decimal("12000.00"),
        fee_currency="EUR",
    )
    RosterEntryFactory(sponsorship=sponsorship, email=users[0].email)
    RosterEntryFactory(sponsorship=sponsorship, email="not-signed-in-yet@example.com")
    RosterEntryFactory(sponsorship=sponsorship, email=users[6].email, is_eligible=False)
    # Seven claims in the first month: five activated after 1, 2, 3, 4 and 10 days.
    for user, days in zip(users[:7], [1, 2, 3, 4, 10, None, None], strict=True):
        _membership(user, sponsorship, _at(first, 3), days)
    # One claim in the second month, activated a day later: the person to protect.
    _membership(target, sponsorship, _at(second, 3), 1)
    policy = TopicFactory(name="Policy")
    workshop = EventFactory(
        kind="workshop", starts_at=_at(first, 10), ends_at=_at(first, 10, 12), capacity=None
    )
    workshop.topics.add(policy)
    _attend(workshop, users[:6], attended=users[:5], ratings=[5, 4, 4, 3, 2])
    webinar = EventFactory(
        kind="webinar", starts_at=_at(first, 12), ends_at=_at(first, 12, 11), capacity=None
    )
    _attend(webinar, users[5:7])
    quiet = EventFactory(
        kind="well_being", starts_at=_at(first, 14), ends_at=_at(first, 14, 11), capacity=None
    )
    _attend(quiet, users[:5], attended=users[:5])
    later = EventFactory(
        kind="workshop", starts_at=_at(second, 10), ends_at=_at(second, 10, 12), capacity=None
    )
    later.topics.add(policy)
    _attend(later, [target], attended=[target])
    return Seeded(first=first, second=second, users=users, target=target)
