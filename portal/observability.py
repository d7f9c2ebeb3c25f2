"""The first middleware: gives each request an id (kept from a well-formed incoming
X-Request-ID, else new), returns it in the X-Request-ID response header, makes it and the
request visible to the log filter, and records the request's latency for the metrics."""

from __future__ import annotations

import time

from django.core.signals import request_finished
from django.dispatch import receiver

from . import logs, metrics

REQUEST_ID_HEADER = "X-Request-ID"


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    # The pattern, never the URL: no ids or tokens in labels, and a bounded number of them.
    return "/" + (match.route or match.view_name or "")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = logs.new_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        # Not reset on the way out: Django logs 4xx and 5xx responses after the middleware
        # has returned; `request_finished` clears them (below).
        logs.request_id_var.set(request_id)
        logs.current_request_var.set(request)
        started = time.perf_counter()
        response = self.get_response(request)
        metrics.observe_request(
            route=_route(request),
            method=request.method if request.method in _METHODS else "other",
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        response[REQUEST_ID_HEADER] = request_id
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


@receiver(request_finished)
def _forget_request(**kwargs) -> None:
    logs.request_id_var.set("")
    logs.current_request_var.set(None)
