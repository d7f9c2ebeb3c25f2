"""Forms of the admin: they parse and validate what programme admins type; the services
(called by the ModelAdmins) decide."""

from django import forms
from django.utils.translation import gettext_lazy

from ..enums import AttendanceStatus
from ..models import Partner, Sponsorship
from ..models.sponsorships import SHAREABLE_FIELDS


class PartnerAdminForm(forms.ModelForm):
    website = forms.URLField(label=gettext_lazy("website"), required=False, assume_scheme="https")
    webhook_url = forms.URLField(
        label=gettext_lazy("webhook URL"), required=False, assume_scheme="https"
    )
    # The signing secret is write-only here: never rendered back into the page.
    webhook_secret = forms.CharField(
        label=gettext_lazy("webhook signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Leave empty to keep the current secret."),
    )

    class Meta:
        model = Partner
        fields = (
            "name",
            "slug",
            "website",
            "operations_email",
            "notification_channels",
            "webhook_url",
            "webhook_secret",
            "is_active",
        )

    def clean_webhook_secret(self) -> str:
        return self.cleaned_data.get("webhook_secret") or self.instance.webhook_secret


class SponsorshipAdminForm(forms.ModelForm):
    eligible_groups = forms.CharField(
        label=gettext_lazy("Eligible IdP groups"),
        required=False,
        help_text=gettext_lazy("Comma-separated group names, e.g. trust-safety, content-review."),
    )
    shared_fields = forms.MultipleChoiceField(
        label=gettext_lazy("Fields shared with the partner"),
        required=False,
        choices=list(SHAREABLE_FIELDS.items()),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Sponsorship
        fields = (
            "partner",
            "name",
            "slug",
            "company",
            "tier",
            "description",
            "seats",
            "starts_on",
            "ends_on",
            "eligible_groups",
            "uses_roster",
            "requires_approval",
            "contact_email",
            "shared_fields",
            "consent_text",
            "consent_version",
        )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["eligible_groups"] = ", ".join(self.instance.eligible_groups)

    def clean_eligible_groups(self) -> list[str]:
        raw = self.cleaned_data.get("eligible_groups") or ""
        return [g.strip() for g in raw.split(",") if g.strip()]


class ReasonForm(forms.Form):
    """The reason an admin gives for declining or revoking memberships."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Recorded in the audit trail and shown to the employee."),
    )


class MemberNumberForm(forms.Form):
    member_number = forms.CharField(label=gettext_lazy("Member number"), max_length=64)


class EligibilityLookupForm(forms.Form):
    query = forms.CharField(
        label=gettext_lazy("Employee e-mail or employee id"),
        max_length=254,
    )


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster CSV file"),
        help_text=gettext_lazy(
            "Columns: email, employee_id, department, eligible (yes/no). UTF-8."
        ),
    )

    max_bytes = 10 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(gettext_lazy("The file is larger than 10 MB."))
        return upload


class RosterConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)


class AttendanceMarkForm(forms.Form):
    """One choice per confirmed registrant: leave as is, attended, or no-show."""

    def __init__(self, *args, registrations, **kwargs):
        super().__init__(*args, **kwargs)
        self.registrations = list(registrations)
        for registration in self.registrations:
            attendance = getattr(registration, "attendance", None)
            self.fields[f"registration_{registration.pk}"] = forms.ChoiceField(
                label=registration.user.display_name,
                required=False,
                choices=[("", gettext_lazy("not marked")), *AttendanceStatus.choices],
                initial=attendance.status if attendance else "",
                widget=forms.RadioSelect,
            )

    def rows(self):
        return [
            (registration, self[f"registration_{registration.pk}"])
            for registration in self.registrations
        ]

    def marks(self) -> dict[int, str]:
        """The registrations whose choice is set (and differs from blank)."""
        return {
            registration.pk: self.cleaned_data[f"registration_{registration.pk}"]
            for registration in self.registrations
            if self.cleaned_data.get(f"registration_{registration.pk}")
        }


class AttendanceImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Attendee export (CSV)"),
        help_text=gettext_lazy(
            "From the online platform: one e-mail address a row, in a column named “email” "
            "or in the first column. UTF-8."
        ),
    )
    rest_are_no_shows = forms.BooleanField(
        label=gettext_lazy("Mark every other confirmed registrant as a no-show"), required=False
    )

    MAX_BYTES = 2 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(gettext_lazy("The file is larger than 2 MB."))
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(gettext_lazy("The file is not UTF-8 text.")) from exc
