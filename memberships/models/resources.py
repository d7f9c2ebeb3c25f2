from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import ResourceKind


class Resource(models.Model):
    """Well-being and career-development material: a link with a short summary."""

    partner = models.ForeignKey(
        "memberships.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="resources",
        help_text=_("Whose members may open it when it is for members only."),
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ResourceKind)
    url = models.URLField(_("link"))
    summary = models.TextField(_("summary"), blank=True)
    is_members_only = models.BooleanField(_("members only"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["kind", "title"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "url"], name="resource_unique_url"),
        ]
        # The resources page's order; it reads one page of it.
        indexes = [models.Index(fields=["-kind", "title", "id"], name="resource_list_idx")]

    def __str__(self) -> str:
        return self.title


class UrgentHelpLine(models.Model):
    """Urgent help shown first on the well-being page: the employee assistance programme and
    crisis lines. The programme team keeps them current in the admin."""

    name = models.CharField(
        _("name"), max_length=200, help_text=_("E.g. Employee Assistance Programme.")
    )
    description = models.CharField(
        _("what it offers"),
        max_length=300,
        blank=True,
        help_text=_("E.g. Free, confidential counselling for you and your family."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    url = models.URLField(_("link"), blank=True)
    availability = models.CharField(
        _("when"), max_length=100, blank=True, help_text=_("E.g. 24 hours, every day.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("shown"), default=True)

    class Meta:
        verbose_name = _("urgent help line")
        verbose_name_plural = _("urgent help lines")
        ordering = ["order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(phone="", url=""), name="urgent_help_has_phone_or_link"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_uri(self) -> str:
        """`tel:` link: digits and a leading + only."""
        digits = "".join(c for c in self.phone if c.isdigit())
        return f"tel:{'+' if self.phone.strip().startswith('+') else ''}{digits}" if digits else ""
