"""An account the directory provisioned over SCIM before the person's first sign-in is the
one that first sign-in uses (real OpenID Connect IdP, over HTTP)."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount

from portal.models import IdpConnection, User
from portal.scim.services import scim_user_save
from tests.system.idp_harness import TEST_PASSWORD, sso_sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.system]


def provision(*, external_id: str, email: str, active: bool = True) -> User:
    connection, _created = IdpConnection.objects.get_or_create(
        slug="okta", defaults={"name": "Okta"}
    )
    scim_user = scim_user_save(
        connection=connection,
        scim_user=None,
        data={
            "userName": email,
            "externalId": external_id,
            "emails": [{"value": email, "primary": True}],
            "active": active,
        },
    )
    return scim_user.user


@pytest.mark.parametrize(
    "external_id",
    ["idp-sub-alex", "entra-mail-nickname-alex"],  # Okta: externalId is the sub; Entra: it is not
)
def test_first_sign_in_uses_the_account_scim_created(sso, new_session, external_id):
    provisioned = provision(external_id=external_id, email="alex@example.com")

    result = sso_sign_in(new_session(), sso.base_url, "alex", TEST_PASSWORD)

    assert result.status_code == 200, result.response.text[:2000]
    user = User.objects.get()
    assert user.pk == provisioned.pk
    assert (user.idp_subject, user.name, user.idp_groups) == (
        "idp-sub-alex",
        "Alex Morgan",
        ["trust-safety"],
    )
    assert list(SocialAccount.objects.values_list("user_id", "uid")) == [(user.pk, "idp-sub-alex")]


def test_first_sign_in_of_a_deprovisioned_scim_account_is_refused(sso, new_session):
    provision(external_id="idp-sub-alex", email="alex@example.com", active=False)

    result = sso_sign_in(new_session(), sso.base_url, "alex", TEST_PASSWORD)

    assert result.status_code == 403
    assert "has been deactivated" in result.response.text
    assert SocialAccount.objects.count() == 0
