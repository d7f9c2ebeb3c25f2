import functools
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
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
