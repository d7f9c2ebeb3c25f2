"""Forms of the person's settings page."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.models import time_zone_names

from .widgets import TimeZoneSelect


def _zone_choices():
    site = _("Site default (%(zone)s)") % {"zone": settings.TIME_ZONE}
    return [("", site), *((name, name) for name in time_zone_names())]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=_("Show times in this time zone"),
        required=False,
        choices=_zone_choices,
        widget=TimeZoneSelect,
    )
