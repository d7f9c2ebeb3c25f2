"""The employee's membership page: the offer with consent and claim, or the membership's
status, timeline, data receipt and release."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portal.decorators import post_only
from portal.ratelimits import rate_limit

from ..exceptions import AlreadyMember, MembershipError
from ..forms.claims import ClaimForm, ReleaseForm, WaitlistLeaveForm
from ..models import Membership
from ..selectors.claims import membership_page_for_user
from ..services import claims


def _render_page(request, *, form=None, status=200):
    sections = membership_page_for_user(user=request.user)
    errors = [e for field_errors in form.errors.values() for e in field_errors] if form else []
    return render(
        request,
        "memberships/membership_page.html",
        {"sections": sections, "form_errors": errors},
        status=status,
    )


@login_required
@require_GET
def membership_page(request):
    return _render_page(request)


@login_required
@post_only("memberships:membership")
@rate_limit("membership", rate_setting="RATE_LIMIT_MEMBERSHIP")
def membership_claim(request):
    form = ClaimForm(request.POST)
    if not form.is_valid():
        return _render_page(request, form=form, status=400)
    sponsorship = form.cleaned_data["sponsorship"]
    try:
        membership = claims.membership_claim(
            user=request.user,
            sponsorship=sponsorship,
            consent_version=form.cleaned_data["consent_version"],
        )
    except AlreadyMember:
        # A double submit, a second tab or the back button: the first claim stands.
        messages.info(request, _("You already hold this membership. Nothing was changed."))
    except MembershipError as exc:
        messages.error(request, str(exc))
    else:
        if membership.is_live and membership.renews_with_same_number:
            text = _("Renewed for %(name)s: you keep your member number %(number)s.") % {
                "name": sponsorship.name,
                "number": membership.member_number,
            }
        else:
            text = _(
                "Thank you: your claim for %(name)s is in (%(status)s). We will e-mail you."
            ) % {"name": sponsorship.name, "status": membership.get_status_display()}
        messages.success(request, text)
    return redirect("memberships:membership")


@login_required
@post_only("memberships:membership")
@rate_limit("membership", rate_setting="RATE_LIMIT_MEMBERSHIP")
def membership_waitlist(request):
    form = ClaimForm(request.POST)
    if not form.is_valid():
        return _render_page(request, form=form, status=400)
    try:
        claims.waitlist_join(
            user=request.user,
            sponsorship=form.cleaned_data["sponsorship"],
            consent_version=form.cleaned_data["consent_version"],
        )
    except MembershipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("You are on the waitlist. When a seat frees up it is yours, and we will e-mail you."),
        )
    return redirect("memberships:membership")


@login_required
@post_only("memberships:membership")
@rate_limit("membership", rate_setting="RATE_LIMIT_MEMBERSHIP")
def membership_waitlist_leave(request):
    form = WaitlistLeaveForm(request.POST)
    if not form.is_valid():
        return _render_page(request, form=form, status=400)
    if claims.waitlist_leave(user=request.user, sponsorship=form.cleaned_data["sponsorship"]):
        messages.success(request, _("You have left the seat waitlist."))
    else:
        messages.info(request, _("You were not on that waitlist. Nothing was changed."))
    return redirect("memberships:membership")


@login_required
@post_only("memberships:membership")
@rate_limit("membership", rate_setting="RATE_LIMIT_MEMBERSHIP")
def membership_release(request, public_id):
    """First POST shows the confirmation page (no JavaScript needed); the confirmed POST
    releases. Someone else's membership is a 404."""
    membership = get_object_or_404(
        Membership.objects.select_related("sponsorship__partner"),
        public_id=public_id,
        user=request.user,
    )
    form = ReleaseForm(request.POST)
    if not form.is_valid() or not form.cleaned_data["confirm"]:
        return render(request, "memberships/membership_release.html", {"membership": membership})
    try:
        claims.membership_release(membership=membership, user=request.user)
    except MembershipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Your membership is released. %(partner)s has been told.")
            % {"partner": membership.sponsorship.partner.name},
        )
    return redirect("memberships:membership")
