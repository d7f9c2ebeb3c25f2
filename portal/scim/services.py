"""What a SCIM change means for portal accounts: the resource's attributes mapped onto the
User, deprovisioning when it turns inactive or is deleted, groups re-evaluated when Group
memberships change. Every change leaves an audit entry naming the connection.

Each function runs inside the caller's transaction (the storage opens one per request)."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from scim2_models import InvalidValueException, UniquenessException

from memberships.services.audit import audit_record

from .. import provisioning
from ..models import IdpConnection, ScimGroup, ScimUser, User

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# Column sizes of the portal account; longer values are refused with a 400, never cut.
MAX_LENGTHS = {
    "userName": 255,
    "externalId": 255,
    "displayName": 255,
    "email": 254,
    "name": 200,
    "givenName": 150,
    "familyName": 150,
    "employeeNumber": 64,
    "department": 200,
}
_email_validator = EmailValidator()


def actor_label_for(connection: IdpConnection) -> str:
    return f"SCIM: {connection.name} ({connection.slug})"


def _text(value, attribute: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidValueException(detail=f"{attribute} must be a string")
    value = value.strip()
    if "\x00" in value or not value.isprintable():
        raise InvalidValueException(detail=f"{attribute} holds a control character")
    if len(value) > MAX_LENGTHS[attribute]:
        raise InvalidValueException(
            detail=f"{attribute} is longer than {MAX_LENGTHS[attribute]} characters"
        )
    return value


def _email_of(data: dict) -> str:
    """The primary e-mail, else the first, else a userName that is an address."""
    emails = [e for e in data.get("emails") or [] if isinstance(e, dict) and e.get("value")]
    primary = [e for e in emails if e.get("primary")]
    chosen = (primary or emails or [{}])[0].get("value")
    if chosen is None:
        candidate = data.get("userName") or ""
        chosen = candidate if candidate.count("@") == 1 else ""
    email = _text(chosen, "email").lower()
    if email:
        try:
            _email_validator(email)
        except ValidationError:
            raise InvalidValueException(detail="the e-mail address is not valid") from None
        if email.count("@") != 1:
            raise InvalidValueException(detail="the e-mail address is not valid")
    return email


def account_fields(data: dict) -> dict:
    """The portal account's fields from a User resource (dumped by alias). Raises
    InvalidValueException (400) for values the account cannot hold."""
    name = data.get("name") or {}
    enterprise = data.get(ENTERPRISE) or {}
    given = _text(name.get("givenName"), "givenName")
    family = _text(name.get("familyName"), "familyName")
    display = (
        _text(data.get("displayName"), "displayName")
        or _text(name.get("formatted"), "name")
        or f"{given} {family}".strip()
    )
    return {
        "email": _email_of(data),
        "name": display[: MAX_LENGTHS["name"]],
        "first_name": given,
        "last_name": family,
        "employee_id": _text(enterprise.get("employeeNumber"), "employeeNumber"),
        "department": _text(enterprise.get("department"), "department"),
        "is_active": data.get("active") is not False,
    }


def _unique_username() -> str:
    return f"scim-{uuid.uuid4().hex[:20]}"


def _account_for(*, connection: IdpConnection, scim_user: ScimUser, external_id: str, email: str):
    """The portal account this resource drives: its own, else an unlinked account with the
    same IdP subject (externalId), else one with the same e-mail (an employee who signed in
    before the directory was connected)."""
    if scim_user.user_id is not None:
        return scim_user.user
    unlinked = User.objects.filter(scim_user__isnull=True, is_superuser=False)
    if external_id:
        found = unlinked.filter(idp_subject=external_id).first()
        if found is not None:
            return found
    if email:
        return unlinked.filter(email__iexact=email).first()
    return None


def _refuse_taken_email(*, email: str, user: User | None) -> None:
    taken = User.objects.filter(email__iexact=email)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if email and taken.exists():
        raise UniquenessException(detail="another account already uses this e-mail address")


def scim_user_save(
    *, connection: IdpConnection, scim_user: ScimUser | None, data: dict, scim_id: str | None = None
) -> ScimUser:
    """Create or replace one User resource of `connection` and apply it to the portal
    account: fields copied, deprovisioned when it turns inactive, reactivated (account only)
    when it turns active again."""
    label = actor_label_for(connection)
    user_name = _text(data.get("userName"), "userName")
    if not user_name:
        raise InvalidValueException(detail="userName is required")
    external_id = _text(data.get("externalId"), "externalId")
    fields = account_fields(data)
    taken = ScimUser.objects.filter(connection=connection, user_name__iexact=user_name)
    if scim_user is not None:
        taken = taken.exclude(pk=scim_user.pk)
    if taken.exists():
        raise UniquenessException(detail="userName is already taken")
    is_new = scim_user is None
    if is_new:
        scim_user = ScimUser(connection=connection, scim_id=scim_id or uuid.uuid4())
    stored = {k: v for k, v in data.items() if k not in {"id", "meta", "password", "groups"}}
    old_active = None
    user = _account_for(
        connection=connection, scim_user=scim_user, external_id=external_id, email=fields["email"]
    )
    if fields["email"]:
        _refuse_taken_email(email=fields["email"], user=user)
        if user is None:
            user = User(username=_unique_username(), email=fields["email"])
            user.set_unusable_password()
            old_active = fields["is_active"]
        else:
            old_active = user.is_active
        copied = ["email", "name", "first_name", "last_name", "employee_id", "department"]
        for field in copied:
            setattr(user, field, fields[field])
        if user.pk is None:
            user.is_active = fields["is_active"]
        try:
            with transaction.atomic():
                user.save(update_fields=copied if user.pk else None)
        except IntegrityError:
            raise UniquenessException(detail="the account's e-mail address is taken") from None
    scim_user.user_name = user_name
    scim_user.external_id = external_id
    scim_user.user = user
    scim_user.data = stored
    if not is_new:
        scim_user.version += 1
    scim_user.save()
    audit_record(
        actor=None,
        actor_label=label,
        obj=scim_user,
        action="scim_user_created" if is_new else "scim_user_replaced",
        changes={"userName": user_name, "active": fields["is_active"], "account": user and user.pk},
    )
    if user is not None:
        if old_active and not fields["is_active"]:
            provisioning.user_deprovision(user=user, actor_label=label)
        elif old_active is False and fields["is_active"]:
            provisioning.user_reactivate(user=user, actor_label=label)
    # A new resource has no groups yet: the IdP pushes them next, and only a group change
    # re-evaluates the person (so nobody is told "your membership ends" in between).
    return scim_user


def scim_user_delete(*, scim_user: ScimUser) -> None:
    """DELETE: the person is deprovisioned now; the account stays (inactive) for history."""
    label = actor_label_for(scim_user.connection)
    user = scim_user.user
    audit_record(
        actor=None,
        actor_label=label,
        obj=scim_user,
        action="scim_user_deleted",
        changes={"userName": scim_user.user_name, "account": user and user.pk},
    )
    groups = list(scim_user.scim_groups.all())
    scim_user.delete()
    for group in groups:
        group.version += 1
        group.save(update_fields=["version", "updated_at"])
    if user is not None:
        provisioning.user_deprovision(user=user, actor_label=label)


def _members(*, connection: IdpConnection, member_ids: list[str]) -> list[ScimUser]:
    ids = []
    for value in member_ids:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            raise InvalidValueException(detail=f"no User {value!r}") from None
    members = list(ScimUser.objects.filter(connection=connection, scim_id__in=ids))
    if len(members) != len(set(ids)):
        raise InvalidValueException(detail="a member is not a User of this connection")
    return members


def scim_group_save(
    *,
    connection: IdpConnection,
    scim_group: ScimGroup | None,
    data: dict,
    member_ids: list[str],
    scim_id: str | None = None,
) -> ScimGroup:
    """Create or replace one Group resource; the people who joined or left it, or all of
    its members when it was renamed, have their groups (staff, eligibility) re-evaluated."""
    label = actor_label_for(connection)
    display_name = _text(data.get("displayName"), "displayName")
    if not display_name:
        raise InvalidValueException(detail="displayName is required")
    taken = ScimGroup.objects.filter(connection=connection, display_name__iexact=display_name)
    if scim_group is not None:
        taken = taken.exclude(pk=scim_group.pk)
    if taken.exists():
        raise UniquenessException(detail="displayName is already taken")
    members = _members(connection=connection, member_ids=member_ids)
    is_new = scim_group is None
    if is_new:
        scim_group = ScimGroup(connection=connection, scim_id=scim_id or uuid.uuid4())
        before, renamed = set(), False
    else:
        before = set(scim_group.members.all())
        renamed = scim_group.display_name != display_name
        scim_group.version += 1
    scim_group.display_name = display_name
    scim_group.external_id = _text(data.get("externalId"), "externalId")
    scim_group.data = {k: v for k, v in data.items() if k not in {"id", "meta"}}
    scim_group.save()
    scim_group.members.set(members)
    after = set(members)
    affected = (before | after) if renamed else (before ^ after)
    audit_record(
        actor=None,
        actor_label=label,
        obj=scim_group,
        action="scim_group_created" if is_new else "scim_group_replaced",
        changes={
            "displayName": display_name,
            "joined": sorted(m.user_name for m in after - before),
            "left": sorted(m.user_name for m in before - after),
        },
    )
    groups_refresh(users=[m.user for m in affected if m.user_id is not None])
    return scim_group


def scim_group_delete(*, scim_group: ScimGroup) -> None:
    label = actor_label_for(scim_group.connection)
    members = list(scim_group.members.select_related("user"))
    audit_record(
        actor=None,
        actor_label=label,
        obj=scim_group,
        action="scim_group_deleted",
        changes={"displayName": scim_group.display_name},
    )
    scim_group.delete()
    groups_refresh(users=[m.user for m in members if m.user_id is not None])


def groups_refresh(*, users: list[User]) -> None:
    """Each person's IdP groups become the displayNames of the SCIM groups they are in;
    staff rights and eligibility follow (`provisioning.user_groups_apply`)."""
    for user in sorted({u.pk: u for u in users}.values(), key=lambda u: u.pk):
        names = list(
            ScimGroup.objects.filter(members__user=user).values_list("display_name", flat=True)
        )
        scim_user = getattr(user, "scim_user", None)
        label = actor_label_for(scim_user.connection) if scim_user else "SCIM"
        provisioning.user_groups_apply(user=user, groups=names, actor_label=label)
