"""scim2-tester, the SCIM compliance checker, against the live server: every check for the
features /ServiceProviderConfig declares must succeed."""

import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from portal.models import IdpConnection
from portal.scim.tokens import scim_token_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.system]


@pytest.fixture
def scim_client(live_server):
    import httpx2

    connection = IdpConnection.objects.create(name="Compliance", slug="compliance")
    _token, raw = scim_token_create(connection=connection)
    http = httpx2.Client(
        base_url=f"{live_server.url}/scim/v2",
        headers={"Authorization": f"Bearer {raw}"},
        timeout=30,
    )
    client = SyncSCIMClient(http)
    try:
        yield client
    finally:
        http.close()


def test_scim2_tester_finds_no_failure(scim_client):
    results = check_server(scim_client, raise_exceptions=False)

    failures = [
        f"{r.status.name} {r.resource_type or ''} {r.title}: {r.reason}"
        for r in results
        if r.status not in {Status.SUCCESS, Status.SKIPPED}
    ]
    assert failures == []
    assert sum(r.status == Status.SUCCESS for r in results) >= 30
