"""Form widgets that pages render often."""

import functools

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe


@functools.lru_cache(maxsize=4096)
def _option(value: str, label: str) -> str:
    """One escaped, unselected `<option>`; the same few hundred are reused by every page."""
    return f'<option value="{escape(value)}">{escape(label)}</option>'


class TimeZoneSelect(forms.Select):
    """The ~400 zones (grouped by region) as one join of prebuilt options instead of one
    template render per option, which cost the settings page most of its time. The HTML is
    the same as Django's own select renders."""

    def _options(self, choices, selected: set[str]) -> list[str]:
        parts = []
        for value, label in choices:
            if isinstance(label, list | tuple):
                parts.append(format_html('<optgroup label="{}">', value))
                parts.extend(self._options(label, selected))
                parts.append("</optgroup>")
            elif str(value) in selected:
                parts.append(format_html('<option value="{}" selected>{}</option>', value, label))
            else:
                parts.append(_option(str(value), str(label)))
        return parts

    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))
        final_attrs = self.build_attrs(self.attrs, attrs)
        # Every piece is escaped (by _option or format_html).
        options_html = mark_safe("".join(self._options(self.choices, selected)))  # noqa: S308 -- escaped pieces
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(final_attrs), options_html
        )
