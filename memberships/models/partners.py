import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import PartnerChannels


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

    def set_api_token(self) -> str:
        """Create a new API token, store only its hash and return the clear text once."""
        token = f"{self.slug}.{secrets.token_urlsafe(32)}"
        self.api_token_hash = make_password(token)
        return token

    def check_api_token(self, token: str) -> bool:
        return bool(self.api_token_hash) and check_password(token, self.api_token_hash)
