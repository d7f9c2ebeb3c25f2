"""Receivers for framework signals (no domain effects live here)."""

import time

from allauth.account.signals import user_logged_in
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in as django_user_logged_in
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from .admin_site import SIGNED_IN_AT_KEY, SSO_SESSION_KEY


@receiver(user_logged_in)
def remember_sso_sign_in(sender, request, user, **kwargs) -> None:
    # The admin lets staff in only after SSO (or the break-glass password + TOTP).
    if kwargs.get("sociallogin") is not None:
        request.session[SSO_SESSION_KEY] = True


@receiver(django_user_logged_in)
def limit_staff_sessions(sender, request, user, **kwargs) -> None:
    """Every sign-in records when it happened; an admin's lasts at most STAFF_SESSION_AGE."""
    if request is None or not hasattr(request, "session"):
        return
    request.session[SIGNED_IN_AT_KEY] = int(time.time())
    if user.is_staff:
        request.session.set_expiry(min(settings.STAFF_SESSION_AGE, settings.SESSION_COOKIE_AGE))


@receiver(post_migrate)
def grant_programme_admin_permissions(sender, **kwargs) -> None:
    """Programme admins may manage the whole domain app and look up users."""
    if sender.name != "memberships":
        return
    # This receiver may run before auth's own: make sure the permissions exist (idempotent).
    create_permissions(sender, verbosity=0, using=kwargs.get("using", "default"))
    group, _created = Group.objects.get_or_create(name=settings.PROGRAMME_ADMINS_GROUP)
    permissions = Permission.objects.filter(
        content_type__app_label="memberships"
    ) | Permission.objects.filter(content_type__app_label="portal", codename__in=["view_user"])
    group.permissions.set(permissions)
