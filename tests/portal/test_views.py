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


def test_healthz_reports_ok_when_database_and_broker_answer(client, settings):
    settings.CELERY_BROKER_URL = "memory://"

    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (
        200,
        {"status": "ok", "database": "ok", "broker": "ok"},
    )


def test_healthz_returns_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (
        503,
        {"status": "unavailable", "database": "ok", "broker": "unavailable"},
    )


def test_unknown_page_renders_the_friendly_404(employee_client):
    response = employee_client.get("/no-such-page/")

    assert response.status_code == 404
    assert "We can" in response.content.decode()
