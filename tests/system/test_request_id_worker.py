"""A claim's request id reaches the worker's log line for the notification it caused (real
Redis, real worker process, JSON logs)."""

import json

import pytest
import requests
from django.db import connection

from memberships.enums import PartnerChannels
from memberships.models import Notification
from portal.celery import app as celery_app
from tests.conftest import sso_login
from tests.factories import PartnerFactory, SponsorshipFactory, UserFactory
from tests.system.worker_harness import (
    Receiver,
    Redis,
    Worker,
    free_port,
    use_broker,
    wait_until,
    worker_env,
)

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]


def json_lines(path) -> list[dict]:
    entries = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    return entries


def test_claim_request_id_appears_in_the_workers_log_line(client, tmp_path):
    redis, receiver = Redis(tmp_path), Receiver()
    redis.start()
    receiver.start()
    use_broker(celery_app, redis.url, eager=False)
    metrics_port, metrics_dir = free_port(), tmp_path / "metrics"
    metrics_dir.mkdir()
    worker = Worker(
        env=worker_env(
            database_name=connection.settings_dict["NAME"],
            broker_url=redis.url,
            var_dir=tmp_path / "var",
            LOG_FORMAT="json",
            WORKER_METRICS_PORT=str(metrics_port),
            PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        ),
        log_path=tmp_path / "worker.log",
    )
    try:
        worker.start()
        partner = PartnerFactory(
            webhook_url=receiver.url, notification_channels=PartnerChannels.WEBHOOK
        )
        sponsorship = SponsorshipFactory(partner=partner)
        employee = UserFactory(email="alex.morgan@example.com")
        sso_login(client, employee)

        response = client.post(
            "/membership/claim/",
            {
                "sponsorship": sponsorship.slug,
                "consent_version": sponsorship.consent_version,
                "consent": "on",
            },
            HTTP_X_REQUEST_ID="claim-req-0123456789",
        )
        [notification] = Notification.objects.filter(partner=partner)
        delivered = f"notification {notification.pk} delivered"

        assert response.status_code == 302
        assert response["X-Request-ID"] == "claim-req-0123456789"
        assert wait_until(
            lambda: any(delivered in e["message"] for e in json_lines(worker.log_path)),
            timeout=30,
        ), worker.log_path.read_text()[-3000:]
        [line] = [e for e in json_lines(worker.log_path) if delivered in e["message"]]
        assert line["request_id"] == "claim-req-0123456789"
        assert line["user_id"] == str(employee.pk)
        assert line["task"].startswith("memberships.deliver_notification[")
        assert "alex.morgan@example.com" not in worker.log_path.read_text()
        # The worker's main process serves the task metrics its pool recorded.
        assert wait_until(
            lambda: Notification.objects.filter(status="delivered").count() == 2, timeout=30
        )  # the partner's and the employee's
        sent = Notification.objects.count()
        scraped = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        assert (
            'portal_celery_tasks_total{outcome="success",task="memberships.deliver_notification"}'
            f" {sent}.0" in scraped
        )
    finally:
        worker.stop()
        use_broker(celery_app, "memory://", eager=True)
        receiver.stop()
        redis.stop()
