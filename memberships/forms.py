"""Forms of the membership claim flow: they parse input and hand it to a service."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Sponsorship


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


class ReasonForm(forms.Form):
    """The reason an admin gives for declining or revoking memberships."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded in the audit trail and shown to the employee."),
    )


class MemberNumberForm(forms.Form):
    member_number = forms.CharField(label=_("Member number"), max_length=64)


class EligibilityLookupForm(forms.Form):
    query = forms.CharField(
        label=_("Employee e-mail or employee id"),
        max_length=254,
    )


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster CSV file"),
        help_text=_("Columns: email, employee_id, department, eligible (yes/no). UTF-8."),
    )

    max_bytes = 10 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


class RosterConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)
