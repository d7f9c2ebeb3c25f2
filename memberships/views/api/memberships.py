"""Partner API for memberships: activation with the partner's member number, and a paginated
list for reconciliation. Only memberships whose details were sent to the partner exist here;
another partner's membership is a 404, as is a pending claim not yet shared."""

import uuid

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ...enums import MembershipStatus
from ...exceptions import MembershipError
from ...models import Membership
from ...services.claims import membership_activate
from .auth import BadBody, json_body, json_error, partner_api_view

PAGE_SIZE = 100


def _partner_memberships(partner):
    return Membership.objects.filter(
        sponsorship__partner=partner, shared_at__isnull=False
    ).select_related("sponsorship")


def _as_json(membership: Membership) -> dict:
    return {
        "membership_id": str(membership.public_id),
        "status": membership.status,
        "member_number": membership.member_number,
        "previous_member_number": membership.previous_member_number,
        "sponsorship": membership.sponsorship.slug,
        "member": membership.partner_data,
        "claimed_at": membership.claimed_at.isoformat(),
        "shared_at": membership.shared_at.isoformat() if membership.shared_at else None,
        "activated_at": membership.activated_at.isoformat() if membership.activated_at else None,
        "ended_at": membership.ended_at.isoformat() if membership.ended_at else None,
    }


@require_POST
@partner_api_view
def membership_activate_api(request, public_id: uuid.UUID, *, partner):
    """Idempotent: the same number twice returns 200 both times and e-mails the member once."""
    membership = _partner_memberships(partner).filter(public_id=public_id).first()
    if membership is None:
        return json_error(_("No such membership."), status=404)
    try:
        body = json_body(request)
    except BadBody as exc:
        return json_error(exc.message, status=400)
    number = body.get("member_number") if isinstance(body, dict) else None
    if not isinstance(number, str) or not number.strip() or len(number.strip()) > 64:
        return json_error(_('Send {"member_number": "..."} with 1 to 64 characters.'), status=400)
    try:
        membership = membership_activate(membership=membership, member_number=number)
    except MembershipError as exc:
        return json_error(str(exc), status=409)
    return JsonResponse(_as_json(membership))


@require_GET
@partner_api_view
def membership_list_api(request, *, partner):
    """`?status=` (optional, one of the membership statuses) and `?page=` (from 1)."""
    rows = _partner_memberships(partner).order_by("claimed_at", "pk")
    status = request.GET.get("status", "")
    if status:
        if status not in MembershipStatus.values:
            return json_error(
                _("Unknown status; use one of: %(s)s.") % {"s": ", ".join(MembershipStatus.values)},
                status=400,
            )
        rows = rows.filter(status=status)
    paginator = Paginator(rows, PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        return json_error(_("page must be a whole number."), status=400)
    except EmptyPage:
        return json_error(_("There is no such page."), status=404)
    return JsonResponse(
        {
            "count": paginator.count,
            "page": page.number,
            "num_pages": paginator.num_pages,
            "next_page": page.next_page_number() if page.has_next() else None,
            "results": [_as_json(m) for m in page.object_list],
        }
    )
