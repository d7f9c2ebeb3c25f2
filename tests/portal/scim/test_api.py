"""/scim/v2/ through Django's test client, with the requests Okta and Microsoft Entra ID send
(bodies as their published SCIM guides show them)."""

import json
import re

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import Group

from memberships.models import AuditEntry
from portal.models import IdpConnection, ScimGroup, ScimToken, ScimUser, User
from portal.scim.tokens import scim_token_create, scim_token_revoke, scim_token_rotate, token_digest
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Scim:
    def __init__(self, client, token: str):
        self.client = client
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def call(self, method: str, path: str, body=None, **headers):
        response = getattr(self.client, method)(
            f"/scim/v2/{path}",
            data=json.dumps(body) if body is not None else None,
            content_type="application/scim+json",
            **{**self.auth, **headers},
        )
        payload = json.loads(response.content) if response.content else None
        return response.status_code, payload

    def patch(self, path: str, *operations):
        return self.call("patch", path, {"schemas": [PATCH_SCHEMA], "Operations": list(operations)})


@pytest.fixture
def connection(db):
    return IdpConnection.objects.create(name="Okta", slug="okta")


@pytest.fixture
def scim(client, connection):
    _token, raw = scim_token_create(connection=connection)
    return Scim(client, raw)


def okta_user(login: str = "alex@example.com", external_id: str = "00ujl29u0le5T6Aj10h7"):
    return {
        "schemas": [USER_SCHEMA],
        "userName": login,
        "name": {"givenName": "Alex", "familyName": "Morgan"},
        "emails": [{"primary": True, "value": login, "type": "work"}],
        "displayName": "Alex Morgan",
        "locale": "en-US",
        "externalId": external_id,
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }


def entra_user(upn: str = "alex@example.com", object_id: str = "alex-mail-nickname"):
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": object_id,
        "userName": upn,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": upn}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Alex Morgan", "familyName": "Morgan", "givenName": "Alex"},
        ENTERPRISE: {"employeeNumber": "E1001", "department": "Trust & Safety"},
        "roles": [],
    }


# -- authentication -------------------------------------------------------------------------


def test_scim_token_is_stored_only_as_its_sha256(connection):
    token, raw = scim_token_create(connection=connection)

    assert raw.startswith("scim_")
    assert ScimToken.objects.get().token_sha256 == token_digest(raw)
    assert raw not in json.dumps(list(ScimToken.objects.values()), default=str)
    assert token.prefix == raw[:12]


@pytest.mark.parametrize(
    "header",
    ["", "Bearer ", "Bearer scim_not-a-token", "Basic c2NpbTpzY2lt", "Bearer scim_\x00"],
)
def test_scim_without_a_valid_token_is_a_401(client, connection, header):
    scim_token_create(connection=connection)
    headers = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get("/scim/v2/Users", **headers)

    assert response.status_code == 401
    assert response.json()["status"] == "401"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_scim_revoked_and_rotated_tokens_stop_working(client, connection):
    token, raw = scim_token_create(connection=connection)
    _token2, raw2 = scim_token_create(connection=connection)

    scim_token_revoke(token=token)
    revoked = client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {raw}")
    still = client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {raw2}")
    _token3, raw3 = scim_token_rotate(connection=connection)
    rotated_out = client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {raw2}")
    rotated_in = client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {raw3}")

    assert [revoked.status_code, still.status_code] == [401, 200]
    assert [rotated_out.status_code, rotated_in.status_code] == [401, 200]


def test_scim_service_provider_config_is_public_and_declares_the_features(client):
    response = client.get("/scim/v2/ServiceProviderConfig")

    config = response.json()
    assert response.status_code == 200
    assert config["patch"] == {"supported": True}
    assert config["filter"]["supported"] is True
    assert config["bulk"]["supported"] is False
    assert config["sort"] == {"supported": False}
    assert config["etag"] == {"supported": False}
    assert [s["type"] for s in config["authenticationSchemes"]] == ["oauthbearertoken"]


def test_scim_a_connection_sees_only_its_own_resources(client, scim):
    _status, created = scim.call("post", "Users", okta_user())
    other = IdpConnection.objects.create(name="Entra", slug="entra")
    _token, raw = scim_token_create(connection=other)
    stranger = Scim(client, raw)

    status, _body = stranger.call("get", f"Users/{created['id']}")
    _status, listing = stranger.call("get", "Users")

    assert status == 404
    assert listing["totalResults"] == 0


# -- Okta ------------------------------------------------------------------------------------


def test_okta_user_lifecycle_create_find_deactivate_reactivate(scim):
    status, missing = scim.call(
        "get", 'Users?filter=userName eq "alex@example.com"&startIndex=1&count=100'
    )
    assert (status, missing["totalResults"]) == (200, 0)

    status, created = scim.call("post", "Users", okta_user())
    assert status == 201
    user = User.objects.get()
    assert (user.email, user.name, user.first_name, user.last_name) == (
        "alex@example.com",
        "Alex Morgan",
        "Alex",
        "Morgan",
    )
    assert user.is_active and not user.has_usable_password()
    assert "password" not in created

    status, found = scim.call("get", 'Users?filter=userName eq "ALEX@example.com"')
    assert (status, [r["id"] for r in found["Resources"]]) == (200, [created["id"]])

    status, _body = scim.patch(
        f"Users/{created['id']}", {"op": "replace", "value": {"active": False}}
    )
    assert status in {200, 204}
    user.refresh_from_db()
    assert user.is_active is False

    scim.patch(f"Users/{created['id']}", {"op": "replace", "value": {"active": True}})
    user.refresh_from_db()
    assert user.is_active is True


def test_okta_duplicate_user_name_is_a_409(scim):
    scim.call("post", "Users", okta_user())

    status, body = scim.call("post", "Users", okta_user(login="ALEX@example.com", external_id="x"))

    assert (status, body["scimType"]) == (409, "uniqueness")
    assert ScimUser.objects.count() == 1


def test_okta_group_push_adds_renames_and_removes_members(scim):
    _status, alex = scim.call("post", "Users", okta_user())
    status, group = scim.call(
        "post", "Groups", {"schemas": [GROUP_SCHEMA], "displayName": "trust-safety", "members": []}
    )
    assert status == 201

    scim.patch(
        f"Groups/{group['id']}",
        {"op": "add", "path": "members", "value": [{"value": alex["id"], "display": "alex"}]},
    )
    user = User.objects.get()
    user.refresh_from_db()
    assert user.idp_groups == ["trust-safety"]

    scim.patch(
        f"Groups/{group['id']}",
        {"op": "replace", "value": {"id": group["id"], "displayName": "trust-and-safety"}},
    )
    user.refresh_from_db()
    assert user.idp_groups == ["trust-and-safety"]

    scim.patch(
        f"Groups/{group['id']}", {"op": "remove", "path": f'members[value eq "{alex["id"]}"]'}
    )
    user.refresh_from_db()
    assert user.idp_groups == []
    assert list(ScimGroup.objects.get().members.all()) == []


def test_scim_pagination_with_start_index_and_count(scim):
    ids = [
        scim.call("post", "Users", okta_user(f"p{i}@example.com", f"x{i}"))[1]["id"]
        for i in range(5)
    ]

    _status, first = scim.call("get", "Users?startIndex=1&count=2")
    _status, third = scim.call("get", "Users?startIndex=5&count=2")

    assert (first["totalResults"], first["itemsPerPage"], first["startIndex"]) == (5, 2, 1)
    assert [r["id"] for r in first["Resources"]] == ids[:2]
    assert [r["id"] for r in third["Resources"]] == ids[4:]


# -- Microsoft Entra ID ---------------------------------------------------------------------


def test_entra_user_create_and_patch_dialect(scim):
    status, created = scim.call("post", "Users", entra_user())
    assert status == 201
    status, found = scim.call("get", 'Users?filter=externalId eq "alex-mail-nickname"')
    assert [r["id"] for r in found["Resources"]] == [created["id"]]

    status, _body = scim.patch(
        f"Users/{created['id']}",
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "alex.m@example.com"},
        {"op": "Replace", "path": "name.familyName", "value": "Morgan-Lee"},
        {"op": "Add", "path": f"{ENTERPRISE}:employeeNumber", "value": "E2002"},
        {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Policy"},
    )

    assert status in {200, 204}
    user = User.objects.get()
    assert (user.email, user.last_name, user.employee_id, user.department) == (
        "alex.m@example.com",
        "Morgan-Lee",
        "E2002",
        "Policy",
    )


def test_entra_string_booleans_deactivate(scim):
    _status, created = scim.call("post", "Users", entra_user())

    status, _body = scim.patch(
        f"Users/{created['id']}", {"op": "Replace", "path": "active", "value": "False"}
    )

    assert status in {200, 204}
    assert User.objects.get().is_active is False


def test_entra_group_members_add_and_remove_by_value_list(scim):
    _status, alex = scim.call("post", "Users", entra_user())
    _status, sam = scim.call("post", "Users", entra_user("sam@example.com", "sam-nickname"))
    _status, group = scim.call(
        "post",
        "Groups",
        {"schemas": [GROUP_SCHEMA], "externalId": "8aa1a0c0", "displayName": "trust-safety"},
    )
    add = {
        "name": "addMember",
        "op": "Add",
        "path": "members",
        "value": [{"displayName": "Alex", "value": alex["id"]}, {"value": sam["id"]}],
    }

    status, _body = scim.patch(f"Groups/{group['id']}", add)
    assert status in {200, 204}
    status, _body = scim.patch(
        f"Groups/{group['id']}",
        {
            "name": "removeMember",
            "op": "Remove",
            "path": "members",
            "value": [{"value": alex["id"]}],
        },
    )

    assert status in {200, 204}
    assert [m.user_name for m in ScimGroup.objects.get().members.all()] == ["sam@example.com"]
    groups = dict(User.objects.values_list("email", "idp_groups"))
    assert groups == {"alex@example.com": [], "sam@example.com": ["trust-safety"]}
    _status, listed = scim.call(
        "get", 'Groups?excludedAttributes=members&filter=displayName eq "trust-safety"'
    )
    assert [(g["id"], "members" in g) for g in listed["Resources"]] == [(group["id"], False)]


# -- accounts --------------------------------------------------------------------------------


def test_scim_user_matches_an_existing_sso_account_by_subject_then_email():
    by_subject = UserFactory(email="alex@example.com", idp_subject="00u-alex")
    by_email = UserFactory(email="sam@example.com", idp_subject="entra-pairwise-sub")
    connection = IdpConnection.objects.create(name="Okta", slug="okta")
    from portal.scim.services import scim_user_save

    first = scim_user_save(
        connection=connection, scim_user=None, data=okta_user("alex@example.com", "00u-alex")
    )
    second = scim_user_save(
        connection=connection, scim_user=None, data=okta_user("sam@example.com", "other")
    )

    assert (first.user, second.user) == (by_subject, by_email)
    assert User.objects.count() == 2


def test_scim_refuses_an_email_owned_by_another_account(scim):
    scim.call("post", "Users", okta_user("alex@example.com", "a"))
    _status, sam = scim.call("post", "Users", okta_user("sam@example.com", "s"))

    status, body = scim.patch(
        f"Users/{sam['id']}",
        {
            "op": "replace",
            "path": "emails",
            "value": [{"value": "alex@example.com", "primary": True}],
        },
    )

    assert (status, body["scimType"]) == (409, "uniqueness")
    assert User.objects.get(scim_user__scim_id=sam["id"]).email == "sam@example.com"


@pytest.mark.parametrize(
    "change",
    [
        {"displayName": "x" * 300},
        {"userName": "nul\x00@example.com"},
        {"emails": [{"value": "x@y@example.com", "primary": True}]},
        {ENTERPRISE: {"employeeNumber": "9" * 65}},
    ],
)
def test_scim_hostile_values_are_a_400_and_change_nothing(scim, change):
    status, body = scim.call(
        "post", "Users", {**entra_user(), "schemas": [USER_SCHEMA, ENTERPRISE], **change}
    )

    assert status == 400
    assert body["status"] == "400"
    assert User.objects.count() == 0


def test_scim_every_change_leaves_an_audit_entry_naming_the_connection(scim):
    _status, created = scim.call("post", "Users", okta_user())
    scim.patch(f"Users/{created['id']}", {"op": "replace", "value": {"active": False}})
    scim.call("delete", f"Users/{created['id']}")

    entries = list(
        AuditEntry.objects.filter(actor_label="SCIM: Okta (okta)")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert entries == [
        "scim_user_created",
        "scim_user_replaced",
        "deprovisioned",
        "scim_user_deleted",
    ]


def test_scim_user_created_before_first_sign_in_is_linked_at_sign_in(scim, rf):
    from portal import services

    scim.call("post", "Users", okta_user("alex@example.com", "00u-alex"))
    claims = services.IdpClaims(
        subject="00u-alex", email="alex@example.com", email_verified=True, groups=["trust-safety"]
    )

    found = services.provisioned_user_for(claims=claims)

    assert found == User.objects.get()
    assert SocialAccount.objects.count() == 0


def test_scim_staff_group_loss_removes_staff_at_once(scim):
    _status, priya = scim.call("post", "Users", okta_user("priya@example.com", "00u-priya"))
    _status, admins = scim.call(
        "post",
        "Groups",
        {
            "schemas": [GROUP_SCHEMA],
            "displayName": "portal-admins",
            "members": [{"value": priya["id"]}],
        },
    )
    user = User.objects.get()
    assert user.is_staff and list(user.groups.values_list("name", flat=True)) == [
        "Programme admins"
    ]
    epoch = user.session_epoch

    scim.patch(
        f"Groups/{admins['id']}", {"op": "remove", "path": f'members[value eq "{priya["id"]}"]'}
    )

    user.refresh_from_db()
    assert user.is_staff is False
    assert list(user.groups.all()) == []
    assert user.session_epoch == epoch + 1
    assert Group.objects.filter(name="Programme admins").exists()


def test_admin_rotates_a_connection_token_and_shows_it_once(client, connection):
    from tests.conftest import sso_login

    superuser = UserFactory(is_staff=True, is_superuser=True)
    sso_login(client, superuser)
    old, old_raw = scim_token_create(connection=connection)

    response = client.post(
        "/admin/portal/idpconnection/",
        {"action": "rotate_token", "_selected_action": [connection.pk]},
    )

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    raw = re.search(r"<code>(scim_[^<]+)</code>", response.content.decode()).group(1)
    new = ScimToken.objects.get(revoked_at__isnull=True)
    assert new.token_sha256 == token_digest(raw)
    old.refresh_from_db()
    assert old.is_revoked
    assert client.get("/admin/portal/idpconnection/").content.decode().count(raw) == 0


def test_admin_revokes_every_token_of_a_connection(client, connection):
    from tests.conftest import sso_login

    superuser = UserFactory(is_staff=True, is_superuser=True)
    sso_login(client, superuser)
    scim_token_create(connection=connection)
    scim_token_create(connection=connection)

    client.post(
        "/admin/portal/idpconnection/",
        {"action": "revoke_tokens", "_selected_action": [connection.pk]},
    )

    assert ScimToken.objects.filter(revoked_at__isnull=True).count() == 0
