"""The signed-in person's settings: their time zone and their personal calendar feed."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portal.decorators import post_only

from ..csv_export import csv_download
from ..forms.events import ConfirmForm
from ..forms.settings import TimeZoneForm
from ..selectors.personal_data import flatten, personal_data
from ..services.calendar import calendar_feed_for_user, calendar_feed_reset, webcal_url
from ..services.events import user_time_zone_update


@login_required
@require_http_methods(["GET", "POST"])
def my_settings(request):
    if request.method == "POST":
        form = TimeZoneForm(request.POST)
        if form.is_valid():
            zone = form.cleaned_data["time_zone"]
            user_time_zone_update(user=request.user, time_zone=zone)
            messages.success(
                request,
                _("Times are now shown in %(zone)s.") % {"zone": zone or settings.TIME_ZONE},
            )
            back = form.cleaned_data["next"]
            if back and url_has_allowed_host_and_scheme(
                back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(back)
            return redirect("memberships:my-settings")
        status = 400
    else:
        form = TimeZoneForm(initial={"time_zone": request.user.time_zone})
        status = 200
    feed = calendar_feed_for_user(user=request.user)
    feed_url = request.build_absolute_uri(
        reverse("memberships:calendar-feed", kwargs={"token": feed.token})
    )
    context = {"form": form, "feed_url": feed_url, "webcal_url": webcal_url(feed_url), "feed": feed}
    return render(request, "memberships/user_settings.html", context, status=status)


@login_required
@post_only("memberships:my-settings")
def calendar_token_reset(request):
    """First POST shows the confirmation page; the confirmed POST makes a new link."""
    if not ConfirmForm(request.POST).is_confirmed:
        return render(request, "memberships/calendar_reset.html")
    calendar_feed_reset(user=request.user)
    messages.success(
        request,
        _("Your calendar link is new. Subscribe again with it; the old link no longer works."),
    )
    return redirect("memberships:my-settings")


@login_required
@require_GET
def my_data(request):
    """What the portal holds about the person, with JSON and CSV downloads."""
    data = personal_data(user=request.user)
    counts = {key: len(value) for key, value in data.items() if isinstance(value, list)}
    return render(request, "memberships/my_data.html", {"counts": counts})


@login_required
@require_GET
def my_data_download(request, fmt):
    data = personal_data(user=request.user)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    if fmt == "json":
        response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
        response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.json"'
    else:
        response = csv_download(name="my-data", header=["field", "value"], rows=flatten(data))
    response["Cache-Control"] = "private, no-store"
    return response
