"""Forms of the person's settings page."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.timezones import canonical_zone, grouped_zone_choices

from .widgets import TimeZoneSelect


def _zone_choices():
    unset = _("Not chosen yet: the site's zone (%(zone)s)") % {"zone": settings.TIME_ZONE}
    return [("", unset), *grouped_zone_choices()]


class TimeZoneField(forms.ChoiceField):
    """A zone from the curated list; an old alias a browser reports (Asia/Calcutta) is
    taken as its canonical zone (Asia/Kolkata)."""

    def to_python(self, value):
        value = super().to_python(value)
        return canonical_zone(value) or value if value else value


class TimeZoneForm(forms.Form):
    time_zone = TimeZoneField(
        label=_("Show times in this time zone"),
        required=False,
        choices=_zone_choices,
        widget=TimeZoneSelect(
            attrs={"data-zone-search": "", "data-search-label": _("Search time zones")}
        ),
    )
    # Where to go back to after the one-click suggestion (a path on this site).
    next = forms.CharField(required=False, widget=forms.HiddenInput)
