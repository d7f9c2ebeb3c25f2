import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import redis
import requests
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import close_old_connections, connection
from django.http import Http404, HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from kombu import Connection

from memberships.enums import LIVE_REGISTRATION_STATUSES
from memberships.models import Registration
from memberships.selectors.claims import membership_summary_for_user
from memberships.selectors.events import event_list, my_registrations, resource_list

from .forms import LanguageForm
from .services import user_language_update

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
    retention = {
        "notification_days": settings.NOTIFICATION_RETENTION_DAYS,
        "calendar_days": settings.CALENDAR_TOKEN_RETENTION_DAYS,
        "audit_years": settings.AUDIT_RETENTION_DAYS // 365,
    }
    return render(request, "portal/privacy.html", {"retention": retention})


def not_found(request, *args, **kwargs):
    raise Http404


def server_error(request):
    """The 500 page, rendered without the request context: nothing that can fail again
    (database, session, user) is touched, only the names the page shows."""
    template = loader.get_template("500.html")
    context = {"PROGRAMME_NAME": settings.PROGRAMME_NAME, "SUPPORT_EMAIL": settings.SUPPORT_EMAIL}
    return HttpResponseServerError(template.render(context))


# Health: each check runs on its own small thread pool, all at once, and the probe waits for
# them at most HEALTHZ_BUDGET_SECONDS in total, so it answers within 2 s whatever a server
# does (refuses, or accepts and never answers). A check still stuck from an earlier probe is
# waited on again rather than piled up behind.
HEALTHZ_BUDGET_SECONDS = 1.5
# The IdP is checked at most every few seconds per process, with short timeouts: a load
# balancer probing every second must not become a load on the IdP.
IDP_CHECK_TTL_SECONDS = 5
IDP_TIMEOUT = (0.5, 1.0)  # connect, read


class _Probe:
    def __init__(self, name: str, check, *, ttl: float = 0.0) -> None:
        self._name = name
        self._check = check
        self._ttl = ttl
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0
        self._last: tuple[tuple, float, Future] | None = None  # args, started, future

    def start(self, *args) -> Future:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():  # new after a fork
                self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix=self._name)
                self._pid, self._last = os.getpid(), None
            now = time.monotonic()
            if self._last is not None:
                last_args, started, future = self._last
                if last_args == args and (not future.done() or now - started < self._ttl):
                    return future
            future = self._pool.submit(self._check, *args)
            self._last = (args, now, future)
            return future


def _check_database() -> bool:
    # Like a request: drop a connection that is broken or past CONN_MAX_AGE, before and after.
    close_old_connections()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 -- any failure means "not healthy"
        logger.warning("health check: database unreachable", exc_info=True)
        return False
    finally:
        close_old_connections()


_redis_clients: dict[str, redis.Redis] = {}


def _check_broker(url: str, transport_options: dict) -> bool:
    try:
        if url.startswith(("redis://", "rediss://")):
            # One client (and its pooled connection) per URL, reused by every probe.
            client = _redis_clients.get(url)
            if client is None:
                timeout = settings.REDIS_SOCKET_TIMEOUT
                client = _redis_clients[url] = redis.Redis.from_url(
                    url, socket_connect_timeout=timeout, socket_timeout=timeout
                )
            return client.ping() is True
        with Connection(url, connect_timeout=2, transport_options=transport_options) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001 -- any failure means "not healthy"
        # The URL may hold a password: log the kind of failure, never the URL.
        logger.warning("health check: broker unreachable")
        return False


_idp_session = requests.Session()  # used only by the IdP probe's threads


def _check_idp(discovery_url: str) -> bool:
    try:
        response = _idp_session.get(discovery_url, timeout=IDP_TIMEOUT, allow_redirects=False)
        return response.status_code == 200 and "issuer" in response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("health check: IdP discovery failed (%s)", type(exc).__name__)
        return False


_database_probe = _Probe("healthz-db", _check_database)
_broker_probe = _Probe("healthz-broker", _check_broker)
_idp_probe = _Probe("healthz-idp", _check_idp, ttl=IDP_CHECK_TTL_SECONDS)


def _oidc_discovery_url() -> str:
    """The discovery document that sign-in itself reads."""
    [app] = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]
    server_url = app["settings"]["server_url"].rstrip("/")
    return f"{server_url}/.well-known/openid-configuration"


def _outcome(future: Future, deadline: float) -> bool:
    try:
        return future.result(timeout=max(deadline - time.monotonic(), 0)) is True
    except FutureTimeout:
        return False


@never_cache
@require_GET
def healthz(request):
    """200 when the database and the broker answer, else 503. The IdP is reported
    ("degraded") but never fails the probe: without it only new sign-ins stop, and taking
    every web process out of the load balancer would stop signed-in people too."""
    deadline = time.monotonic() + HEALTHZ_BUDGET_SECONDS
    database = _database_probe.start()
    broker = _broker_probe.start(
        settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS
    )
    idp = _idp_probe.start(_oidc_discovery_url())
    checks = {"database": _outcome(database, deadline), "broker": _outcome(broker, deadline)}
    is_idp_up = _outcome(idp, deadline)
    healthy = all(checks.values())
    body = {
        "status": ("ok" if is_idp_up else "degraded") if healthy else "unavailable",
        **{name: "ok" if ok else "unavailable" for name, ok in checks.items()},
        "idp": "ok" if is_idp_up else "degraded",
    }
    return JsonResponse(body, status=200 if healthy else 503)


@require_http_methods(["GET", "POST"])
def language_set(request):
    """Switch the language (the header's form, also without JavaScript). Signed-in people
    keep it as their preference, for pages and e-mails; everyone gets the cookie."""
    if request.method == "GET":
        return redirect("home")  # a reopened POST address lands somewhere useful
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("home")
    if not form.is_valid():
        return HttpResponseRedirect(next_url)
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        user_language_update(user=request.user, language=language)
    translation.activate(language)
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
