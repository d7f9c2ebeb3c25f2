"""Partner API: the attendee roster of one of the partner's own events."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ...enums import RegistrationStatus
from ...models import Event
from ...selectors.events import event_roster
from .auth import json_error, partner_api_view


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
