"""Event search on PostgreSQL: a stored, English-configured vector that the services keep
current, served by its GIN index; and the indexes the lists' orderings rely on, checked with
EXPLAIN at a size where the planner would otherwise scan the table."""

import datetime
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from memberships.enums import EventStatus
from memberships.models import Event, Resource
from memberships.selectors.events import _search, event_list, resource_list
from memberships.services.events import event_duplicate, event_search_refresh, event_update
from tests.factories import EventFactory, PartnerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

ROWS = 5000


def _searched(user, text: str) -> list[str]:
    return [e.title for e in event_list(user=user, q=text)]


def test_search_matches_english_word_forms_in_title_summary_and_body(employee):
    EventFactory(title="Moderator resilience", summary="Short.", body="")
    EventFactory(title="Escalations", summary="How escalating works.", body="")
    EventFactory(title="Quiet hour", summary="Short.", body="<p>Appeals, reviewed.</p>")
    EventFactory(title="Unrelated", summary="Nothing here.", body="")

    assert _searched(employee, "resilient") == ["Moderator resilience"]
    assert _searched(employee, "escalate") == ["Escalations"]
    assert _searched(employee, "appeal review") == ["Quiet hour"]
    assert _searched(employee, "nowhere") == []


def test_event_update_of_the_text_refreshes_the_vector(employee, admin_user):
    event = EventFactory(title="Policy clinic", summary="Short.", body="")

    event_update(event=event, actor=admin_user, data={"title": "Calibration lab"})

    assert _searched(employee, "calibration") == ["Calibration lab"]
    assert _searched(employee, "clinic") == []


def test_event_duplicate_is_searchable_once_published(employee, admin_user):
    event = EventFactory(title="Grooming signals", summary="Short.", body="")

    copy = event_duplicate(event=event, actor=admin_user)
    event_update(event=copy, actor=admin_user, data={"status": EventStatus.PUBLISHED})

    assert _searched(employee, "grooming") == ["Grooming signals", "Grooming signals (copy)"]


def test_event_added_in_the_admin_is_searchable(admin_client_sso, employee, partner):
    starts = timezone.now() + datetime.timedelta(days=3)
    data = {
        "partner": partner.pk,
        "title": "Fraud rings",
        "slug": "fraud-rings",
        "kind": "workshop",
        "status": EventStatus.PUBLISHED,
        "summary": "Patterns.",
        "body": "",
        "starts_at_0": starts.strftime("%Y-%m-%d"),
        "starts_at_1": "10:00:00",
        "ends_at_0": starts.strftime("%Y-%m-%d"),
        "ends_at_1": "11:00:00",
        "time_zone": "UTC",
        "format": "online",
    }

    response = admin_client_sso.post(reverse("admin:memberships_event_add"), data)

    assert response.status_code == 302
    assert _searched(employee, "fraud") == ["Fraud rings"]


def _bulk_events(count: int) -> None:
    """`count` published events, one in a hundred about resilience, the rest past and
    upcoming around now, then planner statistics as a running database has them."""
    partner = PartnerFactory()
    now = timezone.now()
    Event.objects.bulk_create(
        Event(
            partner=partner,
            title="Resilience circle" if n % 100 == 0 else f"Policy review {n}",
            slug=f"event-{n}",
            kind="workshop",
            summary="Queue health and calibration." if n % 100 else "Looking after yourself.",
            body="<p>Cases from the week.</p>",
            starts_at=now + datetime.timedelta(hours=n - count // 2),
            ends_at=now + datetime.timedelta(hours=n - count // 2, minutes=45),
            format="online",
            status=EventStatus.PUBLISHED,
        )
        for n in range(count)
    )
    event_search_refresh(events=Event.objects.all())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE memberships_event")


def _plan(queryset) -> str:
    return queryset.explain()


def test_search_uses_the_gin_index_not_a_sequential_scan(employee):
    _bulk_events(ROWS)

    # The search filter itself is answered from the GIN index. (For one page of a list the
    # planner may instead walk the start-time index when it expects many matches: prefix
    # terms are estimated coarsely. Either way no plan reads the whole table.)
    search_plan = _plan(_search(Event.objects.all(), "resilience"))
    list_plan = _plan(event_list(user=employee, q="resilience")[:20])

    assert "Bitmap Index Scan on event_search_idx" in search_plan
    assert "Seq Scan on memberships_event" not in search_plan
    assert "Seq Scan on memberships_event" not in list_plan
    assert len(_searched(employee, "resilience")) == ROWS // 100 // 2


@pytest.mark.parametrize("past", [False, True], ids=["upcoming", "past"])
def test_event_lists_read_their_order_from_an_index_and_count_seats_for_the_page(employee, past):
    _bulk_events(ROWS)

    plan = _plan(event_list(user=employee, past=past)[:20])

    lines = plan.splitlines()
    # Read in start order (forwards or backwards) from an index on the start time...
    assert re.search(
        r"Index Scan (Backward )?using (event_status_start_idx|memberships_event_starts_at_\w+) "
        r"on memberships_event",
        plan,
    )
    assert "Seq Scan on memberships_event" not in plan
    # ...and the seat counts (subplans) are worked out above the limit: for 20 rows only.
    assert lines[0].startswith("Limit") and lines[1].strip().startswith("->  Result")
    assert plan.count("SubPlan") >= 2


def test_resource_list_reads_its_order_from_its_index():
    partner = PartnerFactory()
    Resource.objects.bulk_create(
        Resource(partner=partner, title=f"Guide {n}", kind="guide", url=f"https://r.org/{n}")
        for n in range(ROWS)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE memberships_resource")

    plan = _plan(resource_list()[:20])

    assert "resource_list_idx" in plan
    assert "Seq Scan on memberships_resource" not in plan
