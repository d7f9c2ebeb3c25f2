import pytest

from memberships.enums import MembershipStatus, NotificationKind
from memberships.models import Membership, Notification, RosterEntry
from memberships.services.roster import roster_import
from tests.factories import MembershipFactory, RosterEntryFactory, SponsorshipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]

HEADER = "email,employee_id,department,eligible\n"


@pytest.fixture
def roster_sponsorship():
    sponsorship = SponsorshipFactory(eligible_groups=[], uses_roster=True)
    RosterEntryFactory(sponsorship=sponsorship, email="stays@example.com")
    RosterEntryFactory(sponsorship=sponsorship, email="leaves@example.com")
    RosterEntryFactory(sponsorship=sponsorship, email="removed@example.com")
    return sponsorship


def _csv(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def test_roster_import_dry_run_reports_effects_and_changes_nothing(roster_sponsorship, admin_user):
    leaver = UserFactory(email="leaves@example.com", idp_groups=[])
    membership = MembershipFactory(user=leaver, sponsorship=roster_sponsorship)
    file = _csv(
        "stays@example.com,,T&S,yes",
        "leaves@example.com,,T&S,no",
        "new1@example.com,E9001,T&S,yes",
        "new2@example.com,,T&S,yes",
    )

    result = roster_import(
        sponsorship=roster_sponsorship, file=file, dry_run=True, actor=admin_user
    )

    assert (result.rows, result.gained, result.lost) == (4, 2, 2)
    assert result.revoked == [membership]
    assert result.summary() == (
        "4 rows: 2 people gain eligibility, 2 lose it; 1 live membership will be revoked."
    )
    assert roster_sponsorship.roster_entries.count() == 3
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.PENDING_PARTNER


def test_roster_import_replaces_roster_and_revokes_leavers(roster_sponsorship, admin_user):
    leaver = UserFactory(email="leaves@example.com", idp_groups=[])
    stayer = UserFactory(email="stays@example.com", idp_groups=[])
    gone = MembershipFactory(user=leaver, sponsorship=roster_sponsorship)
    kept = MembershipFactory(user=stayer, sponsorship=roster_sponsorship)
    file = _csv("stays@example.com,,T&S,yes", "leaves@example.com,,T&S,no")

    result = roster_import(
        sponsorship=roster_sponsorship, file=file, dry_run=False, actor=admin_user
    )

    gone.refresh_from_db()
    kept.refresh_from_db()
    assert result.is_imported is True
    assert sorted(roster_sponsorship.roster_entries.values_list("email", "is_eligible")) == [
        ("leaves@example.com", False),
        ("stays@example.com", True),
    ]
    assert gone.status == MembershipStatus.REVOKED
    assert "roster" in gone.end_reason
    assert kept.status == MembershipStatus.PENDING_PARTNER
    assert (
        Notification.objects.filter(
            kind=NotificationKind.PARTNER_MEMBER_REVOKED, payload__membership_id=str(gone.public_id)
        ).count()
        == 1
    )


def test_roster_import_with_a_broken_row_imports_nothing(roster_sponsorship, admin_user):
    leaver = UserFactory(email="leaves@example.com", idp_groups=[])
    membership = MembershipFactory(user=leaver, sponsorship=roster_sponsorship)
    before = list(roster_sponsorship.roster_entries.values_list("email", "is_eligible"))
    file = _csv(
        "new@example.com,,T&S,yes",
        "not-an-email,,T&S,yes",
        ",,T&S,yes",
        "leaves@example.com,,T&S,maybe",
        "new@example.com,,T&S,yes",
    )

    result = roster_import(
        sponsorship=roster_sponsorship, file=file, dry_run=False, actor=admin_user
    )

    assert result.is_imported is False
    assert [str(e) for e in result.errors] == [
        "Line 3: not-an-email is not an e-mail address.",
        "Line 4: give an e-mail address or an employee id.",
        'Line 5: "eligible" must be yes or no, not "maybe".',
        "Line 6: new@example.com is already on line 2.",
    ]
    assert list(roster_sponsorship.roster_entries.values_list("email", "is_eligible")) == before
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.PENDING_PARTNER


def test_roster_import_rejects_a_file_without_the_right_header(roster_sponsorship, admin_user):
    result = roster_import(
        sponsorship=roster_sponsorship,
        file=b"mail,id\nx@example.com,1\n",
        dry_run=False,
        actor=None,
    )

    assert [e.line for e in result.errors] == [1]
    assert "missing: email, employee_id, eligible" in result.errors[0].message
    assert RosterEntry.objects.filter(sponsorship=roster_sponsorship).count() == 3


def test_roster_import_rejects_a_file_that_is_not_utf8(roster_sponsorship):
    result = roster_import(
        sponsorship=roster_sponsorship,
        file=HEADER.encode() + b"\xff\xfe,,,\n",
        dry_run=False,
        actor=None,
    )

    assert "not UTF-8" in result.errors[0].message
    assert Membership.objects.count() == 0
