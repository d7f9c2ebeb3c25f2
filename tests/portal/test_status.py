import copy
import datetime
import socket

import pytest
from django.utils import timezone

from memberships.enums import NotificationKind
from memberships.models import Notification
from portal.models import Heartbeat
from portal.status import AMBER, GREEN, RED, check_beat, check_outbox
from tests.factories import PartnerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

URL = "/admin/status/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def stopped_idp(settings):
    """The portal's OIDC client pointed at a port where nothing listens (the IdP is down)."""
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    app = providers["openid_connect"]["APPS"][0]
    app["settings"] = {**app["settings"], "server_url": f"http://127.0.0.1:{free_port()}"}
    settings.SOCIALACCOUNT_PROVIDERS = providers
    settings.STATUS_PROBE_TIMEOUT = 1
    return app["settings"]["server_url"]


def rows(response) -> dict[str, str]:
    return {check.name: check.state for check in response.context["checks"]}


def test_status_page_is_for_staff_only(employee_client):
    response = employee_client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_status_page_red_when_the_idp_is_stopped(admin_client_sso, stopped_idp):
    response = admin_client_sso.get(URL)

    assert response.status_code == 200
    assert rows(response)["Sign-in (OpenID Connect): Company SSO"] == RED
    assert response.context["overall"] == RED
    assert "Nobody can sign in" in response.content.decode()


def test_status_page_red_when_beat_is_silent(admin_client_sso, stopped_idp):
    Heartbeat.objects.create(
        name=Heartbeat.BEAT, beat_at=timezone.now() - datetime.timedelta(minutes=6)
    )

    response = admin_client_sso.get(URL)

    assert rows(response)["Scheduler (Celery beat)"] == RED
    assert "Start exactly one" in response.content.decode()


@pytest.mark.parametrize(
    ("age", "state"), [(None, RED), (30, GREEN), (180, AMBER), (299, AMBER), (300, RED)]
)
def test_check_beat_by_heartbeat_age(age, state):
    now = timezone.now()
    if age is not None:
        Heartbeat.objects.create(name=Heartbeat.BEAT, beat_at=now - datetime.timedelta(seconds=age))

    assert check_beat(now=now).state == state


def test_check_outbox_red_for_dead_letters_and_old_pending():
    partner = PartnerFactory()
    now = timezone.now()

    def add(key, status, minutes_ago):
        row = Notification.objects.create(
            kind=NotificationKind.PARTNER_MEMBER_CLAIMED,
            recipient="partner",
            channel="webhook",
            partner=partner,
            idempotency_key=key,
            status=status,
        )
        Notification.objects.filter(pk=row.pk).update(
            created_at=now - datetime.timedelta(minutes=minutes_ago)
        )

    add("fresh", "pending", 1)
    assert check_outbox(now=now).state == GREEN
    add("old", "pending", 11)
    assert check_outbox(now=now).state == RED
    Notification.objects.filter(idempotency_key="old").update(status="delivered")
    add("dead", "dead", 1)
    check = check_outbox(now=now)
    assert check.state == RED
    assert check.detail == "1 pending, 0 waiting to retry, 1 dead. Oldest pending: 60 seconds ago."


@pytest.mark.parametrize("item_count", [1, 3])
def test_status_page_query_budget(
    admin_client_sso, stopped_idp, django_assert_max_num_queries, item_count
):
    partner = PartnerFactory()
    for n in range(item_count):
        Notification.objects.create(
            kind=NotificationKind.PARTNER_WEEKLY_DIGEST,
            recipient="partner",
            channel="email",
            partner=partner,
            idempotency_key=f"digest-{n}",
            status="dead",
        )

    with django_assert_max_num_queries(10):
        response = admin_client_sso.get(URL)

    assert rows(response)["Notification outbox"] == RED
