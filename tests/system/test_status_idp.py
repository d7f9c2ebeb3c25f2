"""The status page against the real test IdP: green while it runs, red once it is stopped."""

import copy

import pytest

from portal.status import GREEN, RED
from tests.system.idp_harness import run_idp

pytestmark = [pytest.mark.system, pytest.mark.django_db]

IDP_ROW = "Sign-in (OpenID Connect): Company SSO"


def test_status_page_follows_the_idp(admin_client_sso, settings):
    settings.STATUS_PROBE_TIMEOUT = 2
    with run_idp() as idp:
        providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
        app = providers["openid_connect"]["APPS"][0]
        app["settings"] = {**app["settings"], "server_url": idp.issuer}
        settings.SOCIALACCOUNT_PROVIDERS = providers

        running = admin_client_sso.get("/admin/status/")

    stopped = admin_client_sso.get("/admin/status/")

    def idp_check(response):
        [check] = [c for c in response.context["checks"] if c.name == IDP_ROW]
        return check

    assert idp_check(running).state == GREEN
    assert idp_check(running).detail.startswith("Discovery answered and ")
    assert idp_check(stopped).state == RED
    assert "Nobody can sign in" in idp_check(stopped).action
