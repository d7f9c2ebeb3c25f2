"""The date range of programme insights: whole, completed months only."""

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from ..selectors.insights import MAX_MONTHS, MonthRange, last_completed_month

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


class MonthField(forms.CharField):
    """`YYYY-MM`, as `<input type="month">` sends it; the 1st of that month."""

    widget = forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = MONTH_PATTERN.match(value.strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            raise forms.ValidationError(
                _("Give a month as YYYY-MM: figures cover whole months only."), code="month"
            )
        return date(int(match.group(1)), int(match.group(2)), 1)


class InsightsRangeForm(forms.Form):
    """Whole months, finished ones only: a figure of a month still running changes from one
    day to the next, and comparing two days would show who did what in between."""

    from_month = MonthField(label=_("From (month)"), required=True)
    to_month = MonthField(label=_("To (month, included)"), required=True)

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("from_month"), cleaned.get("to_month")
        if first is None or last is None:
            return cleaned
        latest = last_completed_month(today=self.today)
        if last > latest:
            raise forms.ValidationError(
                _("Choose months that have ended (up to %(month)s).")
                % {"month": latest.strftime("%Y-%m")},
                code="unfinished",
            )
        if first > last:
            raise forms.ValidationError(_("The first month comes after the last."), code="order")
        if len(MonthRange(first=first, last=last).months) > MAX_MONTHS:
            raise forms.ValidationError(
                _("Choose at most %(count)s months.") % {"count": MAX_MONTHS}, code="long"
            )
        return cleaned

    def period(self) -> MonthRange:
        return MonthRange(first=self.cleaned_data["from_month"], last=self.cleaned_data["to_month"])
