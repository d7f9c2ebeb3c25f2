import logging
import re
import urllib.error
import zoneinfo

import requests
from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone, translation

logger = logging.getLogger(__name__)

# What fetching the IdP's discovery document, tokens or SAML metadata raises when it is down.
IDP_UNREACHABLE = (requests.RequestException, urllib.error.URLError, TimeoutError, ConnectionError)


class UserTimezoneMiddleware:
    """Show times in the signed-in user's own zone (a user setting), else the site's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone_name = getattr(user, "time_zone", "") if user and user.is_authenticated else ""
        if zone_name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class UserLanguageMiddleware:
    """The signed-in person's saved language wins over the cookie and Accept-Language
    (which LocaleMiddleware, earlier in the chain, has already applied)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user and user.is_authenticated else ""
        if language and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """`Permissions-Policy` on every response, and `Cache-Control: private, no-store` on every
    response to a signed-in person (a shared cache or the browser's back button must not keep
    their pages). A view that set its own Cache-Control keeps it (the calendar feed)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response


class SignInGuardMiddleware:
    """Sign-in refuses, it never fails with a 500.

    - A provider path names a configured provider, or it is a 404 (a NUL or any other odd
      byte never reaches the database).
    - allauth's "connect another account" flow does not exist here: one IdP identity per
      account.
    - The IdP not answering (discovery, token or metadata fetch) shows a page that says so,
      with the programme's address, instead of a 500."""

    PROVIDER_PATH = re.compile(r"^/accounts/(?P<kind>oidc|saml)/(?P<provider_id>[^/]*)/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        match = self.PROVIDER_PATH.match(request.path_info)
        if match is not None:
            known = _known_provider_ids()[match["kind"]]
            if match["provider_id"] not in known:
                raise Http404
            if request.GET.get("process") == "connect" or request.POST.get("process") == "connect":
                raise Http404
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path_info.startswith("/accounts/"):
            return None
        if isinstance(exception, IDP_UNREACHABLE):
            logger.warning(
                "sign-in: the identity provider did not answer (%s)", type(exception).__name__
            )
            return render(request, "portal/idp_unavailable.html", status=503)
        return None


def _known_provider_ids() -> dict[str, set[str]]:
    apps = settings.SOCIALACCOUNT_PROVIDERS
    return {
        "oidc": {app["provider_id"] for app in apps.get("openid_connect", {}).get("APPS", [])},
        "saml": {app["client_id"] for app in apps.get("saml", {}).get("APPS", [])},
    }
