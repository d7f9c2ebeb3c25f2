"""The admin site: staff arrive through SSO; the single break-glass superuser signs in with
a password AND a TOTP code (django-otp). allauth's SOCIALACCOUNT_ONLY cannot be combined
with allauth.mfa, so the second factor lives here, on the admin login only."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.plugins.otp_totp.models import TOTPDevice

from memberships.enums import NotificationStatus
from memberships.models import Notification

# Set in the session by an SSO sign-in (portal/signals.py): the admin admits staff only
# through SSO, or through the break-glass password + TOTP below.
SSO_SESSION_KEY = "portal_signed_in_with_sso"


class BreakGlassAuthenticationForm(OTPAdminAuthenticationForm):
    """Password + TOTP, and only for a superuser that has a confirmed TOTP device."""

    error_messages = {
        **OTPAdminAuthenticationForm.error_messages,
        "not_break_glass": _(
            "Password sign-in is only for the break-glass administrator. Staff sign in with SSO."
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.is_superuser or not any(devices_for_user(user, confirmed=True)):
            raise ValidationError(self.error_messages["not_break_glass"], code="not_break_glass")

    def _chosen_device(self, user):
        # The break-glass account has exactly one TOTP device (breakglass_totp replaces it), so
        # the form needs no device picker.
        return (
            super()._chosen_device(user)
            or TOTPDevice.objects.filter(user=user, confirmed=True).first()
        )

    def clean(self):
        cleaned = super().clean()
        if not self.cleaned_data.get("otp_token"):
            raise ValidationError(_("Enter the code from your authenticator app."), code="token")
        return cleaned


def signed_in_with_sso(request) -> bool:
    return bool(request.session.get(SSO_SESSION_KEY))


class PortalAdminSite(admin.AdminSite):
    site_header = _("Membership programme administration")
    site_title = _("Programme admin")
    index_title = _("Programme administration")
    login_form = BreakGlassAuthenticationForm
    login_template = "admin/portal_login.html"

    def index(self, request, extra_context=None):
        # Dead notifications need a person: count them where nobody can miss them.
        extra_context = extra_context or {}
        if request.user.has_perm("memberships.view_notification"):
            extra_context["dead_notifications"] = Notification.objects.filter(
                status=NotificationStatus.DEAD
            ).count()
        return super().index(request, extra_context)

    def get_urls(self):
        # Pages of the admin that belong to no single model (programme insights).
        from memberships.admin.insights import insights_urls  # noqa: PLC0415 -- app registry

        return insights_urls(self) + super().get_urls()

    def has_permission(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if signed_in_with_sso(request):
            return True
        # A password session counts only when TOTP verified it (break-glass superuser).
        return user.is_superuser and user.is_verified()
