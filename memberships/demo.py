"""Demo data for `make run`. Idempotent: running it twice changes nothing."""

from .demo_events import seed_events
from .models import Partner


def seed_partner() -> Partner:
    partner, _created = Partner.objects.update_or_create(
        slug="tspa",
        defaults={
            "name": "Trust & Safety Professional Association",
            "website": "https://www.tspa.org",
            "operations_email": "membership-ops@tspa.example.org",
        },
    )
    return partner


def seed_demo() -> list[str]:
    """Return a line of what was set up per area."""
    partner = seed_partner()
    return [f"partner: {partner.name}", *seed_events(partner=partner)]
