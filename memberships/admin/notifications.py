"""The outbox in the admin: every notification and its delivery state, read-only, with a
"Resend" action for dead ones. Partners appear by name only: no secret is ever shown."""

import json

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..enums import EventKind, NotificationKind, NotificationStatus
from ..models import Notification
from ..services.notifications import notification_resend

PRIVATE_ROSTER_KEYS = ("attendees", "attachments")


def is_private_roster(notification: Notification) -> bool:
    return (
        notification.kind == NotificationKind.PARTNER_EVENT_ROSTER
        and notification.payload.get("event_kind") == EventKind.WELL_BEING
    )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "channel",
        "recipient_name",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "kind", "channel", "partner", "created_at")
    list_select_related = ("partner", "user")
    search_fields = ("idempotency_key", "to_email", "user__email")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    actions = ("resend",)
    fields = (
        "kind",
        "recipient",
        "channel",
        "partner",
        "user",
        "to_email",
        "idempotency_key",
        "status",
        "attempts",
        "next_attempt_at",
        "locked_until",
        "delivered_at",
        "created_at",
        "last_error",
        "payload_pretty",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Rows change only through delivery or the resend action.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("recipient"), ordering="to_email")
    def recipient_name(self, obj: Notification) -> str:
        who = obj.partner.name if obj.partner_id else str(obj.user)
        return f"{who} <{obj.to_email}>" if obj.to_email else who

    @admin.display(description=_("payload"))
    def payload_pretty(self, obj: Notification) -> str:
        payload = obj.payload
        if is_private_roster(obj):
            # Who attends a well-being session is for the hosting partner only.
            payload = {
                **{k: v for k, v in payload.items() if k not in PRIVATE_ROSTER_KEYS},
                "attendees": _("hidden: well-being attendees are visible to the partner only"),
            }
        text = json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True, default=str)
        return format_html('<pre class="notification-payload">{}</pre>', text)

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("memberships.change_notification")

    @admin.action(description=_("Resend the selected dead notifications"), permissions=["resend"])
    def resend(self, request, queryset) -> None:
        # Count the selection before resending: when the list is filtered to dead rows, the
        # resent rows leave the queryset and a count taken afterwards comes out short.
        selected = list(queryset)
        resent = sum(
            notification_resend(notification=notification)
            for notification in selected
            if notification.status == NotificationStatus.DEAD
        )
        skipped = len(selected) - resent
        if resent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d notification will be sent again.",
                    "%(count)d notifications will be sent again.",
                    resent,
                )
                % {"count": resent},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d notification was not dead, so it was left alone.",
                    "%(count)d notifications were not dead, so they were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
