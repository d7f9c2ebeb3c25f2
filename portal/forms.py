"""Forms of the project-wide pages."""

from django import forms
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _


def _language_choices():
    # Each language named in itself, so a reader lost in a foreign page still finds theirs.
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
