"""Right-to-left pages: member numbers, codes and addresses keep their left-to-right order
when they sit inside Arabic or Urdu text."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def ltr(value) -> str:
    """`value` isolated as left-to-right text (`<bdi dir="ltr">`), escaped. Usable inside
    `{% blocktranslate with x=value|ltr %}`: the message id does not change."""
    if value in (None, ""):
        return ""
    return format_html('<bdi dir="ltr">{}</bdi>', value)
