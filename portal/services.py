"""Sign-in rules: which IdP identities may enter, and how their claims map onto a User.

The allauth adapter only translates allauth objects into `IdpClaims` and calls these
functions, so the rules are tested without allauth."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import provisioning
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


# Sizes a claim may have; anything larger (or not a string, or with a NUL) is refused, not
# truncated: an IdP that sends it is misconfigured or is not the company's.
CLAIM_MAX_LENGTHS = {
    "sub": 255,
    "email": 254,
    "name": 200,
    "given_name": 150,
    "family_name": 150,
    "employee_id": 64,
    "department": 200,
}
GROUP_MAX_LENGTH = 255
GROUPS_MAX_COUNT = 500
_email_validator = EmailValidator()


def _bad_claims(claim: str) -> SignInRefused:
    logger.warning("sign-in refused: the IdP's %r claim is malformed", claim)
    return SignInRefused(
        _("Your company account sent details the portal cannot accept."),
        code="bad_claims",
    )


def _clean_text(merged: dict, claim: str) -> str:
    value = merged.get(claim)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _bad_claims(claim)
    value = str(value).strip()
    if "\x00" in value or len(value) > CLAIM_MAX_LENGTHS[claim] or not value.isprintable():
        raise _bad_claims(claim)
    return value


def _clean_groups(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or len(value) > GROUPS_MAX_COUNT:
        raise _bad_claims("groups")
    groups = set()
    for group in value:
        if not isinstance(group, str) or not group.strip():
            raise _bad_claims("groups")
        if "\x00" in group or len(group) > GROUP_MAX_LENGTH or not group.isprintable():
            raise _bad_claims("groups")
        groups.add(group.strip())
    return sorted(groups)


def _as_bool(value: object, *, default: bool, claim: str) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "0", "false", "no"}:
        return value.strip().lower() in {"1", "true", "yes"}
    raise _bad_claims(claim)


def claims_from_idp(*, id_token: dict, userinfo: dict) -> IdpClaims:
    """Merge ID token and userinfo claims (userinfo wins: it is fetched fresh).

    Raises SignInRefused for a claim of the wrong type, too long, or holding a NUL or
    another control character."""
    if not isinstance(id_token or {}, dict) or not isinstance(userinfo or {}, dict):
        raise _bad_claims("userinfo")
    merged = {**(id_token or {}), **(userinfo or {})}
    name = _clean_text(merged, "name")
    given = _clean_text(merged, "given_name")
    family = _clean_text(merged, "family_name")
    return IdpClaims(
        subject=_clean_text(merged, "sub"),
        email=_clean_text(merged, "email").lower(),
        email_verified=_as_bool(
            merged.get("email_verified"), default=False, claim="email_verified"
        ),
        name=name or f"{given} {family}".strip(),
        given_name=given,
        family_name=family,
        employee_id=_clean_text(merged, "employee_id"),
        department=_clean_text(merged, "department"),
        groups=_clean_groups(merged.get(settings.OIDC_GROUPS_CLAIM)),
        is_active=_as_bool(merged.get("active"), default=True, claim="active"),
    )


def saml_provider_ids() -> set[str]:
    """The provider ids of the SAML apps (`SocialAccount.provider` for SAML identities)."""
    return {settings.SAML_ORGANIZATION_SLUG} if settings.SAML_ENABLED else set()


def _first(attributes: dict, name: str) -> object:
    values = attributes.get(name)
    if isinstance(values, list):
        if len(values) > 1:
            raise _bad_claims(name)
        return values[0] if values else None
    return values


def claims_from_saml(*, attributes: dict, subject: str) -> IdpClaims:
    """Map a signed SAML assertion's attributes (`SAML_ATTRIBUTE_*`) onto the same claims as
    OpenID Connect, so the same refusal rules apply. `subject` is allauth's uid (the mapped
    subject attribute, else the NameID)."""
    if not isinstance(attributes, dict):
        raise _bad_claims("attributes")
    verified = (
        True
        if settings.SAML_EMAIL_VERIFIED
        else _first(attributes, settings.SAML_ATTRIBUTE_EMAIL_VERIFIED)
    )
    return claims_from_idp(
        id_token={},
        userinfo={
            "sub": subject,
            "email": _first(attributes, settings.SAML_ATTRIBUTE_EMAIL),
            "email_verified": verified,
            "name": _first(attributes, settings.SAML_ATTRIBUTE_NAME),
            "given_name": _first(attributes, settings.SAML_ATTRIBUTE_GIVEN_NAME),
            "family_name": _first(attributes, settings.SAML_ATTRIBUTE_FAMILY_NAME),
            "employee_id": _first(attributes, settings.SAML_ATTRIBUTE_EMPLOYEE_ID),
            "department": _first(attributes, settings.SAML_ATTRIBUTE_DEPARTMENT),
            settings.OIDC_GROUPS_CLAIM: attributes.get(settings.SAML_ATTRIBUTE_GROUPS) or [],
            "active": _first(attributes, settings.SAML_ATTRIBUTE_ACTIVE),
        },
    )


def email_is_well_formed(email: str) -> bool:
    try:
        _email_validator(email)
    except ValidationError:
        return False
    return email.count("@") == 1


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
    if not email_is_well_formed(claims.email):
        raise SignInRefused(
            _("Your company account's e-mail address is not a valid address."),
            code="email_invalid",
        )
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
    others = User.objects.filter(email__iexact=claims.email)
    if user is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        # Never link by e-mail, and never take an address another account holds.
        raise SignInRefused(
            _("Another account already uses %(email)s. Contact the programme team.")
            % {"email": claims.email},
            code="email_taken",
        )


def provisioned_user_for(*, claims: IdpClaims) -> User | None:
    """The account the company's directory (SCIM) created for this identity before its first
    sign-in: matched by the IdP subject (the resource's externalId), then by the verified
    e-mail. Only accounts that no sign-in has claimed yet are candidates."""
    unclaimed = User.objects.filter(
        scim_user__isnull=False, idp_subject__isnull=True, socialaccount__isnull=True
    )
    by_subject = unclaimed.filter(scim_user__external_id=claims.subject).first()
    if by_subject is not None:
        return by_subject
    if claims.email and claims.email_verified:
        return unclaimed.filter(email__iexact=claims.email).first()
    return None


@transaction.atomic
def user_sync_from_idp(*, user: User, claims: IdpClaims) -> User:
    """Copy the IdP's claims onto `user`, make allauth's e-mail rows follow, grant or withdraw
    admin rights by group (losing them ends every other session) and re-check memberships.

    Idempotent. The break-glass superuser is never an SSO user, so it is never touched."""
    user.idp_subject = claims.subject
    user.email = claims.email
    user.name = claims.name
    user.first_name = claims.given_name[:150]
    user.last_name = claims.family_name[:150]
    user.employee_id = claims.employee_id
    user.department = claims.department
    user.idp_synced_at = timezone.now()
    user.save()
    EmailAddress.objects.filter(user=user).exclude(email__iexact=claims.email).delete()
    EmailAddress.objects.update_or_create(
        user=user,
        email__iexact=claims.email,
        defaults={"email": claims.email, "verified": True, "primary": True},
    )
    provisioning.user_groups_apply(user=user, groups=claims.groups, actor_label="sign-in")
    # The caller's instance is the one allauth signs in: it must carry the new session
    # generation, or the fresh session would be ended along with the old ones.
    user.refresh_from_db()
    return user


def user_deactivate_from_idp(*, user: User) -> User:
    """The IdP says this person has left: deprovision them (see `user_deprovision`)."""
    return provisioning.user_deprovision(user=user, actor_label="sign-in")


def user_language_update(*, user: User, language: str) -> User:
    """Store the language the person reads pages and e-mails in ('' means the browser's)."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is not an offered language")
    user.language = language
    user.save(update_fields=["language"])
    return user
