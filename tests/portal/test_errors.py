import subprocess
import sys

import pytest

from portal.errors import _scrub

pytestmark = [pytest.mark.unit]


def test_error_reports_carry_no_personal_data_or_credentials():
    event = {
        "user": {"id": "7", "email": "alex@example.com", "ip_address": "10.0.0.7"},
        "request": {
            "url": "https://portal.example.com/calendar/s3cr3tT0ken.ics",
            "query_string": "code=abc&state=def",
            "cookies": {"sessionid": "x"},
            "data": {"consent": "on"},
            "env": {"REMOTE_ADDR": "10.0.0.7"},
            "headers": {"Authorization": "Bearer t", "Cookie": "sessionid=x", "Accept": "*/*"},
        },
        "logentry": {"message": "sent to alex@example.com", "params": ["alex@example.com"]},
        "exception": {
            "values": [
                {
                    "value": "password=hunter2 rejected",
                    "stacktrace": {"frames": [{"function": "f", "vars": {"token": "t"}}]},
                }
            ]
        },
    }

    scrubbed = _scrub(event, {})

    assert "user" not in scrubbed
    assert scrubbed["request"] == {
        "url": "https://portal.example.com/calendar/[redacted].ics",
        "query_string": "code=[redacted]&state=[redacted]",
        "headers": {"Authorization": "[redacted]", "Cookie": "[redacted]", "Accept": "*/*"},
    }
    assert scrubbed["logentry"] == {"message": "sent to [e-mail]"}
    [exception] = scrubbed["exception"]["values"]
    assert exception["value"] == "password=[redacted] rejected"
    assert exception["stacktrace"]["frames"] == [{"function": "f"}]


def test_sentry_starts_without_personal_data():
    # In a child process: the SDK patches Django globally, which this test run must not keep.
    code = (
        "import django, os, sentry_sdk;"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.settings';"
        "django.setup();"
        "from portal.errors import init_error_reporting, _scrub;"
        "init_error_reporting(dsn='https://public@127.0.0.1:9/1', environment='test');"
        "client = sentry_sdk.get_client(); o = client.options;"
        "print(client.should_send_default_pii(), o['include_local_variables'],"
        " o['max_request_body_size'], o['before_send'] is _scrub)"
    )

    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert (result.returncode, result.stdout.strip()) == (0, "False False never True"), (
        result.stderr
    )
