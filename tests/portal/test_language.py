"""Language choice: saved preference, else Accept-Language, else LANGUAGE_CODE; a switcher
that works without JavaScript; <html lang dir> on every page."""

import pytest
from django.urls import reverse

from tests.conftest import sso_login

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _html_tag(response) -> str:
    content = response.content.decode()
    return content[content.index("<html") : content.index(">", content.index("<html")) + 1]


def test_signed_out_page_follows_accept_language_with_direction(client):
    response = client.get(reverse("privacy"), HTTP_ACCEPT_LANGUAGE="ar")

    assert _html_tag(response) == '<html lang="ar" dir="rtl">'
    assert response["Content-Language"] == "ar"


def test_default_language_when_the_browser_asks_for_none_offered(client):
    response = client.get(reverse("privacy"), HTTP_ACCEPT_LANGUAGE="de")

    assert _html_tag(response) == '<html lang="en" dir="ltr">'


def test_saved_preference_beats_accept_language(client, employee):
    employee.language = "es"
    employee.save()
    sso_login(client, employee)

    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ar")

    assert _html_tag(response) == '<html lang="es" dir="ltr">'


def test_header_switch_saves_the_preference_and_returns_to_the_page(client, employee):
    sso_login(client, employee)

    response = client.post(
        reverse("language-set"), {"language": "ur", "next": reverse("memberships:event-list")}
    )
    page = client.get(reverse("memberships:event-list"))

    employee.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("memberships:event-list")
    assert employee.language == "ur"
    assert _html_tag(page) == '<html lang="ur" dir="rtl">'


def test_switch_when_signed_out_sets_the_cookie(client):
    response = client.post(reverse("language-set"), {"language": "fr", "next": "/privacy/"})
    page = client.get(reverse("privacy"), HTTP_ACCEPT_LANGUAGE="es")

    assert response.cookies["django_language"].value == "fr"
    assert _html_tag(page) == '<html lang="fr" dir="ltr">'


@pytest.mark.parametrize("next_url", ["https://evil.example.net/", "//evil.example.net/x"])
def test_switch_never_redirects_off_site(client, next_url):
    response = client.post(reverse("language-set"), {"language": "es", "next": next_url})

    assert response["Location"] == reverse("home")


def test_switch_refuses_an_unknown_language_without_saving(client, employee):
    sso_login(client, employee)

    response = client.post(reverse("language-set"), {"language": "xx", "next": "/privacy/"})

    employee.refresh_from_db()
    assert response.status_code == 302
    assert employee.language == ""
    assert "django_language" not in response.cookies


def test_reopening_the_switch_address_redirects_home(client):
    response = client.get(reverse("language-set"))

    assert (response.status_code, response["Location"]) == (302, reverse("home"))


def test_every_page_offers_the_switcher_with_languages_named_in_themselves(client):
    content = client.get(reverse("privacy")).content.decode()

    assert 'action="/language/"' in content
    for name in ("English", "español", "français", "العربيّة", "اردو"):
        assert name in content
