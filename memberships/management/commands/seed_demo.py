from django.core.management.base import BaseCommand
from django.db import transaction

from memberships.demo import seed_demo
from memberships.models import Event
from memberships.services.events import event_search_refresh


class Command(BaseCommand):
    help = "Create (or update) the demo partner, sponsorship, roster, events and resources."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        for line in seed_demo():
            self.stdout.write(line)
        # The demo writes its events directly; give them their search vectors.
        event_search_refresh(events=Event.objects.all())
