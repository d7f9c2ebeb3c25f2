from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from memberships.models import Partner, RosterEntry, Sponsorship
from memberships.services.partners import partner_authenticate
from tests.factories import SponsorshipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

CSV = "email,employee_id,department,eligible\nnew@example.com,E1,T&S,yes\n"


def test_partner_token_prints_a_token_once_and_stores_its_hash(partner):
    out = StringIO()

    call_command("partner_token", partner.slug, stdout=out, stderr=StringIO())

    token = out.getvalue().strip()
    partner.refresh_from_db()
    assert token.startswith(f"{partner.slug}.")
    assert token not in partner.api_token_hash
    assert partner.api_token_hash.startswith("sha256$")
    assert partner_authenticate(token=token) == partner


def test_partner_token_unknown_partner_fails():
    with pytest.raises(CommandError, match="No partner"):
        call_command("partner_token", "nobody")


def test_import_roster_by_slug_imports(tmp_path):
    sponsorship = SponsorshipFactory(eligible_groups=[], uses_roster=True)
    file = tmp_path / "roster.csv"
    file.write_text(CSV)
    out = StringIO()

    call_command("import_roster", str(file), "--sponsorship", sponsorship.slug, stdout=out)

    assert list(sponsorship.roster_entries.values_list("email", "employee_id")) == [
        ("new@example.com", "E1")
    ]
    assert "1 person gains eligibility" in out.getvalue()


def test_import_roster_dry_run_by_id_imports_nothing(tmp_path):
    sponsorship = SponsorshipFactory(eligible_groups=[], uses_roster=True)
    file = tmp_path / "roster.csv"
    file.write_text(CSV)
    out = StringIO()

    call_command(
        "import_roster", str(file), "--sponsorship", str(sponsorship.pk), "--dry-run", stdout=out
    )

    assert RosterEntry.objects.count() == 0
    assert "Dry run: nothing was imported." in out.getvalue()


def test_import_roster_broken_file_imports_nothing(tmp_path):
    sponsorship = SponsorshipFactory(eligible_groups=[], uses_roster=True)
    file = tmp_path / "roster.csv"
    file.write_text(CSV + "broken,,T&S,yes\n")
    err = StringIO()

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command(
            "import_roster",
            str(file),
            "--sponsorship",
            sponsorship.slug,
            stderr=err,
            stdout=StringIO(),
        )

    assert RosterEntry.objects.count() == 0
    assert "Line 3: broken is not an e-mail address." in err.getvalue()


def test_seed_demo_creates_partner_sponsorship_and_roster_idempotently():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    sponsorship = Sponsorship.objects.get(slug="example-corp-trust-safety")
    assert Partner.objects.filter(slug="tspa").count() == 1
    assert sponsorship.seats == 25
    assert sponsorship.eligible_groups == ["trust-safety"]
    assert sorted(
        sponsorship.roster_entries.filter(is_eligible=True).values_list("email", flat=True)
    ) == [
        "alex@example.com",
        "jordan@example.com",
        "mei@example.com",
        "tomas@example.com",
    ]
