"""Scale-out proven on one machine (see tests/system/scale_demo.py for the scenario)."""

import pytest
from django.db import connection

from tests.system.scale_demo import run_scale_out

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]


def test_scale_out_survives_killed_web_worker_and_beat(tmp_path):
    result = run_scale_out(workdir=tmp_path, database_name=connection.settings_dict["NAME"])
    print(result.summary())

    assert result.failed_requests == []
    assert result.requests > 100
    assert all(count > 0 for count in result.served_by.values()), result.served_by
    assert result.worker_killed_mid_send
    assert result.not_delivered == []
    assert result.delivered == result.notifications > 50
    assert result.partner_distinct == result.notifications
    assert result.digests == 1
    assert result.digest_emails == 1
    assert result.beat_heartbeat_resumed
    assert result.seconds < 150
