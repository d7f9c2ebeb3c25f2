"""SAML 2.0 sign-in against a real IdP nobody here wrote: Debian's SimpleSAMLphp on loopback,
over HTTP and in chromium. The same refusal rules as OpenID Connect apply."""

from __future__ import annotations

import base64
import copy
import re
import socket
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from portal.models import User
from portal.settings import saml_app
from tests.system.saml_harness import (
    ORGANIZATION,
    TEST_PASSWORD,
    run_saml_idp,
    saml_assertion_post,
    saml_sign_in,
    saml_user,
    sp_idp_settings,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.system]


def default_saml_users() -> dict:
    return {
        "alex": saml_user("alex"),
        "priya": saml_user(
            "priya",
            given_name="Priya",
            family_name="Shah",
            employee_id="E3003",
            department="People Operations",
            groups=["portal-admins", "trust-safety"],
        ),
        "outsider": saml_user("outsider", email="outsider@gmail.example"),
        "leaver": saml_user("leaver", active="false"),
        "twin": saml_user("twin", uid="saml-sub-twin", email="alex@example.com"),
        "bad": saml_user("bad", email="x@y@example.com"),
    }


@pytest.fixture(scope="session")
def saml_idp(live_server):
    with run_saml_idp(sp_base_url=live_server.url, users=default_saml_users()) as idp:
        yield idp


@pytest.fixture
def saml(saml_idp, settings, live_server):
    saml_idp.set_users(default_saml_users())
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["saml"] = {"APPS": [saml_app(sp_idp_settings(saml_idp))]}
    settings.SOCIALACCOUNT_PROVIDERS = providers
    settings.SAML_ENABLED = True
    csp = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    csp["DIRECTIVES"]["form-action"] = [
        *csp["DIRECTIVES"]["form-action"],
        saml_idp.base_url.rstrip("/"),
    ]
    settings.CONTENT_SECURITY_POLICY = csp
    settings.ALLOWED_EMAIL_DOMAINS = ["example.com"]
    settings.STAFF_GROUPS = ["portal-admins"]
    cache.clear()  # allauth caches the IdP metadata
    return saml_idp


def _refused(response, status: int, text: str) -> None:
    assert response.status_code == status, response.text[:2000]
    assert "We could not sign you in" in response.text
    assert text in response.text


def test_saml_sign_in_creates_the_user_with_the_mapped_attributes(saml, live_server, new_session):
    response = saml_sign_in(new_session(), live_server.url, "alex")

    assert response.status_code == 200, [response.url, [r.url for r in response.history]]
    assert urlsplit(response.url).path == "/"
    user = User.objects.get()
    assert (user.idp_subject, user.email, user.name, user.employee_id, user.department) == (
        "saml-sub-alex",
        "alex@example.com",
        "Alex Morgan",
        "E1001",
        "Trust & Safety",
    )
    assert user.idp_groups == ["trust-safety"]
    assert user.socialaccount_set.get().provider == ORGANIZATION


def test_saml_staff_group_makes_a_programme_admin(saml, live_server, new_session):
    session = new_session()
    saml_sign_in(session, live_server.url, "priya")

    admin = session.get(f"{live_server.url}/admin/", timeout=30)

    assert admin.status_code == 200
    assert User.objects.get().is_staff is True


def _decoded(fields: dict) -> str:
    return base64.b64decode(fields["SAMLResponse"]).decode()


def _encoded(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


def test_saml_tampered_response_is_refused(saml, live_server, new_session):
    session = new_session()
    acs, fields = saml_assertion_post(session, live_server.url, "alex")
    xml = _decoded(fields)
    assert "alex@example.com" in xml
    fields["SAMLResponse"] = _encoded(xml.replace("alex@example.com", "priya@example.com"))

    response = session.post(acs, data=fields, timeout=30)

    _refused(response, 400, "could not be completed")
    assert User.objects.count() == 0


def test_saml_unsigned_response_is_refused(saml, live_server, new_session):
    session = new_session()
    acs, fields = saml_assertion_post(session, live_server.url, "alex")
    unsigned = re.sub(r"<ds:Signature\b.*?</ds:Signature>", "", _decoded(fields), flags=re.DOTALL)
    assert "Signature" not in unsigned
    fields["SAMLResponse"] = _encoded(unsigned)

    response = session.post(acs, data=fields, timeout=30)

    _refused(response, 400, "could not be completed")
    assert User.objects.count() == 0


def test_saml_response_without_its_own_signature_is_refused(saml, live_server, new_session):
    # The assertion keeps its valid signature; only the Response's is gone. Signed
    # responses are required (want_message_signed), not just signed assertions.
    session = new_session()
    acs, fields = saml_assertion_post(session, live_server.url, "alex")
    head, marker, tail = _decoded(fields).partition("<saml:Assertion")
    assert "<ds:Signature" in head and "<ds:Signature" in tail
    head = re.sub(r"<ds:Signature\b.*?</ds:Signature>", "", head, flags=re.DOTALL)
    fields["SAMLResponse"] = _encoded(head + marker + tail)

    response = session.post(acs, data=fields, timeout=30)

    _refused(response, 400, "could not be completed")
    assert User.objects.count() == 0


def test_saml_idp_metadata_from_a_file(saml, tmp_path, monkeypatch):
    import requests

    from portal import settings as portal_settings

    metadata = tmp_path / "idp-metadata.xml"
    metadata.write_bytes(requests.get(saml.metadata_url, timeout=30).content)
    monkeypatch.setattr(portal_settings, "SAML_IDP_METADATA_URL", "")
    monkeypatch.setattr(portal_settings, "SAML_IDP_METADATA_FILE", str(metadata))

    idp = portal_settings._saml_idp_settings()

    assert idp["entity_id"] == saml.entity_id
    assert idp["sso_url"] == f"{saml.base_url}saml2/idp/SSOService.php"
    assert len(idp["x509cert"]) > 500


def test_saml_idp_initiated_sign_in_is_refused(saml, live_server, new_session):
    session = new_session()
    started = session.get(
        f"{saml.base_url}saml2/idp/SSOService.php",
        params={"spentityid": saml.sp_entity_id},
        timeout=30,
    )
    from tests.system.idp_harness import parse_forms

    login = parse_forms(started.text)[0]
    fields = {**login["inputs"], "username": "alex", "password": TEST_PASSWORD}
    answered = session.post(started.url.split("?")[0], data=fields, timeout=30)
    post = parse_forms(answered.text)[0]

    response = session.post(post["action"], data=post["inputs"], timeout=30)

    _refused(response, 400, "could not be completed")
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("login", "status", "text"),
    [
        ("outsider", 403, "only open to company e-mail addresses"),
        ("leaver", 403, "deactivated"),
        ("bad", 403, "not a valid address"),
    ],
)
def test_saml_applies_the_oidc_refusal_rules(saml, live_server, new_session, login, status, text):
    response = saml_sign_in(new_session(), live_server.url, login)

    _refused(response, status, text)
    assert User.objects.count() == 0


def test_saml_same_email_with_another_subject_is_refused(saml, live_server, new_session):
    saml_sign_in(new_session(), live_server.url, "alex")

    response = saml_sign_in(new_session(), live_server.url, "twin")

    _refused(response, 403, "Another account already uses alex@example.com")
    assert list(User.objects.values_list("idp_subject", flat=True)) == ["saml-sub-alex"]


def test_saml_sp_metadata_is_at_a_stable_url(saml, live_server, new_session):
    url = f"{live_server.url}/accounts/saml/{ORGANIZATION}/metadata/"

    response = new_session().get(url, timeout=30)

    assert response.status_code == 200
    assert f'entityID="{url}"' in response.text
    assert f'Location="{live_server.url}/accounts/saml/{ORGANIZATION}/acs/"' in response.text
    assert 'WantAssertionsSigned="true"' in response.text


def test_saml_idp_down_shows_the_friendly_page(saml, live_server, new_session, settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.3", 0))
        closed = sock.getsockname()[1]
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["saml"]["APPS"][0]["settings"]["idp"]["metadata_url"] = (
        f"http://127.0.0.3:{closed}/metadata"
    )
    settings.SOCIALACCOUNT_PROVIDERS = providers
    cache.clear()
    session = new_session()
    session.get(f"{live_server.url}/accounts/login/", timeout=30)

    response = session.post(
        f"{live_server.url}/accounts/saml/{ORGANIZATION}/login/",
        data={"csrfmiddlewaretoken": session.cookies.get("csrftoken")},
        headers={"Referer": f"{live_server.url}/accounts/login/"},
        timeout=30,
    )

    assert response.status_code == 503
    assert "Sign-in is unavailable right now" in response.text


def test_saml_sign_in_in_chromium(saml, live_server, page):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Company SSO (SAML)").click()
    page.fill("input[name=username]", "alex")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/")

    assert "Alex Morgan" in page.content()
    assert User.objects.get().idp_subject == "saml-sub-alex"
