import pytest

from memberships.demo.events import seed_events, seed_resources
from memberships.enums import EventStatus
from memberships.models import Event, Registration, Resource
from tests.factories import PartnerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def test_seed_events_is_idempotent_and_varied():
    partner = PartnerFactory()

    first = seed_events(partner=partner)
    second = seed_events(partner=partner)

    assert first == second
    assert Event.objects.count() == 20
    assert set(Event.objects.values_list("time_zone", flat=True)) >= {
        "Asia/Karachi",
        "Europe/Dublin",
        "America/Los_Angeles",
    }
    assert Event.objects.filter(is_members_only=True).exists()
    assert Event.objects.exclude(content_note_label="").exists()
    assert set(Event.objects.values_list("status", flat=True)) == set(EventStatus.values)
    assert Registration.objects.count() == 3 + 2 + 3  # three small events are full


def test_seed_resources_is_idempotent():
    partner = PartnerFactory()

    first = seed_resources(partner=partner)
    second = seed_resources(partner=partner)

    assert first == second == ["resources: 12"]
    assert Resource.objects.count() == 12
    assert Resource.objects.filter(is_members_only=True).count() == 5
