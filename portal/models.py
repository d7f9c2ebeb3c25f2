import functools
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """Every zone name, sorted. Read once per process: listing them walks the zone files."""
    return tuple(sorted(zoneinfo.available_timezones()))


@functools.cache
def _time_zone_set() -> frozenset[str]:
    return frozenset(time_zone_names())


def validate_time_zone(value: str) -> None:
    if value and value not in _time_zone_set():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class User(AbstractUser):
    """An employee (created just in time at the first SSO sign-in) or the break-glass admin."""

    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("full name"), max_length=200, blank=True)
    employee_id = models.CharField(_("employee id"), max_length=64, blank=True, db_index=True)
    department = models.CharField(_("department"), max_length=200, blank=True)
    idp_subject = models.CharField(
        _("IdP subject"), max_length=255, unique=True, null=True, blank=True, editable=False
    )
    idp_groups = models.JSONField(_("IdP groups"), default=list, blank=True, editable=False)
    idp_synced_at = models.DateTimeField(_("last synced from the IdP"), null=True, blank=True)
    session_epoch = models.PositiveIntegerField(
        _("session generation"),
        default=0,
        editable=False,
        help_text=_("Raised to end every existing session of this person at once."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Times are shown in this zone. Empty means the site's time zone."),
    )

    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Pages and e-mails are in this language. Empty means the browser's choice."),
    )

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.email or self.username

    @property
    def display_name(self) -> str:
        return self.name or self.get_full_name() or self.email

    def _get_session_auth_hash(self, secret=None) -> str:
        # Django checks this hash on every request: raising `session_epoch` ends every
        # session of the person at their next request, as a password change would.
        return salted_hmac(
            "portal.User.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class Heartbeat(models.Model):
    """The last time a long-running process said it was alive (Celery beat ticks here), for
    the status page and the metrics. One row per process kind, updated in place."""

    BEAT = "beat"

    name = models.CharField(_("process"), max_length=40, unique=True)
    beat_at = models.DateTimeField(_("last heartbeat"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at.isoformat()}"


# Identity provisioning (SCIM 2.0) -------------------------------------------------------------


class IdpConnection(models.Model):
    """One company IdP that provisions people here over SCIM (Okta, Entra ID…)."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("IdP connection")
        verbose_name_plural = _("IdP connections")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ScimToken(models.Model):
    """A bearer token of one connection. Only its SHA-256 is kept; the token is shown once."""

    connection = models.ForeignKey(
        IdpConnection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="tokens"
    )
    token_sha256 = models.CharField(_("SHA-256 of the token"), max_length=64, unique=True)
    prefix = models.CharField(_("first characters"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("SCIM token")
        verbose_name_plural = _("SCIM tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.connection})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ScimUser(models.Model):
    """A User resource as a connection provisioned it. `data` keeps the attributes we do not
    map (so the IdP reads back what it wrote); `user` is the portal account it drives, absent
    only while the resource has no e-mail address."""

    connection = models.ForeignKey(
        IdpConnection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="users"
    )
    scim_id = models.UUIDField(_("SCIM id"), unique=True, editable=False)
    user_name = models.CharField(_("userName"), max_length=255)
    external_id = models.CharField(_("externalId"), max_length=255, blank=True)
    user = models.OneToOneField(
        User,
        verbose_name=_("portal account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scim_user",
    )
    data = models.JSONField(_("attributes"), default=dict)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("SCIM user")
        verbose_name_plural = _("SCIM users")
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "user_name"], name="scim_user_name_unique_per_connection"
            )
        ]

    def __str__(self) -> str:
        return self.user_name


class ScimGroup(models.Model):
    """A Group resource of a connection; its displayName is an IdP group of its members."""

    connection = models.ForeignKey(
        IdpConnection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="groups"
    )
    scim_id = models.UUIDField(_("SCIM id"), unique=True, editable=False)
    display_name = models.CharField(_("displayName"), max_length=255)
    external_id = models.CharField(_("externalId"), max_length=255, blank=True)
    members = models.ManyToManyField(
        ScimUser, verbose_name=_("members"), related_name="scim_groups", blank=True
    )
    data = models.JSONField(_("attributes"), default=dict)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("SCIM group")
        verbose_name_plural = _("SCIM groups")
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "display_name"],
                name="scim_group_name_unique_per_connection",
            )
        ]

    def __str__(self) -> str:
        return self.display_name


class EligibilityGrace(models.Model):
    """A live membership whose holder stopped being eligible: it ends at `ends_at` unless
    they become eligible again first (the row is then deleted)."""

    membership = models.OneToOneField(
        "memberships.Membership",
        verbose_name=_("membership"),
        on_delete=models.CASCADE,
        related_name="eligibility_grace",
    )
    ends_at = models.DateTimeField(_("ends at"), db_index=True)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)

    class Meta:
        verbose_name = _("eligibility grace period")
        verbose_name_plural = _("eligibility grace periods")

    def __str__(self) -> str:
        return f"{self.membership_id} until {self.ends_at:%Y-%m-%d %H:%M %Z}"
