"""Claiming a sponsored membership and every later change of its status.

Seats are scarce: every operation that takes or frees one locks the sponsorship row first
(then the membership row), so counts are exact under concurrency and locks are always taken
in the same order. A claim locks the claimant's user row before any of them, as leaving
the company does, so a claim in flight and a deprovisioning happen one after the other.
Each change writes its audit entry and its notifications in the same transaction."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..enums import LIVE_MEMBERSHIP_STATUSES, MembershipStatus, NotificationKind, WaitlistStatus
from ..exceptions import (
    AlreadyMember,
    ConsentRequired,
    InvalidTransition,
    MembershipError,
    NotEligible,
    SeatsExhausted,
)
from ..models import Membership, SeatWaitlistEntry, Sponsorship
from .audit import audit_record
from .eligibility import (
    ELIGIBLE,
    INACTIVE,
    eligibility_check,
    eligibility_code,
    eligibility_reason,
    seats_used,
)
from .notifications import notify_employee, notify_partner

MEMBER_NUMBER_MAX_LENGTH = 64


def _membership_url() -> str:
    return f"{settings.SITE_URL}{reverse('memberships:membership')}"


def _iso(value: datetime.datetime | datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def shared_snapshot(*, user, sponsorship: Sponsorship) -> dict:
    """The consented fields of `user` with their current values: exactly what the partner gets."""
    return {field: str(getattr(user, field, "") or "") for field in sponsorship.shared_fields}


def _employee_payload(membership: Membership, **extra) -> dict:
    sponsorship = membership.sponsorship
    return {
        "membership_id": str(membership.public_id),
        "name": membership.user.display_name,
        "sponsorship": sponsorship.name,
        "partner": sponsorship.partner.name,
        "status": membership.status,
        "status_label": str(membership.get_status_display()),
        "member_number": membership.member_number,
        "ends_on": _iso(sponsorship.ends_on),
        "reason": membership.end_reason,
        "contact_email": sponsorship.contact_email,
        "membership_url": _membership_url(),
        **extra,
    }


def _partner_payload(membership: Membership, **extra) -> dict:
    sponsorship = membership.sponsorship
    return {
        "membership_id": str(membership.public_id),
        "sponsorship": sponsorship.name,
        "sponsorship_slug": sponsorship.slug,
        "tier": sponsorship.tier,
        "company": sponsorship.company,
        "member_number": membership.member_number,
        **extra,
    }


def _lock_sponsorship(*, sponsorship_id: int) -> Sponsorship:
    return (
        Sponsorship.objects.select_for_update(of=("self",))
        .select_related("partner")
        .get(pk=sponsorship_id)
    )


def _lock_membership(*, membership: Membership) -> Membership:
    """Lock the sponsorship, then the membership (always in that order)."""
    sponsorship = _lock_sponsorship(sponsorship_id=membership.sponsorship_id)
    locked = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=membership.pk)
    )
    locked.sponsorship = sponsorship
    return locked


def _set_status(
    membership: Membership, *, status: str, actor, action: str, reason: str = "", **fields
) -> Membership:
    old = membership.status
    membership.status = status
    changes = {"status": [old, status]}
    for name, value in fields.items():
        previous = getattr(membership, name)
        setattr(membership, name, value)
        if name in {"member_number", "end_reason"}:
            changes[name] = [previous, value]
    membership.save()
    audit_record(actor=actor, obj=membership, action=action, changes=changes, reason=reason)
    return membership


def _share_with_partner(membership: Membership) -> None:
    """Send the consented snapshot to the partner (once: the key makes it idempotent)."""
    membership.shared_at = timezone.now()
    membership.save(update_fields=["shared_at"])
    extra = {
        "member": membership.shared_data,
        "claimed_at": _iso(membership.claimed_at),
        "term_ends_on": _iso(membership.sponsorship.ends_on),
    }
    if membership.previous_member_number:
        extra["previous_member_number"] = membership.previous_member_number
    notify_partner(
        partner=membership.sponsorship.partner,
        kind=NotificationKind.PARTNER_MEMBER_CLAIMED,
        payload=_partner_payload(membership, **extra),
        key=f"membership:{membership.pk}:claimed",
    )


def _membership_create(
    *,
    user,
    sponsorship: Sponsorship,
    consent_version: str,
    consent_text: str,
    consented_at: datetime.datetime,
    actor,
    action: str,
) -> Membership:
    """Insert a live membership; the caller holds the sponsorship lock and checked the seats."""
    previous_number = (
        Membership.objects.filter(user=user, sponsorship__partner_id=sponsorship.partner_id)
        .exclude(member_number="")
        .order_by("-claimed_at")
        .values_list("member_number", flat=True)
        .first()
    )
    status = (
        MembershipStatus.PENDING_APPROVAL
        if sponsorship.requires_approval
        else MembershipStatus.PENDING_PARTNER
    )
    membership = Membership(
        user=user,
        sponsorship=sponsorship,
        status=status,
        consent_version=consent_version,
        consent_text=consent_text,
        consented_at=consented_at,
        shared_data=shared_snapshot(user=user, sponsorship=sponsorship),
        previous_member_number=previous_number or "",
    )
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as exc:  # the partial unique constraint: a live one already exists
        raise AlreadyMember() from exc
    audit_record(actor=actor, obj=membership, action=action, changes={"status": [None, status]})
    notify_employee(
        user=user,
        kind=NotificationKind.MEMBERSHIP_RECEIVED,
        payload=_employee_payload(membership),
        key=f"membership:{membership.pk}:received",
    )
    if status == MembershipStatus.PENDING_PARTNER:
        _share_with_partner(membership)
    return membership


def _lock_active_user(*, user, sponsorship: Sponsorship) -> None:
    """Lock the claimant's row and re-read whether the account is still active: someone
    being deprovisioned holds this lock until their revocations are committed."""
    still_active = list(
        get_user_model()
        .objects.select_for_update(no_key=True)
        .filter(pk=user.pk, is_active=True)
        .values_list("pk", flat=True)
    )
    if not still_active:
        raise NotEligible(eligibility_reason(code=INACTIVE, sponsorship=sponsorship))


def _lock_for_consenting_non_member(*, user, sponsorship: Sponsorship, consent_version: str):
    """The checks shared by claiming and joining the waitlist: consent to the current text,
    eligibility (no lock needed), then the sponsorship lock, then no live membership yet.

    Returns the locked sponsorship and its live memberships."""
    if not consent_version:
        raise ConsentRequired()
    eligibility_check(user=user, sponsorship=sponsorship)
    _lock_active_user(user=user, sponsorship=sponsorship)
    sponsorship = _lock_sponsorship(sponsorship_id=sponsorship.pk)
    if consent_version != sponsorship.consent_version:
        raise ConsentRequired(
            _("The consent text has changed since you opened the page. Please read it again.")
        )
    live = sponsorship.memberships.filter(status__in=LIVE_MEMBERSHIP_STATUSES)
    existing = live.filter(user=user).first()
    if existing is not None:
        raise AlreadyMember(membership=existing)
    return sponsorship, live


@transaction.atomic(durable=True)
def membership_claim(*, user, sponsorship: Sponsorship, consent_version: str) -> Membership:
    """Claim one seat of `sponsorship` for `user`, recording consent, and notify the partner.

    Locks the sponsorship row before counting seats; the partial unique constraint backs up
    the one-live-membership rule. A repeat claim raises AlreadyMember with the existing one."""
    sponsorship, live = _lock_for_consenting_non_member(
        user=user, sponsorship=sponsorship, consent_version=consent_version
    )
    if sponsorship.seats is not None and live.count() >= sponsorship.seats:
        raise SeatsExhausted()
    membership = _membership_create(
        user=user,
        sponsorship=sponsorship,
        consent_version=sponsorship.consent_version,
        consent_text=sponsorship.consent_text,
        consented_at=timezone.now(),
        actor=user,
        action="claimed",
    )
    SeatWaitlistEntry.objects.filter(
        user=user, sponsorship=sponsorship, status=WaitlistStatus.WAITING
    ).update(status=WaitlistStatus.OFFERED, offered_at=timezone.now(), membership=membership)
    return membership


@transaction.atomic(durable=True)
def membership_approve(*, membership: Membership, actor) -> Membership:
    """An admin approves a pending claim: it goes to the partner. Idempotent."""
    membership = _lock_membership(membership=membership)
    if membership.approved_at is not None and membership.is_live:
        return membership
    if membership.status != MembershipStatus.PENDING_APPROVAL:
        raise InvalidTransition()
    _set_status(
        membership,
        status=MembershipStatus.PENDING_PARTNER,
        actor=actor,
        action="approved",
        approved_at=timezone.now(),
    )
    notify_employee(
        user=membership.user,
        kind=NotificationKind.MEMBERSHIP_APPROVED,
        payload=_employee_payload(membership),
        key=f"membership:{membership.pk}:approved",
    )
    _share_with_partner(membership)
    return membership


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise MembershipError(_("Please give a reason."))
    return reason


@transaction.atomic(durable=True)
def membership_decline(*, membership: Membership, actor, reason: str) -> Membership:
    """An admin declines a pending claim; the seat goes to the next in line. Idempotent."""
    reason = _require_reason(reason)
    membership = _lock_membership(membership=membership)
    if membership.status == MembershipStatus.DECLINED:
        return membership
    if membership.status != MembershipStatus.PENDING_APPROVAL:
        raise InvalidTransition()
    _set_status(
        membership,
        status=MembershipStatus.DECLINED,
        actor=actor,
        action="declined",
        reason=reason,
        ended_at=timezone.now(),
        end_reason=reason,
    )
    notify_employee(
        user=membership.user,
        kind=NotificationKind.MEMBERSHIP_DECLINED,
        payload=_employee_payload(membership),
        key=f"membership:{membership.pk}:declined",
    )
    _offer_freed_seats(sponsorship=membership.sponsorship)
    return membership


def clean_member_number(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MembershipError(_("A member number is required."))
    value = value.strip()
    if len(value) > MEMBER_NUMBER_MAX_LENGTH or not value.isprintable():
        raise MembershipError(
            _("A member number has at most %(n)s printable characters.")
            % {"n": MEMBER_NUMBER_MAX_LENGTH}
        )
    return value


@transaction.atomic(durable=True)
def membership_activate(*, membership: Membership, member_number: str, actor=None) -> Membership:
    """The partner (API) or an admin confirms the membership with the partner's number.

    Idempotent: activating again with the same number changes nothing and sends nothing."""
    member_number = clean_member_number(member_number)
    membership = _lock_membership(membership=membership)
    if membership.status == MembershipStatus.ACTIVE:
        if membership.member_number == member_number:
            return membership
        raise InvalidTransition(_("This membership is already active with another member number."))
    if membership.status != MembershipStatus.PENDING_PARTNER:
        raise InvalidTransition()
    _set_status(
        membership,
        status=MembershipStatus.ACTIVE,
        actor=actor,
        action="activated",
        member_number=member_number,
        activated_at=timezone.now(),
    )
    notify_employee(
        user=membership.user,
        kind=NotificationKind.MEMBERSHIP_ACTIVE,
        payload=_employee_payload(membership),
        key=f"membership:{membership.pk}:active",
    )
    return membership


def _end(
    membership: Membership,
    *,
    status: str,
    actor,
    reason: str,
    employee_kind: str,
    partner_kind: str,
    offer_seat: bool = True,
) -> Membership:
    """End a live membership (caller holds the locks): audit, notify, free the seat."""
    _set_status(
        membership,
        status=status,
        actor=actor,
        action=status,
        reason=reason,
        ended_at=timezone.now(),
        end_reason=reason,
    )
    if membership.shared_at is not None:  # the partner only hears of what it was told of
        notify_partner(
            partner=membership.sponsorship.partner,
            kind=partner_kind,
            payload=_partner_payload(membership, status=status, ended_at=_iso(membership.ended_at)),
            key=f"membership:{membership.pk}:{status}",
        )
    notify_employee(
        user=membership.user,
        kind=employee_kind,
        payload=_employee_payload(membership),
        key=f"membership:{membership.pk}:{status}",
    )
    if offer_seat:
        _offer_freed_seats(sponsorship=membership.sponsorship)
    return membership


@transaction.atomic(durable=True)
def membership_release(*, membership: Membership, user) -> Membership:
    """The employee gives their membership up; the partner is told and the seat freed.

    Idempotent: releasing a released membership returns it unchanged."""
    membership = _lock_membership(membership=membership)
    if membership.user_id != user.pk:
        raise InvalidTransition()
    if membership.status == MembershipStatus.RELEASED:
        return membership
    if not membership.is_live:
        raise InvalidTransition()
    return _end(
        membership,
        status=MembershipStatus.RELEASED,
        actor=user,
        reason=_("Released by the employee."),
        employee_kind=NotificationKind.MEMBERSHIP_RELEASED,
        partner_kind=NotificationKind.PARTNER_MEMBER_RELEASED,
    )


def _revoke_locked(membership: Membership, *, actor, reason: str) -> Membership:
    return _end(
        membership,
        status=MembershipStatus.REVOKED,
        actor=actor,
        reason=reason,
        employee_kind=NotificationKind.MEMBERSHIP_REVOKED,
        partner_kind=NotificationKind.PARTNER_MEMBER_REVOKED,
    )


@transaction.atomic(durable=True)
def membership_revoke(*, membership: Membership, actor, reason: str) -> Membership:
    """An admin ends a live membership, with a reason. Idempotent."""
    reason = _require_reason(reason)
    membership = _lock_membership(membership=membership)
    if membership.status == MembershipStatus.REVOKED:
        return membership
    if not membership.is_live:
        raise InvalidTransition()
    return _revoke_locked(membership, actor=actor, reason=reason)


@transaction.atomic
def memberships_revoke(*, memberships, actor, reason: str) -> list[Membership]:
    """Revoke several live memberships inside the caller's transaction (roster import,
    leaving the company). Already-ended ones are skipped."""
    reason = _require_reason(reason)
    revoked = []
    for membership in sorted(memberships, key=lambda m: (m.sponsorship_id, m.pk)):
        locked = _lock_membership(membership=membership)
        if locked.is_live:
            revoked.append(_revoke_locked(locked, actor=actor, reason=reason))
    return revoked


def membership_revoke_all_for_user(*, user, reason: str, actor=None) -> list[Membership]:
    """Revoke every live membership of someone who left the company (roster or IdP).

    Runs in the caller's transaction if there is one. Idempotent."""
    live = list(Membership.objects.filter(user=user, status__in=LIVE_MEMBERSHIP_STATUSES))
    if not live:
        return []
    return memberships_revoke(memberships=live, actor=actor, reason=reason)


@transaction.atomic
def memberships_expire_ended(*, today: datetime.date | None = None) -> int:
    """Expire every live membership whose sponsorship's term ended before `today`.

    Idempotent (run daily); returns how many memberships it expired."""
    today = today or timezone.localdate()
    sponsorship_ids = sorted(
        set(
            Membership.objects.filter(
                status__in=LIVE_MEMBERSHIP_STATUSES, sponsorship__ends_on__lt=today
            ).values_list("sponsorship_id", flat=True)
        )
    )
    expired = 0
    for sponsorship_id in sponsorship_ids:
        sponsorship = _lock_sponsorship(sponsorship_id=sponsorship_id)
        rows = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(sponsorship=sponsorship, status__in=LIVE_MEMBERSHIP_STATUSES)
            .order_by("pk")
        )
        for membership in rows:
            membership.sponsorship = sponsorship
            _end(
                membership,
                status=MembershipStatus.EXPIRED,
                actor=None,
                reason=_("The sponsorship's term ended."),
                employee_kind=NotificationKind.MEMBERSHIP_EXPIRED,
                partner_kind=NotificationKind.PARTNER_MEMBER_EXPIRED,
                offer_seat=False,
            )
            expired += 1
        sponsorship.waitlist_entries.filter(status=WaitlistStatus.WAITING).update(
            status=WaitlistStatus.LEFT
        )
    return expired


# The seat waitlist


@transaction.atomic(durable=True)
def waitlist_join(*, user, sponsorship: Sponsorship, consent_version: str) -> SeatWaitlistEntry:
    """Queue `user` for the next free seat, keeping their consent so the seat can be
    claimed for them at once. Idempotent: a second call returns the same entry."""
    sponsorship, live = _lock_for_consenting_non_member(
        user=user, sponsorship=sponsorship, consent_version=consent_version
    )
    waiting = sponsorship.waitlist_entries.filter(user=user, status=WaitlistStatus.WAITING).first()
    if waiting is not None:
        return waiting
    if sponsorship.seats is None or live.count() < sponsorship.seats:
        raise MembershipError(_("A seat is free, so you can claim the membership right away."))
    entry = SeatWaitlistEntry.objects.create(
        user=user,
        sponsorship=sponsorship,
        consent_version=sponsorship.consent_version,
        consent_text=sponsorship.consent_text,
        consented_at=timezone.now(),
    )
    audit_record(actor=user, obj=sponsorship, action="waitlist_joined", changes={"user": user.pk})
    return entry


@transaction.atomic(durable=True)
def waitlist_leave(*, user, sponsorship: Sponsorship) -> int:
    """Take `user` off the waitlist of `sponsorship`. Idempotent; returns rows changed."""
    return SeatWaitlistEntry.objects.filter(
        user=user, sponsorship=sponsorship, status=WaitlistStatus.WAITING
    ).update(status=WaitlistStatus.LEFT)


def _offer_freed_seats(*, sponsorship: Sponsorship) -> None:
    """Give free seats to the first in line (caller holds the sponsorship lock).

    Someone who consented to the current text gets the membership claimed for them;
    someone who is no longer eligible loses their place."""
    today = timezone.localdate()
    if today > sponsorship.ends_on:
        return
    queue = sponsorship.waitlist_entries.select_for_update(of=("self",)).select_related("user")
    while sponsorship.seats is None or seats_used(sponsorship=sponsorship) < sponsorship.seats:
        entry = queue.filter(status=WaitlistStatus.WAITING).order_by("created_at", "pk").first()
        if entry is None:
            return
        user = entry.user
        is_member = sponsorship.memberships.filter(
            user=user, status__in=LIVE_MEMBERSHIP_STATUSES
        ).exists()
        code = eligibility_code(user=user, sponsorship=sponsorship)
        if is_member or code != ELIGIBLE:
            entry.status = WaitlistStatus.LEFT
            entry.save(update_fields=["status"])
            continue
        entry.status = WaitlistStatus.OFFERED
        entry.offered_at = timezone.now()
        is_claimed = entry.consent_version == sponsorship.consent_version
        if is_claimed:
            entry.membership = _membership_create(
                user=user,
                sponsorship=sponsorship,
                consent_version=entry.consent_version,
                consent_text=entry.consent_text,
                consented_at=entry.consented_at,
                actor=None,
                action="claimed_from_waitlist",
            )
        entry.save(update_fields=["status", "offered_at", "membership"])
        notify_employee(
            user=user,
            kind=NotificationKind.SEAT_OFFERED,
            payload={
                "name": user.display_name,
                "sponsorship": sponsorship.name,
                "partner": sponsorship.partner.name,
                "is_claimed": is_claimed,
                "membership_url": _membership_url(),
                "contact_email": sponsorship.contact_email,
            },
            key=f"seat-waitlist:{entry.pk}:offered",
        )
        if not is_claimed:
            # The consent text changed since they joined: they must claim it themselves,
            # so nobody else is offered this seat until someone claims it.
            return
