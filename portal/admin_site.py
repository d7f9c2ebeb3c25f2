"""The admin site: staff arrive through SSO; the single break-glass superuser signs in with
a password AND a TOTP code (django-otp). allauth's SOCIALACCOUNT_ONLY cannot be combined
with allauth.mfa, so the second factor lives here, on the admin login only."""

import time
from functools import partial

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.plugins.otp_totp.models import TOTPDevice

from memberships.selectors.admin import admin_action_items

from .ratelimits import breakglass_failed, breakglass_locked_for, too_many_requests

# Set in the session at sign-in (portal/signals.py): the admin admits staff only through SSO
# (or the break-glass password + TOTP below), and only for STAFF_SESSION_AGE after it.
SSO_SESSION_KEY = "portal_signed_in_with_sso"
SIGNED_IN_AT_KEY = "portal_signed_in_at"


class BreakGlassAuthenticationForm(OTPAdminAuthenticationForm):
    """Password + TOTP, and only for a superuser that has a confirmed TOTP device.

    Every refusal gives the same message, whichever part was wrong (user name, password,
    code, or an account that is not the break-glass one): a distinct "wrong code" would
    confirm the password without the second factor."""

    error_messages = {
        **OTPAdminAuthenticationForm.error_messages,
        "refused": _(
            "Sign-in refused: the user name, password and authenticator code do not match the "
            "break-glass administrator. Staff sign in with SSO."
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.is_superuser or not any(devices_for_user(user, confirmed=True)):
            raise ValidationError(self.error_messages["refused"], code="refused")

    def _chosen_device(self, user):
        # The break-glass account has exactly one TOTP device (breakglass_totp replaces it), so
        # the form needs no device picker.
        return (
            super()._chosen_device(user)
            or TOTPDevice.objects.filter(user=user, confirmed=True).first()
        )

    def clean(self):
        refused = ValidationError(self.error_messages["refused"], code="refused")
        if not self.cleaned_data.get("otp_token"):
            raise refused  # before the password is even checked
        try:
            return super().clean()
        except ValidationError as exc:
            raise refused from exc


def signed_in_with_sso(request) -> bool:
    return bool(request.session.get(SSO_SESSION_KEY))


def signed_in_recently(request) -> bool:
    """Admin rights last at most STAFF_SESSION_AGE after a sign-in, even in a session that
    began before the person became staff (the directory may promote someone mid-session)."""
    signed_in_at = request.session.get(SIGNED_IN_AT_KEY)
    if not isinstance(signed_in_at, int):
        return False
    return time.time() - signed_in_at <= settings.STAFF_SESSION_AGE


class PortalAdminSite(admin.AdminSite):
    site_header = _("Membership programme administration")
    site_title = _("Programme admin")
    index_title = _("Programme administration")
    login_form = BreakGlassAuthenticationForm
    login_template = "admin/portal_login.html"
    # The lists get the whole width (they must fit 1280 px); the index lists every model.
    enable_nav_sidebar = False

    def index(self, request, extra_context=None):
        # What needs a person comes first, where nobody can miss it.
        extra_context = {
            **(extra_context or {}),
            "action_items": admin_action_items(user=request.user),
        }
        return super().index(request, extra_context)

    def get_urls(self):
        from memberships.admin.insights import insights_urls  # noqa: PLC0415 -- app registry
        from memberships.admin.simulator import (  # noqa: PLC0415 -- circular import
            eligibility_simulator_view,
        )

        from .admin_views import system_status_view  # noqa: PLC0415 -- circular import

        return [
            path(
                "status/",
                self.admin_view(partial(system_status_view, admin_site=self)),
                name="system-status",
            ),
            path(
                "eligibility-simulator/",
                self.admin_view(partial(eligibility_simulator_view, admin_site=self)),
                name="eligibility-simulator",
            ),
            *insights_urls(self),
            *super().get_urls(),
        ]

    def login(self, request, extra_context=None):
        """The break-glass sign-in, with a lockout: after BREAKGLASS_MAX_FAILURES failures
        for one user name or from one address, every attempt (right or wrong) gets a 429
        until the window of BREAKGLASS_LOCKOUT_SECONDS ends."""
        if request.method != "POST":
            return super().login(request, extra_context)
        locked_for = breakglass_locked_for(request)
        if locked_for is not None:
            return too_many_requests(request, seconds=locked_for)
        response = super().login(request, extra_context)
        if response.status_code != 302:  # a sign-in succeeds only by redirecting
            breakglass_failed(request)
        return response

    def has_permission(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff) or not signed_in_recently(request):
            return False
        if signed_in_with_sso(request):
            return True
        # A password session counts only when TOTP verified it (break-glass superuser).
        return user.is_superuser and user.is_verified()
