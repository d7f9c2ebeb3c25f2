"""/healthz over real HTTP against real servers in every failure mode: a private Redis that
is frozen with SIGSTOP (accepts connections, never answers), the test IdP, an IdP address
that refuses connections and one that accepts them and never answers."""

import time

import pytest
import redis as redis_py
import requests

from tests.portal.healthz_support import point_sso_at, refused_port, silent_port
from tests.system.worker_harness import Redis, wait_until

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

PROBE_LIMIT_SECONDS = 2.0
ALL_OK = {"status": "ok", "database": "ok", "broker": "ok", "idp": "ok"}


def probe(base_url: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    response = requests.get(f"{base_url}/healthz", timeout=30)
    return response.status_code, response.json(), time.monotonic() - started


@pytest.fixture
def redis_broker(tmp_path, settings):
    server = Redis(tmp_path)
    server.start()
    settings.CELERY_BROKER_URL = server.url
    yield server
    server.stop()


def connections_received(server: Redis) -> int:
    with redis_py.Redis.from_url(server.url) as client:
        return client.info("stats")["total_connections_received"]


def test_healthz_reuses_one_redis_connection_and_answers_503_in_time_while_it_is_frozen(
    sso, redis_broker
):
    before = connections_received(redis_broker)
    healthy = [probe(sso.base_url) for _ in range(5)]
    opened = connections_received(redis_broker) - before - 1  # minus the one counting

    redis_broker.freeze()
    frozen = [probe(sso.base_url) for _ in range(3)]
    redis_broker.thaw()
    recovered = wait_until(lambda: probe(sso.base_url)[0] == 200, timeout=10, interval=0.2)

    assert [(status, body) for status, body, _ in healthy] == [(200, ALL_OK)] * 5
    assert opened == 1
    assert [(status, body) for status, body, _ in frozen] == [
        (503, {"status": "unavailable", "database": "ok", "broker": "unavailable", "idp": "ok"})
    ] * 3
    assert max(seconds for _, _, seconds in frozen) < PROBE_LIMIT_SECONDS
    assert recovered


@pytest.mark.parametrize("idp_failure", ["refuses", "never answers"])
def test_healthz_stays_200_and_reports_the_idp_degraded_when_it_is_down(
    live_server, settings, idp_failure
):
    settings.CELERY_BROKER_URL = "memory://"

    if idp_failure == "refuses":
        point_sso_at(settings, f"http://127.0.0.1:{refused_port()}")
        results = [probe(live_server.url) for _ in range(2)]
    else:
        with silent_port() as port:
            point_sso_at(settings, f"http://127.0.0.1:{port}")
            results = [probe(live_server.url) for _ in range(2)]

    degraded = {"status": "degraded", "database": "ok", "broker": "ok", "idp": "degraded"}
    assert [(status, body) for status, body, _ in results] == [(200, degraded)] * 2
    assert max(seconds for _, _, seconds in results) < PROBE_LIMIT_SECONDS
