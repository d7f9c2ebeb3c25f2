import json

import pytest
from django.urls import reverse

from memberships import services
from memberships.enums import NotificationKind, PartnerChannels, RegistrationStatus
from memberships.models import Attendance, Feedback, Notification
from memberships.senders import verify_webhook, webhook_headers
from tests.factories import (
    EventFactory,
    PartnerFactory,
    RegistrationFactory,
    UserFactory,
    attended,
    past_event,
)

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _auth(partner) -> dict:
    token = partner.set_api_token()
    partner.save()
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _post(client, event, body, partner):
    return client.post(
        reverse("memberships:api-event-attendance", args=[event.slug]),
        data=json.dumps(body) if not isinstance(body, str) else body,
        content_type="application/json",
        **_auth(partner),
    )


@pytest.fixture
def received(monkeypatch):
    """The partner's webhook endpoint (senders.send_webhook): records what arrives."""
    calls = []

    def fake(url, secret, idempotency_key, body_bytes, timeout):
        headers = webhook_headers(secret=secret, webhook_id=idempotency_key, body=body_bytes)
        calls.append((idempotency_key, json.loads(body_bytes), headers, body_bytes, secret))
        return 200

    monkeypatch.setattr(services.notifications, "send_webhook", fake)
    return calls


@pytest.fixture
def hook_partner(db):
    return PartnerFactory(
        webhook_url="https://partner.example.org/hooks",
        webhook_secret="whsec_dGVzdC1zZWNyZXQ=",
        notification_channels=PartnerChannels.WEBHOOK,
    )


def test_api_attendance_records_and_confirms_with_a_signed_webhook_once(
    client, hook_partner, employee, other_employee, received, django_capture_on_commit_callbacks
):
    event = past_event(partner=hook_partner, kind="well_being")
    came = RegistrationFactory(event=event, user=employee)
    absent = RegistrationFactory(event=event, user=other_employee)
    body = {"attended": [came.pk], "no_show": [absent.pk]}

    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, event, body, hook_partner)
    with django_capture_on_commit_callbacks(execute=True):
        second = _post(client, event, body, hook_partner)

    assert (first.status_code, first.json()) == (
        200,
        {"event": event.slug, "recorded": 2, "unchanged": 0},
    )
    assert (second.status_code, second.json()) == (
        200,
        {"event": event.slug, "recorded": 0, "unchanged": 2},
    )
    assert dict(Attendance.objects.values_list("registration", "status")) == {
        came.pk: "attended",
        absent.pk: "no_show",
    }
    assert len(received) == 1
    key, payload, headers, raw, secret = received[0]
    assert payload["type"] == NotificationKind.PARTNER_ATTENDANCE_RECORDED
    assert (payload["data"]["attended"], payload["data"]["no_show"]) == ([came.pk], [absent.pk])
    assert verify_webhook(secret, headers, raw)


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        [],
        {"attended": "12"},
        {"attended": [1.5]},
        {"attended": [True]},
        {"attended": [], "no_show": []},
        {"attended": [1], "no_show": [1]},
        {"present": [1]},
    ],
)
def test_api_attendance_malformed_body_is_400(client, partner, body):
    event = past_event(partner=partner)

    response = _post(client, event, body, partner)

    assert response.status_code == 400
    assert Attendance.objects.count() == 0


def test_api_attendance_unknown_ids_are_422_and_nothing_is_recorded(client, partner, employee):
    event = past_event(partner=partner)
    seat = RegistrationFactory(event=event, user=employee)
    waitlisted = RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED)

    response = _post(client, event, {"attended": [seat.pk, waitlisted.pk, 999999]}, partner)

    assert response.status_code == 422
    assert response.json()["registration_ids"] == [waitlisted.pk, 999999]
    assert Attendance.objects.count() == 0


def test_api_attendance_of_another_partners_event_is_404(client, partner, employee):
    event = past_event(partner=PartnerFactory())
    seat = RegistrationFactory(event=event, user=employee)

    response = _post(client, event, {"attended": [seat.pk]}, partner)

    assert response.status_code == 404
    assert Attendance.objects.count() == 0


def test_api_attendance_before_the_start_is_409(client, partner, employee):
    event = EventFactory(partner=partner)
    seat = RegistrationFactory(event=event, user=employee)

    response = _post(client, event, {"attended": [seat.pk]}, partner)

    assert response.status_code == 409
    assert Attendance.objects.count() == 0


def test_api_attendance_needs_a_token(client, employee):
    event = past_event()

    response = client.post(
        reverse("memberships:api-event-attendance", args=[event.slug]),
        data="{}",
        content_type="application/json",
    )

    assert response.status_code == 401


def _feedback(event, ratings):
    for rating, comment in ratings:
        registration = attended(event=event, user=UserFactory())
        Feedback.objects.create(
            registration=registration,
            rating=rating,
            comment=comment,
            submitted_at=registration.created_at,
            updated_at=registration.created_at,
        )


def test_api_feedback_shows_nothing_below_five_answers(client, partner):
    event = past_event(partner=partner)
    _feedback(event, [(5, "Great"), (4, ""), (1, "Bad"), (3, "")])

    response = client.get(
        reverse("memberships:api-event-feedback", args=[event.slug]), **_auth(partner)
    )

    assert response.json() == {
        "event": event.slug,
        "responses": None,
        "average": None,
        "comments": [],
    }


def test_api_feedback_from_five_answers_shows_average_and_comments_without_names(client, partner):
    event = past_event(partner=partner)
    _feedback(event, [(5, "Great"), (4, ""), (1, "Bad"), (3, ""), (4, "Useful")])

    response = client.get(
        reverse("memberships:api-event-feedback", args=[event.slug]), **_auth(partner)
    )

    assert response.json() == {
        "event": event.slug,
        "responses": 5,
        "average": "3.4",
        "comments": ["Bad", "Great", "Useful"],
    }
    assert Notification.objects.count() == 0


def _bulk_seats(event, count: int) -> list[int]:
    from memberships.models import Registration
    from portal.models import User

    users = User.objects.bulk_create(
        User(username=f"api{n}", email=f"api{n}@example.com", idp_subject=f"api-{n}")
        for n in range(count)
    )
    registrations = Registration.objects.bulk_create(
        Registration(event=event, user=user, status="confirmed") for user in users
    )
    return [r.pk for r in registrations]


@pytest.mark.parametrize("item_count", [10, 10_000])
def test_api_feedback_runs_constant_queries(
    client, partner, django_assert_max_num_queries, item_count
):
    event = past_event(partner=partner)
    ids = _bulk_seats(event, item_count)
    Feedback.objects.bulk_create(
        Feedback(
            registration_id=pk,
            rating=4,
            comment=f"c{pk}",
            submitted_at=event.ends_at,
            updated_at=event.ends_at,
        )
        for pk in ids
    )
    headers = _auth(partner)

    with django_assert_max_num_queries(4):
        response = client.get(
            reverse("memberships:api-event-feedback", args=[event.slug]), **headers
        )

    assert response.json()["responses"] == item_count


@pytest.mark.parametrize("item_count", [10, 10_000])
def test_api_attendance_of_many_seats_runs_constant_queries_before_the_outbox(
    client, partner, django_assert_max_num_queries, item_count
):
    event = past_event(partner=partner)
    _bulk_seats(event, item_count)
    other = RegistrationFactory(event=event)
    headers = _auth(partner)

    # One seat marked among many: the cost does not grow with the event's size.
    with django_assert_max_num_queries(15):
        response = client.post(
            reverse("memberships:api-event-attendance", args=[event.slug]),
            data=json.dumps({"no_show": [other.pk]}),
            content_type="application/json",
            **headers,
        )

    assert response.json() == {"event": event.slug, "recorded": 1, "unchanged": 0}
