from django.core.management.base import BaseCommand
from django.db import transaction

from memberships.demo import seed_demo


class Command(BaseCommand):
    help = "Create (or update) the demo partner, sponsorship, roster, events and resources."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        for line in seed_demo():
            self.stdout.write(line)
