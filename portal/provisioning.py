"""What the company's directory decides about a person, applied here: leaving (deprovision),
coming back, group changes (staff rights at once, memberships after a grace period) and the
end of every session of someone who lost access.

Called by the SCIM service provider (`portal/scim/`) and by sign-in (`portal/services.py`).
Lock order: the user row first, then what the membership and event services lock."""

from __future__ import annotations

import datetime
import logging
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from memberships.enums import LIVE_MEMBERSHIP_STATUSES, NotificationKind
from memberships.exceptions import InvalidTransition
from memberships.models import Membership
from memberships.selectors.eligibility import (
    NOT_IN_GROUP,
    NOT_IN_GROUP_OR_ROSTER,
    NOT_ON_ROSTER,
    ROSTER_INELIGIBLE,
    eligibility_code,
    eligibility_reason,
)
from memberships.services.audit import audit_record
from memberships.services.claims import membership_revoke, membership_revoke_all_for_user
from memberships.services.events import registrations_cancel_future_for_user
from memberships.services.locks import user_lock
from memberships.services.notifications import notify_employee

from .models import EligibilityGrace, User

logger = logging.getLogger(__name__)

# The codes that mean "the directory no longer vouches for this person" (dates and seats
# are not the person's eligibility and are handled elsewhere).
LOST_ELIGIBILITY = {NOT_IN_GROUP, NOT_IN_GROUP_OR_ROSTER, NOT_ON_ROSTER, ROSTER_INELIGIBLE}


def left_the_company_reason() -> str:
    return _("Left the company")


def is_staff_by_groups(groups: list[str]) -> bool:
    return bool(set(groups) & set(settings.STAFF_GROUPS))


def sessions_end(*, user: User) -> None:
    """End every session of `user` at its next request (raises the session generation)."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


def _lock_user(user: User) -> User:
    return user_lock(user_id=user.pk)


def staff_apply(*, user: User, groups: list[str]) -> bool:
    """Grant or withdraw admin rights from the IdP groups; losing them ends every session.

    Runs in the caller's transaction. The break-glass superuser is never touched. Returns
    whether the person lost admin rights now."""
    if user.is_superuser:
        return False
    is_staff = is_staff_by_groups(groups) and user.is_active
    was_staff = user.is_staff
    admins, _created = Group.objects.get_or_create(name=settings.PROGRAMME_ADMINS_GROUP)
    if is_staff != was_staff:
        User.objects.filter(pk=user.pk).update(is_staff=is_staff)
        user.is_staff = is_staff
    if is_staff:
        user.groups.add(admins)
    else:
        user.groups.remove(admins)
    if was_staff and not is_staff:
        sessions_end(user=user)
        logger.info("user %s lost admin rights; their sessions were ended", user.pk)
        return True
    return False


@transaction.atomic
def user_deprovision(*, user: User, actor_label: str) -> User:
    """The directory says this person left: lock the account, end every session, remove
    admin rights, revoke live memberships (partners and the person told, seats offered to
    the waitlist) and cancel every future event registration (waitlists promoted), all in
    the caller's transaction. Idempotent: a second call changes and sends nothing."""
    user = _lock_user(user)
    was_active = user.is_active
    if was_active or user.is_staff:
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        staff_apply(user=user, groups=[])
        sessions_end(user=user)
    reason = left_the_company_reason()
    revoked = membership_revoke_all_for_user(user=user, reason=reason)
    cancelled = registrations_cancel_future_for_user(user=user)
    EligibilityGrace.objects.filter(membership__user=user).delete()
    if was_active or revoked or cancelled:
        audit_record(
            actor=None,
            actor_label=actor_label,
            obj=user,
            action="deprovisioned",
            changes={
                "is_active": [was_active, False],
                "memberships_revoked": [str(m.public_id) for m in revoked],
                "registrations_cancelled": [r.pk for r in cancelled],
            },
            reason=reason,
        )
        logger.info(
            "user %s deprovisioned by %s: %s memberships revoked, %s registrations cancelled",
            user.pk,
            actor_label,
            len(revoked),
            len(cancelled),
        )
    return user


@transaction.atomic
def user_reactivate(*, user: User, actor_label: str) -> User:
    """The directory lists this person as active again: the account works again; ended
    memberships stay ended (they claim again). Idempotent."""
    user = _lock_user(user)
    if not user.is_active:
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        staff_apply(user=user, groups=user.idp_groups or [])
        audit_record(
            actor=None,
            actor_label=actor_label,
            obj=user,
            action="reactivated",
            changes={"is_active": [False, True]},
        )
    return user


def _when(moment: datetime.datetime, user: User) -> str:
    zone = user.time_zone or settings.TIME_ZONE
    local = timezone.localtime(moment, timezone=_zone(zone))
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({zone})"


def _zone(name: str):
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _grace_start(*, membership: Membership, code: str, actor_label: str) -> EligibilityGrace:
    ends_at = timezone.now() + datetime.timedelta(days=settings.ELIGIBILITY_GRACE_DAYS)
    grace, created = EligibilityGrace.objects.get_or_create(
        membership=membership, defaults={"ends_at": ends_at}
    )
    if not created:
        return grace
    sponsorship = membership.sponsorship
    reason = eligibility_reason(code=code, sponsorship=sponsorship)
    audit_record(
        actor=None,
        actor_label=actor_label,
        obj=membership,
        action="eligibility_lost",
        changes={"grace_ends_at": [None, grace.ends_at.isoformat()]},
        reason=reason,
    )
    notify_employee(
        user=membership.user,
        kind=NotificationKind.MEMBERSHIP_GRACE,
        payload={
            "name": membership.user.display_name,
            "sponsorship": sponsorship.name,
            "partner": sponsorship.partner.name,
            "ends_at": grace.ends_at.isoformat(),
            "ends_at_display": _when(grace.ends_at, membership.user),
            "reason": reason,
            # The e-mail states the reason again in its reader's language, from the code.
            "reason_code": code,
            "sponsorship_id": sponsorship.pk,
            "contact_email": sponsorship.contact_email,
        },
        key=f"membership:{membership.pk}:grace:{grace.pk}",
    )
    return grace


def eligibility_review(*, user: User, actor_label: str) -> dict[str, int]:
    """Re-check each live membership of `user` against their current groups and rosters:
    a lost eligibility starts a grace period (and e-mails them the end date), a regained
    one cancels it. Runs in the caller's transaction. Idempotent."""
    started = cancelled = 0
    memberships = Membership.objects.filter(
        user=user, status__in=LIVE_MEMBERSHIP_STATUSES
    ).select_related("sponsorship__partner", "user")
    for membership in memberships:
        code = eligibility_code(user=user, sponsorship=membership.sponsorship)
        if code in LOST_ELIGIBILITY:
            if not EligibilityGrace.objects.filter(membership=membership).exists():
                _grace_start(membership=membership, code=code, actor_label=actor_label)
                started += 1
        elif EligibilityGrace.objects.filter(membership=membership).delete()[0]:
            audit_record(
                actor=None,
                actor_label=actor_label,
                obj=membership,
                action="eligibility_regained",
            )
            cancelled += 1
    return {"started": started, "cancelled": cancelled}


@transaction.atomic
def user_groups_apply(*, user: User, groups: list[str], actor_label: str) -> User:
    """The directory changed this person's groups: staff rights follow at once (losing them
    ends every session), memberships follow through `eligibility_review`."""
    user = _lock_user(user)
    groups = sorted(set(groups))
    if groups != sorted(user.idp_groups or []):
        User.objects.filter(pk=user.pk).update(idp_groups=groups)
        user.idp_groups = groups
    staff_apply(user=user, groups=groups)
    if user.is_active:
        eligibility_review(user=user, actor_label=actor_label)
    return user


def eligibility_graces_end(*, now: datetime.datetime | None = None) -> int:
    """End the memberships whose grace ran out (each in its own transaction), unless the
    person became eligible again. Idempotent (run daily); returns how many it revoked."""
    now = now or timezone.now()
    revoked = 0
    due = EligibilityGrace.objects.filter(ends_at__lte=now).select_related(
        "membership__sponsorship", "membership__user"
    )
    for grace in list(due.order_by("pk")):
        membership = grace.membership
        code = eligibility_code(user=membership.user, sponsorship=membership.sponsorship)
        if membership.is_live and code in LOST_ELIGIBILITY:
            try:
                membership_revoke(
                    membership=membership,
                    actor=None,
                    reason=eligibility_reason(code=code, sponsorship=membership.sponsorship),
                )
                revoked += 1
            except InvalidTransition:
                logger.info("membership %s ended meanwhile; grace dropped", membership.pk)
        grace.delete()
    return revoked
