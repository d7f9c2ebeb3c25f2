"""Data for the benchmark (`make bench`): a realistic portal at `--scale N`.

At N=1: 100 events, 1,000 employees, 2,000 registrations, 200 memberships, 10 resources,
1,000 notifications and 500 audit rows; every number grows linearly with N (N=100 is the
benchmark's 100x). Bulk inserts in batches, so N=100 takes about a minute, not hours.

It refuses to write into a database that already holds employees or events: it is meant for
an empty database made for the benchmark (`bench/run.py` creates one per scale)."""

from __future__ import annotations

import datetime
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from memberships.enums import (
    EventFormat,
    EventKind,
    EventStatus,
    MembershipStatus,
    NotificationChannel,
    NotificationKind,
    NotificationRecipient,
    NotificationStatus,
    RegistrationStatus,
    ResourceKind,
)
from memberships.models import (
    AuditEntry,
    Event,
    Membership,
    Notification,
    Partner,
    Registration,
    Resource,
    Sponsorship,
    Topic,
)
from memberships.services.events import event_search_refresh
from portal.models import User

BATCH = 5000
PARTNERS = 5
# The employee the benchmark signs in as, and the partner whose API it calls.
BENCH_USERNAME = "bench-employee"
BENCH_PARTNER_SLUG = "bench-partner-0"

WORDS = (
    "policy moderation escalation appeals resilience wellbeing trauma review queue "
    "classifier harassment misinformation extremism grooming fraud spam integrity "
    "transparency audit privacy safety labelling triage quality calibration coaching "
    "leadership career mentoring interview negotiation research tooling automation "
    "metrics enforcement regulation compliance"
).split()
TOPICS = (
    "Policy",
    "Well-being",
    "Tooling",
    "Careers",
    "Regulation",
    "Child safety",
    "Misinformation",
    "Fraud",
)


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def _bulk(model, rows, **kwargs) -> list:
    return model.objects.bulk_create(rows, batch_size=BATCH, **kwargs)


class Command(BaseCommand):
    help = "Fill an empty database with benchmark data at --scale N (N=1 and N=100 are used)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scale", type=int, default=1, help="Multiplier of every count.")
        parser.add_argument("--seed", type=int, default=16, help="Random seed (same data).")

    def handle(self, *args, scale: int, seed: int, **options) -> None:
        if scale < 1:
            raise CommandError("--scale must be at least 1.")
        if User.objects.exists() or Event.objects.exists():
            raise CommandError(
                "This database already holds employees or events; bench_data only fills an "
                "empty database made for the benchmark."
            )
        started = time.monotonic()
        with transaction.atomic():
            counts = self._generate(scale=scale, rng=random.Random(seed))  # noqa: S311 -- data
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Planner statistics and visibility map, as a running database has them.
                cursor.execute("VACUUM ANALYZE")
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count:,}")
        self.stdout.write(f"done in {time.monotonic() - started:.1f} s")

    def _generate(self, *, scale: int, rng: random.Random) -> dict[str, int]:
        now = timezone.now()
        today = timezone.localdate()
        n_users, n_events = 1000 * scale, 100 * scale
        n_registrations, n_memberships = 2000 * scale, 200 * scale

        partners = _bulk(
            Partner,
            [
                Partner(
                    name=f"Bench association {p}",
                    slug=f"bench-partner-{p}",
                    operations_email=f"ops{p}@association.example.org",
                    webhook_secret="whsec_YmVuY2g=",  # noqa: S106 -- fake partners, no server
                )
                for p in range(PARTNERS)
            ],
        )
        sponsorships = _bulk(
            Sponsorship,
            [
                Sponsorship(
                    partner=partner,
                    name=f"Bench sponsorship {p}",
                    slug=f"bench-sponsorship-{p}",
                    company="Example Corp",
                    seats=None if p % 2 else 50 * scale,
                    starts_on=today - datetime.timedelta(days=30),
                    ends_on=today + datetime.timedelta(days=335),
                    eligible_groups=["trust-safety"],
                    shared_fields=["email", "name", "employee_id"],
                    consent_text="I agree to share my e-mail, name and employee id.",
                    consent_version="v1",
                    contact_email="tns-programme@example.com",
                )
                for p, partner in enumerate(partners)
            ],
        )
        topics = _bulk(
            Topic,
            [Topic(name=name, slug=f"topic-{i}") for i, name in enumerate(TOPICS)],
        )

        # The password column holds an unusable marker, as for every SSO employee.
        users = _bulk(
            User,
            [
                User(
                    username=BENCH_USERNAME if u == 0 else f"bench{u}",
                    email=f"bench{u}@example.com",
                    name=f"Bench Employee {u}",
                    employee_id=f"B{u:07d}",
                    department="Trust & Safety",
                    idp_subject=f"bench-{u}",
                    idp_groups=["trust-safety"],
                    password="!bench",  # noqa: S106 -- unusable, like every SSO employee's
                )
                for u in range(n_users)
            ],
        )

        events = []
        for e in range(n_events):
            # 40% past, 50% upcoming, the rest drafts and cancelled (not listed).
            slot = e % 10
            if slot < 4:
                starts = now - datetime.timedelta(hours=6 + rng.randrange(2 * 365 * 24))
            else:
                starts = now + datetime.timedelta(hours=6 + rng.randrange(365 * 24))
            status = (
                EventStatus.DRAFT
                if slot == 8
                else EventStatus.CANCELLED
                if slot == 9
                else EventStatus.PUBLISHED
            )
            events.append(
                Event(
                    partner=partners[e % PARTNERS],
                    title=f"{_sentence(rng, 4)} {e}",
                    slug=f"bench-event-{e}",
                    kind=EventKind.values[e % len(EventKind.values)],
                    summary=_sentence(rng, 14),
                    body="<p>" + ". ".join(_sentence(rng, 12) for _ in range(6)) + ".</p>",
                    starts_at=starts,
                    ends_at=starts + datetime.timedelta(minutes=90),
                    time_zone="Europe/Dublin",
                    format=EventFormat.values[e % len(EventFormat.values)],
                    venue="Dublin office" if e % 3 else "",
                    join_url="https://meet.example.org/bench",
                    capacity=None if e % 4 == 0 else 20 + e % 200,
                    content_note_label="Graphic content" if e % 11 == 0 else "",
                    status=status,
                )
            )
        events = _bulk(Event, events)
        event_search_refresh(events=Event.objects.all())
        through = Event.topics.through
        _bulk(
            through,
            [
                through(event_id=event.pk, topic_id=topics[(i + k) % len(topics)].pk)
                for i, event in enumerate(events)
                for k in range(1 + i % 2)
            ],
        )

        # Each employee holds at most two registrations, on two different events.
        registrations = []
        for r in range(n_registrations):
            u, k = r % n_users, r // n_users
            event = events[(u * 7 + 4 + k * (n_events // 2)) % n_events]
            status = (
                RegistrationStatus.CANCELLED
                if r % 10 == 9
                else RegistrationStatus.WAITLISTED
                if r % 10 == 8
                else RegistrationStatus.CONFIRMED
            )
            registrations.append(
                Registration(
                    event=event,
                    user=users[u],
                    status=status,
                    created_at=now - datetime.timedelta(minutes=r),
                )
            )
        _bulk(Registration, registrations)

        statuses = [
            MembershipStatus.ACTIVE,
            MembershipStatus.ACTIVE,
            MembershipStatus.PENDING_PARTNER,
            MembershipStatus.RELEASED,
            MembershipStatus.EXPIRED,
        ]
        memberships = []
        for m in range(n_memberships):
            user = users[1 + m % (n_users - 1)]  # the signed-in employee holds none
            status = statuses[m % len(statuses)]
            claimed = now - datetime.timedelta(hours=m)
            memberships.append(
                Membership(
                    user=user,
                    sponsorship=sponsorships[m % PARTNERS],
                    status=status,
                    member_number=f"M{m:07d}" if status == MembershipStatus.ACTIVE else "",
                    consent_version="v1",
                    consent_text="I agree to share my e-mail, name and employee id.",
                    consented_at=claimed,
                    shared_data={
                        "email": user.email,
                        "name": user.name,
                        "employee_id": user.employee_id,
                    },
                    shared_at=claimed,
                    claimed_at=claimed,
                    activated_at=claimed if status == MembershipStatus.ACTIVE else None,
                    ended_at=now if status not in (statuses[0], statuses[2]) else None,
                )
            )
        _bulk(Membership, memberships)

        _bulk(
            Resource,
            [
                Resource(
                    partner=partners[r % PARTNERS],
                    title=f"{_sentence(rng, 5)} {r}",
                    kind=ResourceKind.values[r % len(ResourceKind.values)],
                    url=f"https://association.example.org/resources/{r}",
                    summary=_sentence(rng, 25),
                    is_members_only=r % 3 == 0,
                )
                for r in range(10 * scale)
            ],
        )
        _bulk(
            Notification,
            [
                Notification(
                    kind=NotificationKind.REGISTRATION_CONFIRMED,
                    recipient=NotificationRecipient.EMPLOYEE,
                    channel=NotificationChannel.EMAIL,
                    user=users[n % n_users],
                    to_email=users[n % n_users].email,
                    payload={"event_title": "Bench event", "when": "Tuesday"},
                    idempotency_key=f"bench:{n}",
                    status=NotificationStatus.DELIVERED,
                    attempts=1,
                    delivered_at=now,
                )
                for n in range(1000 * scale)
            ],
        )
        _bulk(
            AuditEntry,
            [
                AuditEntry(
                    actor_label="bench",
                    action="event_changed",
                    object_type="event",
                    object_id=str(events[a % n_events].pk),
                    object_label=events[a % n_events].title,
                    changes={"capacity": [20, 30]},
                )
                for a in range(500 * scale)
            ],
        )
        return {
            "partners": PARTNERS,
            "sponsorships": len(sponsorships),
            "employees": n_users,
            "events": n_events,
            "registrations": n_registrations,
            "memberships": n_memberships,
            "resources": 10 * scale,
            "notifications": 1000 * scale,
            "audit entries": 500 * scale,
        }
