"""Filters for e-mail templates, whose payloads carry dates as ISO strings (JSON)."""

import datetime

from django import template
from django.utils import formats, timezone

from ..models import Sponsorship
from ..selectors.eligibility import eligibility_reason

register = template.Library()


@register.filter
def email_date(value) -> str:
    """An ISO date or datetime from a payload, for people: `28 October 2027`, or
    `27 November 2026, 14:05 (Asia/Karachi)` in the recipient's zone (the active one while
    the e-mail renders), never with seconds or microseconds. Anything else is shown as is."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        return formats.date_format(value, "j F Y")
    else:
        text = str(value)
        try:
            if len(text) == 10:
                return formats.date_format(datetime.date.fromisoformat(text), "j F Y")
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            return text
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    local = timezone.localtime(moment)
    zone = timezone.get_current_timezone_name()
    return f"{formats.date_format(local, 'j F Y, H:i')} ({zone})"


@register.simple_tag
def eligibility_reason_text(code: str, sponsorship_id: int, fallback: str = "") -> str:
    """The plain-words eligibility reason in the active (the reader's) language; `fallback`
    (the text stored when the e-mail was written) if the sponsorship is gone."""
    sponsorship = Sponsorship.objects.filter(pk=sponsorship_id).first()
    if sponsorship is None or not code:
        return fallback
    return eligibility_reason(code=code, sponsorship=sponsorship)
