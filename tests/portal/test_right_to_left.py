"""Right-to-left pages and e-mails: member numbers, addresses and codes stay left to right
inside Arabic or Urdu text, e-mails carry their direction, arrows point the reading way, and
the portal's stylesheet has no physical left/right property."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext

from memberships.emails import make_message
from memberships.enums import NotificationRecipient
from memberships.models import UrgentHelpLine
from tests.conftest import sso_login
from tests.factories import EventFactory, PartnerFactory, active_membership, attended, past_event
from tests.memberships.test_email_kinds import _every_email_kind

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

REPO_ROOT = Path(__file__).resolve().parents[2]


def _signed_in_in(client, user, language):
    user.language = language
    user.save()
    sso_login(client, user)


def test_ltr_filter_isolates_and_escapes():
    rendered = Template(
        "{% load bidi i18n %}"
        "{% blocktranslate with n=number|ltr %}number {{ n }}{% endblocktranslate %}"
        "{{ empty|ltr }}"
    ).render(Context({"number": "<b>TSPA-0042</b>", "empty": ""}))

    assert rendered == 'number <bdi dir="ltr">&lt;b&gt;TSPA-0042&lt;/b&gt;</bdi>'


@pytest.mark.parametrize("language", ["ar", "ur"])
def test_member_number_and_address_stay_left_to_right_on_rtl_pages(client, employee, language):
    active_membership(user=employee, partner=PartnerFactory(), member_number="TSPA-0042")
    _signed_in_in(client, employee, language)

    home = client.get(reverse("home")).content.decode()
    membership = client.get(reverse("memberships:membership")).content.decode()

    assert '<bdi class="member-number" dir="ltr">TSPA-0042</bdi>' in home
    assert '<bdi dir="ltr">alex@example.com</bdi>' in home
    assert '<bdi class="member-number" dir="ltr">TSPA-0042</bdi>' in membership
    assert re.search(r'<bdi dir="ltr">v1</bdi>', membership)


def test_certificate_code_calendar_link_and_phone_stay_left_to_right(client, employee):
    registration = attended(event=past_event(days_ago=5), user=employee)
    UrgentHelpLine.objects.create(name="EAP", phone="+1 555 0100", availability="24 hours")
    _signed_in_in(client, employee, "ar")

    record = client.get(reverse("memberships:learning-record")).content.decode()
    settings_page = client.get(reverse("memberships:my-settings")).content.decode()
    verify = client.get(reverse("memberships:certificate-verify")).content.decode()
    well_being = client.get(reverse("memberships:well-being")).content.decode()

    assert f'<code dir="ltr">{registration.certificate.code}</code>' in record
    assert '<input id="feed-url" type="text" dir="ltr" readonly value="http' in settings_page
    assert re.search(r'<input type="text" name="code" dir="ltr"', verify)
    assert '<a href="tel:+15550100" dir="ltr">+1 555 0100</a>' in well_being


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("ur", "rtl"), ("es", "ltr")])
def test_every_email_kind_carries_the_language_and_direction_of_its_reader(
    employee, admin_user, language, direction, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notifications = _every_email_kind(employee, admin_user)
    wrong = {}

    for kind, notification in notifications.items():
        if notification.recipient == NotificationRecipient.PROGRAMME:
            continue  # the programme team reads the site's language, by design
        for reader in (notification.user, notification.partner):
            if reader is not None:
                reader.language = language
        html = make_message(notification).alternatives[0].content
        tag = html[html.index("<html") : html.index(">", html.index("<html")) + 1]
        if tag != f'<html lang="{language}" dir="{direction}">':
            wrong[kind] = tag

    assert wrong == {}


def test_rtl_emails_isolate_member_numbers_and_mirror_the_change_arrow(
    employee, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notifications = _every_email_kind(employee, admin_user)
    employee.language = "ar"
    for kind in ("membership_active", "event_changed"):
        notifications[kind].user = employee

    active = make_message(notifications["membership_active"]).alternatives[0].content
    changed_ar = make_message(notifications["event_changed"]).alternatives[0].content
    employee.language = "en"
    changed_en = make_message(notifications["event_changed"]).alternatives[0].content

    assert '<bdi dir="ltr">TSPA-0042</bdi>' in active
    assert "<del>Room 4</del> ← <strong>Room 5</strong>" in changed_ar
    assert "<del>Room 4</del> → <strong>Room 5</strong>" in changed_en
    assert "margin-left:8px" in changed_ar and "margin-right:8px" in changed_en


def test_portal_stylesheet_uses_logical_properties_only():
    css = (REPO_ROOT / "static" / "css" / "portal.css").read_text()

    physical = re.findall(
        r"[\w-]*(?:margin|padding|border)-(?:left|right)[\w-]*\s*:"
        r"|text-align\s*:\s*(?:left|right)|float\s*:\s*(?:left|right)"
        r"|(?<![\w-])(?:left|right)\s*:",
        css,
    )

    assert physical == []
    assert 'a[href^="mailto:"], a[href^="tel:"] { unicode-bidi: plaintext; }' in css


@pytest.mark.parametrize(
    ("language", "tag"), [("ur", 'lang="ur" dir="rtl"'), ("en", 'lang="en" dir="ltr"')]
)
def test_server_error_page_speaks_the_active_language_in_its_direction(rf, language, tag):
    from portal.views import server_error

    with translation.override(language):
        body = server_error(rf.get("/")).content.decode()
        sorry = gettext("Something went wrong on our side")

    assert f"<html {tag}>" in body
    assert sorry in body


def test_text_written_by_people_takes_its_own_direction(client, employee):
    """Partners write descriptions and summaries in their language: on an Arabic page an
    English paragraph keeps its full stop at its end (`dir="auto"`)."""
    partner = PartnerFactory()
    active_membership(user=employee, partner=partner, member_number="TSPA-0042")
    EventFactory(partner=partner, summary="Hands-on practice.")
    _signed_in_in(client, employee, "ar")

    membership = client.get(reverse("memberships:membership")).content.decode()
    events = client.get(reverse("memberships:event-list")).content.decode()

    assert re.search(r'<div class="prose" data-consent-version="[^"]*" dir="auto">', membership)
    assert '<p dir="auto">Hands-on practice.</p>' in events


@pytest.mark.parametrize("language", ["ar", "ur"])
def test_arabic_and_urdu_pages_show_western_digits_and_localized_month_names(
    client, employee, language
):
    """The choice the README states: Django's `ar`/`ur` formats, Western digits 0-9."""
    membership = active_membership(user=employee, partner=PartnerFactory(), member_number="M-7")
    _signed_in_in(client, employee, language)
    ends_on = membership.sponsorship.ends_on
    with translation.override(language):
        expected = formats.date_format(ends_on, "j F Y")

    html = client.get(reverse("memberships:membership")).content.decode()

    assert re.search("[\u0660-\u0669\u06f0-\u06f9]", html) is None
    assert expected.startswith(f"{ends_on.day} ") and expected.endswith(f" {ends_on.year}")
    assert expected != ends_on.strftime("%-d %B %Y")  # the month is named in the language
    assert f"<dd>{expected}</dd>" in html
