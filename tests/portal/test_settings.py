import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.unit]

ROOT = Path(__file__).resolve().parents[2]


def production_settings(**env: str) -> dict:
    """Redis-related settings as `portal/settings.py` computes them from `env` alone."""
    script = (
        "import json, portal.settings as s; print(json.dumps({"
        "'cache': s.CACHES['default'], 'broker': s.CELERY_BROKER_TRANSPORT_OPTIONS}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "SECRET_KEY": "x" * 50, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_every_redis_client_gets_connect_and_socket_timeouts():
    settings = production_settings(REDIS_URL="redis://redis.internal:6379/0")

    assert settings == {
        "cache": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://redis.internal:6379/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
        "broker": {
            "visibility_timeout": 3600,
            "socket_connect_timeout": 2,
            "socket_timeout": 3,
            "socket_keepalive": True,
        },
    }


def test_redis_timeouts_follow_the_environment():
    settings = production_settings(
        REDIS_URL="redis://redis.internal:6379/0",
        REDIS_SOCKET_TIMEOUT="3",
        CELERY_BROKER_CONNECTION_TIMEOUT="1",
    )

    assert settings["cache"]["OPTIONS"] == {"socket_connect_timeout": 3, "socket_timeout": 3}
    assert (settings["broker"]["socket_connect_timeout"], settings["broker"]["socket_timeout"]) == (
        1,
        2,
    )
