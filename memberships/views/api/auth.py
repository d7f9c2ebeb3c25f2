"""Authentication of the partner API: `Authorization: Bearer <slug>.<secret>`.

Tokens are made by `manage.py partner_token <slug>`, shown once and stored hashed."""

from functools import wraps

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from ...models import Partner


def partner_from_request(request) -> Partner | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    token = token.strip()
    slug = token.split(".", 1)[0]
    partner = Partner.objects.filter(slug=slug, is_active=True).first()
    if partner is None or not partner.check_api_token(token):
        return None
    return partner


def json_error(message: str, *, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def partner_api_view(view):
    """Authenticate the partner (401 otherwise) and pass it as `partner=`. No cookies, no CSRF:
    the bearer token is the only credential."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        partner = partner_from_request(request)
        if partner is None:
            response = json_error(_("A valid partner API token is required."), status=401)
            response["WWW-Authenticate"] = 'Bearer realm="partner-api"'
            return response
        return view(request, *args, partner=partner, **kwargs)

    return wrapper
