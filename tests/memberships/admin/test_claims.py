import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from memberships.enums import MembershipStatus
from memberships.models import AuditEntry, Membership
from memberships.services.audit import audit_record
from tests.factories import (
    MembershipFactory,
    PartnerFactory,
    RosterEntryFactory,
    SponsorshipFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

CHANGELIST = reverse("admin:memberships_membership_changelist")


def _bulk(sponsorship, count: int) -> None:
    users = UserFactory.create_batch(count)
    Membership.objects.bulk_create(
        Membership(
            user=user,
            sponsorship=sponsorship,
            status=MembershipStatus.ACTIVE,
            member_number=f"M{i}",
            consent_version="v1",
            consent_text="ok",
            consented_at=sponsorship.created_at,
            consent_fields=["email"],
            shared_data={"email": user.email},
        )
        for i, user in enumerate(users)
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_admin_membership_changelist_runs_constant_queries(
    count, admin_client_sso, django_assert_max_num_queries
):
    _bulk(SponsorshipFactory(seats=None), count)

    with django_assert_max_num_queries(13):
        response = admin_client_sso.get(CHANGELIST)

    assert response.status_code == 200
    assert f"{count} memberships" in response.content.decode()


@pytest.mark.parametrize("count", [10, 1000])
def test_admin_sponsorship_changelist_shows_seats_in_constant_queries(
    count, admin_client_sso, django_assert_max_num_queries
):
    sponsorship = SponsorshipFactory(seats=2000)
    _bulk(sponsorship, count)

    with django_assert_max_num_queries(10):
        response = admin_client_sso.get(reverse("admin:memberships_sponsorship_changelist"))

    html = response.content.decode()
    assert f'<td class="field-seats_used">{count}</td>' in html
    assert f'<td class="field-seats_remaining">{2000 - count}</td>' in html


def test_admin_membership_list_is_closed_to_employees(employee_client):
    response = employee_client.get(CHANGELIST)

    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_admin_approve_action(admin_client_sso, admin_user):
    pending = MembershipFactory(status=MembershipStatus.PENDING_APPROVAL, shared_at=None)

    response = admin_client_sso.post(
        CHANGELIST, {"action": "approve", ACTION_CHECKBOX_NAME: [pending.pk]}, follow=True
    )

    pending.refresh_from_db()
    assert pending.status == MembershipStatus.PENDING_PARTNER
    assert "1 approved." in response.content.decode()
    assert AuditEntry.objects.get(action="approved").actor == admin_user


def test_admin_revoke_action_asks_for_a_reason_then_revokes(admin_client_sso):
    live = MembershipFactory.create_batch(2, status=MembershipStatus.ACTIVE)
    selection = {"action": "revoke", ACTION_CHECKBOX_NAME: [m.pk for m in live]}

    ask = admin_client_sso.post(CHANGELIST, selection)
    done = admin_client_sso.post(CHANGELIST, {**selection, "apply": "1", "reason": "Audit"})

    assert ask.status_code == 200
    assert 'name="reason"' in ask.content.decode()
    assert done.status_code == 302
    assert list(
        Membership.objects.filter(pk__in=[m.pk for m in live]).values_list("status", "end_reason")
    ) == [("revoked", "Audit"), ("revoked", "Audit")]


def test_admin_decline_action_without_reason_changes_nothing(admin_client_sso):
    pending = MembershipFactory(status=MembershipStatus.PENDING_APPROVAL)

    response = admin_client_sso.post(
        CHANGELIST,
        {"action": "decline", ACTION_CHECKBOX_NAME: [pending.pk], "apply": "1", "reason": ""},
    )

    pending.refresh_from_db()
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert pending.status == MembershipStatus.PENDING_APPROVAL


def test_admin_export_csv_holds_consented_fields_only(admin_client_sso):
    sponsorship = SponsorshipFactory(shared_fields=["email"])
    member = MembershipFactory(sponsorship=sponsorship, shared_data={"email": "a@example.com"})

    response = admin_client_sso.post(
        CHANGELIST, {"action": "export_csv", ACTION_CHECKBOX_NAME: [member.pk]}
    )

    lines = response.content.decode().splitlines()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert lines[0] == "membership_id,partner,sponsorship,status,member_number,claimed_at,email"
    assert lines[1].endswith(",a@example.com")
    assert member.user.name not in response.content.decode()


def test_admin_activate_by_hand(admin_client_sso):
    membership = MembershipFactory(previous_member_number="OLD-1")
    url = reverse("admin:memberships_membership_activate", args=[membership.pk])

    form = admin_client_sso.get(url)
    response = admin_client_sso.post(url, {"member_number": "OLD-1"})

    membership.refresh_from_db()
    assert 'value="OLD-1"' in form.content.decode()
    assert response.status_code == 302
    assert (membership.status, membership.member_number) == ("active", "OLD-1")


def test_admin_audit_trail_is_read_only(admin_client_sso):
    membership = MembershipFactory(status=MembershipStatus.ACTIVE)

    entry = audit_record(actor=None, obj=membership, action="revoked", reason="x")

    change = admin_client_sso.post(
        reverse("admin:memberships_auditentry_change", args=[entry.pk]), {"reason": "edited"}
    )
    delete = admin_client_sso.post(
        reverse("admin:memberships_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    add = admin_client_sso.get(reverse("admin:memberships_auditentry_add"))

    entry.refresh_from_db()
    assert (change.status_code, delete.status_code, add.status_code) == (403, 403, 403)
    assert entry.reason == "x"


def test_admin_eligibility_check_shows_the_reason(admin_client_sso, other_employee):
    sponsorship = SponsorshipFactory()
    url = reverse("admin:memberships_sponsorship_eligibility", args=[sponsorship.pk])

    response = admin_client_sso.get(url, {"query": "SAM@example.com"})

    html = response.content.decode()
    assert "Not eligible" in html
    assert "does not place you in one of them" in html
    assert "Eligible IdP groups: trust-safety · Their IdP groups: marketing" in html


def test_admin_roster_import_previews_then_imports_on_confirm(admin_client_sso):
    sponsorship = SponsorshipFactory(eligible_groups=[], uses_roster=True)
    RosterEntryFactory(sponsorship=sponsorship, email="old@example.com")
    url = reverse("admin:memberships_sponsorship_roster_import", args=[sponsorship.pk])
    csv = b"email,employee_id,department,eligible\nnew@example.com,,T&S,yes\n"

    preview = admin_client_sso.post(url, {"file": SimpleUploadedFile("r.csv", csv)})
    entries_after_preview = list(sponsorship.roster_entries.values_list("email", flat=True))
    payload = preview.context["confirm_form"].initial["payload"]
    confirm = admin_client_sso.post(url, {"payload": payload})

    assert "1 row: 1 person gains eligibility, 1 loses it" in preview.content.decode()
    assert entries_after_preview == ["old@example.com"]
    assert confirm.status_code == 302
    assert list(sponsorship.roster_entries.values_list("email", flat=True)) == ["new@example.com"]


def test_admin_roster_import_with_errors_offers_no_confirmation(admin_client_sso):
    sponsorship = SponsorshipFactory(eligible_groups=[], uses_roster=True)
    url = reverse("admin:memberships_sponsorship_roster_import", args=[sponsorship.pk])
    csv = b"email,employee_id,department,eligible\nbroken,,T&S,yes\n"

    response = admin_client_sso.post(url, {"file": SimpleUploadedFile("r.csv", csv)})

    assert response.status_code == 400
    assert "Line 2: broken is not an e-mail address." in response.content.decode()
    assert "confirm_form" not in response.context
    assert sponsorship.roster_entries.count() == 0


def test_admin_roster_import_refuses_a_tampered_payload(admin_client_sso):
    sponsorship = SponsorshipFactory(eligible_groups=[], uses_roster=True)
    url = reverse("admin:memberships_sponsorship_roster_import", args=[sponsorship.pk])

    response = admin_client_sso.post(url, {"payload": "email,eligible\nx@example.com,yes"})

    assert response.status_code == 302
    assert sponsorship.roster_entries.count() == 0


def test_admin_partner_form_never_shows_the_webhook_secret_and_keeps_it_when_left_empty(
    admin_client_sso,
):
    partner = PartnerFactory(webhook_secret="whsec_dG9wLXNlY3JldA==", slug="guild")
    url = reverse("admin:memberships_partner_change", args=[partner.pk])

    page = admin_client_sso.get(url)
    response = admin_client_sso.post(
        url,
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

    partner.refresh_from_db()
    assert page.status_code == 200
    assert "whsec_dG9wLXNlY3JldA==" not in page.content.decode()
    assert response.status_code == 302
    assert (partner.name, partner.webhook_secret) == ("Guild", "whsec_dG9wLXNlY3JldA==")
