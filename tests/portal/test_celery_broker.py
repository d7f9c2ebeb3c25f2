"""The development broker (file system) keeps all its state under VAR_DIR."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration]

REPO_ROOT = Path(__file__).resolve().parents[2]

PUBLISH = """
from portal.celery import app
with app.connection_for_write() as conn:
    app.send_task("memberships.sweep_notifications", connection=conn)
"""


def test_filesystem_broker_writes_nothing_into_the_working_directory(tmp_path):
    var_dir, cwd = tmp_path / "var", tmp_path / "cwd"
    cwd.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {"VAR_DIR": str(var_dir), "PYTHONPATH": str(REPO_ROOT), "DEBUG": "true"}

    subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + PUBLISH],
        cwd=cwd,
        env=env | {"DJANGO_SETTINGS_MODULE": "portal.settings"},
        check=True,
        timeout=60,
    )

    assert list(cwd.iterdir()) == []
    assert list((var_dir / "celery" / "control").iterdir()) != []
    assert len(list((var_dir / "celery" / "queue").iterdir())) == 1
