"""Forms of the events pages: they parse and validate, the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..enums import EventFormat, EventKind, ResourceKind
from ..models import Topic


class DateInput(forms.DateInput):
    input_type = "date"


class EventFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False, strip=True)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *EventKind.choices]
    )
    topic = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Topic.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=_("Any topic"),
    )
    format = forms.ChoiceField(
        label=_("Format"), required=False, choices=[("", _("Any format")), *EventFormat.choices]
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)
    hide_content_notes = forms.BooleanField(
        label=_("Hide sessions with content notes (graphic or distressing material)"),
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return cleaned

    def filters(self) -> dict:
        """The valid filters (invalid fields are left out, and shown as errors)."""
        data = getattr(self, "cleaned_data", {})
        return {
            key: data[key]
            for key in (
                "q",
                "kind",
                "topic",
                "format",
                "date_from",
                "date_to",
                "hide_content_notes",
            )
            if data.get(key) not in (None, "", False)
        }


class ResourceFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *ResourceKind.choices]
    )


class ConfirmForm(forms.Form):
    """The second step of an irreversible action: its confirmation page posts `confirm`."""

    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    @property
    def is_confirmed(self) -> bool:
        return self.is_valid() and self.cleaned_data["confirm"]
