import hashlib

import pytest
from django.contrib.auth.hashers import make_password

from memberships.models import Partner
from memberships.services.partners import partner_authenticate
from tests.factories import PartnerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


@pytest.fixture
def token(partner) -> str:
    value = partner.set_api_token()
    partner.save()
    return value


def test_set_api_token_stores_only_the_sha256_of_a_random_token(partner):
    token = partner.set_api_token()

    assert token.startswith(f"{partner.slug}.")
    assert len(token.split(".", 1)[1]) == 43  # 32 random bytes, URL-safe base64
    assert partner.api_token_hash == "sha256$" + hashlib.sha256(token.encode()).hexdigest()


def test_partner_authenticate_accepts_the_right_token(partner, token):
    assert partner_authenticate(token=token) == partner


def test_partner_authenticate_refuses_a_wrong_secret_for_a_real_slug(partner, token):
    assert partner_authenticate(token=f"{partner.slug}.not-the-secret") is None


def test_partner_authenticate_refuses_an_unknown_slug(token):
    assert partner_authenticate(token="no-such-partner.whatever") is None


def test_partner_authenticate_refuses_an_inactive_partner(partner, token):
    Partner.objects.filter(pk=partner.pk).update(is_active=False)

    assert partner_authenticate(token=token) is None


def test_partner_authenticate_refuses_a_partner_without_a_token(partner):
    assert partner_authenticate(token=f"{partner.slug}.") is None


@pytest.mark.parametrize("kind", ["unknown slug", "right slug, wrong secret"])
def test_partner_authenticate_does_one_query_and_no_password_hash(
    partner, token, kind, django_assert_num_queries, monkeypatch
):
    # The same work either way: one indexed query and one SHA-256, never the slow hasher.
    import memberships.services.partners as partners_module

    def no_password_hash(*args, **kwargs):
        raise AssertionError("a password hash was computed")

    monkeypatch.setattr(partners_module, "check_password", no_password_hash)
    presented = "nobody.x" if kind == "unknown slug" else f"{partner.slug}.x"

    with django_assert_num_queries(1):
        result = partner_authenticate(token=presented)

    assert result is None


def test_a_token_issued_before_sha256_works_and_is_rehashed_on_first_use():
    partner = PartnerFactory()
    old_token = f"{partner.slug}.issued-before-the-upgrade"
    Partner.objects.filter(pk=partner.pk).update(api_token_hash=make_password(old_token))

    first = partner_authenticate(token=old_token)
    partner.refresh_from_db()
    second = partner_authenticate(token=old_token)

    assert first == partner
    assert partner.api_token_hash == "sha256$" + hashlib.sha256(old_token.encode()).hexdigest()
    assert second == partner


def test_a_wrong_token_leaves_an_old_hash_alone():
    partner = PartnerFactory()
    old_hash = make_password(f"{partner.slug}.issued-before-the-upgrade")
    Partner.objects.filter(pk=partner.pk).update(api_token_hash=old_hash)

    result = partner_authenticate(token=f"{partner.slug}.guess")

    partner.refresh_from_db()
    assert result is None
    assert partner.api_token_hash == old_hash
