"""What the admin index shows first: the work waiting for a person, with counts and links."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from ..enums import EventStatus, MembershipStatus, NotificationStatus, RegistrationStatus
from ..models import Event, Membership, Notification
from .claims import activation_cutoff

ACTIVATION_OVERDUE_PARAM = "activation_overdue"
WAITLIST_PARAM = "waitlist"


@dataclass(frozen=True)
class ActionItem:
    key: str
    count: int
    text: str
    url: str


def overdue_activations(qs: QuerySet[Membership], *, now=None) -> QuerySet[Membership]:
    """Claims the partner has had for longer than PARTNER_ACTIVATION_DAYS (the one rule of
    `selectors.claims.idle_claims`, applied to `qs`)."""
    return qs.filter(
        status=MembershipStatus.PENDING_PARTNER, shared_at__lt=activation_cutoff(now=now)
    )


def full_events_with_waitlists(qs: QuerySet[Event], *, now=None) -> QuerySet[Event]:
    """Upcoming published events with people waiting for a seat."""
    now = now or timezone.now()
    waiting = Event.objects.filter(registrations__status=RegistrationStatus.WAITLISTED)
    return qs.filter(Q(pk__in=waiting.values("pk")), status=EventStatus.PUBLISHED, ends_at__gt=now)


def admin_action_items(*, user, now=None) -> list[ActionItem]:
    """Counts (one query each) of what needs someone, for the models `user` may view."""
    items = []
    if user.has_perm("memberships.view_membership"):
        memberships = reverse("admin:memberships_membership_changelist")
        to_approve = Membership.objects.filter(status=MembershipStatus.PENDING_APPROVAL).count()
        items.append(
            ActionItem(
                "claims_to_approve",
                to_approve,
                ngettext(
                    "%(count)d claim waits for approval",
                    "%(count)d claims wait for approval",
                    to_approve,
                )
                % {"count": to_approve},
                f"{memberships}?status__exact={MembershipStatus.PENDING_APPROVAL}",
            )
        )
        overdue = overdue_activations(Membership.objects.all(), now=now).count()
        items.append(
            ActionItem(
                "overdue_activations",
                overdue,
                ngettext(
                    "%(count)d partner activation is overdue (more than %(days)d days)",
                    "%(count)d partner activations are overdue (more than %(days)d days)",
                    overdue,
                )
                % {"count": overdue, "days": settings.PARTNER_ACTIVATION_DAYS},
                f"{memberships}?{ACTIVATION_OVERDUE_PARAM}=yes",
            )
        )
    if user.has_perm("memberships.view_notification"):
        dead = Notification.objects.filter(status=NotificationStatus.DEAD).count()
        items.append(
            ActionItem(
                "dead_notifications",
                dead,
                ngettext(
                    "%(count)d notification could not be delivered",
                    "%(count)d notifications could not be delivered",
                    dead,
                )
                % {"count": dead},
                reverse("admin:memberships_notification_changelist")
                + f"?status__exact={NotificationStatus.DEAD}",
            )
        )
    if user.has_perm("memberships.view_event"):
        full = full_events_with_waitlists(Event.objects.all(), now=now).count()
        items.append(
            ActionItem(
                "full_events",
                full,
                ngettext(
                    "%(count)d upcoming event has a waitlist",
                    "%(count)d upcoming events have a waitlist",
                    full,
                )
                % {"count": full},
                reverse("admin:memberships_event_changelist") + f"?{WAITLIST_PARAM}=yes",
            )
        )
    return items
