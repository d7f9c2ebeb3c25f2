from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("email", "name", "department", "employee_id", "is_staff", "is_active")
    list_filter = ("is_staff", "is_active", "department")
    search_fields = ("email", "name", "employee_id", "username")
    ordering = ("email",)
    readonly_fields = ("idp_subject", "idp_groups", "idp_synced_at", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "email", "name")}),
        (_("Employment"), {"fields": ("employee_id", "department", "time_zone")}),
        (_("Identity provider"), {"fields": ("idp_subject", "idp_groups", "idp_synced_at")}),
        (_("Rights"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
