"""Demo data for `make run`. Idempotent: running it twice changes nothing."""

import datetime

from django.utils import timezone

from ..models import Partner, RosterEntry, Sponsorship, UrgentHelpLine
from ..models.sponsorships import consent_version_for
from .events import seed_events, seed_resources

DEMO_CONSENT = (
    "I agree that the company sends the Trust & Safety Professional Association my work "
    "e-mail, my full name and my employee id, so that the association can create and keep "
    "my sponsored membership. The association uses them only for my membership. I can release "
    "my membership at any time on this page; the association is then told that it has ended."
)
DEMO_DESCRIPTION = """\
Full professional membership of the association for the whole term shown above.
Live and recorded workshops on content policy, investigations and tooling.
Conferences and regional meetups at member rates.
The peer network: moderated forums and mentoring.
Well-being and resiliency programmes for people who review harmful content.
Career-development resources and a skills framework."""

# HR's list: the demo people of the trust and safety team, by e-mail and employee id
# (Sam, in marketing, is not on it), plus a colleague who has left.
DEMO_ROSTER = [
    ("alex@example.com", "E1001", "Trust & Safety", True),
    ("jordan@example.com", "E1004", "Trust & Safety", True),
    ("mei@example.com", "E1005", "Trust & Safety", True),
    ("tomas@example.com", "E1006", "Trust & Safety", True),
    ("robin.former@example.com", "E0999", "Trust & Safety", False),
]


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


def seed_sponsorship(*, partner: Partner) -> Sponsorship:
    year = timezone.localdate().year
    sponsorship, _created = Sponsorship.objects.update_or_create(
        slug="example-corp-trust-safety",
        defaults={
            "partner": partner,
            "name": "Example Corp Trust & Safety membership",
            "company": "Example Corp",
            "tier": "Professional",
            "description": DEMO_DESCRIPTION,
            "seats": 25,
            "starts_on": datetime.date(year, 1, 1),
            "ends_on": datetime.date(year + 1, 12, 31),
            "eligible_groups": ["trust-safety"],
            "uses_roster": True,
            "requires_approval": False,
            "shared_fields": ["email", "name", "employee_id"],
            "consent_text": DEMO_CONSENT,
            "consent_label": "2025-1",
            "consent_version": consent_version_for(
                label="2025-1", text=DEMO_CONSENT, fields=["email", "name", "employee_id"]
            ),
            "contact_email": "tns-programme@example.com",
        },
    )
    for email, employee_id, department, is_eligible in DEMO_ROSTER:
        RosterEntry.objects.update_or_create(
            sponsorship=sponsorship,
            email=email,
            defaults={
                "employee_id": employee_id,
                "department": department,
                "is_eligible": is_eligible,
            },
        )
    return sponsorship


# Demo numbers use the reserved 555-01xx range: nobody is called by mistake.
DEMO_HELP_LINES = [
    (
        "Employee Assistance Programme",
        "Free, confidential counselling for you and your family, by phone or video.",
        "+1 555 0100",
        "https://eap.example.org",
        "24 hours, every day",
    ),
    (
        "Crisis line",
        "Talk to a trained counsellor now if you are struggling to cope.",
        "+1 555 0199",
        "",
        "24 hours, every day",
    ),
]


def seed_help_lines() -> int:
    for order, (name, description, phone, url, availability) in enumerate(DEMO_HELP_LINES):
        UrgentHelpLine.objects.update_or_create(
            name=name,
            defaults={
                "description": description,
                "phone": phone,
                "url": url,
                "availability": availability,
                "order": order,
            },
        )
    return len(DEMO_HELP_LINES)


def seed_demo() -> list[str]:
    """Return a line of what was set up per area."""
    partner = seed_partner()
    sponsorship = seed_sponsorship(partner=partner)
    return [
        f"partner: {partner.name}",
        f"sponsorship: {sponsorship.name} ({sponsorship.seats} seats, "
        f"roster of {sponsorship.roster_entries.count()})",
        *seed_events(partner=partner),
        *seed_resources(partner=partner),
        f"urgent help lines: {seed_help_lines()}",
    ]
