"""Claiming a sponsored membership and every later change of its status.

Seats are scarce: every operation that takes or frees one locks the sponsorship row first
(then the membership row), so counts are exact under concurrency and locks are always taken
in the same order. A claim locks the claimant's user row before any of them, as leaving
the company does, so a claim in flight and a deprovisioning happen one after the other.
Each change writes its audit entry and its notifications in the same transaction."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..capacity import has_place
from ..enums import LIVE_MEMBERSHIP_STATUSES, MembershipStatus, NotificationKind, WaitlistStatus
from ..exceptions import (
    AlreadyMember,
    ConsentRequired,
    InvalidTransition,
    MembershipError,
    NotEligible,
    SeatsBelowLive,
    SeatsExhausted,
)
from ..models import Membership, RosterEntry, SeatWaitlistEntry, Sponsorship
from ..models.memberships import MEMBER_NUMBER_MAX_LENGTH
from ..models.sponsorships import CONSENT_LABEL_MAX_LENGTH
from ..selectors.claims import claim_is_overdue, idle_claims
from ..selectors.eligibility import (
    ELIGIBLE,
    INACTIVE,
    eligibility_check,
    eligibility_code,
    eligibility_reason,
    seats_used,
)
from .audit import audit_record, audit_value
from .events import registrations_cancel_members_only
from .locks import active_user_lock, live_memberships_lock, membership_lock, sponsorship_lock
from .notifications import notify_employee, notify_partner, notify_programme

# Memberships of an ending term that the renewal and idle-claim sweeps look at.
IDLE_REMINDER_INTERVAL = datetime.timedelta(days=7)


def _membership_url() -> str:
    return f"{settings.SITE_URL}{reverse('memberships:membership')}"


def _iso(value: datetime.datetime | datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def shared_snapshot(*, user, fields) -> dict:
    """The consented `fields` of `user` with their current values: exactly what the partner
    gets."""
    return {field: str(getattr(user, field, "") or "") for field in fields}


def partner_member_data(membership: Membership) -> dict:
    """Every partner payload that names member fields is built from this: the consented
    set only (`Membership.partner_data`)."""
    return membership.partner_data


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
        "member": partner_member_data(membership),
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


def _renewable_membership(*, user, sponsorship: Sponsorship) -> Membership | None:
    """The person's live membership of the term that `sponsorship` renews, if any."""
    if sponsorship.renewed_from_id is None:
        return None
    return (
        Membership.objects.filter(
            user=user,
            sponsorship_id=sponsorship.renewed_from_id,
            status__in=LIVE_MEMBERSHIP_STATUSES,
        )
        .order_by("-claimed_at")
        .first()
    )


def _membership_renew(
    previous: Membership,
    *,
    sponsorship: Sponsorship,
    consent_version: str,
    consent_text: str,
    consent_fields: list,
    consented_at: datetime.datetime,
    actor,
) -> Membership:
    """The active member of the previous term continues in `sponsorship` with the same member
    number: no new approval, no new activation. The previous membership expires with its
    term as usual. Caller holds the lock of `sponsorship`."""
    now = timezone.now()
    membership = Membership(
        user=previous.user,
        sponsorship=sponsorship,
        status=MembershipStatus.ACTIVE,
        member_number=previous.member_number,
        previous_member_number=previous.member_number,
        consent_version=consent_version,
        consent_text=consent_text,
        consent_fields=list(consent_fields),
        consented_at=consented_at,
        shared_data=shared_snapshot(user=previous.user, fields=consent_fields),
        shared_at=now,
        approved_at=now if sponsorship.requires_approval else None,
        activated_at=now,
    )
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as exc:
        raise AlreadyMember() from exc
    audit_record(
        actor=actor,
        obj=membership,
        action="renewed",
        changes={"status": [None, membership.status], "renews": previous.pk},
    )
    notify_employee(
        user=membership.user,
        kind=NotificationKind.MEMBERSHIP_RENEWED,
        payload=_employee_payload(membership, starts_on=_iso(sponsorship.starts_on)),
        key=f"membership:{membership.pk}:renewed",
    )
    notify_partner(
        partner=sponsorship.partner,
        kind=NotificationKind.PARTNER_MEMBER_RENEWED,
        payload=_partner_payload(
            membership,
            member=partner_member_data(membership),
            previous_membership_id=str(previous.public_id),
            term_starts_on=_iso(sponsorship.starts_on),
            term_ends_on=_iso(sponsorship.ends_on),
        ),
        key=f"membership:{membership.pk}:renewed",
    )
    return membership


def _membership_create(
    *,
    user,
    sponsorship: Sponsorship,
    consent_version: str,
    consent_text: str,
    consent_fields: list,
    consented_at: datetime.datetime,
    actor,
    action: str,
) -> Membership:
    """Insert a live membership; the caller holds the sponsorship lock and checked the seats.

    Renewing an active membership of the previous term keeps its member number and makes
    the new one active at once (the partner is told it is a renewal)."""
    renewed = _renewable_membership(user=user, sponsorship=sponsorship)
    if renewed is not None and renewed.status == MembershipStatus.ACTIVE:
        return _membership_renew(
            renewed,
            sponsorship=sponsorship,
            consent_version=consent_version,
            consent_text=consent_text,
            consent_fields=consent_fields,
            consented_at=consented_at,
            actor=actor,
        )
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
        consent_fields=list(consent_fields),
        consented_at=consented_at,
        shared_data=shared_snapshot(user=user, fields=consent_fields),
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
    # Someone being deprovisioned holds this lock until their revocations are committed.
    if not active_user_lock(user_id=user.pk):
        raise NotEligible(eligibility_reason(code=INACTIVE, sponsorship=sponsorship))


def _lock_for_consenting_non_member(*, user, sponsorship: Sponsorship, consent_version: str):
    """The checks shared by claiming and joining the waitlist: consent to the current text,
    eligibility (no lock needed), then the sponsorship lock, then no live membership yet.

    Returns the locked sponsorship and its live memberships."""
    if not consent_version:
        raise ConsentRequired()
    is_renewal = _renewable_membership(user=user, sponsorship=sponsorship) is not None
    eligibility_check(user=user, sponsorship=sponsorship, is_renewal=is_renewal)
    _lock_active_user(user=user, sponsorship=sponsorship)
    sponsorship = sponsorship_lock(sponsorship_id=sponsorship.pk)
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
        consent_fields=sponsorship.shared_fields,
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
    membership = membership_lock(membership=membership)
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
    membership = membership_lock(membership=membership)
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
    membership = membership_lock(membership=membership)
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
    employee_extra: dict | None = None,
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
        payload=_employee_payload(membership, **(employee_extra or {})),
        key=f"membership:{membership.pk}:{status}",
    )
    partner = membership.sponsorship.partner
    registrations_cancel_members_only(
        user=membership.user,
        partner=partner,
        reason=_("Your membership of %(partner)s ended, and this event is for its members only.")
        % {"partner": partner.name},
    )
    if offer_seat:
        _offer_freed_seats(sponsorship=membership.sponsorship)
    return membership


@transaction.atomic(durable=True)
def membership_release(*, membership: Membership, user) -> Membership:
    """The employee gives their membership up; the partner is told and the seat freed.

    Idempotent: releasing a released membership returns it unchanged."""
    membership = membership_lock(membership=membership)
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
    membership = membership_lock(membership=membership)
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
        locked = membership_lock(membership=membership)
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
        sponsorship = sponsorship_lock(sponsorship_id=sponsorship_id)
        for membership in live_memberships_lock(sponsorship=sponsorship):
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
        consent_fields=list(sponsorship.shared_fields),
        consented_at=timezone.now(),
    )
    audit_record(actor=user, obj=sponsorship, action="waitlist_joined", changes={"user": user.pk})
    notify_employee(
        user=user,
        kind=NotificationKind.SEAT_WAITLIST_JOINED,
        payload=_waitlist_payload(entry, sponsorship=sponsorship),
        key=f"seat-waitlist:{entry.pk}:joined",
    )
    return entry


def _waitlist_payload(entry: SeatWaitlistEntry, *, sponsorship: Sponsorship) -> dict:
    ahead = sponsorship.waitlist_entries.filter(status=WaitlistStatus.WAITING).filter(
        models.Q(created_at__lt=entry.created_at)
        | models.Q(created_at=entry.created_at, pk__lt=entry.pk)
    )
    return {
        "name": entry.user.display_name,
        "sponsorship": sponsorship.name,
        "partner": sponsorship.partner.name,
        "position": ahead.count() + 1 if entry.status == WaitlistStatus.WAITING else None,
        "membership_url": _membership_url(),
        "contact_email": sponsorship.contact_email,
    }


@transaction.atomic(durable=True)
def waitlist_leave(*, user, sponsorship: Sponsorship) -> int:
    """Take `user` off the waitlist of `sponsorship` and confirm it by e-mail. Idempotent;
    returns rows changed."""
    sponsorship = sponsorship_lock(sponsorship_id=sponsorship.pk)
    # The sponsorship lock serialises every change of its waitlist.
    entries = list(
        SeatWaitlistEntry.objects.select_related("user").filter(
            user=user, sponsorship=sponsorship, status=WaitlistStatus.WAITING
        )
    )
    for entry in entries:
        entry.status = WaitlistStatus.LEFT
        entry.save(update_fields=["status"])
        notify_employee(
            user=user,
            kind=NotificationKind.SEAT_WAITLIST_LEFT,
            payload=_waitlist_payload(entry, sponsorship=sponsorship),
            key=f"seat-waitlist:{entry.pk}:left",
        )
    return len(entries)


def _still_waiting_for(entry: SeatWaitlistEntry, sponsorship: Sponsorship) -> bool:
    """Whether the person at the head of the line should still get a seat: not if they hold
    a live membership already or are no longer eligible (then they leave the line)."""
    is_member = sponsorship.memberships.filter(
        user=entry.user, status__in=LIVE_MEMBERSHIP_STATUSES
    ).exists()
    if is_member or eligibility_code(user=entry.user, sponsorship=sponsorship) != ELIGIBLE:
        entry.status = WaitlistStatus.LEFT
        entry.save(update_fields=["status"])
        return False
    return True


def _offer_seat(entry: SeatWaitlistEntry, sponsorship: Sponsorship) -> bool:
    """Offer the seat and e-mail the person. If they consented to the current text, the
    membership is claimed for them (True); otherwise they must claim it themselves (False)."""
    user = entry.user
    entry.status = WaitlistStatus.OFFERED
    entry.offered_at = timezone.now()
    is_claimed = entry.consent_version == sponsorship.consent_version
    if is_claimed:
        entry.membership = _membership_create(
            user=user,
            sponsorship=sponsorship,
            consent_version=entry.consent_version,
            consent_text=entry.consent_text,
            consent_fields=entry.consent_fields,
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
    return is_claimed


def _offer_freed_seats(*, sponsorship: Sponsorship) -> None:
    """Give free seats to the first in line, in order (caller holds the sponsorship lock)."""
    if timezone.localdate() > sponsorship.ends_on:
        return
    queue = sponsorship.waitlist_entries.select_for_update(of=("self",)).select_related("user")
    while has_place(limit=sponsorship.seats, used=seats_used(sponsorship=sponsorship)):
        entry = queue.filter(status=WaitlistStatus.WAITING).order_by("created_at", "pk").first()
        if entry is None:
            return
        if not _still_waiting_for(entry, sponsorship):
            continue
        if not _offer_seat(entry, sponsorship):
            # The consent text changed since they joined: they must claim it themselves,
            # so nobody else is offered this seat until someone claims it.
            return


# Sponsorships: seats, consent and renewal


def _sponsorship_validate(sponsorship: Sponsorship) -> None:
    try:
        sponsorship.full_clean()
    except ValidationError as exc:
        raise MembershipError(" ".join(exc.messages)) from exc


# Not durable: the admin calls it from save_model, inside the admin's own transaction.
@transaction.atomic
def sponsorship_create(*, sponsorship: Sponsorship, actor) -> Sponsorship:
    """Save a new sponsorship with its consent version derived from label, text and fields."""
    sponsorship.consent_version = sponsorship.derived_consent_version
    _sponsorship_validate(sponsorship)
    sponsorship.save()
    audit_record(actor=actor, obj=sponsorship, action="sponsorship_created")
    return sponsorship


# A change to any of these is a new consent version.
CONSENT_FIELDS = {"consent_text", "consent_label", "shared_fields"}
SPONSORSHIP_EDITABLE_FIELDS = (
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
    "consent_label",
    "fee",
    "fee_currency",
)


def seats_below_live_message(*, seats: int, live: int) -> str:
    return _(
        "%(live)s memberships are live, so the seats cannot go below %(live)s "
        "(you asked for %(seats)s). Revoke memberships first, or keep at least %(live)s seats."
    ) % {"live": live, "seats": seats}


# Not durable, for the same reason; the lock is taken here all the same.
@transaction.atomic
def sponsorship_update(*, sponsorship: Sponsorship, actor, data: dict) -> Sponsorship:
    """Apply `data` (field -> value) to a sponsorship. Locks the row before counting: fewer
    seats than live memberships is refused; more seats go to the seat waitlist in order, in
    this transaction. A new consent text, label or field list makes a new consent version;
    members keep the version and text they agreed to."""
    locked = sponsorship_lock(sponsorship_id=sponsorship.pk)
    changes = {}
    for field, value in data.items():
        if field not in SPONSORSHIP_EDITABLE_FIELDS:
            raise ValueError(f"{field} cannot be changed here")
        old = getattr(locked, field)
        if old != value:
            changes[field] = [audit_value(old), audit_value(value)]
            setattr(locked, field, value)
    if not changes:
        return locked
    if "seats" in changes and locked.seats is not None:
        live = seats_used(sponsorship=locked)
        if locked.seats < live:
            raise SeatsBelowLive(seats_below_live_message(seats=locked.seats, live=live))
    version = locked.derived_consent_version
    if CONSENT_FIELDS & set(changes) and version != locked.consent_version:
        changes["consent_version"] = [locked.consent_version, version]
        locked.consent_version = version
    _sponsorship_validate(locked)
    locked.save()
    audit_record(actor=actor, obj=locked, action="sponsorship_changed", changes=changes)
    if "seats" in changes:
        _offer_freed_seats(sponsorship=locked)
    return locked


def _next_slug(base: str) -> str:
    slug, n = base[:50], 1
    while Sponsorship.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base[:45]}-{n}"
    return slug


@transaction.atomic(durable=True)
def sponsorship_renew(
    *,
    sponsorship: Sponsorship,
    actor,
    starts_on: datetime.date,
    ends_on: datetime.date,
    consent_text: str = "",
    consent_label: str = "",
    seats: int | None = None,
    keep_seats: bool = True,
) -> Sponsorship:
    """Open the next term of `sponsorship`: a copy (partner, company, eligibility, roster,
    shared fields) with the new dates and the same or a new consent text. Its members can
    renew into it and keep their member number. Idempotent: a term renews once; a second
    call returns the existing renewal. Locks the sponsorship row."""
    locked = sponsorship_lock(sponsorship_id=sponsorship.pk)
    existing = Sponsorship.objects.filter(renewed_from=locked).first()
    if existing is not None:
        return existing
    if starts_on <= locked.ends_on:
        raise MembershipError(
            _("The next term must start after this one ends (%(ends)s).")
            % {"ends": locked.ends_on.isoformat()}
        )
    renewal = Sponsorship(
        partner=locked.partner,
        name=_("%(name)s (%(start)s–%(end)s)")
        % {"name": locked.name, "start": starts_on.year, "end": ends_on.year},
        slug=_next_slug(f"{locked.slug}-{starts_on.year}"),
        company=locked.company,
        tier=locked.tier,
        description=locked.description,
        seats=locked.seats if keep_seats else seats,
        starts_on=starts_on,
        ends_on=ends_on,
        eligible_groups=list(locked.eligible_groups),
        uses_roster=locked.uses_roster,
        requires_approval=locked.requires_approval,
        shared_fields=list(locked.shared_fields),
        consent_text=consent_text.strip() or locked.consent_text,
        consent_label=(consent_label.strip() or locked.consent_label)[:CONSENT_LABEL_MAX_LENGTH],
        contact_email=locked.contact_email,
        renewed_from=locked,
    )
    renewal.name = renewal.name[:200]
    renewal.consent_version = renewal.derived_consent_version
    _sponsorship_validate(renewal)
    renewal.save()
    RosterEntry.objects.bulk_create(
        RosterEntry(
            sponsorship=renewal,
            email=entry.email,
            employee_id=entry.employee_id,
            department=entry.department,
            is_eligible=entry.is_eligible,
        )
        for entry in locked.roster_entries.all()
    )
    audit_record(
        actor=actor, obj=renewal, action="sponsorship_renewed", changes={"renews": locked.pk}
    )
    return renewal


def _renewal_payload(membership: Membership, *, renewal: Sponsorship | None) -> dict:
    extra = {"has_renewal": renewal is not None}
    if renewal is not None:
        extra.update(
            renewal_name=renewal.name,
            renewal_starts_on=_iso(renewal.starts_on),
            renewal_ends_on=_iso(renewal.ends_on),
            is_consent_changed=renewal.consent_version != membership.consent_version,
        )
    return _employee_payload(membership, **extra)


def memberships_renewal_notices_send(*, today: datetime.date | None = None) -> int:
    """E-mail every live member whose term ends within RENEWAL_NOTICE_DAYS (once per
    membership: a compare-and-set on `renewal_notice_at`), and the programme team a summary
    per ending sponsorship (once, by its outbox key). Returns how many members were told."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.RENEWAL_NOTICE_DAYS)
    ending = list(
        Sponsorship.objects.filter(ends_on__gte=today, ends_on__lte=horizon)
        .select_related("partner", "renewal")
        .order_by("ends_on", "pk")
    )
    sent = 0
    for sponsorship in ending:
        renewal = getattr(sponsorship, "renewal", None)
        renewed_user_ids = (
            set(
                renewal.memberships.filter(status__in=LIVE_MEMBERSHIP_STATUSES).values_list(
                    "user_id", flat=True
                )
            )
            if renewal is not None
            else set()
        )
        due = sponsorship.memberships.filter(
            status__in=LIVE_MEMBERSHIP_STATUSES, renewal_notice_at__isnull=True
        ).select_related("user")
        for membership in due:
            if membership.user_id in renewed_user_ids:
                continue
            membership.sponsorship = sponsorship
            with transaction.atomic():
                claimed = Membership.objects.filter(
                    pk=membership.pk, renewal_notice_at__isnull=True
                ).update(renewal_notice_at=timezone.now())
                if claimed != 1:
                    continue
                notify_employee(
                    user=membership.user,
                    kind=NotificationKind.MEMBERSHIP_RENEWAL_NOTICE,
                    payload=_renewal_payload(membership, renewal=renewal),
                    key=f"membership:{membership.pk}:renewal-notice",
                )
            sent += 1
        with transaction.atomic():
            _programme_term_summary(sponsorship, renewal=renewal, today=today)
    return sent


def _programme_term_summary(sponsorship: Sponsorship, *, renewal, today) -> None:
    live = sponsorship.memberships.filter(status__in=LIVE_MEMBERSHIP_STATUSES)
    live_user_ids = set(live.values_list("user_id", flat=True))
    renewed = (
        renewal.memberships.filter(
            status__in=LIVE_MEMBERSHIP_STATUSES, user_id__in=live_user_ids
        ).count()
        if renewal is not None
        else 0
    )
    notify_programme(
        kind=NotificationKind.PROGRAMME_TERM_ENDING,
        payload={
            "sponsorship": sponsorship.name,
            "partner": sponsorship.partner.name,
            "ends_on": _iso(sponsorship.ends_on),
            "days_left": (sponsorship.ends_on - today).days,
            "live_count": len(live_user_ids),
            "renewed_count": renewed,
            "has_renewal": renewal is not None,
            "renewal_name": renewal.name if renewal is not None else "",
            "admin_url": settings.SITE_URL
            + reverse("admin:memberships_sponsorship_change", args=[sponsorship.pk]),
        },
        key=f"sponsorship:{sponsorship.pk}:term-ending",
    )


# Idle claims: the partner never activated them


def memberships_idle_remind(*, now: datetime.datetime | None = None) -> int:
    """Remind each partner of its overdue claims, at most once a week per claim (one message
    per partner and day, keyed so a second run that day sends nothing). Returns how many
    partners were reminded."""
    now = now or timezone.now()
    due = (
        idle_claims(now=now)
        .filter(
            models.Q(partner_reminded_at__isnull=True)
            | models.Q(partner_reminded_at__lte=now - IDLE_REMINDER_INTERVAL)
        )
        .select_related("sponsorship__partner")
        .order_by("sponsorship__partner_id", "shared_at", "pk")
    )
    by_partner: dict[int, list[Membership]] = {}
    for membership in due:
        by_partner.setdefault(membership.sponsorship.partner_id, []).append(membership)
    for claims in by_partner.values():
        partner = claims[0].sponsorship.partner
        with transaction.atomic():
            Membership.objects.filter(pk__in=[m.pk for m in claims]).update(partner_reminded_at=now)
            notify_partner(
                partner=partner,
                kind=NotificationKind.PARTNER_ACTIVATION_REMINDER,
                payload={
                    "partner_name": partner.name,
                    "activation_days": settings.PARTNER_ACTIVATION_DAYS,
                    "claims": [
                        {
                            "membership_id": str(m.public_id),
                            "sponsorship": m.sponsorship.name,
                            "sent_on": _iso(m.shared_at.date()),
                            "days_waiting": (now - m.shared_at).days,
                            "member": partner_member_data(m),
                        }
                        for m in claims
                    ],
                },
                key=f"partner:{partner.pk}:activation-reminder:{now.date().isoformat()}",
            )
    return len(by_partner)


@transaction.atomic(durable=True)
def membership_release_idle(*, membership: Membership, actor) -> Membership:
    """The programme team frees the seat of a claim the partner never activated (overdue
    only). The partner and the employee are told; the seat goes to the waitlist.
    Idempotent: a claim already ended is returned unchanged."""
    membership = membership_lock(membership=membership)
    if not membership.is_live:
        return membership
    if not claim_is_overdue(membership):
        raise InvalidTransition(_("Only claims overdue at the partner can be released here."))
    return _end(
        membership,
        status=MembershipStatus.RELEASED,
        actor=actor,
        reason=_(
            "%(partner)s did not activate the claim within %(days)s days; the programme team "
            "released it."
        )
        % {
            "partner": membership.sponsorship.partner.name,
            "days": settings.PARTNER_ACTIVATION_DAYS,
        },
        employee_kind=NotificationKind.MEMBERSHIP_RELEASED,
        partner_kind=NotificationKind.PARTNER_MEMBER_RELEASED,
        employee_extra={"is_released_by_programme": True},
    )
