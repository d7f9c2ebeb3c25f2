"""Rate limits and the break-glass lockout, counted by django-ratelimit in the `ratelimit`
cache (Redis whenever REDIS_URL is set, so every web process shares the counts).

Each limit is a fixed window (`"10/m"`, `"30/h"`, `"10/15m"`) read from settings, which read
it from the environment. Over the limit, a page gets the portal's own 429 page and the API a
JSON 429, both with `Retry-After` (seconds until the window ends)."""

from __future__ import annotations

import hashlib
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage


def usage(request: HttpRequest, *, group: str, key, rate: str, increment: bool) -> dict | None:
    """django-ratelimit's count for `key` in `group` (None when rate limiting is off)."""
    return get_usage(request, group=group, key=key, rate=rate, increment=increment)


def retry_after(counted: dict) -> int:
    return max(int(counted["time_left"]), 1)


def too_many_requests(request: HttpRequest, *, seconds: int) -> HttpResponse:
    """The portal's 429 page: what happened and when to try again; works without JavaScript."""
    minutes = max(1, -(-seconds // 60))
    response = render(
        request, "429.html", {"retry_after": seconds, "retry_minutes": minutes}, status=429
    )
    response["Retry-After"] = str(seconds)
    return response


def too_many_api_requests(*, seconds: int) -> JsonResponse:
    response = JsonResponse(
        {"error": _("Too many requests. Try again in %(s)d seconds.") % {"s": seconds}},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def rate_limit(group: str, *, rate_setting: str, key: str = "user"):
    """Limit a view to `settings.<rate_setting>` requests per `key` (default: the signed-in
    person) in `group`; POSTs only, so reading a page is never limited. Put it under
    `@login_required`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                rate = getattr(settings, rate_setting)
                counted = usage(request, group=group, key=key, rate=rate, increment=True)
                if counted and counted["should_limit"]:
                    return too_many_requests(request, seconds=retry_after(counted))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def bearer_token_key(group: str, request: HttpRequest) -> str:
    """Counts per presented bearer token (its digest: the token never reaches the cache)."""
    header = request.headers.get("Authorization", "")
    return hashlib.sha256(header.encode()).hexdigest()


def api_rate_limited(request: HttpRequest) -> JsonResponse | None:
    """Partner API: per client IP, then per token, before the token is even checked."""
    for group, key, rate in (
        ("partner-api-ip", "ip", settings.RATE_LIMIT_PARTNER_API_IP),
        ("partner-api-token", bearer_token_key, settings.RATE_LIMIT_PARTNER_API_TOKEN),
    ):
        counted = usage(request, group=group, key=key, rate=rate, increment=True)
        if counted and counted["should_limit"]:
            return too_many_api_requests(seconds=retry_after(counted))
    return None


# The break-glass lockout: failures are counted per user name and per client IP; at
# BREAKGLASS_MAX_FAILURES either one is locked until its window ends.


def _username_key(group: str, request: HttpRequest) -> str:
    return request.POST.get("username", "").strip().lower()


BREAKGLASS_COUNTERS = (("breakglass-user", _username_key), ("breakglass-ip", "ip"))


def _breakglass_rate() -> str:
    return f"{settings.BREAKGLASS_MAX_FAILURES}/{settings.BREAKGLASS_LOCKOUT_SECONDS}s"


def breakglass_locked_for(request: HttpRequest) -> int | None:
    """Seconds left of a lockout that applies to this sign-in attempt, or None."""
    for group, key in BREAKGLASS_COUNTERS:
        counted = usage(request, group=group, key=key, rate=_breakglass_rate(), increment=False)
        if counted and counted["count"] >= settings.BREAKGLASS_MAX_FAILURES:
            return retry_after(counted)
    return None


def breakglass_failed(request: HttpRequest) -> None:
    for group, key in BREAKGLASS_COUNTERS:
        usage(request, group=group, key=key, rate=_breakglass_rate(), increment=True)
