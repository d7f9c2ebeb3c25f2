from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from memberships.models import Sponsorship
from memberships.services.roster import roster_import


class Command(BaseCommand):
    help = (
        "Replace a sponsorship's roster with a CSV file (email, employee_id, department, "
        "eligible). Any row error imports nothing; --dry-run only shows the effect."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--sponsorship", required=True, help="Sponsorship id or slug.")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, file: Path, sponsorship: str, dry_run: bool, **options) -> None:
        match = Q(slug=sponsorship)
        if sponsorship.isdigit():
            match |= Q(pk=int(sponsorship))
        target = Sponsorship.objects.filter(match).first()
        if target is None:
            raise CommandError(f"No sponsorship {sponsorship!r}.")
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        result = roster_import(sponsorship=target, file=content, dry_run=dry_run, actor=None)
        for error in result.errors:
            self.stderr.write(str(error))
        for membership in result.revoked:
            self.stdout.write(f"revoke: {membership.user.email}")
        self.stdout.write(result.summary())
        if result.errors:
            raise CommandError("Nothing was imported.")
        self.stdout.write("Dry run: nothing was imported." if dry_run else "Imported.")
