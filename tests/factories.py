"""Factories with unsurprising defaults. Add one per model, next to its neighbours."""

import factory
from django.utils.text import slugify

from memberships.models import Partner
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
