"""Admin for attendance: pick an event that has started, mark each confirmed registrant as
attended or a no-show, or import an online platform's attendee export. Every change goes
through services/attendance.py.

Well-being sessions never appear here: their attendance is recorded by the hosting partner
(through its API) for the employee's own record only."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..enums import AttendanceSource, EventKind, EventStatus, RegistrationStatus
from ..exceptions import MembershipError
from ..models import Attendance, Event
from ..services.attendance import CSV_IMPORT_FORMATS, attendance_import_csv, attendance_mark
from .forms import AttendanceImportForm, AttendanceMarkForm

EVENTS_IN_CHOOSER = 50
REGISTRANTS_PER_PAGE = 100


def _say_recorded(request, result) -> None:
    messages.success(
        request,
        _("Recorded %(recorded)s marks; %(unchanged)s were already so.")
        % {"recorded": result.recorded, "unchanged": len(result.unchanged)},
    )


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ("attendee", "event", "status", "source", "marked_at")
    list_filter = ("status", "source")
    search_fields = ("registration__user__email", "registration__user__name")
    list_select_related = ("registration__user", "registration__event")
    readonly_fields = ("registration", "status", "source", "marked_by", "marked_at")

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(registration__event__kind=EventKind.WELL_BEING)

    @admin.display(description=gettext_lazy("attendee"), ordering="registration__user__email")
    def attendee(self, obj: Attendance) -> str:
        return obj.registration.user.display_name

    @admin.display(description=gettext_lazy("event"), ordering="registration__event__starts_at")
    def event(self, obj: Attendance) -> str:
        return obj.registration.event.title

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def add_view(self, request, form_url="", extra_context=None):
        # "Add" means: choose an event and mark its registrants.
        return HttpResponseRedirect(reverse("admin:memberships_attendance_events"))

    def get_urls(self):
        return [
            path(
                "events/",
                self.admin_site.admin_view(self.events_view),
                name="memberships_attendance_events",
            ),
            path(
                "events/<int:event_id>/",
                self.admin_site.admin_view(self.mark_view),
                name="memberships_attendance_mark",
            ),
            path(
                "events/<int:event_id>/import/",
                self.admin_site.admin_view(self.import_view),
                name="memberships_attendance_import",
            ),
            *super().get_urls(),
        ]

    def _check(self, request) -> None:
        if not self.has_change_permission(request) and not self.has_add_permission(request):
            raise PermissionDenied

    def _markable_events(self):
        return (
            Event.objects.filter(status=EventStatus.PUBLISHED, starts_at__lte=timezone.now())
            .exclude(kind=EventKind.WELL_BEING)
            .select_related("partner")
            .order_by("-starts_at", "-pk")
        )

    def _context(self, request, title: str, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **extra,
        }

    def events_view(self, request):
        self._check(request)
        events = list(self._markable_events()[:EVENTS_IN_CHOOSER])
        return TemplateResponse(
            request,
            "admin/memberships/attendance_events.html",
            self._context(request, _("Record attendance: choose an event"), events=events),
        )

    def _event_or_404(self, event_id: int) -> Event:
        return get_object_or_404(self._markable_events(), pk=event_id)

    def _registrations(self, event: Event):
        return (
            event.registrations.filter(status=RegistrationStatus.CONFIRMED)
            .select_related("user", "attendance")
            .order_by("user__name", "user__email", "pk")
        )

    def mark_view(self, request, event_id: int):
        self._check(request)
        event = self._event_or_404(event_id)
        page = Paginator(self._registrations(event), REGISTRANTS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        form = AttendanceMarkForm(request.POST or None, registrations=page.object_list)
        if request.method == "POST" and form.is_valid():
            try:
                result = attendance_mark(
                    event=event,
                    marks=form.marks(),
                    source=AttendanceSource.ADMIN,
                    actor=request.user,
                )
            except MembershipError as error:
                messages.error(request, str(error))
            else:
                _say_recorded(request, result)
                return HttpResponseRedirect(request.get_full_path())
        context = self._context(
            request,
            _("Record attendance: %(event)s") % {"event": event.title},
            event=event,
            form=form,
            page=page,
            import_form=AttendanceImportForm() if event.format in CSV_IMPORT_FORMATS else None,
        )
        return TemplateResponse(request, "admin/memberships/attendance_mark.html", context)

    def import_view(self, request, event_id: int):
        self._check(request)
        event = self._event_or_404(event_id)
        if request.method != "POST":
            return HttpResponseRedirect(
                reverse("admin:memberships_attendance_mark", args=[event.pk])
            )
        form = AttendanceImportForm(request.POST, request.FILES)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
        else:
            try:
                result = attendance_import_csv(
                    event=event,
                    content=form.cleaned_data["file"],
                    actor=request.user,
                    rest_are_no_shows=form.cleaned_data["rest_are_no_shows"],
                )
            except MembershipError as error:
                messages.error(request, str(error))
            else:
                _say_recorded(request, result)
                if result.unmatched_emails:
                    messages.warning(
                        request,
                        _("No confirmed seat for: %(emails)s")
                        % {"emails": ", ".join(result.unmatched_emails)},
                    )
        return HttpResponseRedirect(reverse("admin:memberships_attendance_mark", args=[event.pk]))
