import datetime
import re

import pytest
from django.utils import timezone

from memberships.enums import NotificationStatus
from memberships.models import Notification
from memberships.tasks import task_sweep_notifications
from portal.models import Heartbeat
from tests.factories import MembershipFactory, PartnerFactory, SponsorshipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def sample(body: str, name: str, **labels) -> float:
    """The value of one sample in a Prometheus text exposition (fails if absent)."""
    label_text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = "^" + re.escape(name + (f"{{{label_text}}}" if labels else "")) + r" (\S+)$"
    [value] = re.findall(pattern, body, flags=re.MULTILINE)
    return float(value)


def make_notification(*, partner, status, created_at, key):
    notification = Notification.objects.create(
        kind="partner_member_claimed",
        recipient="partner",
        channel="webhook",
        partner=partner,
        payload={"membership": key},
        idempotency_key=key,
        status=status,
    )
    Notification.objects.filter(pk=notification.pk).update(created_at=created_at)
    return notification


def test_metrics_refused_outside_the_allowed_networks(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 403
    assert b"portal_" not in response.content


def test_metrics_ignores_a_forged_forwarded_for(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 403


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic c2NyYXBlOnRva2Vu"])
def test_metrics_needs_the_bearer_token_when_one_is_set(client, settings, header):
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3", **extra)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_metrics_with_token_and_network_needs_both(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    good = {"HTTP_AUTHORIZATION": "Bearer scrape-token-0123456789"}

    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3", **good).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1", **good).status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 401


def test_metrics_closed_when_nothing_is_configured(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_metrics_expose_outbox_seats_beat_requests_and_tasks(client, settings, employee_client):
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.METRICS_TOKEN = ""
    now = timezone.now()
    partner = PartnerFactory()
    make_notification(
        partner=partner, status="pending", created_at=now - datetime.timedelta(minutes=12), key="a"
    )
    make_notification(partner=partner, status="pending", created_at=now, key="b")
    make_notification(partner=partner, status="dead", created_at=now, key="c")
    sponsorship = SponsorshipFactory(slug="example-corp", seats=10)
    MembershipFactory.create_batch(3, sponsorship=sponsorship)
    SponsorshipFactory(slug="unlimited", seats=None)
    Heartbeat.objects.create(name=Heartbeat.BEAT, beat_at=now - datetime.timedelta(seconds=90))
    Notification.objects.filter(status=NotificationStatus.PENDING).update(
        next_attempt_at=now + datetime.timedelta(hours=1)
    )
    before = client.get("/metrics").content.decode()
    employee_client.get("/membership/")
    task_sweep_notifications.delay()

    body = client.get("/metrics").content.decode()

    assert sample(body, "portal_outbox_notifications", status="pending") == 2
    assert sample(body, "portal_outbox_notifications", status="dead") == 1
    assert sample(body, "portal_outbox_notifications", status="failed") == 0
    assert 12 * 60 <= sample(body, "portal_outbox_oldest_pending_age_seconds") < 13 * 60
    assert sample(body, "portal_sponsorship_seats_used", sponsorship="example-corp") == 3
    assert sample(body, "portal_sponsorship_seats_left", sponsorship="example-corp") == 7
    assert sample(body, "portal_sponsorship_seats_used", sponsorship="unlimited") == 0
    assert 'portal_sponsorship_seats_left{sponsorship="unlimited"}' not in body
    assert 90 <= sample(body, "portal_beat_heartbeat_age_seconds") < 120
    route = {"route": "/membership/", "method": "GET", "status": "200"}

    def requests_in(text):
        try:
            return sample(text, "portal_http_requests_total", **route)
        except ValueError:
            return 0

    assert requests_in(body) - requests_in(before) == 1
    assert sample(body, "portal_http_request_duration_seconds_count", **route) == requests_in(body)
    task = {"task": "memberships.sweep_notifications", "outcome": "success"}
    try:
        tasks_before = sample(before, "portal_celery_tasks_total", **task)
    except ValueError:
        tasks_before = 0
    assert sample(body, "portal_celery_tasks_total", **task) - tasks_before == 1
    assert 'portal_celery_task_duration_seconds_count{task="memberships.sweep_notifications"}' in (
        body
    )


def test_metrics_without_a_beat_heartbeat_say_infinite_age(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.1/32"]

    body = client.get("/metrics").content.decode()

    assert "portal_beat_heartbeat_age_seconds +Inf" in body
    assert sample(body, "portal_outbox_oldest_pending_age_seconds") == 0


@pytest.mark.parametrize("item_count", [1, 3])
def test_metrics_query_budget(client, settings, django_assert_max_num_queries, item_count):
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    for n in range(item_count):
        MembershipFactory(sponsorship=SponsorshipFactory(slug=f"s-{n}"))

    with django_assert_max_num_queries(4):
        body = client.get("/metrics").content.decode()

    assert [
        sample(body, "portal_sponsorship_seats_used", sponsorship=f"s-{n}")
        for n in range(item_count)
    ] == [1.0] * item_count
