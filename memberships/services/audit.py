"""The audit trail: one call per change, inside the transaction of the change."""

from __future__ import annotations

from django.db import models

from ..models import AuditEntry

SYSTEM_ACTOR = "system"


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
