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
        indexes = [models.Index(fields=["kind", "title", "id"], name="resource_list_idx")]

    def __str__(self) -> str:
        return self.title
