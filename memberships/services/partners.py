"""Partners: API credentials and the programme team's changes, each with its audit entry.

A partner API token is `<partner-slug>.<random secret>`, stored as SHA-256.

Checking a token costs the same whether or not the slug exists: one indexed query, one
SHA-256 and one `hmac.compare_digest`, against a dummy digest when there is no such partner.
Tokens issued before SHA-256 storage (Django password hashes, `pbkdf2_sha256$…`) keep working:
the first successful use re-hashes them to SHA-256, and from then on they are cheap too. Until a
partner has used its old token once, a wrong token for that one slug still costs one password
hash; `manage.py partner_token <slug>` rotates it straight away."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from django.contrib.auth.hashers import check_password
from django.db import transaction

from ..models import Partner
from ..models.partners import API_TOKEN_HASH_PREFIX, api_token_digest
from .audit import audit_record, audited_delete, audited_save

# Compared against when the slug matches no partner, so that case does the same work.
_NO_PARTNER_DIGEST = api_token_digest("no partner has this token")


def partner_authenticate(*, token: str) -> Partner | None:
    """The active partner whose API token is `token`, or None. Re-hashes a token stored the
    old way (a password hash) to SHA-256 on its first successful use."""
    slug = token.split(".", 1)[0]
    partner = Partner.objects.filter(slug=slug, is_active=True).first()
    stored = partner.api_token_hash if partner is not None else ""
    digest = api_token_digest(token)
    if stored.startswith(API_TOKEN_HASH_PREFIX) or not stored:
        expected = stored or _NO_PARTNER_DIGEST
        is_valid = hmac.compare_digest(digest.encode(), expected.encode())
        return partner if is_valid and stored else None
    # A token issued before SHA-256 storage: check it the old way once, then upgrade it.
    if not check_password(token, stored):
        return None
    Partner.objects.filter(pk=partner.pk, api_token_hash=stored).update(api_token_hash=digest)
    partner.api_token_hash = digest
    return partner


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
