"""Partners: every change made by the programme team, with its audit entry."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from ..models import Partner
from .audit import audit_record, audited_delete, audited_save


def partner_save(*, partner: Partner, actor, fields: Iterable[str]) -> Partner:
    """Create or edit a partner; the audit entry names the changed fields (the webhook
    secret only as changed, never by value)."""
    return audited_save(obj=partner, actor=actor, fields=fields, noun="partner")


def partner_delete(*, partner: Partner, actor) -> None:
    audited_delete(obj=partner, actor=actor, noun="partner")


@transaction.atomic
def partner_token_rotate(*, partner: Partner, actor=None) -> str:
    """A new partner API token, returned once; the previous token stops working at once.
    Only the hash is stored, and the audit entry records the rotation, not the token."""
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    token = partner.set_api_token()
    partner.save(update_fields=["api_token_hash"])
    audit_record(actor=actor, obj=partner, action="partner_token_rotated")
    return token
