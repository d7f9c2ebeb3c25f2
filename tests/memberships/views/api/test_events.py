import pytest
from django.urls import reverse

from memberships.enums import RegistrationStatus
from tests.factories import EventFactory, PartnerFactory, RegistrationFactory, active_membership

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _auth(partner) -> dict:
    token = partner.set_api_token()
    partner.save()
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _url(event) -> str:
    return reverse("memberships:api-event-registrations", args=[event.slug])


def test_api_event_registrations_lists_consented_fields(client, partner, employee, other_employee):
    event = EventFactory(partner=partner, kind="well_being", capacity=1)
    active_membership(user=employee, partner=partner, shared_data={"name": "Alex Morgan"})
    seat = RegistrationFactory(event=event, user=employee)
    RegistrationFactory(event=event, user=other_employee, status=RegistrationStatus.WAITLISTED)

    response = client.get(_url(event), **_auth(partner))

    assert response.status_code == 200
    body = response.json()
    assert (body["confirmed_count"], body["waitlisted_count"]) == (1, 1)
    assert body["attendees"] == [
        {
            "registration_id": seat.pk,
            "registered_at": seat.created_at.isoformat(),
            "name": "Alex Morgan",
            "member_number": "M-1001",
        }
    ]


def test_api_event_registrations_of_another_partners_event_is_404(client, partner):
    event = EventFactory(partner=PartnerFactory())

    response = client.get(_url(event), **_auth(partner))

    assert response.status_code == 404
    assert response.json() == {"error": "No such event."}


def test_api_event_registrations_needs_a_token(client):
    event = EventFactory()

    response = client.get(_url(event))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="partner-api"'
