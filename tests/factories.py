"""Factories with unsurprising defaults. Add one per model, next to its neighbours."""

from datetime import timedelta

import factory
from django.utils import timezone
from django.utils.text import slugify

from memberships.enums import MembershipStatus
from memberships.models import (
    Event,
    Membership,
    Partner,
    Registration,
    Resource,
    RosterEntry,
    Sponsorship,
    Topic,
)
from memberships.services.events import event_search_refresh
from portal.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"employee{n}")
    email = factory.Sequence(lambda n: f"employee{n}@example.com")
    name = factory.Faker("name")
    first_name = factory.LazyAttribute(lambda u: u.name.split(" ")[0])
    last_name = factory.LazyAttribute(lambda u: u.name.split(" ")[-1])
    employee_id = factory.Sequence(lambda n: f"E{n:05d}")
    department = "Trust & Safety"
    idp_subject = factory.Sequence(lambda n: f"sub-{n}")
    idp_groups = factory.LazyFunction(lambda: ["trust-safety"])
    password = factory.django.Password(None)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Trust and Safety Association {n}")
    slug = factory.LazyAttribute(lambda p: slugify(p.name))
    website = "https://association.example.org"
    operations_email = "membership-ops@association.example.org"
    webhook_url = ""
    webhook_secret = "whsec_test_secret"


def _in_days(days: int, hour: int = 15):
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
    return start.replace(hour=hour)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda t: slugify(t.name))


class EventFactory(factory.django.DjangoModelFactory):
    """A published online workshop in a week, 90 minutes long, 20 seats."""

    class Meta:
        model = Event
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    title = factory.Sequence(lambda n: f"Moderation workshop {n}")
    slug = factory.LazyAttribute(lambda e: slugify(e.title))
    kind = "workshop"
    summary = "Hands-on practice with policy and review queues."
    body = "<p>We work through real cases together.</p>"
    starts_at = factory.LazyFunction(lambda: _in_days(7))
    ends_at = factory.LazyAttribute(lambda e: e.starts_at + timedelta(minutes=90))
    time_zone = "Europe/Dublin"
    format = "online"
    join_url = "https://meet.example.org/workshop"
    capacity = 20
    status = "published"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # As the services do for every event they write: store its search vector.
        event = super()._create(model_class, *args, **kwargs)
        event_search_refresh(events=Event.objects.filter(pk=event.pk))
        return event


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    event = factory.SubFactory(EventFactory)
    user = factory.SubFactory(UserFactory)
    status = "confirmed"


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    partner = factory.SubFactory(PartnerFactory)
    title = factory.Sequence(lambda n: f"Resilience guide {n}")
    kind = "well_being"
    url = factory.Sequence(lambda n: f"https://association.example.org/resources/{n}")
    summary = "Practical steps for hard weeks."


class SponsorshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sponsorship

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"Example Corp Trust & Safety membership {n}")
    slug = factory.LazyAttribute(lambda s: slugify(s.name))
    company = "Example Corp"
    tier = "Professional"
    description = "Workshops\nThe peer network"
    seats = 10
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=335))
    eligible_groups = factory.LazyFunction(lambda: ["trust-safety"])
    uses_roster = False
    requires_approval = False
    shared_fields = factory.LazyFunction(lambda: ["email", "name", "employee_id"])
    consent_text = "I agree to share my work e-mail, name and employee id with the association."
    consent_version = "v1"
    contact_email = "tns-programme@example.com"


class RosterEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RosterEntry

    sponsorship = factory.SubFactory(SponsorshipFactory)
    email = factory.Sequence(lambda n: f"rostered{n}@example.com")
    employee_id = ""
    department = "Trust & Safety"
    is_eligible = True


class MembershipFactory(factory.django.DjangoModelFactory):
    """A live membership already sent to the partner (as after an auto-approved claim)."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    sponsorship = factory.SubFactory(SponsorshipFactory)
    status = "pending_partner"
    consent_version = factory.LazyAttribute(lambda m: m.sponsorship.consent_version)
    consent_text = factory.LazyAttribute(lambda m: m.sponsorship.consent_text)
    consent_fields = factory.LazyAttribute(lambda m: list(m.sponsorship.shared_fields))
    consented_at = factory.LazyFunction(timezone.now)
    shared_data = factory.LazyAttribute(
        lambda m: {f: str(getattr(m.user, f, "")) for f in m.sponsorship.shared_fields}
    )
    shared_at = factory.LazyFunction(timezone.now)


def active_membership(*, user, partner, shared_data=None, member_number="M-1001"):
    """An active membership of `partner` for `user`, as the claims flow leaves it."""
    today = timezone.localdate()
    sponsorship, _created = Sponsorship.objects.get_or_create(
        slug=f"{partner.slug}-sponsorship",
        defaults={
            "partner": partner,
            "name": "Sponsored membership",
            "company": "Example Corp",
            "starts_on": today - timedelta(days=30),
            "ends_on": today + timedelta(days=335),
            "consent_text": "I agree to share my name and e-mail.",
            "consent_version": "v1",
            "contact_email": "programme@example.com",
            "shared_fields": ["name", "email"],
        },
    )
    if shared_data is None:
        shared_data = {"name": user.name, "email": user.email}
    return Membership.objects.create(
        user=user,
        sponsorship=sponsorship,
        status=MembershipStatus.ACTIVE,
        member_number=member_number,
        consent_version="v1",
        consent_text=sponsorship.consent_text,
        consent_fields=sorted(shared_data),
        consented_at=timezone.now(),
        shared_data=shared_data,
    )


def past_event(*, days_ago: int = 3, **kwargs):
    """A published event that started `days_ago` days ago (90 minutes long)."""
    starts_at = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=days_ago)
    return EventFactory(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=90), **kwargs)


def attended(*, event, user, marked_at=None):
    """A confirmed registration marked as attended, with its certificate, as the
    attendance service leaves it (without the feedback e-mail)."""
    from memberships.models import Attendance, Certificate

    registration = RegistrationFactory(event=event, user=user)
    now = marked_at or timezone.now()
    Attendance.objects.create(
        registration=registration, status="attended", source="admin", marked_at=now
    )
    Certificate.objects.create(registration=registration, issued_at=now)
    return registration
