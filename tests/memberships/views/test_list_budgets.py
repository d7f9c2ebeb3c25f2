"""Every list the portal serves, at 10 and at 2,000 rows: the same number of queries, one page
of results, and no query whose work covers every row when the page needs only some."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from memberships.enums import EventStatus, MembershipStatus, RegistrationStatus
from memberships.models import Event, Membership, Registration, Resource
from memberships.services.calendar import calendar_feed_for_user
from memberships.services.events import event_search_refresh
from portal.models import User
from tests.factories import PartnerFactory, SponsorshipFactory, TopicFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

SIZES = [10, 2000]


def _users(count: int, prefix: str) -> list[User]:
    return User.objects.bulk_create(
        User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com", idp_subject=f"{prefix}-{n}")
        for n in range(count)
    )


def _events(count: int, *, past: bool = False, partner=None) -> list[Event]:
    """`count` published events with a topic and one confirmed registration each, bulk
    inserted (their search vectors stored as the services store them)."""
    partner = partner or PartnerFactory()
    topic = TopicFactory()
    now = timezone.now()
    sign = -1 if past else 1
    prefix = "past" if past else "next"
    events = Event.objects.bulk_create(
        Event(
            partner=partner,
            title=f"Policy clinic {prefix} {n}",
            slug=f"policy-clinic-{prefix}-{n}",
            kind="workshop",
            summary="Bring a hard case.",
            starts_at=now + sign * datetime.timedelta(days=2, hours=n),
            ends_at=now + sign * datetime.timedelta(days=2, hours=n) + datetime.timedelta(hours=1),
            format="online",
            capacity=5,
            status=EventStatus.PUBLISHED,
        )
        for n in range(count)
    )
    event_search_refresh(events=Event.objects.filter(pk__in=[e.pk for e in events]))
    Event.topics.through.objects.bulk_create(
        Event.topics.through(event_id=e.pk, topic_id=topic.pk) for e in events
    )
    Registration.objects.bulk_create(
        Registration(event=e, user=u, status=RegistrationStatus.CONFIRMED)
        for e, u in zip(events, _users(count, f"{prefix}-reg"), strict=True)
    )
    return events


def _sql(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("item_count", SIZES)
@pytest.mark.parametrize(
    ("url_name", "params", "past"),
    [
        ("memberships:event-list", {}, False),
        ("memberships:event-list", {"q": "clinic", "kind": "workshop"}, False),
        ("memberships:event-list", {"page": "2"}, False),
        ("memberships:event-past", {}, True),
    ],
    ids=["upcoming", "search", "page-2", "past"],
)
def test_event_lists_page_first_and_count_after(
    employee_client, django_assert_max_num_queries, item_count, url_name, params, past
):
    events = _events(item_count, past=past)

    with django_assert_max_num_queries(7) as captured:
        response = employee_client.get(reverse(url_name), params)

    # Past events come newest first, which is creation order here too; a page past the end
    # shows the last page.
    start = 20 if params.get("page") == "2" and item_count > 20 else 0
    wanted = events[start : start + min(item_count, 20)]
    assert [e.title for e in response.context["events"]] == [e.title for e in wanted]
    assert [e.seats_left for e in response.context["events"]] == [4] * len(wanted)
    assert response.context["page"].paginator.count == item_count
    # The paginator's COUNT reads events only; seat counts are not worked out for every
    # matching event, only for the page's.
    counts = [sql for sql in _sql(captured) if sql.startswith("SELECT COUNT(*)")]
    assert len(counts) == 1
    assert "memberships_registration" not in counts[0]


@pytest.mark.parametrize("item_count", SIZES)
def test_home_runs_constant_queries_at_any_size(
    employee_client, employee, django_assert_max_num_queries, item_count
):
    events = _events(item_count)
    Registration.objects.bulk_create(
        Registration(event=e, user=employee, status=RegistrationStatus.CONFIRMED)
        for e in events[: item_count // 2]
    )
    partner = PartnerFactory()
    SponsorshipFactory(partner=partner)  # no membership yet: the summary checks eligibility
    Resource.objects.bulk_create(
        Resource(partner=partner, title=f"Guide {n:04d}", kind="guide", url=f"https://r.org/{n}")
        for n in range(item_count)
    )

    with django_assert_max_num_queries(10):
        response = employee_client.get(reverse("home"))

    assert [r.event.title for r in response.context["registrations"]] == [
        e.title for e in events[:3]
    ]
    assert [e.title for e in response.context["suggested_events"]] == [
        e.title for e in events[item_count // 2 : item_count // 2 + 3]
    ]
    assert [r.title for r in response.context["resources"]] == [f"Guide {n:04d}" for n in range(4)]


@pytest.mark.parametrize("item_count", SIZES)
def test_my_events_runs_constant_queries_at_any_size(
    employee_client, employee, django_assert_max_num_queries, item_count
):
    events = _events(item_count)
    Registration.objects.bulk_create(
        Registration(event=e, user=employee, status=RegistrationStatus.CONFIRMED) for e in events
    )

    with django_assert_max_num_queries(6):
        response = employee_client.get(reverse("memberships:my-events"))

    assert [r.event.title for r in response.context["registrations"]] == [e.title for e in events]


@pytest.mark.parametrize("item_count", SIZES)
def test_resources_are_paginated_with_constant_queries(
    employee_client, django_assert_max_num_queries, item_count
):
    partner = PartnerFactory()
    Resource.objects.bulk_create(
        Resource(
            partner=partner,
            title=f"Guide {n:04d}",
            kind="guide",
            url=f"https://r.org/{n}",
            is_members_only=n % 2 == 1,
        )
        for n in range(item_count)
    )

    # One more than the bare page: where the viewer stands with each members-only host.
    with django_assert_max_num_queries(6):
        response = employee_client.get(reverse("memberships:resource-list"), {"page": "2"})

    shown = [r.title for r in response.context["resources"]]
    if item_count == 10:
        assert shown == [f"Guide {n:04d}" for n in range(10)]
    else:
        assert shown == [f"Guide {n:04d}" for n in range(20, 40)]
        assert "Page 2 of 100" in response.content.decode()
    html = response.content.decode()
    assert html.count("your company does not sponsor a membership with them") == len(shown) // 2
    assert html.count(">Members only<") == len(shown) // 2


@pytest.mark.parametrize("item_count", SIZES)
def test_partner_api_list_runs_constant_queries(
    client, partner, django_assert_max_num_queries, item_count
):
    token = partner.set_api_token()
    partner.save()
    sponsorship = SponsorshipFactory(partner=partner, seats=None)
    now = timezone.now()
    Membership.objects.bulk_create(
        Membership(
            user=user,
            sponsorship=sponsorship,
            status=MembershipStatus.ACTIVE,
            consent_version="v1",
            consent_text="ok",
            consented_at=now,
            claimed_at=now + datetime.timedelta(seconds=n),
            shared_at=now,
            shared_data={"email": user.email},
            consent_fields=["email"],
        )
        for n, user in enumerate(_users(item_count, "member"))
    )

    with django_assert_max_num_queries(3):
        response = client.get(
            reverse("memberships:api-membership-list"),
            headers={"Authorization": f"Bearer {token}"},
        )

    body = response.json()
    assert (body["count"], len(body["results"])) == (item_count, min(item_count, 100))
    assert body["results"][0]["member"] == {"email": "member0@example.com"}


@pytest.mark.parametrize("item_count", SIZES)
def test_calendar_feed_runs_constant_queries(
    client, employee, django_assert_max_num_queries, item_count
):
    events = _events(item_count)
    Registration.objects.bulk_create(
        Registration(event=e, user=employee, status=RegistrationStatus.CONFIRMED) for e in events
    )
    feed = calendar_feed_for_user(user=employee)

    with django_assert_max_num_queries(2):
        response = client.get(reverse("memberships:calendar-feed", args=[feed.token]))

    assert response.content.decode().count("BEGIN:VEVENT") == item_count


@pytest.mark.parametrize("item_count", SIZES)
def test_event_admin_list_runs_constant_queries(
    admin_client_sso, django_assert_max_num_queries, item_count
):
    _events(item_count)

    with django_assert_max_num_queries(12):
        response = admin_client_sso.get(reverse("admin:memberships_event_changelist"))

    assert response.context["cl"].result_count == item_count
    assert len(response.context["cl"].result_list) == min(item_count, 100)
    assert [e.confirmed_count for e in response.context["cl"].result_list] == [1] * min(
        item_count, 100
    )


@pytest.mark.parametrize("item_count", SIZES)
def test_membership_page_counts_seats_without_joining_every_membership(
    employee_client, django_assert_max_num_queries, item_count
):
    sponsorship = SponsorshipFactory(seats=item_count + 5)
    now = timezone.now()
    Membership.objects.bulk_create(
        Membership(
            user=user,
            sponsorship=sponsorship,
            status=MembershipStatus.ACTIVE if n % 2 else MembershipStatus.RELEASED,
            consent_version="v1",
            consent_text="ok",
            consented_at=now,
        )
        for n, user in enumerate(_users(item_count, "seat"))
    )

    with django_assert_max_num_queries(6) as captured:
        response = employee_client.get(reverse("memberships:membership"))

    [section] = response.context["sections"]
    assert section.seats_left == item_count + 5 - item_count // 2
    seat_queries = [sql for sql in _sql(captured) if 'FROM "memberships_sponsorship"' in sql]
    assert len(seat_queries) == 1
    assert 'JOIN "memberships_membership"' not in seat_queries[0]
