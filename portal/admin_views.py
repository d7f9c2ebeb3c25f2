"""Admin pages of the portal itself: the system status page."""

from __future__ import annotations

from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache

from .status import RED, system_status


@never_cache
def system_status_view(request, *, admin_site):
    """Staff only (through admin_view). Probes run at every view; nothing is cached."""
    checks = system_status()
    context = {
        **admin_site.each_context(request),
        "title": gettext("System status"),
        "checks": checks,
        "overall": checks[0].state if checks else RED,
    }
    return TemplateResponse(request, "admin/portal/system_status.html", context)
