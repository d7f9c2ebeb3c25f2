"""The admin index opens with what needs a person: counts and links that lead to the rows."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from memberships.enums import MembershipStatus, NotificationStatus, RegistrationStatus
from memberships.models import Notification
from tests.factories import (
    EventFactory,
    MembershipFactory,
    PartnerFactory,
    RegistrationFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _items(response) -> dict[str, int]:
    return {item.key: item.count for item in response.context["action_items"]}


def test_admin_index_counts_what_needs_action_and_links_to_it(admin_client_sso, settings):
    settings.PARTNER_ACTIVATION_DAYS = 5
    MembershipFactory.create_batch(2, status=MembershipStatus.PENDING_APPROVAL, shared_at=None)
    old = timezone.now() - datetime.timedelta(days=6)
    MembershipFactory(status=MembershipStatus.PENDING_PARTNER, shared_at=old)
    MembershipFactory(status=MembershipStatus.PENDING_PARTNER)  # shared today: not overdue
    partner = PartnerFactory()
    for n in range(3):
        Notification.objects.create(
            kind="partner_member_claimed",
            recipient="partner",
            channel="webhook",
            partner=partner,
            payload={},
            idempotency_key=f"dead-{n}",
            status=NotificationStatus.DEAD,
        )
    full = EventFactory(capacity=1)
    RegistrationFactory(event=full)
    RegistrationFactory(event=full, status=RegistrationStatus.WAITLISTED)
    EventFactory(capacity=1)

    response = admin_client_sso.get(reverse("admin:index"))

    assert _items(response) == {
        "claims_to_approve": 2,
        "overdue_activations": 1,
        "dead_notifications": 3,
        "full_events": 1,
    }
    html = response.content.decode()
    assert "2 claims wait for approval" in html
    assert "1 partner activation is overdue (more than 5 days)" in html
    assert "3 notifications could not be delivered" in html
    assert "1 upcoming event has a waitlist" in html
    memberships = reverse("admin:memberships_membership_changelist")
    overdue = admin_client_sso.get(f"{memberships}?activation_overdue=yes")
    waiting = admin_client_sso.get(f"{reverse('admin:memberships_event_changelist')}?waitlist=yes")
    approve = admin_client_sso.get(f"{memberships}?status__exact=pending_approval")
    assert [m.shared_at for m in overdue.context["cl"].result_list] == [old]
    assert list(waiting.context["cl"].result_list) == [full]
    assert approve.context["cl"].result_count == 2


def test_admin_index_with_nothing_waiting_shows_zero_counts_without_links(admin_client_sso):
    response = admin_client_sso.get(reverse("admin:index"))

    assert set(_items(response).values()) == {0}
    assert "?activation_overdue=yes" not in response.content.decode()


@pytest.mark.parametrize("item_count", [1, 3])
def test_admin_index_runs_constant_queries(
    admin_client_sso, django_assert_max_num_queries, item_count
):
    MembershipFactory.create_batch(item_count, status=MembershipStatus.PENDING_APPROVAL)
    for _n in range(item_count):
        RegistrationFactory(event=EventFactory(capacity=0), status=RegistrationStatus.WAITLISTED)

    with django_assert_max_num_queries(12):
        admin_client_sso.get(reverse("admin:index"))


def test_membership_admin_list_keeps_to_five_columns(admin_client_sso):
    MembershipFactory()

    response = admin_client_sso.get(reverse("admin:memberships_membership_changelist"))

    assert response.context["cl"].list_display == [
        "action_checkbox",
        "person",
        "sponsorship_short",
        "status",
        "member_number",
        "claimed_on",
    ]


def test_event_admin_list_keeps_to_five_columns(admin_client_sso):
    EventFactory()

    response = admin_client_sso.get(reverse("admin:memberships_event_changelist"))

    assert response.context["cl"].list_display == [
        "action_checkbox",
        "event_title",
        "starts_local",
        "status",
        "confirmed",
        "waitlisted",
    ]
