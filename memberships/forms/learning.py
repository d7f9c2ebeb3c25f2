"""Forms of the learning record and feedback."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models.learning import FEEDBACK_RATING_MAX, FEEDBACK_RATING_MIN

RATING_CHOICES = [
    (1, _("1 – poor")),
    (2, _("2")),
    (3, _("3")),
    (4, _("4")),
    (5, _("5 – excellent")),
]


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How useful was the session for you?"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you want the host to know? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "The host sees comments without names, and only once at least five people "
            "have answered."
        ),
    )

    def clean_rating(self):
        rating = self.cleaned_data["rating"]
        if not FEEDBACK_RATING_MIN <= rating <= FEEDBACK_RATING_MAX:
            raise forms.ValidationError(_("Choose a rating from 1 to 5."))
        return rating


class LearningSettingsForm(forms.Form):
    shows_well_being = forms.BooleanField(
        label=_("Show well-being sessions in my learning record"),
        required=False,
        help_text=_(
            "Only you see your record. Off: well-being sessions stay out of it, out of the "
            "yearly summary, and their certificate codes do not verify."
        ),
    )


class CertificateCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=40,
        help_text=_("As printed on the certificate, e.g. ABCD-EFGH-JKLM-NPQR."),
        # A code reads left to right on right-to-left pages too.
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
