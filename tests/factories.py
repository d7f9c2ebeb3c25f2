"""Factories with unsurprising defaults. Add one per model, next to its neighbours."""

from datetime import timedelta

import factory
from django.utils import timezone
from django.utils.text import slugify

from memberships.models import Event, Partner, Registration, Resource, Topic
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
