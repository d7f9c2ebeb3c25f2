from django.core.management.base import BaseCommand, CommandError

from memberships.models import Partner
from memberships.services.partners import partner_token_rotate


class Command(BaseCommand):
    help = (
        "Create (or replace) the partner's API token. It is printed once and stored hashed; "
        "the previous token stops working."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="The partner's slug.")

    def handle(self, *args, slug: str, **options) -> None:
        partner = Partner.objects.filter(slug=slug).first()
        if partner is None:
            raise CommandError(f"No partner with the slug {slug!r}.")
        token = partner_token_rotate(partner=partner, actor=None)
        self.stderr.write(f"New API token for {partner.name} (shown once, keep it secret):")
        self.stdout.write(token)
