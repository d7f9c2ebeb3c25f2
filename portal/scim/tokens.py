"""Bearer tokens of the IdP connections: stored as SHA-256, compared in constant time,
shown once when created."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from ..models import IdpConnection, ScimToken

TOKEN_PREFIX = "scim_"  # noqa: S105 -- a label that makes leaked tokens easy to spot
PREFIX_SHOWN = 12


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def scim_token_create(*, connection: IdpConnection) -> tuple[ScimToken, str]:
    """A new token for `connection`; the raw token is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ScimToken.objects.create(
        connection=connection, token_sha256=token_digest(raw), prefix=raw[:PREFIX_SHOWN]
    )
    return token, raw


@transaction.atomic
def scim_token_rotate(*, connection: IdpConnection) -> tuple[ScimToken, str]:
    """Revoke every live token of `connection` and create its replacement."""
    ScimToken.objects.filter(connection=connection, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return scim_token_create(connection=connection)


def scim_token_revoke(*, token: ScimToken) -> ScimToken:
    """Idempotent: a revoked token stays revoked at its first revocation time."""
    ScimToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token


def scim_token_authenticate(*, raw: str) -> IdpConnection | None:
    """The connection of a live token, or None. The digest is looked up by index, then
    compared in constant time (the lookup alone would leak nothing usable either, since
    only digests are stored)."""
    if not raw or len(raw) > 200 or not raw.isascii() or not raw.isprintable():
        return None
    digest = token_digest(raw)
    token = (
        ScimToken.objects.select_related("connection")
        .filter(token_sha256=digest, revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_sha256, digest):
        return None
    ScimToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.connection
