import pytest
from django.contrib.auth.models import Group

from portal import services
from portal.models import User
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def make_claims(**overrides) -> services.IdpClaims:
    values = {
        "subject": "sub-alex",
        "email": "alex@example.com",
        "email_verified": True,
        "name": "Alex Morgan",
        "given_name": "Alex",
        "family_name": "Morgan",
        "employee_id": "E1001",
        "department": "Trust & Safety",
        "groups": ["trust-safety"],
        "is_active": True,
    }
    values.update(overrides)
    return services.IdpClaims(**values)


def test_claims_from_idp_merges_userinfo_over_id_token():
    claims = services.claims_from_idp(
        id_token={"sub": "s1", "email": "old@example.com", "email_verified": True},
        userinfo={
            "sub": "s1",
            "email": "Alex@Example.com",
            "email_verified": "true",
            "given_name": "Alex",
            "family_name": "Morgan",
            "employee_id": "E1",
            "department": "Trust & Safety",
            "groups": ["b", "a", "a"],
        },
    )

    assert claims == services.IdpClaims(
        subject="s1",
        email="alex@example.com",
        email_verified=True,
        name="Alex Morgan",
        given_name="Alex",
        family_name="Morgan",
        employee_id="E1",
        department="Trust & Safety",
        groups=["a", "b"],
        is_active=True,
    )


def test_claims_from_idp_missing_email_verified_counts_as_unverified():
    claims = services.claims_from_idp(id_token={"sub": "s", "email": "a@example.com"}, userinfo={})

    assert claims.email_verified is False


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"email": "alex@evil.test"}, "email_domain"),
        ({"email": "alex@sub.example.com"}, "email_domain"),
        ({"email_verified": False}, "email_unverified"),
        ({"email": ""}, "no_email"),
        ({"subject": ""}, "no_subject"),
        ({"is_active": False}, "idp_inactive"),
    ],
)
def test_sign_in_check_refuses(overrides, code):
    with pytest.raises(services.SignInRefused) as refusal:
        services.sign_in_check(claims=make_claims(**overrides), user=None)

    assert refusal.value.code == code


def test_sign_in_check_refuses_locally_deactivated_user():
    user = UserFactory(is_active=False, email="alex@example.com", idp_subject="sub-alex")

    with pytest.raises(services.SignInRefused) as refusal:
        services.sign_in_check(claims=make_claims(), user=user)

    assert refusal.value.code == "user_inactive"


def test_sign_in_check_refuses_new_identity_with_an_email_already_taken():
    UserFactory(email="alex@example.com", idp_subject="someone-else")

    with pytest.raises(services.SignInRefused) as refusal:
        services.sign_in_check(claims=make_claims(), user=None)

    assert refusal.value.code == "email_taken"


def test_sign_in_check_accepts_allowed_verified_active_identity():
    assert services.sign_in_check(claims=make_claims(), user=None) is None


def test_user_sync_from_idp_maps_every_claim():
    user = UserFactory(email="x@example.com", idp_groups=[])

    services.user_sync_from_idp(user=user, claims=make_claims())

    user.refresh_from_db()
    assert (
        user.idp_subject,
        user.email,
        user.name,
        user.first_name,
        user.last_name,
        user.employee_id,
        user.department,
        user.idp_groups,
        user.is_staff,
    ) == (
        "sub-alex",
        "alex@example.com",
        "Alex Morgan",
        "Alex",
        "Morgan",
        "E1001",
        "Trust & Safety",
        ["trust-safety"],
        False,
    )
    assert user.idp_synced_at is not None


def test_user_sync_from_idp_grants_then_removes_staff_by_group():
    user = UserFactory()

    services.user_sync_from_idp(user=user, claims=make_claims(groups=["portal-admins"]))
    granted = User.objects.get(pk=user.pk)
    admins = Group.objects.get(name="Programme admins")
    granted_state = (granted.is_staff, list(granted.groups.all()))
    services.user_sync_from_idp(user=granted, claims=make_claims(groups=["trust-safety"]))
    removed = User.objects.get(pk=user.pk)

    assert granted_state == (True, [admins])
    assert (removed.is_staff, list(removed.groups.all())) == (False, [])


def test_user_sync_from_idp_never_demotes_a_superuser():
    user = UserFactory(is_superuser=True, is_staff=True)

    services.user_sync_from_idp(user=user, claims=make_claims(groups=[]))

    user.refresh_from_db()
    assert user.is_staff is True


def test_user_deactivate_from_idp_locks_the_account():
    user = UserFactory()

    services.user_deactivate_from_idp(user=user)

    user.refresh_from_db()
    assert user.is_active is False
