"""Operator endpoints that are not pages: the Prometheus scrape."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from .metrics import render_metrics


def _bearer_token_ok(request) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), settings.METRICS_TOKEN.encode()
    )


def _address_allowed(request) -> bool:
    # REMOTE_ADDR, never X-Forwarded-For (which any client can write): Prometheus scrapes
    # each instance directly, and the proxy refuses /metrics (deploy/haproxy.cfg).
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )


def metrics_access(request) -> int:
    """200 when the scrape may proceed, else the status to answer (401 or 403). Every
    configured check must pass; with none configured nobody may scrape."""
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_NETWORKS:
        return 403
    if settings.METRICS_ALLOWED_NETWORKS and not _address_allowed(request):
        return 403
    if settings.METRICS_TOKEN and not _bearer_token_ok(request):
        return 401
    return 200


@never_cache
@require_GET
def metrics(request):
    status = metrics_access(request)
    if status == 401:
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if status != 200:
        return HttpResponse("forbidden\n", status=status, content_type="text/plain")
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
