from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import NotificationChannel, NotificationKind, NotificationRecipient, NotificationStatus


class Notification(models.Model):
    """The outbox: one message to one recipient on one channel, written in the same
    transaction as the change it reports and delivered by a worker afterwards."""

    kind = models.CharField(_("kind"), max_length=40, choices=NotificationKind)
    recipient = models.CharField(_("recipient"), max_length=10, choices=NotificationRecipient)
    channel = models.CharField(_("channel"), max_length=10, choices=NotificationChannel)
    partner = models.ForeignKey(
        "memberships.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    to_email = models.EmailField(_("to e-mail"), blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=NotificationStatus,
        default=NotificationStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now, db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    # A worker's lease while it sends: nobody else sends until it expires. A worker killed
    # mid-send leaves an expired lease behind, which the sweep picks up again.
    locked_until = models.DateTimeField(_("being sent until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(recipient=NotificationRecipient.PARTNER, partner__isnull=False)
                    | models.Q(recipient=NotificationRecipient.EMPLOYEE, user__isnull=False)
                    | (
                        models.Q(recipient=NotificationRecipient.PROGRAMME, partner__isnull=True)
                        & ~models.Q(to_email="")
                    )
                ),
                name="notification_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        # No address or name: the admin shows this in titles and breadcrumbs, and a notice
        # about a well-being session must not say who received it.
        return f"{self.get_kind_display()} #{self.pk}"
