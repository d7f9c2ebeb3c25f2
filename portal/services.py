"""Sign-in rules: which IdP identities may enter, and how their claims map onto a User.

The allauth adapter only translates allauth objects into `IdpClaims` and calls these
functions, so the rules are tested without allauth."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import User

logger = logging.getLogger(__name__)


class SignInRefused(Exception):  # noqa: N818 -- reads as the event it reports
    """The IdP vouched for someone this portal must not let in. `message` is shown to them."""

    def __init__(self, message: str, *, code: str, deactivate: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.deactivate = deactivate


@dataclass(frozen=True)
class IdpClaims:
    subject: str
    email: str
    email_verified: bool
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    employee_id: str = ""
    department: str = ""
    groups: list[str] = field(default_factory=list)
    is_active: bool = True


def _as_bool(value: object, *, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes"}


def claims_from_idp(*, id_token: dict, userinfo: dict) -> IdpClaims:
    """Merge ID token and userinfo claims (userinfo wins: it is fetched fresh)."""
    merged = {**(id_token or {}), **(userinfo or {})}
    groups = merged.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    name = str(merged.get("name") or "").strip()
    given = str(merged.get("given_name") or "").strip()
    family = str(merged.get("family_name") or "").strip()
    return IdpClaims(
        subject=str(merged.get("sub") or ""),
        email=str(merged.get("email") or "").strip().lower(),
        email_verified=_as_bool(merged.get("email_verified"), default=False),
        name=name or f"{given} {family}".strip(),
        given_name=given,
        family_name=family,
        employee_id=str(merged.get("employee_id") or "").strip(),
        department=str(merged.get("department") or "").strip(),
        groups=sorted({str(g) for g in groups}),
        is_active=_as_bool(merged.get("active"), default=True),
    )


def email_domain_is_allowed(email: str) -> bool:
    domain = email.rpartition("@")[2].lower()
    return bool(domain) and domain in settings.ALLOWED_EMAIL_DOMAINS


def sign_in_check(*, claims: IdpClaims, user: User | None) -> None:
    """Raise SignInRefused unless this identity may sign in. `user` is the linked account."""
    if not claims.subject:
        raise SignInRefused(_("Your sign-in did not identify you."), code="no_subject")
    if not claims.is_active:
        raise SignInRefused(
            _("Your company account is deactivated, so you can no longer sign in here."),
            code="idp_inactive",
            deactivate=True,
        )
    if user is not None and not user.is_active:
        raise SignInRefused(
            _("Your portal account has been deactivated. Contact the programme team."),
            code="user_inactive",
        )
    if not claims.email:
        raise SignInRefused(_("Your company account has no e-mail address."), code="no_email")
    if not claims.email_verified:
        raise SignInRefused(
            _("Your company account's e-mail address is not verified."), code="email_unverified"
        )
    if not email_domain_is_allowed(claims.email):
        raise SignInRefused(
            _("Sign-in is only open to company e-mail addresses; %(email)s is not one of them.")
            % {"email": claims.email},
            code="email_domain",
        )
    if user is None and User.objects.filter(email__iexact=claims.email).exists():
        # Never link by e-mail: another identity already owns this address.
        raise SignInRefused(
            _("Another account already uses %(email)s. Contact the programme team.")
            % {"email": claims.email},
            code="email_taken",
        )


def is_staff_by_groups(groups: list[str]) -> bool:
    return bool(set(groups) & set(settings.STAFF_GROUPS))


@transaction.atomic
def user_sync_from_idp(*, user: User, claims: IdpClaims) -> User:
    """Copy the IdP's claims onto `user` and grant or withdraw admin rights by group.

    Idempotent. The break-glass superuser is never an SSO user, so it is never touched."""
    user.idp_subject = claims.subject
    user.email = claims.email
    user.name = claims.name
    user.first_name = claims.given_name[:150]
    user.last_name = claims.family_name[:150]
    user.employee_id = claims.employee_id
    user.department = claims.department
    user.idp_groups = claims.groups
    user.idp_synced_at = timezone.now()
    is_staff = is_staff_by_groups(claims.groups)
    if not user.is_superuser:
        user.is_staff = is_staff
    user.save()
    admins, _created = Group.objects.get_or_create(name=settings.PROGRAMME_ADMINS_GROUP)
    if is_staff:
        user.groups.add(admins)
    else:
        user.groups.remove(admins)
    return user


@transaction.atomic
def user_deactivate_from_idp(*, user: User) -> User:
    """The IdP says this person has left: lock the account and revoke their live
    memberships (partners told, seats freed). Idempotent."""
    from memberships.services.claims import (  # noqa: PLC0415 -- circular import
        membership_revoke_all_for_user,
    )

    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        logger.info("user %s deactivated: the IdP reports the account inactive", user.pk)
    membership_revoke_all_for_user(
        user=user, reason=str(_("The company account was deactivated (left the company)."))
    )
    return user


def user_language_update(*, user: User, language: str) -> User:
    """Store the language the person reads pages and e-mails in ('' means the browser's)."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is not an offered language")
    user.language = language
    user.save(update_fields=["language"])
    return user
