"""The audit trail: one call per change, inside the transaction of the change."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import models, transaction

from ..models import AuditEntry

SYSTEM_ACTOR = "system"
# Values never written into the trail: only the fact that they changed.
SECRET_FIELDS = frozenset({"webhook_secret", "api_token_hash"})
SECRET_PLACEHOLDER = "[secret]"  # noqa: S105 -- a label, not a password


def audit_value(value):
    """`value` as JSON: dates as ISO text, model instances as their primary key, decimals
    (fees) as their exact text."""
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def audit_record(
    *,
    actor,
    obj: models.Model,
    action: str,
    changes: dict | None = None,
    reason: str = "",
    actor_label: str = "",
) -> AuditEntry:
    """Append one audit row for `obj`. `actor` is a User, or None for the system (tasks,
    imports run from the command line, or the IdP connection named by `actor_label`).
    `changes` maps field -> [old, new] (JSON values)."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_user, actor_label = actor, str(actor.email or actor.username)
    else:
        actor_user, actor_label = None, (actor_label or SYSTEM_ACTOR)[:200]
    return AuditEntry.objects.create(
        actor=actor_user,
        actor_label=actor_label,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_label=str(obj)[:300],
        changes=changes or {},
        reason=str(reason),
    )


@transaction.atomic
def audited_save(*, obj: models.Model, actor, fields: Iterable[str], noun: str) -> models.Model:
    """Save `obj` (new or edited) and record `<noun>_created` or `<noun>_changed` with the
    old and new values of `fields` (the fields the editor touched). Secrets are recorded as
    changed, never by value. An edit that changes nothing records nothing."""
    wanted = set(fields)
    names = [f.name for f in obj._meta.concrete_fields if f.name in wanted]
    is_new = obj._state.adding
    stored = None if is_new else type(obj).objects.get(pk=obj.pk)
    obj.save()

    def shown(value, name):
        return SECRET_PLACEHOLDER if name in SECRET_FIELDS else audit_value(value)

    if is_new:
        changes = {name: shown(obj.serializable_value(name), name) for name in names}
        audit_record(actor=actor, obj=obj, action=f"{noun}_created", changes=changes)
        return obj
    changes = {}
    for name in names:
        old, new = stored.serializable_value(name), obj.serializable_value(name)
        if old != new:
            changes[name] = [shown(old, name), shown(new, name)]
    if changes:
        audit_record(actor=actor, obj=obj, action=f"{noun}_changed", changes=changes)
    return obj


@transaction.atomic
def audited_delete(*, obj: models.Model, actor, noun: str) -> None:
    """Delete `obj` and record `<noun>_deleted` (the trail keeps its label and id)."""
    audit_record(actor=actor, obj=obj, action=f"{noun}_deleted")
    obj.delete()
