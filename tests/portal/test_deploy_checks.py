import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]


def run_check(extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(ROOT)),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        **extra_env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "portal.example.com",
    "HTTPS": "true",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "OIDC_SERVER_URL": "https://sso.example.com",
    "OIDC_CLIENT_ID": "portal",
    "OIDC_CLIENT_SECRET": "from-the-secret-store",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def test_check_deploy_is_clean_with_production_settings():
    result = run_check(PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_check_deploy_flags_a_development_configuration():
    result = run_check({**PRODUCTION_ENV, "DEBUG": "true", "HTTPS": "false"})

    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout


def test_a_mistyped_boolean_stops_the_process():
    result = run_check({**PRODUCTION_ENV, "DEBUG": "ture"})

    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


@pytest.mark.parametrize(
    ("override", "check_id"),
    [
        ({"OIDC_CLIENT_SECRET": "portal-demo-secret"}, "portal.E001"),
        ({"OIDC_SERVER_URL": "http://sso.example.com"}, "portal.E002"),
        ({"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}, "portal.E003"),
        ({"REDIS_URL": ""}, "portal.E004"),
    ],
)
def test_check_deploy_fails_on_a_demo_or_unsafe_setting(override, check_id):
    result = run_check({**PRODUCTION_ENV, **override})

    assert result.returncode == 1
    assert f"({check_id})" in result.stderr
    assert "identified 1 issue" in result.stderr
