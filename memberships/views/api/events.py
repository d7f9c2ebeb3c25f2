"""Partner API: the attendee roster of one of the partner's own events, attendance marking
and the anonymous feedback summary."""

import json

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ...enums import AttendanceStatus, RegistrationStatus
from ...exceptions import AttendanceNotOpen, UnknownRegistrations
from ...models import Event
from ...selectors.events import event_roster
from ...selectors.insights import event_feedback_summary
from ...services.attendance import attendance_mark_by_partner
from .auth import json_error, partner_api_view

MAX_MARKS_PER_REQUEST = 5000


@require_GET
@partner_api_view
def event_registrations(request, slug, *, partner):
    """Confirmed attendees with the fields they agreed to share. Another partner's event is a
    404, not a 403, so slugs of others' events are not confirmed either."""
    event = Event.objects.filter(slug=slug, partner=partner).first()
    if event is None:
        return json_error(_("No such event."), status=404)
    attendees = event_roster(event=event)
    waitlisted = event.registrations.filter(status=RegistrationStatus.WAITLISTED).count()
    return JsonResponse(
        {
            "event": {
                "slug": event.slug,
                "title": event.title,
                "status": event.status,
                "starts_at": event.starts_at.isoformat(),
                "ends_at": event.ends_at.isoformat(),
                "time_zone": event.time_zone,
                "capacity": event.capacity,
                "sequence": event.sequence,
            },
            "confirmed_count": len(attendees),
            "waitlisted_count": waitlisted,
            "attendees": attendees,
        }
    )


def _parse_marks(body: bytes) -> dict[int, str] | None:
    """`{"attended": [ids], "no_show": [ids]}` -> {id: status}; None when malformed (not
    JSON, not lists of integers, an id in both lists, or nothing at all)."""
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or set(data) - {"attended", "no_show"}:
        return None
    marks: dict[int, str] = {}
    lists = (("attended", AttendanceStatus.ATTENDED), ("no_show", AttendanceStatus.NO_SHOW))
    for key, status in lists:
        ids = data.get(key, [])
        if not isinstance(ids, list) or len(ids) > MAX_MARKS_PER_REQUEST:
            return None
        for registration_id in ids:
            if type(registration_id) is not int or registration_id <= 0:
                return None
            if marks.get(registration_id, status) != status:
                return None
            marks[registration_id] = status
    return marks or None


@require_POST
@partner_api_view
def event_attendance(request, slug, *, partner):
    """Record who attended one of the partner's own events, by registration id (as listed by
    the registrations endpoint). Idempotent; the partner gets a signed confirmation once per
    distinct request. 400 malformed, 404 another's event, 409 too early, 422 unknown ids."""
    event = Event.objects.filter(slug=slug, partner=partner).first()
    if event is None:
        return json_error(_("No such event."), status=404)
    marks = _parse_marks(request.body)
    if marks is None:
        return json_error(
            _('Send {"attended": [registration ids], "no_show": [registration ids]}.'),
            status=400,
        )
    try:
        result = attendance_mark_by_partner(event=event, marks=marks)
    except UnknownRegistrations as error:
        return JsonResponse(
            {"error": str(error), "registration_ids": error.registration_ids}, status=422
        )
    except AttendanceNotOpen as error:
        return json_error(str(error), status=409)
    return JsonResponse(
        {
            "event": event.slug,
            "recorded": result.recorded,
            "unchanged": len(result.unchanged),
        }
    )


@require_GET
@partner_api_view
def event_feedback(request, slug, *, partner):
    """The feedback on one of the partner's events: the number of answers, and from five
    answers on the average rating and the comments, without names."""
    event = Event.objects.filter(slug=slug, partner=partner).first()
    if event is None:
        return json_error(_("No such event."), status=404)
    summary = event_feedback_summary(event=event)
    if not summary.is_shown:
        return JsonResponse(
            {"event": event.slug, "responses": None, "average": None, "comments": []}
        )
    return JsonResponse(
        {
            "event": event.slug,
            "responses": summary.responses,
            "average": str(summary.average),
            "comments": summary.comments,
        }
    )
