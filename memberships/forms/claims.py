"""Forms of the claim flow: they parse input and hand it to a service."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Sponsorship


class ClaimForm(forms.Form):
    """Claim (or join the seat waitlist of) a sponsorship, with explicit consent."""

    sponsorship = forms.ModelChoiceField(
        queryset=Sponsorship.objects.select_related("partner"),
        to_field_name="slug",
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("That sponsorship does not exist.")},
    )
    consent_version = forms.CharField(max_length=40, widget=forms.HiddenInput)
    consent = forms.BooleanField(
        label=_("I agree to share the details listed above with the partner."),
        error_messages={
            "required": _("Please tick the box to agree to share your details with the partner.")
        },
    )


class WaitlistLeaveForm(forms.Form):
    sponsorship = forms.ModelChoiceField(
        queryset=Sponsorship.objects.all(),
        to_field_name="slug",
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("That sponsorship does not exist.")},
    )


class ReleaseForm(forms.Form):
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
