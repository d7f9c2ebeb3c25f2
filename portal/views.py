import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from memberships.enums import LIVE_REGISTRATION_STATUSES
from memberships.models import Registration
from memberships.selectors.events import event_list, my_registrations, resource_list
from memberships.selectors.memberships import membership_summary_for_user

logger = logging.getLogger(__name__)


HOME_EVENTS = 3
HOME_RESOURCES = 4


@login_required
@require_GET
def home(request):
    """Where the person stands and what to do next; a constant number of queries."""
    user = request.user
    registered_event_ids = Registration.objects.filter(
        user=user, status__in=LIVE_REGISTRATION_STATUSES
    ).values("event_id")
    context = {
        "summary": membership_summary_for_user(user=user),
        "registrations": list(my_registrations(user=user)[:HOME_EVENTS]),
        "suggested_events": list(
            event_list(user=user).exclude(pk__in=registered_event_ids)[:HOME_EVENTS]
        ),
        "resources": list(resource_list().filter(is_members_only=False)[:HOME_RESOURCES]),
    }
    return render(request, "portal/home.html", context)


@require_GET
def privacy(request):
    """Public: the footer links here from every page, the sign-in page included."""
    return render(request, "portal/privacy.html")


def not_found(request, *args, **kwargs):
    raise Http404


def server_error(request):
    """The 500 page, rendered without the request context: nothing that can fail again
    (database, session, user) is touched, only the names the page shows."""
    template = loader.get_template("500.html")
    context = {"PROGRAMME_NAME": settings.PROGRAMME_NAME, "SUPPORT_EMAIL": settings.SUPPORT_EMAIL}
    return HttpResponseServerError(template.render(context))


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 -- any failure means "not healthy"
        logger.warning("health check: database unreachable", exc_info=True)
        return False


def _broker_ok() -> bool:
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            connect_timeout=2,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001 -- any failure means "not healthy"
        # The URL may hold a password: log the kind of failure, never the URL.
        logger.warning("health check: broker unreachable")
        return False


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        **{name: "ok" if ok else "unavailable" for name, ok in checks.items()},
    }
    return JsonResponse(body, status=200 if healthy else 503)
