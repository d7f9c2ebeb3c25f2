"""Well-being sessions never show employees an exact seat count (it would reveal how many
people registered): "Places available", "Few places left" or "Full"."""

import pytest
from django.urls import reverse

from tests.factories import EventFactory, RegistrationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _with_registrants(count: int, **fields):
    event = EventFactory(**fields)
    for _n in range(count):
        RegistrationFactory(event=event)
    return event


def _pages(client, event) -> list[str]:
    detail = client.get(reverse("memberships:event-detail", args=[event.slug]))
    listing = client.get(reverse("memberships:event-list"))
    return [detail.content.decode(), listing.content.decode()]


def test_well_being_event_pages_hide_the_exact_seats_left(employee_client):
    # The finding: "9 seats left" of 12 told everyone that 3 people had registered.
    event = _with_registrants(3, kind="well_being", capacity=12)

    for html in _pages(employee_client, event):
        assert "9 seats left" not in html
        assert "Places available" in html


def test_well_being_event_with_few_places_says_so_without_a_number(employee_client):
    event = _with_registrants(10, kind="well_being", capacity=12)

    for html in _pages(employee_client, event):
        assert "2 seats left" not in html
        assert "Few places left" in html


def test_full_well_being_event_says_full(employee_client):
    event = _with_registrants(4, kind="well_being", capacity=4)

    detail, listing = _pages(employee_client, event)

    assert "Full: you can join the waitlist" in detail
    assert "Full: you can join the waitlist" in listing
    assert "Join the waitlist" in detail


def test_other_events_still_show_the_exact_seats_left(employee_client):
    event = _with_registrants(3, kind="workshop", capacity=12)

    for html in _pages(employee_client, event):
        assert "9 seats left" in html
