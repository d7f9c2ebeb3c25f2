"""Everything the portal holds about one person, for "Download my data": their profile,
memberships with the consent text and the data receipt, seat waitlist places, event
registrations, the calendar feed, notifications sent to them, and notifications and audit
entries about them. A constant number of queries, whatever the history."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.db.models import Q

from ..enums import NotificationKind, NotificationRecipient
from ..models import (
    AuditEntry,
    CalendarFeed,
    Membership,
    Notification,
    Registration,
    SeatWaitlistEntry,
)

# Partner notices that carry one membership (by its public id in the payload).
MEMBERSHIP_NOTICE_KINDS = (
    NotificationKind.PARTNER_MEMBER_CLAIMED,
    NotificationKind.PARTNER_MEMBER_RELEASED,
    NotificationKind.PARTNER_MEMBER_REVOKED,
    NotificationKind.PARTNER_MEMBER_EXPIRED,
)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _notification(row: Notification, payload: dict) -> dict:
    return {
        "kind": row.kind,
        "channel": row.channel,
        "to": row.to_email or (row.partner.name if row.partner_id else ""),
        "status": row.status,
        "created_at": _iso(row.created_at),
        "delivered_at": _iso(row.delivered_at),
        "content": payload,
    }


def _without_attachments(payload: dict) -> dict:
    return {key: value for key, value in payload.items() if key != "attachments"}


def _digest_rows_about(payload: dict, email: str) -> list[dict]:
    """The person's own rows of a weekly members list (never anyone else's)."""
    rows = []
    for attachment in payload.get("attachments", []):
        reader = csv.DictReader(io.StringIO(attachment.get("content", "")))
        rows += [
            row
            for row in reader
            if email and email.lower() in {v.lower() for v in row.values() if v}
        ]
    return rows


def personal_data(*, user) -> dict:
    """JSON-ready; seven queries."""
    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("sponsorship__partner")
        .order_by("claimed_at", "pk")
    )
    registrations = list(
        Registration.objects.filter(user=user)
        .select_related("event__partner")
        .order_by("created_at", "pk")
    )
    waitlist = list(
        SeatWaitlistEntry.objects.filter(user=user)
        .select_related("sponsorship")
        .order_by("created_at", "pk")
    )
    feed = CalendarFeed.objects.filter(user=user).first()
    to_person = list(
        Notification.objects.filter(user=user, recipient=NotificationRecipient.EMPLOYEE)
        .select_related("partner")
        .order_by("created_at", "pk")
    )
    membership_ids = [str(m.public_id) for m in memberships]
    registration_ids = {r.pk for r in registrations}
    about = list(
        Notification.objects.filter(recipient=NotificationRecipient.PARTNER)
        .filter(
            Q(kind__in=MEMBERSHIP_NOTICE_KINDS, payload__membership_id__in=membership_ids)
            | Q(
                kind=NotificationKind.PARTNER_EVENT_ROSTER,
                payload__event_id__in=[r.event_id for r in registrations],
            )
            | Q(
                kind=NotificationKind.PARTNER_WEEKLY_DIGEST,
                partner_id__in={m.sponsorship.partner_id for m in memberships},
            )
        )
        .select_related("partner")
        .order_by("created_at", "pk")
    )
    about_person = []
    for row in about:
        payload = row.payload
        if row.kind == NotificationKind.PARTNER_EVENT_ROSTER:
            mine = [
                a
                for a in payload.get("attendees", [])
                if a.get("registration_id") in registration_ids
            ]
            if not mine:
                continue
            payload = {**_without_attachments(payload), "attendees": mine}
        elif row.kind == NotificationKind.PARTNER_WEEKLY_DIGEST:
            mine = _digest_rows_about(payload, user.email)
            if not mine:
                continue
            payload = {**_without_attachments(payload), "your_rows": mine}
        about_person.append(_notification(row, _without_attachments(payload)))
    audit = list(
        AuditEntry.objects.filter(
            Q(object_type="memberships.membership", object_id__in=[str(m.pk) for m in memberships])
            | Q(
                object_type="memberships.registration",
                object_id__in=[str(pk) for pk in registration_ids],
            )
        ).order_by("created_at", "pk")
    )
    return {
        "profile": {
            "username": user.username,
            "email": user.email,
            "name": user.name,
            "employee_id": user.employee_id,
            "department": user.department,
            "idp_subject": user.idp_subject,
            "idp_groups": user.idp_groups,
            "idp_synced_at": _iso(user.idp_synced_at),
            "time_zone": user.time_zone,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "memberships": [
            {
                "sponsorship": m.sponsorship.name,
                "partner": m.sponsorship.partner.name,
                "status": m.status,
                "member_number": m.member_number,
                "previous_member_number": m.previous_member_number,
                "consent_version": m.consent_version,
                "consent_text": m.consent_text,
                "consented_at": _iso(m.consented_at),
                "shared_with_partner": m.shared_data,
                "shared_at": _iso(m.shared_at),
                "claimed_at": _iso(m.claimed_at),
                "approved_at": _iso(m.approved_at),
                "activated_at": _iso(m.activated_at),
                "ended_at": _iso(m.ended_at),
                "end_reason": m.end_reason,
            }
            for m in memberships
        ],
        "seat_waitlist": [
            {
                "sponsorship": e.sponsorship.name,
                "status": e.status,
                "consent_version": e.consent_version,
                "consent_text": e.consent_text,
                "consented_at": _iso(e.consented_at),
                "joined_at": _iso(e.created_at),
                "offered_at": _iso(e.offered_at),
            }
            for e in waitlist
        ],
        "registrations": [
            {
                "event": r.event.title,
                "host": r.event.partner.name,
                "starts_at": _iso(r.event.starts_at),
                "status": r.status,
                "registered_at": _iso(r.created_at),
                "promoted_at": _iso(r.promoted_at),
                "cancelled_at": _iso(r.cancelled_at),
                "reminder_sent_at": _iso(r.reminder_sent_at),
            }
            for r in registrations
        ],
        # The feed's token is a password for the feed: it stays out of a downloadable file.
        "calendar_feed": {
            "exists": feed is not None,
            "created_at": _iso(feed.created_at) if feed else None,
            "reset_at": _iso(feed.reset_at) if feed else None,
        },
        "notifications_to_you": [
            _notification(n, _without_attachments(n.payload)) for n in to_person
        ],
        "notifications_about_you": about_person,
        "changes_recorded_about_you": [
            {
                "action": a.action,
                "object": a.object_label,
                "by": a.actor_label,
                "changes": a.changes,
                "reason": a.reason,
                "at": _iso(a.created_at),
            }
            for a in audit
        ],
    }


def flatten(data, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(path, value) pairs for the CSV: `memberships.0.consent_text`, ..."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        if not data:
            yield prefix, ""
        for index, value in enumerate(data):
            yield from flatten(value, f"{prefix}.{index}")
    else:
        yield prefix, "" if data is None else str(data)
