"""The employee's learning record, certificates and feedback; the public certificate check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..exceptions import MembershipError
from ..forms.learning import CertificateCodeForm, FeedbackForm, LearningSettingsForm
from ..selectors.learning import (
    attended_registrations,
    certificate_verify,
    learning_record,
    record_entries,
    record_entry,
)
from ..services.certificates import certificate_pdf, yearly_summary_pdf
from ..services.feedback import feedback_is_editable, feedback_submit
from ..services.learning import learning_record_settings_update

SESSIONS_PER_PAGE = 25


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def learning_record_page(request):
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() and len(year) == 4 else None
    record = learning_record(user=request.user, year=year)
    if year is not None and year not in record.years:
        raise Http404(_("No sessions that year."))
    form = LearningSettingsForm(initial={"shows_well_being": record.shows_well_being})
    page = Paginator(record.registration_ids, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    entries = record_entries(user=request.user, registration_ids=list(page.object_list))
    context = {"record": record, "form": form, "page": page, "entries": entries, "year": year}
    return render(request, "memberships/learning/learning_record.html", context)


@login_required
@require_POST
def learning_settings(request):
    form = LearningSettingsForm(request.POST)
    form.is_valid()  # a single optional checkbox: always valid
    learning_record_settings_update(
        user=request.user, shows_well_being=form.cleaned_data["shows_well_being"]
    )
    if form.cleaned_data["shows_well_being"]:
        messages.success(request, _("Well-being sessions now appear in your learning record."))
    else:
        messages.success(request, _("Well-being sessions are now left out of your record."))
    return redirect("memberships:learning-record")


@login_required
@require_GET
def learning_year_summary(request, year):
    record = learning_record(user=request.user, year=year)
    if year not in record.years:
        raise Http404(_("No sessions that year."))
    record.entries = record_entries(user=request.user, registration_ids=record.registration_ids)
    return _pdf_response(
        yearly_summary_pdf(record=record, user=request.user), f"development-hours-{year}.pdf"
    )


@login_required
@require_GET
def certificate_download(request, registration_id):
    entry = record_entry(user=request.user, registration_id=registration_id)
    if entry is None:
        raise Http404(_("No certificate here."))
    return _pdf_response(
        certificate_pdf(entry=entry, user=request.user),
        f"certificate-{entry.event.slug}.pdf",
    )


@require_GET
def certificate_verify_page(request):
    """Public: anyone holding a certificate can check its code. The answer is only what the
    certificate prints, or one "not valid" for every other case."""
    form = CertificateCodeForm(request.GET or None)
    result = None
    if form.is_bound and form.is_valid():
        result = certificate_verify(code=form.cleaned_data["code"])
    response = render(
        request,
        "memberships/learning/certificate_verify.html",
        {"form": form, "result": result, "checked": form.is_bound and form.is_valid()},
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def feedback(request, registration_id):
    registration = attended_registrations(user=request.user).filter(pk=registration_id).first()
    if registration is None:
        raise Http404(_("No feedback to give here."))
    existing = getattr(registration, "feedback", None)
    is_editable = existing is None or feedback_is_editable(existing)
    status = 200
    if request.method == "POST":
        form = FeedbackForm(request.POST)
        if form.is_valid():
            try:
                feedback_submit(
                    registration=registration,
                    user=request.user,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                )
            except MembershipError as error:
                messages.error(request, str(error))
                return redirect("memberships:feedback", registration_id=registration.pk)
            messages.success(request, _("Thank you. Your feedback is saved."))
            return redirect("memberships:learning-record")
        status = 400
    elif existing is not None:
        form = FeedbackForm(initial={"rating": existing.rating, "comment": existing.comment})
    else:
        form = FeedbackForm()
    context = {
        "registration": registration,
        "event": registration.event,
        "form": form,
        "existing": existing,
        "is_editable": is_editable,
    }
    return render(request, "memberships/learning/feedback_form.html", context, status=status)
