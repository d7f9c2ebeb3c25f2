import pytest
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def test_home_redirects_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/"


def test_home_shows_name_and_department(employee_client, employee):
    response = employee_client.get(reverse("home"))

    assert response.status_code == 200
    assert employee.name in response.content.decode()
    assert "Trust &amp; Safety" in response.content.decode()


def test_login_page_offers_only_sso(client):
    response = client.get(reverse("account_login"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Sign in with Company SSO" in body
    assert 'name="password"' not in body
    assert 'action="/accounts/oidc/sso/login/"' in body


@pytest.mark.parametrize("path", ["/accounts/signup/", "/accounts/password/reset/"])
def test_local_signup_and_password_reset_do_not_exist(client, path):
    response = client.get(path)

    assert response.status_code == 404


def test_sign_out_requires_post_and_clears_the_session(employee_client):
    get_response = employee_client.get(reverse("account_logout"))
    post_response = employee_client.post(reverse("account_logout"))
    after = employee_client.get(reverse("home"))

    assert get_response.status_code == 200  # a confirmation page, still signed in
    assert post_response.status_code == 302
    assert "_auth_user_id" not in employee_client.session
    assert after.status_code == 302


@pytest.fixture
def discovery(settings):
    """An OpenID Connect discovery document on loopback, and the portal's SSO pointed at it."""
    from tests.portal.healthz_support import point_sso_at, serve_discovery

    with serve_discovery() as server:
        point_sso_at(settings, server.issuer)
        yield server


def test_healthz_reports_ok_when_database_broker_and_idp_answer(client, settings, discovery):
    settings.CELERY_BROKER_URL = "memory://"

    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (
        200,
        {"status": "ok", "database": "ok", "broker": "ok", "idp": "ok"},
    )


def test_healthz_returns_503_when_the_broker_is_unreachable(client, settings, discovery):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (
        503,
        {"status": "unavailable", "database": "ok", "broker": "unavailable", "idp": "ok"},
    )


def test_healthz_asks_the_idp_once_for_several_probes(client, settings, discovery):
    settings.CELERY_BROKER_URL = "memory://"

    statuses = [client.get("/healthz").status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert discovery.hits == ["/.well-known/openid-configuration"]


def test_unknown_page_renders_the_friendly_404(employee_client):
    response = employee_client.get("/no-such-page/")

    assert response.status_code == 404
    assert "We can" in response.content.decode()


def test_privacy_page_is_public_and_names_the_contact(client, settings):
    response = client.get(reverse("privacy"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Privacy: what the portal keeps and shares</h1>" in body
    assert f'href="mailto:{settings.SUPPORT_EMAIL}"' in body


def test_every_page_links_privacy_and_contact_in_the_footer(employee_client, settings):
    response = employee_client.get(reverse("home"))

    footer = response.content.decode().split('<footer class="site-footer">')[1]
    assert f'href="{reverse("privacy")}"' in footer
    assert f'href="mailto:{settings.SUPPORT_EMAIL}"' in footer


def test_messages_are_announced_with_status_and_errors_with_alert(rf, employee):
    from django.contrib.messages import constants, get_messages
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = employee
    request.session = {}
    request._messages = FallbackStorage(request)
    request._messages.add(constants.SUCCESS, "Saved.")
    request._messages.add(constants.ERROR, "That failed.")

    html = render_to_string(
        "base.html#messages", {"messages": get_messages(request)}, request=request
    )

    status, alert = html.split('role="alert"')
    assert 'role="status" aria-live="polite"' in status
    assert '<p class="message message-success">Saved.</p>' in status
    assert "That failed." not in status
    assert '<p class="message message-error">That failed.</p>' in alert


def test_server_error_page_renders_without_the_request_context(rf, settings):
    from portal.views import server_error

    response = server_error(rf.get("/"))

    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert settings.PROGRAMME_NAME.replace("&", "&amp;") in body
