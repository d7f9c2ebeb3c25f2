"""Authentication of the partner API: `Authorization: Bearer <slug>.<secret>`, rate limited
per client address and per token before the token is checked; and the one JSON body reader.

Tokens are made by `manage.py partner_token <slug>`, shown once and stored as SHA-256."""

import json
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from portal.ratelimits import api_rate_limited

from ...models import Partner
from ...services.partners import partner_authenticate


def partner_from_request(request) -> Partner | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return partner_authenticate(token=token.strip())


def json_error(message: str, *, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


class BadBody(Exception):  # noqa: N818 -- reads as what it is
    """The request body is not acceptable JSON; `message` says why (shown to the partner)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _depth(value) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth + 1)
            stack.extend((child, depth + 1) for child in item)
    return deepest


def json_body(request):
    """The parsed JSON body; raises BadBody when it is too large, not JSON, or nested deeper
    than API_MAX_JSON_DEPTH."""
    if len(request.body) > settings.API_MAX_BODY_BYTES:
        raise BadBody(
            _("The body is larger than %(n)d bytes.") % {"n": settings.API_MAX_BODY_BYTES}
        )
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadBody(_("The body must be JSON.")) from exc
    if _depth(body) > settings.API_MAX_JSON_DEPTH:
        raise BadBody(
            _("The JSON is nested deeper than %(n)d levels.") % {"n": settings.API_MAX_JSON_DEPTH}
        )
    return body


def partner_api_view(view):
    """Rate limit (429), authenticate the partner (401 otherwise) and pass it as `partner=`.
    No cookies, no CSRF: the bearer token is the only credential."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        limited = api_rate_limited(request)
        if limited is not None:
            return limited
        partner = partner_from_request(request)
        if partner is None:
            response = json_error(_("A valid partner API token is required."), status=401)
            response["WWW-Authenticate"] = 'Bearer realm="partner-api"'
            return response
        return view(request, *args, partner=partner, **kwargs)

    return wrapper
