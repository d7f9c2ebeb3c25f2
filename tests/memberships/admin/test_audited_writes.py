"""Every admin write goes through a service and leaves an audit entry; bulk actions report
partial failure honestly."""

import csv
from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from memberships.enums import MembershipStatus
from memberships.exceptions import InvalidEventChange
from memberships.models import AuditEntry, Event, Partner, Registration, Resource, Topic
from memberships.services.events import event_delete
from memberships.services.partners import partner_authenticate
from tests.factories import (
    EventFactory,
    MembershipFactory,
    PartnerFactory,
    RegistrationFactory,
    SponsorshipFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _entries(obj) -> list[tuple[str, dict]]:
    return list(
        AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("pk")
        .values_list("action", "changes")
    )


def _sponsorship_form(sponsorship, **overrides) -> dict:
    data = {
        "partner": sponsorship.partner_id,
        "name": sponsorship.name,
        "slug": sponsorship.slug,
        "company": sponsorship.company,
        "tier": sponsorship.tier,
        "description": sponsorship.description,
        "seats": sponsorship.seats,
        "starts_on": sponsorship.starts_on.isoformat(),
        "ends_on": sponsorship.ends_on.isoformat(),
        "eligible_groups": ", ".join(sponsorship.eligible_groups),
        "contact_email": sponsorship.contact_email,
        "shared_fields": sponsorship.shared_fields,
        "consent_text": sponsorship.consent_text,
        "consent_label": sponsorship.consent_label,
    }
    return data | overrides


def test_admin_sponsorship_edit_records_old_and_new_values(admin_client_sso, admin_user):
    sponsorship = SponsorshipFactory(seats=10, requires_approval=False)
    url = reverse("admin:memberships_sponsorship_change", args=[sponsorship.pk])

    response = admin_client_sso.post(
        url,
        _sponsorship_form(
            sponsorship, seats=12, requires_approval="on", shared_fields=["email", "name"]
        ),
    )

    assert response.status_code == 302
    [entry] = AuditEntry.objects.filter(action="sponsorship_changed")
    assert entry.actor == admin_user
    sponsorship.refresh_from_db()
    assert entry.changes == {
        "seats": [10, 12],
        "requires_approval": [False, True],
        "shared_fields": [["email", "name", "employee_id"], ["email", "name"]],
        "consent_version": [entry.changes["consent_version"][0], sponsorship.consent_version],
    }
    assert entry.changes["consent_version"][0] != sponsorship.consent_version


def test_admin_sponsorship_save_without_change_records_nothing(admin_client_sso):
    sponsorship = SponsorshipFactory()
    url = reverse("admin:memberships_sponsorship_change", args=[sponsorship.pk])

    admin_client_sso.post(url, _sponsorship_form(sponsorship))

    assert _entries(sponsorship) == []


def test_admin_partner_edit_is_audited_without_the_secret_value(admin_client_sso):
    partner = PartnerFactory(slug="guild", name="Guild", webhook_secret="whsec_b2xkLXNlY3JldA==")
    url = reverse("admin:memberships_partner_change", args=[partner.pk])

    admin_client_sso.post(
        url,
        {
            "name": "The Guild",
            "slug": "guild",
            "website": partner.website,
            "operations_email": partner.operations_email,
            "webhook_url": "",
            "webhook_secret": "whsec_bmV3LXNlY3JldA==",
            "notification_channels": partner.notification_channels,
            "language": "en",
            "is_active": "on",
        },
    )

    partner.refresh_from_db()
    assert partner.webhook_secret == "whsec_bmV3LXNlY3JldA=="
    assert _entries(partner) == [
        (
            "partner_changed",
            {"name": ["Guild", "The Guild"], "webhook_secret": ["[secret]", "[secret]"]},
        )
    ]
    assert "bmV3LXNlY3JldA" not in str(AuditEntry.objects.values_list("changes", flat=True))


def test_admin_partner_creation_is_audited(admin_client_sso):
    admin_client_sso.post(
        reverse("admin:memberships_partner_add"),
        {
            "name": "Guild",
            "slug": "guild",
            "website": "",
            "operations_email": "ops@guild.example.org",
            "webhook_url": "",
            "webhook_secret": "",
            "notification_channels": "email",
            "language": "en",
            "is_active": "on",
        },
    )

    partner = Partner.objects.get(slug="guild")
    [(action, changes)] = _entries(partner)
    assert action == "partner_created"
    assert changes["name"] == "Guild"


def test_partner_token_rotation_is_audited_without_the_token():
    partner = PartnerFactory()
    out = StringIO()

    call_command("partner_token", partner.slug, stdout=out, stderr=StringIO())

    token = out.getvalue().strip()
    partner.refresh_from_db()
    assert partner_authenticate(token=token) == partner
    assert _entries(partner) == [("partner_token_rotated", {})]
    assert token not in str(list(AuditEntry.objects.values()))


def test_admin_event_creation_is_audited(admin_client_sso, partner):
    response = admin_client_sso.post(
        reverse("admin:memberships_event_add"),
        {
            "partner": partner.pk,
            "title": "Policy clinic",
            "slug": "policy-clinic",
            "kind": "workshop",
            "summary": "Bring a hard case.",
            "body": "",
            "starts_at_0": "2030-03-01",
            "starts_at_1": "10:00:00",
            "ends_at_0": "2030-03-01",
            "ends_at_1": "11:00:00",
            "time_zone": "Europe/Dublin",
            "format": "online",
            "status": "draft",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(slug="policy-clinic")
    [(action, changes)] = _entries(event)
    assert action == "event_created"
    assert changes["title"] == "Policy clinic"


def test_admin_resource_and_topic_writes_are_audited(admin_client_sso, partner):
    admin_client_sso.post(
        reverse("admin:memberships_topic_add"), {"name": "Investigations", "slug": "inv"}
    )
    topic = Topic.objects.get(slug="inv")
    admin_client_sso.post(
        reverse("admin:memberships_topic_delete", args=[topic.pk]), {"post": "yes"}
    )
    admin_client_sso.post(
        reverse("admin:memberships_resource_add"),
        {
            "title": "Resilience guide",
            "kind": "guide",
            "url": "https://example.org/guide",
            "summary": "Short.",
            "partner": partner.pk,
        },
    )

    assert Topic.objects.filter(slug="inv").exists() is False
    assert list(
        AuditEntry.objects.filter(object_type="memberships.topic")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["topic_created", "topic_deleted"]
    resource = Resource.objects.get(title="Resilience guide")
    assert [action for action, _changes in _entries(resource)] == ["resource_created"]


def test_admin_members_csv_makes_a_formula_member_number_inert(admin_client_sso):
    member = MembershipFactory(
        status=MembershipStatus.ACTIVE,
        member_number='=HYPERLINK("http://x","y")',
        shared_data={"email": "a@example.com"},
    )

    response = admin_client_sso.post(
        reverse("admin:memberships_membership_changelist"),
        {"action": "export_csv", ACTION_CHECKBOX_NAME: [member.pk]},
    )

    header, row = csv.reader(StringIO(response.content.decode()))
    assert row[header.index("member_number")] == '\'=HYPERLINK("http://x","y")'


def test_admin_action_reports_only_failures_when_nothing_succeeded(admin_client_sso):
    active = MembershipFactory(status=MembershipStatus.ACTIVE)

    response = admin_client_sso.post(
        reverse("admin:memberships_membership_changelist"),
        {"action": "approve", ACTION_CHECKBOX_NAME: [active.pk]},
    )

    levels = [m.level_tag for m in get_messages(response.wsgi_request)]
    assert levels == ["error"]


def test_admin_action_counts_successes_and_names_each_failure(admin_client_sso):
    pending = MembershipFactory(status=MembershipStatus.PENDING_APPROVAL)
    active = MembershipFactory(status=MembershipStatus.ACTIVE)

    response = admin_client_sso.post(
        reverse("admin:memberships_membership_changelist"),
        {"action": "approve", ACTION_CHECKBOX_NAME: [pending.pk, active.pk]},
    )

    messages = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert messages[0] == ("success", "1 approved.")
    assert [level for level, _text in messages[1:]] == ["error"]
    assert messages[1][1].startswith(str(active))


def test_admin_sponsorship_fee_edit_is_saved_and_audited(admin_client_sso):
    sponsorship = SponsorshipFactory()
    url = reverse("admin:memberships_sponsorship_change", args=[sponsorship.pk])

    response = admin_client_sso.post(
        url, _sponsorship_form(sponsorship, fee="1200.00", fee_currency="EUR")
    )

    sponsorship.refresh_from_db()
    assert response.status_code == 302
    assert (str(sponsorship.fee), sponsorship.fee_currency) == ("1200.00", "EUR")
    [entry] = AuditEntry.objects.filter(action="sponsorship_changed")
    assert entry.changes == {"fee": [None, "1200.00"], "fee_currency": ["", "EUR"]}


def test_admin_cannot_delete_an_event_people_are_registered_for(admin_client_sso):
    event = EventFactory()
    registration = RegistrationFactory(event=event)

    page = admin_client_sso.get(reverse("admin:memberships_event_delete", args=[event.pk]))
    posted = admin_client_sso.post(
        reverse("admin:memberships_event_delete", args=[event.pk]), {"post": "yes"}
    )

    assert (page.status_code, posted.status_code) == (403, 403)
    assert Registration.objects.get(pk=registration.pk).event == event
    with pytest.raises(InvalidEventChange):
        event_delete(event=event, actor=None)
    assert Event.objects.filter(pk=event.pk).exists()
