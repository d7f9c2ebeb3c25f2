"""Employee pages of events and resources, and the calendar files."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portal.decorators import post_only
from portal.ratelimits import rate_limit

from ..enums import RegistrationStatus, ResourceKind
from ..exceptions import MembershipError
from ..forms.events import ConfirmForm, EventFilterForm, ResourceFilterForm
from ..markdown import render_markdown
from ..models import CalendarFeed, Event
from ..selectors import events as event_selectors
from ..selectors.claims import member_access, member_access_for_partners
from ..services.calendar import calendar_for_events, google_calendar_url, outlook_calendar_url
from ..services.events import registration_cancel, registration_create

EVENTS_PER_PAGE = 20
RESOURCES_PER_PAGE = 20


def _get_event_or_404(request, slug):
    event = event_selectors.event_for_viewer(user=request.user, slug=slug)
    if event is None:
        raise Http404(_("No such event."))
    return event


def _own_registration(event):
    return event.viewer_registrations[0] if event.viewer_registrations else None


def _list_page(request, *, past: bool):
    form = EventFilterForm(request.GET or None)
    is_valid = form.is_valid() if form.is_bound else True
    # An invalid filter (an end date before the start) lists nothing rather than everything.
    events = (
        event_selectors.event_list(user=request.user, past=past, **form.filters())
        if is_valid
        else Event.objects.none()
    )
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "events": page.object_list,
        "past": past,
        "query_string": query.urlencode(),
    }
    template = (
        "memberships/events/event_past.html" if past else "memberships/events/event_list.html"
    )
    return render(request, template, context, status=200 if is_valid else 400)


@login_required
@require_GET
def event_list(request):
    return _list_page(request, past=False)


@login_required
@require_GET
def event_past(request):
    return _list_page(request, past=True)


@login_required
@require_GET
def event_detail(request, slug):
    event = _get_event_or_404(request, slug)
    registration = _own_registration(event)
    access = (
        member_access(user=request.user, partner=event.partner) if event.is_members_only else None
    )
    context = {
        "event": event,
        "registration": registration,
        "access": access,
        "is_member": access is None or access.is_member,
        "registration_is_open": event.registration_is_open(),
        # Markdown, sanitised when shown: no script or event handler survives.
        "body_html": render_markdown(event.body),
        "google_calendar_url": google_calendar_url(event),
        "outlook_calendar_url": outlook_calendar_url(event),
    }
    return render(request, "memberships/events/event_detail.html", context)


@login_required
@post_only("memberships:event-detail", keep=("slug",))
@rate_limit("events", rate_setting="RATE_LIMIT_EVENTS")
def event_register(request, slug):
    event = _get_event_or_404(request, slug)
    try:
        registration = registration_create(user=request.user, event=event)
    except MembershipError as error:
        messages.error(request, str(error))
        return redirect("memberships:event-detail", slug=event.slug)
    if registration.status == RegistrationStatus.CONFIRMED:
        messages.success(request, _("You have a seat. We have e-mailed you the details."))
    else:
        messages.info(
            request,
            _("The event is full, so you are on the waitlist at position %(position)s.")
            % {"position": event_selectors.waitlist_position(registration=registration)},
        )
    return redirect("memberships:event-detail", slug=event.slug)


@login_required
@post_only("memberships:event-detail", keep=("slug",))
@rate_limit("events", rate_setting="RATE_LIMIT_EVENTS")
def event_cancel(request, slug):
    """First POST shows the confirmation page (no JavaScript needed); the confirmed POST
    cancels the seat or leaves the waitlist."""
    event = _get_event_or_404(request, slug)
    registration = _own_registration(event)
    if registration is None:
        messages.info(request, _("You were not registered for this event."))
        return redirect("memberships:event-detail", slug=event.slug)
    if not ConfirmForm(request.POST).is_confirmed:
        context = {"event": event, "registration": registration}
        return render(request, "memberships/events/registration_cancel.html", context)
    was_confirmed = registration.status == RegistrationStatus.CONFIRMED
    try:
        registration_cancel(registration=registration, actor=request.user)
    except MembershipError as error:
        messages.error(request, str(error))
    else:
        if was_confirmed:
            messages.success(
                request,
                _("Your seat is cancelled. It goes to the next person on the waitlist."),
            )
        else:
            messages.success(request, _("You have left the waitlist."))
    return redirect("memberships:event-detail", slug=event.slug)


def _calendar_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def event_calendar(request, slug):
    event = _get_event_or_404(request, slug)
    return _calendar_response(calendar_for_events([event]), f"{event.slug}.ics")


@require_GET
def calendar_feed(request, token):
    """No session: calendar apps fetch it with the secret token as the only credential."""
    feed = get_object_or_404(
        CalendarFeed.objects.select_related("user"), token=token, user__is_active=True
    )
    name = _("My events · %(name)s") % {"name": feed.user}
    content = calendar_for_events(event_selectors.feed_events(user=feed.user), name=name)
    response = _calendar_response(content, "my-events.ics")
    response["Cache-Control"] = "private, max-age=900"
    return response


@login_required
@require_GET
def my_events(request):
    registrations = event_selectors.my_registrations(user=request.user)
    return render(request, "memberships/events/my_events.html", {"registrations": registrations})


def _with_access(request, resources: list) -> list:
    """Mark each resource open or not for the viewer, with their standing for closed ones."""
    access = member_access_for_partners(
        user=request.user,
        partners={r.partner_id: r.partner for r in resources if r.is_members_only}.values(),
    )
    for resource in resources:
        resource.access = access.get(resource.partner_id) if resource.is_members_only else None
        resource.is_open_to_viewer = resource.access is None or resource.access.is_member
    return resources


@login_required
@require_GET
def well_being(request):
    """Urgent help first, then sessions and resources: one discreet place to find support."""
    context = {
        "help_lines": event_selectors.urgent_help_lines(),
        "events": list(event_selectors.well_being_events(user=request.user)[:EVENTS_PER_PAGE]),
        "resources": _with_access(
            request, list(event_selectors.resource_list(kind=ResourceKind.WELL_BEING))
        ),
    }
    return render(request, "memberships/events/well_being.html", context)


@login_required
@require_GET
def resource_list(request):
    """One page of resources; the labels every item repeats are translated once, here."""
    form = ResourceFilterForm(request.GET or None)
    is_valid = form.is_valid() if form.is_bound else True
    kind = form.cleaned_data.get("kind", "") if is_valid and form.is_bound else ""
    page = Paginator(event_selectors.resource_list(kind=kind), RESOURCES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    kind_labels = {value: str(label) for value, label in ResourceKind.choices}
    resources = _with_access(request, list(page.object_list))
    for resource in resources:
        resource.kind_label = kind_labels.get(resource.kind, resource.kind)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "resources": resources,
        "query_string": query.urlencode(),
        "members_only_label": _("Members only"),
    }
    return render(
        request, "memberships/events/resource_list.html", context, status=200 if is_valid else 400
    )
