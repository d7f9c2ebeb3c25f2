from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _

from .models import EligibilityGrace, IdpConnection, ScimToken, ScimUser, User
from .scim.tokens import scim_token_revoke, scim_token_rotate


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


class ScimTokenInline(admin.TabularInline):
    model = ScimToken
    extra = 0
    can_delete = False
    fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # tokens are created by the "rotate" action, which shows them once


@admin.register(IdpConnection)
class IdpConnectionAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ScimTokenInline]
    actions = ["rotate_token", "revoke_tokens"]

    @admin.action(description=_("Rotate the SCIM token (the new one is shown once)"))
    def rotate_token(self, request, queryset):
        # The token is rendered in this response only: never in a message, which could be
        # kept in a cookie.
        created = [
            (connection, scim_token_rotate(connection=connection)[1]) for connection in queryset
        ]
        response = TemplateResponse(
            request,
            "admin/portal/scim_tokens_created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("New SCIM tokens"),
                "created": created,
                "scim_url": f"{settings.SITE_URL}/scim/v2/",
            },
        )
        add_never_cache_headers(response)
        return response

    @admin.action(description=_("Revoke every SCIM token"))
    def revoke_tokens(self, request, queryset):
        for token in ScimToken.objects.filter(connection__in=queryset, revoked_at__isnull=True):
            scim_token_revoke(token=token)
        self.message_user(request, _("The tokens are revoked."), messages.SUCCESS)


@admin.register(ScimUser)
class ScimUserAdmin(admin.ModelAdmin):
    list_display = ("user_name", "external_id", "connection", "user", "updated_at")
    list_filter = ("connection",)
    search_fields = ("user_name", "external_id", "user__email")
    list_select_related = ("connection", "user")
    readonly_fields = ("connection", "scim_id", "user_name", "external_id", "user", "data")

    def has_add_permission(self, request) -> bool:
        return False  # the IdP provisions; the admin only looks

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EligibilityGrace)
class EligibilityGraceAdmin(admin.ModelAdmin):
    list_display = ("membership", "ends_at", "created_at")
    list_select_related = ("membership__user", "membership__sponsorship")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
