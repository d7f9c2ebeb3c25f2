"""Admin for events, topics and resources. Every change goes through a service, so admins'
edits tell registrants, promote from the waitlist and land in the audit trail.

Privacy of well-being sessions: programme admins see only counts of who registered, and
"fewer than 5" below five; names go only to the hosting partner (roster and API)."""

import zoneinfo

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..csv_export import csv_download
from ..enums import LIVE_REGISTRATION_STATUSES, EventKind, EventStatus, RegistrationStatus
from ..markdown import render_markdown
from ..models import Event, Registration, Resource, Topic, UrgentHelpLine
from ..selectors.admin import WAITLIST_PARAM, full_events_with_waitlists
from ..selectors.events import events_with_counts
from ..services.events import (
    EDITABLE_FIELDS,
    capacity_notice,
    event_cancel,
    event_create,
    event_delete,
    event_duplicate,
    event_publish,
    event_update,
    registration_cancel,
)
from ..services.resources import (
    help_line_delete,
    help_line_save,
    resource_delete,
    resource_save,
    topic_delete,
    topic_save,
)
from .base import ServiceWritesAdmin, apply_to_each
from .forms import EventAdminForm, EventCancelForm

# Links typed without a scheme are https (Django 6's default, chosen now).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}

# Below this, a count of well-being registrants could single people out.
PRIVATE_COUNT_FLOOR = 5


def private_count(event: Event, count: int) -> str:
    if event.kind == EventKind.WELL_BEING and count < PRIVATE_COUNT_FLOOR:
        return _("fewer than %(floor)s") % {"floor": PRIVATE_COUNT_FLOOR}
    return str(count)


class RegistrationInline(admin.TabularInline):
    model = Registration
    extra = 0
    can_delete = False
    fields = ("user", "status", "created_at", "promoted_at", "cancelled_at")
    readonly_fields = fields
    ordering = ("status", "created_at", "pk")
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Topic)
class TopicAdmin(ServiceWritesAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}

    def save_with_service(self, request, obj, fields):
        topic_save(topic=obj, actor=request.user, fields=fields)

    def delete_with_service(self, request, obj):
        topic_delete(topic=obj, actor=request.user)


class WaitlistFilter(admin.SimpleListFilter):
    title = gettext_lazy("waitlist")
    parameter_name = WAITLIST_PARAM

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("upcoming, with people waiting"))]

    def queryset(self, request, queryset):
        return full_events_with_waitlists(queryset) if self.value() == "yes" else queryset


@admin.register(Event)
class EventAdmin(ServiceWritesAdmin):
    form = EventAdminForm
    # Five columns fit at 1280 px beside the filters: kind and host sit under the title.
    list_display = ("event_title", "starts_local", "status", "confirmed", "waitlisted")
    list_filter = ("status", WaitlistFilter, "kind", "format", "is_members_only", "partner")
    formfield_overrides = URL_FIELDS
    search_fields = ("title", "summary")
    date_hierarchy = "starts_at"
    list_select_related = ("partner",)
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("topics",)
    readonly_fields = (
        "description_preview",
        "sequence",
        "roster_sent_at",
        "created_at",
        "updated_at",
    )
    actions = ("publish_events", "cancel_events", "duplicate_events", "export_attendees")
    fieldsets = (
        (None, {"fields": ("partner", "title", "slug", "kind", "topics", "status")}),
        (gettext_lazy("Description"), {"fields": ("summary", "body", "description_preview")}),
        (
            gettext_lazy("Time and place"),
            {"fields": ("time_zone", "starts_at", "ends_at", "format", "venue", "join_url")},
        ),
        (
            gettext_lazy("Registration"),
            {
                "description": gettext_lazy(
                    "Lowering the capacity never takes a seat from anyone who holds one; "
                    "raising it gives the new seats to the waitlist at once."
                ),
                "fields": (
                    "capacity",
                    "registration_opens_at",
                    "registration_closes_at",
                    "is_members_only",
                    "shares_attendee_contact",
                ),
            },
        ),
        (gettext_lazy("Content note"), {"fields": ("content_note_label", "content_note")}),
        (
            gettext_lazy("Record"),
            {"fields": ("sequence", "roster_sent_at", "created_at", "updated_at")},
        ),
    )

    class Media:
        js = ("js/admin_markdown.js",)
        css = {"all": ("css/admin.css",)}

    def get_queryset(self, request):
        return events_with_counts(super().get_queryset(request))

    def get_urls(self):
        return [
            path(
                "markdown-preview/",
                self.admin_site.admin_view(self.markdown_preview_view),
                name="memberships_event_markdown_preview",
            ),
            *super().get_urls(),
        ]

    def markdown_preview_view(self, request):
        """The description as employees will see it (the admin's live preview)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        return HttpResponse(render_markdown(request.POST.get("body", "")))

    @admin.display(description=gettext_lazy("preview"))
    def description_preview(self, obj: Event) -> str:
        # Saved text, rendered; the script swaps in a live preview while typing.
        preview = render_markdown(obj.body) if obj.pk else ""
        return format_html(
            '<div class="markdown-preview prose" data-preview-url="{}" aria-live="polite">{}</div>',
            reverse("admin:memberships_event_markdown_preview"),
            preview,
        )

    @admin.display(description=gettext_lazy("event"), ordering="title")
    def event_title(self, obj: Event) -> str:
        return format_html(
            '{}<br><span class="quiet">{} · {}</span>',
            obj.title,
            obj.get_kind_display(),
            obj.partner.name,
        )

    @admin.display(description=gettext_lazy("starts (event's time)"), ordering="starts_at")
    def starts_local(self, obj: Event) -> str:
        zone = zoneinfo.ZoneInfo(obj.time_zone)
        return f"{obj.starts_at.astimezone(zone):%Y-%m-%d %H:%M} {obj.time_zone}"

    @admin.display(description=gettext_lazy("confirmed"), ordering="confirmed_count")
    def confirmed(self, obj: Event) -> str:
        return private_count(obj, obj.confirmed_count)

    @admin.display(description=gettext_lazy("waitlisted"), ordering="waitlisted_count")
    def waitlisted(self, obj: Event) -> str:
        return private_count(obj, obj.waitlisted_count)

    def get_inlines(self, request, obj):
        if obj is None or obj.kind == EventKind.WELL_BEING:
            return []
        return [RegistrationInline]

    def save_model(self, request, obj, form, change):
        if not change:
            event_create(event=obj, actor=request.user, fields=list(form.fields))
            return
        data = {
            field: form.cleaned_data[field]
            for field in form.changed_data
            if field in EDITABLE_FIELDS
        }
        event_update(event=obj, actor=request.user, data=data)
        obj.refresh_from_db()
        if "capacity" in data:
            confirmed = obj.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
            notice = capacity_notice(event=obj, confirmed=confirmed)
            if notice:
                messages.warning(request, notice)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Registrants must be told (cancel), never silently removed with the event.
        if (
            obj is not None
            and obj.registrations.filter(status__in=LIVE_REGISTRATION_STATUSES).exists()
        ):
            return False
        return super().has_delete_permission(request, obj)

    def delete_with_service(self, request, obj):
        event_delete(event=obj, actor=request.user)

    @admin.action(description=gettext_lazy("Publish selected events"))
    def publish_events(self, request, queryset):
        apply_to_each(
            self,
            request,
            queryset,
            lambda event: event_publish(event=event, actor=request.user),
            done=_("Published %(n)s events."),
        )

    @admin.action(description=gettext_lazy("Cancel selected events (asks for a reason first)"))
    def cancel_events(self, request, queryset):
        """A confirmation page lists the events and their registrants' counts and asks for the
        reason attendees will read; nothing is cancelled until it is submitted."""
        form = EventCancelForm(request.POST if "apply" in request.POST else None)
        events = list(queryset.exclude(status=EventStatus.CANCELLED))
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            apply_to_each(
                self,
                request,
                events,
                lambda event: event_cancel(event=event, actor=request.user, reason=reason),
                done=_("Cancelled %(n)s events; every registrant gets an e-mail with the reason."),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Cancel events"),
            "form": form,
            "events": events,
            "already_cancelled": queryset.filter(status=EventStatus.CANCELLED).count(),
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/memberships/event_cancel.html", context)

    @admin.action(description=gettext_lazy("Duplicate selected events as drafts"))
    def duplicate_events(self, request, queryset):
        apply_to_each(
            self,
            request,
            queryset,
            lambda event: event_duplicate(event=event, actor=request.user),
            done=_("Made %(n)s draft copies."),
        )

    @admin.action(description=gettext_lazy("Export attendees (CSV)"))
    def export_attendees(self, request, queryset):
        if queryset.filter(kind=EventKind.WELL_BEING).exists():
            messages.error(
                request,
                _(
                    "Attendee lists of well-being sessions are private: only the hosting "
                    "partner receives names. Leave those events out of the export."
                ),
            )
            return None
        registrations = (
            Registration.objects.filter(event__in=queryset)
            .select_related("event", "user")
            .order_by("event__starts_at", "event_id", "status", "created_at", "pk")
        )
        return csv_download(
            name="attendees",
            header=["event", "starts_at", "name", "email", "department", "status", "registered_at"],
            rows=(
                [
                    registration.event.title,
                    registration.event.starts_at.isoformat(),
                    registration.user.display_name,
                    registration.user.email,
                    registration.user.department,
                    registration.status,
                    registration.created_at.isoformat(),
                ]
                for registration in registrations
            ),
        )


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    """Registrations of events other than well-being sessions (those stay private)."""

    list_display = ("user", "event", "status", "created_at", "promoted_at")
    list_filter = ("status",)
    search_fields = ("user__email", "user__name", "event__title")
    list_select_related = ("user", "event")
    readonly_fields = (
        "event",
        "user",
        "status",
        "created_at",
        "promoted_at",
        "cancelled_at",
        "reminder_sent_at",
    )
    actions = ("cancel_registrations",)

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(event__kind=EventKind.WELL_BEING)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Cancel selected registrations (promotes the waitlist)"))
    def cancel_registrations(self, request, queryset):
        apply_to_each(
            self,
            request,
            queryset.select_related("user", "event"),
            lambda registration: registration_cancel(registration=registration, actor=request.user),
            done=_("Cancelled %(n)s registrations; freed seats went to the waitlist."),
        )


@admin.register(Resource)
class ResourceAdmin(ServiceWritesAdmin):
    list_display = ("title", "kind", "partner", "is_members_only")
    list_filter = ("kind", "is_members_only", "partner")
    formfield_overrides = URL_FIELDS
    search_fields = ("title", "summary")
    list_select_related = ("partner",)

    def save_with_service(self, request, obj, fields):
        resource_save(resource=obj, actor=request.user, fields=fields)

    def delete_with_service(self, request, obj):
        resource_delete(resource=obj, actor=request.user)


@admin.register(UrgentHelpLine)
class UrgentHelpLineAdmin(ServiceWritesAdmin):
    """Shown first on the well-being page, in this order."""

    list_display = ("name", "phone", "availability", "order", "is_active")
    list_editable = ("order", "is_active")
    formfield_overrides = URL_FIELDS

    def save_with_service(self, request, obj, fields):
        help_line_save(help_line=obj, actor=request.user, fields=fields)

    def delete_with_service(self, request, obj):
        help_line_delete(help_line=obj, actor=request.user)
