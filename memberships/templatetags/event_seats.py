"""How many seats are left, in words an employee may see.

A well-being session never shows a number: "9 seats left" of 12 would tell everyone that
three people registered. It says "Places available" or "Few places left" instead (and the
pages say "Full" when it is)."""

from django import template
from django.utils.translation import gettext, ngettext

from ..enums import EventKind

register = template.Library()

# At or below this many free seats, a well-being session says "Few places left".
FEW_PLACES_LEFT = 3


@register.simple_tag
def seats_left_text(event) -> str:
    """For an event with `seats_left` > 0 (an annotation of `events_with_counts`)."""
    if event.kind == EventKind.WELL_BEING:
        if event.seats_left <= FEW_PLACES_LEFT:
            return gettext("Few places left")
        return gettext("Places available")
    return ngettext("%(count)d seat left", "%(count)d seats left", event.seats_left) % {
        "count": event.seats_left
    }
