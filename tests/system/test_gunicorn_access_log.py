"""A real gunicorn, started with the project's configuration file: the calendar feed works,
and neither the feed token nor an OAuth code or state reaches any log line."""

import json

import pytest
import requests
from django.db import connection

from memberships.models import CalendarFeed
from tests.factories import UserFactory
from tests.system.web_harness import Gunicorn, collect_static, web_env
from tests.system.worker_harness import free_port, worker_env

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_gunicorn_access_log_has_no_token(tmp_path, log_format):
    feed = CalendarFeed.objects.create(user=UserFactory(email="alex.morgan@example.com"))
    base = worker_env(
        database_name=connection.settings_dict["NAME"],
        broker_url="memory://",
        var_dir=tmp_path / "var",
    )
    web = Gunicorn(
        port=free_port(),
        env=web_env(
            base, static_root=collect_static(tmp_path / "static", base), LOG_FORMAT=log_format
        ),
        log_path=tmp_path / "gunicorn.log",
        workers=2,
    )
    web.start()
    try:
        feed_response = requests.get(
            f"{web.url}/calendar/{feed.token}.ics",
            headers={"X-Request-ID": "feed-req-0123456789", "Referer": f"{web.url}/me/settings/"},
            timeout=10,
        )
        callback = requests.get(
            f"{web.url}/accounts/oidc/sso/login/callback/",
            params={"code": "oauth-code-SECRET1", "state": "oauth-state-SECRET2"},
            allow_redirects=False,
            timeout=10,
        )
        missing = requests.get(f"{web.url}/calendar/{feed.token}x.ics?token=SECRET3", timeout=10)
        for _ in range(9):
            requests.get(f"{web.url}/calendar/{feed.token}.ics", timeout=10)
        # Whichever worker answers reports the requests of both (multiprocess mode).
        scrapes = [requests.get(f"{web.url}/metrics", timeout=10).text for _ in range(4)]
    finally:
        web.stop()
    log = web.log()

    assert feed_response.status_code == 200
    assert feed_response.text.startswith("BEGIN:VCALENDAR")
    assert callback.status_code == 400  # no sign-in was started: the state is unknown
    assert missing.status_code == 404
    feed_requests = (
        'portal_http_requests_total{method="GET",route="/calendar/<slug:token>.ics",'
        'status="200"} 10.0'
    )
    assert all(feed_requests in scrape for scrape in scrapes)
    assert len({line for line in log.splitlines() if "Booting worker with pid" in line}) == 2
    for secret in (feed.token, "SECRET1", "SECRET2", "SECRET3", "alex.morgan@example.com"):
        assert secret not in log
    if log_format == "text":
        assert '"GET /calendar/[redacted].ics HTTP/1.1" 200 ' in log
        assert "req=feed-req-0123456789" in log
        assert "code=[redacted]&state=[redacted]" in log
    else:
        access = [
            json.loads(line)
            for line in log.splitlines()
            if line.startswith("{") and '"gunicorn.access"' in line
        ]
        [feed_line] = [a for a in access if a["request_id"] == "feed-req-0123456789"]
        assert (feed_line["path"], feed_line["status"]) == ("/calendar/[redacted].ics", 200)
        [callback_line] = [a for a in access if a["path"].startswith("/accounts/oidc/")]
        assert callback_line["query"] == "code=[redacted]&state=[redacted]"
