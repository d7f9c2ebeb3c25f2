import pytest
from django.urls import reverse

from memberships.enums import NotificationChannel, NotificationKind, NotificationStatus
from memberships.models import Notification
from tests.factories import PartnerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

CHANGELIST = reverse("admin:memberships_notification_changelist")
SECRET = "whsec_c3VwZXItc2VjcmV0LXZhbHVl"


@pytest.fixture
def secret_partner():
    return PartnerFactory(
        name="Guild of Moderators",
        webhook_url="https://guild.example.org/hooks",
        webhook_secret=SECRET,
    )


def make_notification(partner, n, **fields):
    defaults = {
        "kind": NotificationKind.PARTNER_MEMBER_CLAIMED,
        "recipient": "partner",
        "channel": NotificationChannel.WEBHOOK,
        "partner": partner,
        "payload": {"membership": f"m-{n}"},
        "idempotency_key": f"membership:{n}:claimed:webhook",
    }
    return Notification.objects.create(**(defaults | fields))


@pytest.mark.parametrize("item_count", [1, 3])
def test_notification_changelist_runs_constant_queries_and_hides_secrets(
    admin_client_sso, secret_partner, employee, item_count, django_assert_max_num_queries
):
    for n in range(item_count):
        make_notification(secret_partner, n, status=NotificationStatus.DEAD)
        make_notification(
            None,
            f"e{n}",
            recipient="employee",
            channel="email",
            user=employee,
            to_email=employee.email,
        )

    with django_assert_max_num_queries(12):
        response = admin_client_sso.get(CHANGELIST)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.count("Guild of Moderators") >= item_count
    assert "Alex Morgan &lt;alex@example.com&gt;" in content
    assert SECRET not in content


def test_notification_changelist_filters_by_status_kind_partner_and_date(
    admin_client_sso, secret_partner
):
    dead = make_notification(secret_partner, 1, status=NotificationStatus.DEAD)
    make_notification(secret_partner, 2, status=NotificationStatus.DELIVERED)
    other = PartnerFactory(name="Other Association")
    make_notification(other, 3, status=NotificationStatus.DEAD)

    response = admin_client_sso.get(
        CHANGELIST,
        {
            "status__exact": "dead",
            "kind__exact": NotificationKind.PARTNER_MEMBER_CLAIMED,
            "partner__id__exact": secret_partner.pk,
            "created_at__year": dead.created_at.year,
        },
    )

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [dead]


def test_notification_detail_shows_payload_attempts_and_last_error_but_no_secret(
    admin_client_sso, secret_partner
):
    notification = make_notification(
        secret_partner,
        1,
        status=NotificationStatus.DEAD,
        attempts=8,
        last_error="attempt 8: webhook answered HTTP 503: busy",
        payload={"membership": "m-1", "member": {"email": "alex@example.com"}},
    )

    response = admin_client_sso.get(
        reverse("admin:memberships_notification_change", args=[notification.pk])
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "attempt 8: webhook answered HTTP 503: busy" in content
    assert "&quot;email&quot;: &quot;alex@example.com&quot;" in content
    assert SECRET not in content


def test_notification_resend_action_requeues_dead_rows_only(
    admin_client_sso, secret_partner, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        "memberships.services.notifications.send_webhook",
        lambda url, secret, key, body, timeout: sent.append(key) or 200,
    )
    dead = make_notification(secret_partner, 1, status=NotificationStatus.DEAD, attempts=8)
    delivered = make_notification(secret_partner, 2, status=NotificationStatus.DELIVERED)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_sso.post(
            CHANGELIST,
            {"action": "resend", "_selected_action": [dead.pk, delivered.pk]},
            follow=True,
        )

    dead.refresh_from_db()
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "1 notification will be sent again.",
        "1 notification was not dead, so it was left alone.",
    ]
    assert (dead.status, dead.attempts) == (NotificationStatus.DELIVERED, 1)
    assert sent == [dead.idempotency_key]


def test_notification_resend_from_the_dead_list_says_nothing_was_skipped(
    admin_client_sso, secret_partner, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(
        "memberships.services.notifications.send_webhook",
        lambda url, secret, key, body, timeout: 200,
    )
    dead = make_notification(secret_partner, 1, status=NotificationStatus.DEAD, attempts=8)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_sso.post(
            f"{CHANGELIST}?status__exact=dead",
            {"action": "resend", "_selected_action": [dead.pk]},
            follow=True,
        )

    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["1 notification will be sent again."]
