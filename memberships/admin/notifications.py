"""The outbox in the admin: every notification and its delivery state, read-only, with a
"Resend" action for dead ones. Partners appear by name only: no secret is ever shown.

Well-being privacy: a notice to an employee about a well-being session shows neither the
employee, nor their address, nor the session (list, detail and search alike: such a notice is
found by its idempotency key only); a well-being roster to the partner shows the attendee
count, not the attendees."""

import json

from django.contrib import admin, messages
from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..enums import EventKind, NotificationKind, NotificationRecipient, NotificationStatus
from ..models import Event, Notification
from ..services.notifications import notification_resend

PRIVATE_ROSTER_KEYS = ("attendees", "attachments")
HIDDEN_WELL_BEING = _("Hidden: a well-being session")


def is_private_roster(notification: Notification) -> bool:
    return (
        notification.kind == NotificationKind.PARTNER_EVENT_ROSTER
        and notification.payload.get("event_kind") == EventKind.WELL_BEING
    )


def with_well_being_flag(queryset):
    """Annotate `is_well_being`: the notification's payload names a well-being event."""
    well_being_events = (
        Event.objects.filter(kind=EventKind.WELL_BEING)
        .annotate(pk_text=Cast("pk", CharField()))
        .filter(pk_text=OuterRef("payload_event_id"))
    )
    return queryset.annotate(
        payload_event_id=KeyTextTransform("event_id", "payload"),
        is_well_being=Exists(well_being_events),
    )


def is_hidden_recipient(notification: Notification) -> bool:
    """Who was told about a well-being session is nobody's business in the admin."""
    return bool(getattr(notification, "is_well_being", False)) and (
        notification.recipient == NotificationRecipient.EMPLOYEE
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

    def get_queryset(self, request):
        return with_well_being_flag(super().get_queryset(request))

    def get_fields(self, request, obj=None):
        if obj is not None and is_hidden_recipient(obj):
            # The employee and their address give way to one "hidden" line.
            return tuple(
                "hidden_recipient" if name == "user" else name
                for name in self.fields
                if name != "to_email"
            )
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return (*self.fields, "hidden_recipient")

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            # A well-being notice matches by its idempotency key only, never by who got it.
            found = found.filter(
                Q(is_well_being=False) | Q(idempotency_key__icontains=search_term.strip())
            )
        return found, may_have_duplicates

    @admin.display(description=_("recipient"))
    def hidden_recipient(self, obj: Notification) -> str:
        return HIDDEN_WELL_BEING

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Rows change only through delivery or the resend action.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("recipient"), ordering="to_email")
    def recipient_name(self, obj: Notification) -> str:
        if is_hidden_recipient(obj):
            return HIDDEN_WELL_BEING
        who = obj.partner.name if obj.partner_id else str(obj.user)
        return f"{who} <{obj.to_email}>" if obj.to_email else who

    @admin.display(description=_("payload"))
    def payload_pretty(self, obj: Notification) -> str:
        payload = obj.payload
        if is_hidden_recipient(obj):
            return HIDDEN_WELL_BEING
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
