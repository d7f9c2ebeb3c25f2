"""L1 of the ladder: a bare Django view (no middleware, no database, no template)."""

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    SECRET_KEY="bench-l1-not-secret",  # noqa: S106 -- signs nothing
    MIDDLEWARE=[],
    USE_TZ=True,
)


def hello(request):
    return HttpResponse("Hello, world\n", content_type="text/plain")


urlpatterns = [path("", hello)]
application = get_wsgi_application()
