"""Forms of the person's settings page."""

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


def _zone_choices():
    site = _("Site default (%(zone)s)") % {"zone": settings.TIME_ZONE}
    return [("", site), *((name, name) for name in sorted(zoneinfo.available_timezones()))]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=_("Show times in this time zone"), required=False, choices=_zone_choices
    )
