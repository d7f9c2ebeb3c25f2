"""Every employee page and every e-mail kind, rendered in every language the portal offers,
holds no English sentence of the catalogue: a message longer than three words that shows up
verbatim in a non-English page was left untranslated (or never went through gettext)."""

import datetime
import html
import re
from functools import cache
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import to_locale

from memberships.emails import make_message
from memberships.enums import (
    MembershipStatus,
    NotificationChannel,
    NotificationKind,
    NotificationRecipient,
)
from memberships.models import Notification, UrgentHelpLine
from memberships.services.attendance import attendance_mark, attendance_mark_by_partner
from memberships.services.claims import (
    membership_claim,
    memberships_idle_remind,
    memberships_renewal_notices_send,
    sponsorship_renew,
    waitlist_join,
    waitlist_leave,
)
from memberships.services.insights import insights_monthly_report_send
from tests.conftest import sso_login
from tests.factories import (
    EventFactory,
    MembershipFactory,
    PartnerFactory,
    RegistrationFactory,
    ResourceFactory,
    SponsorshipFactory,
    TopicFactory,
    UserFactory,
    active_membership,
    attended,
    past_event,
)
from tests.memberships.test_email_kinds import _every_email_kind

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

REPO_ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{[^}]*\}\}|\{\w+\}")
TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")
INVISIBLE = re.compile(r"<(script|style|head)\b.*?</\1>", re.S | re.I)


def _text(markup: str) -> str:
    """What a reader sees: tags and scripts out, entities decoded, spaces collapsed."""
    return SPACE.sub(" ", html.unescape(TAG.sub(" ", INVISIBLE.sub(" ", markup)))).strip()


@cache
def english_sentences(language: str) -> frozenset[str]:
    """The catalogue's English messages (the literal runs between placeholders) of more than
    three words, except those the language's catalogue keeps as they are (names, codes)."""
    po = REPO_ROOT / "locale" / to_locale(language) / "LC_MESSAGES" / "django.po"
    sentences = set()
    for entry in polib.pofile(str(po)):
        if entry.obsolete or entry.msgstr == entry.msgid:
            continue
        for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
            for run in PLACEHOLDER.split(_text(msgid)):
                run = run.strip(" .,:;()")
                if len(run.split()) > 3:
                    sentences.add(run)
    return frozenset(sentences)


def english_left(text: str, language: str) -> list[str]:
    return sorted(s for s in english_sentences(language) if s in text)


def _seed(user):
    """Enough data that every section of every employee page shows: an active membership,
    upcoming, registered, members-only, well-being and past events, resources, a help line."""
    partner = PartnerFactory(name="Trust & Safety Professional Association", slug="tspa")
    sponsorship = SponsorshipFactory(partner=partner, slug="tspa")
    active_membership(user=user, partner=partner, member_number="TSPA-0042")
    SponsorshipFactory(partner=PartnerFactory(name="Digital Trust Society"), slug="dts")
    topic = TopicFactory(name="Content moderation", slug="content-moderation")
    workshop = EventFactory(partner=partner, title="Handling graphic content safely")
    workshop.topics.add(topic)
    registered = EventFactory(partner=partner, title="Policy writing", kind="webinar")
    RegistrationFactory(event=registered, user=user)
    EventFactory(partner=partner, title="Members deep dive", is_members_only=True)
    EventFactory(
        partner=partner,
        title="Resilience circle",
        kind="well_being",
        content_note_label="Distressing material",
        content_note="We talk about hard shifts.",
    )
    EventFactory(
        partner=partner,
        title="London meetup",
        kind="meetup",
        format="in_person",
        venue="1 Example Street, London",
        join_url="",
    )
    attended(event=past_event(days_ago=30, partner=partner, title="Clinic"), user=user)
    past_event(days_ago=10, partner=partner, title="Open office hour")
    ResourceFactory(partner=partner, title="Resilience after hard shifts", kind="well_being")
    ResourceFactory(partner=partner, title="Career paths", kind="career")
    UrgentHelpLine.objects.create(
        name="Employee Assistance Programme", phone="+1 555 0100", availability="24 hours"
    )
    return {"sponsorship": sponsorship, "workshop": workshop, "registered": registered}


def _later_email_kinds(employee, admin_user) -> dict[str, Notification]:
    """The kinds `_every_email_kind` does not write: renewals and term ends, the seat
    waitlist left, the activation reminder, attendance and feedback, the monthly report."""
    today = timezone.localdate()
    ending = SponsorshipFactory(
        seats=2,
        starts_on=today - datetime.timedelta(days=300),
        ends_on=today + datetime.timedelta(days=10),
    )
    MembershipFactory(sponsorship=ending, status=MembershipStatus.ACTIVE, member_number="M-5")
    MembershipFactory(sponsorship=ending, shared_at=timezone.now() - datetime.timedelta(days=40))
    memberships_renewal_notices_send()
    waiting = UserFactory()
    waitlist_join(user=waiting, sponsorship=ending, consent_version="v1")
    waitlist_leave(user=waiting, sponsorship=ending)
    memberships_idle_remind()
    renewer = MembershipFactory(
        sponsorship=ending, status=MembershipStatus.ACTIVE, member_number="M-9"
    )
    starts = ending.ends_on + datetime.timedelta(days=1)
    renewal = sponsorship_renew(
        sponsorship=ending,
        actor=admin_user,
        starts_on=starts,
        ends_on=starts + datetime.timedelta(days=364),
    )
    membership_claim(
        user=renewer.user, sponsorship=renewal, consent_version=renewal.consent_version
    )
    event = past_event(days_ago=2, kind="well_being")
    seat = RegistrationFactory(event=event, user=employee)
    attendance_mark_by_partner(event=event, marks={seat.pk: "attended"})
    workshop = past_event(days_ago=2)
    other = RegistrationFactory(event=workshop, user=employee)
    attendance_mark(event=workshop, marks={other.pk: "attended"}, source="admin")
    insights_monthly_report_send()

    emails = Notification.objects.filter(channel=NotificationChannel.EMAIL).order_by("pk")
    return {n.kind: n for n in emails}


EMPLOYEE_PAGES = {
    "home": lambda data: reverse("home"),
    "membership": lambda data: reverse("memberships:membership"),
    "event-list": lambda data: reverse("memberships:event-list"),
    "event-detail": lambda data: reverse("memberships:event-detail", args=[data["workshop"].slug]),
    "event-detail-registered": lambda data: reverse(
        "memberships:event-detail", args=[data["registered"].slug]
    ),
    "event-past": lambda data: reverse("memberships:event-past"),
    "my-events": lambda data: reverse("memberships:my-events"),
    "settings": lambda data: reverse("memberships:my-settings"),
    "resources": lambda data: reverse("memberships:resource-list"),
    "well-being": lambda data: reverse("memberships:well-being"),
    "learning-record": lambda data: reverse("memberships:learning-record"),
    "my-data": lambda data: reverse("memberships:my-data"),
    "privacy": lambda data: reverse("privacy"),
}


def test_the_check_finds_english_on_an_english_page(client, employee):
    """The check has teeth: the same pages in English are full of catalogue sentences."""
    data = _seed(employee)
    sso_login(client, employee)

    text = _text(client.get(EMPLOYEE_PAGES["membership"](data)).content.decode())

    assert len(english_left(text, "es")) >= 3


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_employee_page_is_free_of_english_sentences(client, employee, language):
    employee.language = language
    employee.save()
    data = _seed(employee)
    sso_login(client, employee)
    left = {}

    for name, url in EMPLOYEE_PAGES.items():
        response = client.get(url(data))
        assert response.status_code == 200, name
        assert response["Content-Language"] == language, name
        found = english_left(_text(response.content.decode()), language)
        if found:
            left[name] = found

    assert left == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_email_kind_is_free_of_english_sentences(
    employee, admin_user, language, django_capture_on_commit_callbacks
):
    """Employees and programme admins as they chose, partners as configured; the programme
    team's own notices are in LANGUAGE_CODE, so they are left out here."""
    for person in (employee, admin_user):
        person.language = language
        person.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=False):
        notifications = _every_email_kind(employee, admin_user)
        notifications |= _later_email_kinds(employee, admin_user)
    left = {}

    for kind, notification in notifications.items():
        if notification.recipient == NotificationRecipient.PROGRAMME:
            continue
        if notification.user is not None:
            notification.user.language = language
        if notification.partner is not None:
            notification.partner.language = language
        message = make_message(notification)
        for part, text in (
            ("subject", message.subject),
            ("text", message.body),
            ("html", _text(message.alternatives[0].content)),
        ):
            found = english_left(text, language)
            if found:
                left[f"{kind} {part}"] = found

    assert left == {}


def test_the_check_finds_english_in_every_english_email_kind(
    employee, admin_user, django_capture_on_commit_callbacks
):
    """The check has teeth for e-mails too: each kind, in English, shows catalogue sentences."""
    with django_capture_on_commit_callbacks(execute=False):
        notifications = _every_email_kind(employee, admin_user)
        notifications |= _later_email_kinds(employee, admin_user)

    silent = [
        kind
        for kind, notification in notifications.items()
        if not english_left(make_message(notification).body, "es")
    ]

    # Every kind is covered.
    assert sorted(set(NotificationKind.values) - set(notifications)) == []
    assert silent == []
