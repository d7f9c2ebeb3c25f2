"""The portal's URLs plus L3 of the ladder: a signed-in page that runs one query."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from memberships.models import Partner
from portal.urls import handler500  # noqa: F401 -- the portal's 500 page
from portal.urls import urlpatterns as portal_urlpatterns


@login_required
@require_GET
def signed_in_one_query(request):
    partners = Partner.objects.filter(is_active=True).count()
    return HttpResponse(f"{request.user.pk} {partners}\n", content_type="text/plain")


urlpatterns = [path("_bench/l3/", signed_in_one_query), *portal_urlpatterns]
