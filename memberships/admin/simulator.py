"""Admin: the eligibility simulator (a read-only page; nothing is saved)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import RosterEntry
from ..selectors.simulator import eligibility_simulate


class SimulatorForm(forms.Form):
    roster_row = forms.ModelChoiceField(
        label=_("Or pick a roster row"),
        queryset=RosterEntry.objects.select_related("sponsorship").order_by(
            "sponsorship__name", "email", "employee_id"
        ),
        required=False,
        help_text=_("Fills in the e-mail address and employee id of that row."),
    )
    email = forms.EmailField(label=_("Work e-mail address"), required=False)
    employee_id = forms.CharField(label=_("Employee id"), max_length=64, required=False)
    groups = forms.CharField(
        label=_("IdP groups"),
        required=False,
        help_text=_("Comma-separated, as the IdP will assert them."),
    )

    def clean(self):
        cleaned = super().clean()
        row = cleaned.get("roster_row")
        if row is not None:
            cleaned["email"] = cleaned.get("email") or row.email
            cleaned["employee_id"] = cleaned.get("employee_id") or row.employee_id
        if not cleaned.get("email") and not cleaned.get("employee_id"):
            raise forms.ValidationError(
                gettext("Enter an e-mail address or an employee id, or pick a roster row.")
            )
        cleaned["groups"] = [
            group.strip() for group in (cleaned.get("groups") or "").split(",") if group.strip()
        ]
        return cleaned


def eligibility_simulator_view(request, *, admin_site):
    """GET only: the form, and with a valid query the answer per sponsorship."""
    if not request.user.has_perm("memberships.view_sponsorship"):
        raise PermissionDenied
    form = SimulatorForm(request.GET if request.GET else None)
    results = None
    if form.is_bound and form.is_valid():
        results = eligibility_simulate(
            email=form.cleaned_data["email"] or "",
            employee_id=form.cleaned_data["employee_id"] or "",
            groups=form.cleaned_data["groups"],
        )
    context = {
        **admin_site.each_context(request),
        "title": gettext("Eligibility simulator"),
        "form": form,
        "results": results,
    }
    return TemplateResponse(request, "admin/portal/eligibility_simulator.html", context)
