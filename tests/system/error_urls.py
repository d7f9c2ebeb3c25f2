"""The portal's URLs plus two that fail on purpose, so that the browser tests can check the
403 and 500 pages as people see them (used through `settings.ROOT_URLCONF`)."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from portal.urls import handler500
from portal.urls import urlpatterns as portal_urlpatterns


def forbidden(request):
    raise PermissionDenied


def broken(request):
    raise RuntimeError("a deliberate failure for the 500 page test")


urlpatterns = [
    path("__tests__/forbidden/", forbidden),
    path("__tests__/broken/", broken),
    *portal_urlpatterns,
]

__all__ = ["handler500", "urlpatterns"]
