"""The admin keeps memberships and events true over time: seats, capacity, consent versions,
renewal into a next term and claims overdue at the partner."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from memberships.enums import MembershipStatus, NotificationKind, RegistrationStatus, WaitlistStatus
from memberships.models import (
    Membership,
    Notification,
    Registration,
    SeatWaitlistEntry,
    Sponsorship,
)
from memberships.models.sponsorships import consent_version_for
from memberships.services.claims import waitlist_join
from tests.factories import (
    EventFactory,
    MembershipFactory,
    PartnerFactory,
    RegistrationFactory,
    SponsorshipFactory,
    UserFactory,
)
from tests.memberships.admin.test_events import _change_data as _event_change_data

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

MEMBERSHIPS = reverse("admin:memberships_membership_changelist")
SPONSORSHIPS = reverse("admin:memberships_sponsorship_changelist")


def _sponsorship_data(sponsorship: Sponsorship, **overrides) -> dict:
    data = {
        "partner": sponsorship.partner_id,
        "name": sponsorship.name,
        "slug": sponsorship.slug,
        "company": sponsorship.company,
        "tier": sponsorship.tier,
        "description": sponsorship.description,
        "seats": sponsorship.seats if sponsorship.seats is not None else "",
        "starts_on": sponsorship.starts_on.isoformat(),
        "ends_on": sponsorship.ends_on.isoformat(),
        "eligible_groups": ", ".join(sponsorship.eligible_groups),
        "contact_email": sponsorship.contact_email,
        "shared_fields": list(sponsorship.shared_fields),
        "consent_text": sponsorship.consent_text,
        "consent_label": sponsorship.consent_label,
    }
    data.update(overrides)
    return data


def test_admin_sponsorship_more_seats_go_to_the_waitlist(admin_client_sso):
    sponsorship = SponsorshipFactory(seats=1)
    MembershipFactory(sponsorship=sponsorship)
    waiting = UserFactory()
    waitlist_join(user=waiting, sponsorship=sponsorship, consent_version="v1")

    response = admin_client_sso.post(
        reverse("admin:memberships_sponsorship_change", args=[sponsorship.pk]),
        _sponsorship_data(sponsorship, seats=2),
    )

    assert response.status_code == 302
    assert SeatWaitlistEntry.objects.get(user=waiting).status == WaitlistStatus.OFFERED
    assert Membership.objects.get(user=waiting).status == MembershipStatus.PENDING_PARTNER


def test_admin_sponsorship_fewer_seats_than_live_says_how_many_are_live(admin_client_sso):
    sponsorship = SponsorshipFactory(seats=4)
    MembershipFactory.create_batch(3, sponsorship=sponsorship)

    response = admin_client_sso.post(
        reverse("admin:memberships_sponsorship_change", args=[sponsorship.pk]),
        _sponsorship_data(sponsorship, seats=1),
    )

    assert response.status_code == 200
    assert "3 memberships are live, so the seats cannot go below 3" in response.content.decode()
    sponsorship.refresh_from_db()
    assert sponsorship.seats == 4


def test_admin_sponsorship_add_and_consent_change_derive_the_version(admin_client_sso):
    partner = PartnerFactory()
    template = SponsorshipFactory.build(partner=partner, consent_label="2026")

    admin_client_sso.post(reverse("admin:memberships_sponsorship_add"), _sponsorship_data(template))
    created = Sponsorship.objects.get(slug=template.slug)
    admin_client_sso.post(
        reverse("admin:memberships_sponsorship_change", args=[created.pk]),
        _sponsorship_data(created, consent_text=created.consent_text + " And a new clause."),
    )

    changed = Sponsorship.objects.get(pk=created.pk)
    assert created.consent_version == consent_version_for(
        label="2026", text=template.consent_text, fields=template.shared_fields
    )
    assert changed.consent_version == consent_version_for(
        label="2026",
        text=template.consent_text + " And a new clause.",
        fields=template.shared_fields,
    )


def test_admin_sponsorship_renew_action_asks_for_the_term_then_opens_it(admin_client_sso):
    sponsorship = SponsorshipFactory()
    selection = {"action": "renew", ACTION_CHECKBOX_NAME: [sponsorship.pk]}
    starts = sponsorship.ends_on + datetime.timedelta(days=1)

    ask = admin_client_sso.post(SPONSORSHIPS, selection)
    done = admin_client_sso.post(
        SPONSORSHIPS,
        {
            **selection,
            "apply": "1",
            "starts_on": starts.isoformat(),
            "ends_on": (starts + datetime.timedelta(days=364)).isoformat(),
            "consent_label": "",
            "consent_text": "",
        },
    )

    assert ask.status_code == 200
    assert f'value="{starts.isoformat()}"' in ask.content.decode()
    renewal = Sponsorship.objects.get(renewed_from=sponsorship)
    assert done.status_code == 302
    assert done["Location"] == reverse("admin:memberships_sponsorship_change", args=[renewal.pk])
    assert (renewal.starts_on, renewal.consent_text) == (starts, sponsorship.consent_text)


def test_admin_memberships_overdue_filter_and_release_action(admin_client_sso, settings):
    settings.PARTNER_ACTIVATION_DAYS = 14
    overdue = MembershipFactory(shared_at=timezone.now() - datetime.timedelta(days=30))
    fresh = MembershipFactory(shared_at=timezone.now())

    listed = admin_client_sso.get(MEMBERSHIPS, {"activation_overdue": "yes"})
    released = admin_client_sso.post(
        MEMBERSHIPS,
        {"action": "release_overdue", ACTION_CHECKBOX_NAME: [overdue.pk, fresh.pk]},
        follow=True,
    )

    assert [m.pk for m in listed.context["cl"].result_list] == [overdue.pk]
    assert "overdue: sent 30 days ago" in listed.content.decode()
    html = released.content.decode()
    assert "1 released; their seats went to the waitlist." in html
    assert "Only claims overdue at the partner can be released here." in html
    assert list(
        Membership.objects.filter(pk__in=[overdue.pk, fresh.pk])
        .order_by("pk")
        .values_list("status", flat=True)
    ) == [MembershipStatus.RELEASED, MembershipStatus.PENDING_PARTNER]


def test_admin_event_capacity_below_confirmed_is_saved_and_explained(admin_client_sso):
    event = EventFactory(capacity=3)
    seats = RegistrationFactory.create_batch(3, event=event)

    response = admin_client_sso.post(
        reverse("admin:memberships_event_change", args=[event.pk]),
        _event_change_data(event, seats, capacity=1),
        follow=True,
    )

    assert response.status_code == 200
    assert "3 people hold a seat and the capacity is now 1: nobody loses their seat" in (
        response.content.decode()
    )
    assert set(Registration.objects.filter(event=event).values_list("status", flat=True)) == {
        RegistrationStatus.CONFIRMED
    }


def test_admin_registration_cancel_tells_the_person(admin_client_sso):
    registration = RegistrationFactory()

    admin_client_sso.post(
        reverse("admin:memberships_registration_changelist"),
        {"action": "cancel_registrations", ACTION_CHECKBOX_NAME: [registration.pk]},
    )

    notice = Notification.objects.get(kind=NotificationKind.REGISTRATION_CANCELLED)
    assert (notice.user_id, notice.payload["cancelled_by"]) == (registration.user_id, "admin")
