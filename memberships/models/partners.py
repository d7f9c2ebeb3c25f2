import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import PartnerChannels
from ..validators import validate_webhook_url


class Partner(models.Model):
    """A partner association: hosts events, receives notices of its members."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    website = models.URLField(_("website"), blank=True)
    operations_email = models.EmailField(_("membership-operations e-mail"), blank=True)
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    # Used to sign webhooks (HMAC), so it must be kept readable; never shown in lists or logs.
    webhook_secret = models.CharField(_("webhook signing secret"), max_length=200, blank=True)
    notification_channels = models.CharField(
        _("notify by"), max_length=10, choices=PartnerChannels, default=PartnerChannels.EMAIL
    )
    api_token_hash = models.CharField(_("API token (hashed)"), max_length=200, blank=True)
    language = models.CharField(
        _("language of e-mails"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("E-mails to this partner's operations address are written in this language."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Here rather than in the field's validators: runs for the admin form and for every
        # service that calls full_clean(), and needs no migration.
        try:
            validate_webhook_url(self.webhook_url)
        except ValidationError as exc:
            raise ValidationError({"webhook_url": exc.messages}) from exc

    def set_api_token(self) -> str:
        """Create a new API token, store only its hash and return the clear text once."""
        token = f"{self.slug}.{secrets.token_urlsafe(32)}"
        self.api_token_hash = api_token_digest(token)
        return token


# A token carries 256 random bits, so one SHA-256 is enough to store it: a slow password
# hasher would protect nothing more and would hand anyone a way to burn CPU.
API_TOKEN_HASH_PREFIX = "sha256$"  # noqa: S105 -- a storage prefix, not a secret


def api_token_digest(token: str) -> str:
    """How a partner API token is stored: `sha256$<hex digest>`."""
    return API_TOKEN_HASH_PREFIX + hashlib.sha256(token.encode()).hexdigest()
