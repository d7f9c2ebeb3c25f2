"""Form widgets that pages render often."""

import functools

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from portal.models import time_zone_names


@functools.cache
def _zone_options() -> dict[str, str]:
    """Each zone's escaped `<option>`, built once per process."""
    return {
        name: f'<option value="{escape(name)}">{escape(name)}</option>'
        for name in time_zone_names()
    }


class TimeZoneSelect(forms.Select):
    """The ~600 zones as one join of prebuilt options instead of one template render per
    option (which cost the settings page most of its time). Choices other than zone names
    (the "site default" entry) are rendered as they come."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))
        prebuilt = _zone_options()
        options = []
        for choice_value, label in self.choices:
            choice_value = str(choice_value)
            if choice_value in prebuilt and choice_value not in selected:
                options.append(prebuilt[choice_value])
            else:
                options.append(
                    format_html(
                        '<option value="{}"{}>{}</option>',
                        choice_value,
                        mark_safe(" selected") if choice_value in selected else "",
                        label,
                    )
                )
        final_attrs = self.build_attrs(self.attrs, attrs)
        # Every piece is escaped above (prebuilt, or through format_html).
        options_html = mark_safe("".join(options))  # noqa: S308 -- escaped pieces
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(final_attrs), options_html
        )
