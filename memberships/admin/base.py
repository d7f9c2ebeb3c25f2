"""What every ModelAdmin of the domain shares: its writes go through a service, so that each
one runs the domain's rules and leaves an audit entry."""

from django.contrib import admin, messages
from django.db import transaction

from ..exceptions import MembershipError


class ServiceWritesAdmin(admin.ModelAdmin):
    """Subclasses define `save_with_service(request, obj, fields)` (or their own `save_model`)
    and `delete_with_service(request, obj)`; the admin never calls `obj.save()` or
    `obj.delete()` itself."""

    def save_model(self, request, obj, form, change):
        fields = list(form.changed_data) if change else list(form.fields)
        self.save_with_service(request, obj, fields)

    def delete_model(self, request, obj):
        self.delete_with_service(request, obj)

    def delete_queryset(self, request, queryset):
        # One service call per row, so each deletion has its own audit entry.
        with transaction.atomic():
            for obj in queryset:
                self.delete_with_service(request, obj)


def apply_to_each(modeladmin, request, items, action, *, done: str) -> int:
    """Run `action(item)` for each item and report honestly: the success message counts
    only what succeeded (`done` takes `%(n)s`) and is left out when nothing did; each
    refusal (a MembershipError) is reported as an error naming its item. Returns the count."""
    succeeded, errors = 0, []
    for item in items:
        try:
            action(item)
        except MembershipError as exc:
            errors.append(f"{item}: {exc}")
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, done % {"n": succeeded}, messages.SUCCESS)
    for error in errors:
        modeladmin.message_user(request, error, messages.ERROR)
    return succeeded
