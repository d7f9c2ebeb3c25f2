from django.core.management.base import BaseCommand
from django.db import transaction

from portal.models import IdpConnection
from portal.scim.tokens import scim_token_create, scim_token_rotate


class Command(BaseCommand):
    help = (
        "Create a SCIM bearer token for an IdP connection (creating the connection if needed). "
        "It is printed once and stored as SHA-256. With --rotate, the connection's other "
        "tokens stop working."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="The connection's slug, e.g. okta or entra.")
        parser.add_argument("--name", default="", help="Display name of a new connection.")
        parser.add_argument(
            "--rotate", action="store_true", help="Revoke the connection's other tokens."
        )

    @transaction.atomic
    def handle(self, *args, slug: str, name: str, rotate: bool, **options) -> None:
        connection, created = IdpConnection.objects.get_or_create(
            slug=slug, defaults={"name": name or slug}
        )
        if created:
            self.stderr.write(f"Created the IdP connection {connection.name!r}.")
        create = scim_token_rotate if rotate else scim_token_create
        _token, raw = create(connection=connection)
        self.stderr.write(
            f"New SCIM token for {connection.name} (shown once, keep it secret). "
            "Tenant URL: <SITE_URL>/scim/v2/"
        )
        self.stdout.write(raw)
