"""Personas and helpers shared by every test."""

import itertools

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from portal.admin_site import SSO_SESSION_KEY
from tests.factories import PartnerFactory, UserFactory

_test_numbers = itertools.count()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Each test counts its rate limits from zero, under its own key prefix in Redis (keys
    expire on their own; nothing is ever flushed)."""
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            **settings.CACHES["ratelimit"],
            "KEY_PREFIX": f"{settings.RATELIMIT_TEST_SESSION}-{next(_test_numbers)}",
        },
    }


@pytest.fixture
def employee(db):
    return UserFactory(name="Alex Morgan", email="alex@example.com")


@pytest.fixture
def other_employee(db):
    return UserFactory(
        name="Sam Rivera", email="sam@example.com", department="Marketing", idp_groups=["marketing"]
    )


@pytest.fixture
def admin_user(db):
    from django.conf import settings
    from django.contrib.auth.models import Group

    user = UserFactory(
        name="Priya Shah",
        email="priya@example.com",
        is_staff=True,
        department="People Operations",
        idp_groups=["portal-admins"],
    )
    group, _ = Group.objects.get_or_create(name=settings.PROGRAMME_ADMINS_GROUP)
    user.groups.add(group)
    return user


@pytest.fixture
def partner(db):
    return PartnerFactory()


def sso_login(client, user) -> None:
    """Sign `user` in as the SSO flow would (the flow itself is tested in tests/system)."""
    client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    session = client.session
    session[SSO_SESSION_KEY] = True
    session.save()


@pytest.fixture
def employee_client(client, employee):
    sso_login(client, employee)
    return client


@pytest.fixture
def admin_client_sso(client, admin_user):
    sso_login(client, admin_user)
    return client


@pytest.fixture(autouse=True)
def _site_language_after_each_test():
    """A page in another language leaves that language active in the thread (LocaleMiddleware
    activates it and nothing resets it): start every test from the site's language."""
    yield
    translation.activate(django_settings.LANGUAGE_CODE)
