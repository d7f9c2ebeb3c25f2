"""The portal's URLs plus three that fail on purpose, so that the browser tests can check the
403, 429 and 500 pages as people see them (used through `settings.ROOT_URLCONF`)."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from portal.ratelimits import too_many_requests
from portal.urls import handler500
from portal.urls import urlpatterns as portal_urlpatterns


def forbidden(request):
    raise PermissionDenied


def broken(request):
    raise RuntimeError("a deliberate failure for the 500 page test")


def rate_limited(request):
    return too_many_requests(request, seconds=120)


urlpatterns = [
    path("__tests__/forbidden/", forbidden),
    path("__tests__/rate-limited/", rate_limited),
    path("__tests__/broken/", broken),
    *portal_urlpatterns,
]

__all__ = ["handler500", "urlpatterns"]
