"""Choices shared across the domain. A leaf module: it imports nothing local."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Dead")


class NotificationRecipient(models.TextChoices):
    PARTNER = "partner", _("Partner")
    EMPLOYEE = "employee", _("Employee")
    PROGRAMME = "programme", _("Programme team")


class PartnerChannels(models.TextChoices):
    EMAIL = "email", _("E-mail only")
    WEBHOOK = "webhook", _("Webhook only")
    BOTH = "both", _("E-mail and webhook")


class NotificationKind(models.TextChoices):
    # To the partner
    PARTNER_MEMBER_CLAIMED = "partner_member_claimed", _("Partner: new member")
    PARTNER_MEMBER_RELEASED = "partner_member_released", _("Partner: member released")
    PARTNER_MEMBER_REVOKED = "partner_member_revoked", _("Partner: member revoked")
    PARTNER_MEMBER_EXPIRED = "partner_member_expired", _("Partner: member expired")
    PARTNER_WEEKLY_DIGEST = "partner_weekly_digest", _("Partner: weekly members digest")
    PARTNER_EVENT_ROSTER = "partner_event_roster", _("Partner: event attendee roster")
    PARTNER_MEMBER_RENEWED = "partner_member_renewed", _("Partner: member renewed")
    PARTNER_ACTIVATION_REMINDER = (
        "partner_activation_reminder",
        _("Partner: claims waiting for activation"),
    )
    # To the programme team
    PROGRAMME_TERM_ENDING = "programme_term_ending", _("Programme: a term is ending")
    # To the employee: memberships
    MEMBERSHIP_RECEIVED = "membership_received", _("Employee: claim received")
    MEMBERSHIP_APPROVED = "membership_approved", _("Employee: claim approved")
    MEMBERSHIP_DECLINED = "membership_declined", _("Employee: claim declined")
    MEMBERSHIP_ACTIVE = "membership_active", _("Employee: membership active")
    MEMBERSHIP_RELEASED = "membership_released", _("Employee: membership released")
    MEMBERSHIP_REVOKED = "membership_revoked", _("Employee: membership revoked")
    MEMBERSHIP_EXPIRED = "membership_expired", _("Employee: membership expired")
    SEAT_OFFERED = "seat_offered", _("Employee: seat offered from the waitlist")
    SEAT_WAITLIST_JOINED = "seat_waitlist_joined", _("Employee: joined the seat waitlist")
    SEAT_WAITLIST_LEFT = "seat_waitlist_left", _("Employee: left the seat waitlist")
    MEMBERSHIP_RENEWAL_NOTICE = "membership_renewal_notice", _("Employee: term ends soon")
    MEMBERSHIP_RENEWED = "membership_renewed", _("Employee: membership renewed")
    MEMBERSHIP_GRACE = "membership_grace", _("Employee: no longer eligible, membership ends soon")
    # To the employee: events
    REGISTRATION_CONFIRMED = "registration_confirmed", _("Employee: registration confirmed")
    REGISTRATION_WAITLISTED = "registration_waitlisted", _("Employee: waitlisted")
    REGISTRATION_PROMOTED = "registration_promoted", _("Employee: promoted from the waitlist")
    REGISTRATION_CANCELLED = "registration_cancelled", _("Employee: registration cancelled")
    EVENT_REMINDER = "event_reminder", _("Employee: event reminder")
    EVENT_CHANGED = "event_changed", _("Employee: event changed")
    EVENT_CANCELLED = "event_cancelled", _("Employee: event cancelled")
    # Attendance, feedback and the programme report
    PARTNER_ATTENDANCE_RECORDED = "partner_attendance_recorded", _("Partner: attendance recorded")
    FEEDBACK_REQUEST = "feedback_request", _("Employee: how was the event?")
    INSIGHTS_MONTHLY_REPORT = "insights_monthly_report", _("Programme team: monthly report")


class MembershipStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
    PENDING_PARTNER = "pending_partner", _("Waiting for the partner")
    ACTIVE = "active", _("Active")
    DECLINED = "declined", _("Declined")
    RELEASED = "released", _("Released")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


# A live membership holds a seat; at most one per person and sponsorship (a constraint).
LIVE_MEMBERSHIP_STATUSES = (
    MembershipStatus.PENDING_APPROVAL,
    MembershipStatus.PENDING_PARTNER,
    MembershipStatus.ACTIVE,
)
# The partner has the member's consented details once the claim is past approval.
SHARED_MEMBERSHIP_STATUSES = (MembershipStatus.PENDING_PARTNER, MembershipStatus.ACTIVE)


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Seat offered")
    LEFT = "left", _("Left the waitlist")


class EventKind(models.TextChoices):
    WORKSHOP = "workshop", _("Workshop")
    WEBINAR = "webinar", _("Webinar")
    CONFERENCE = "conference", _("Conference")
    MEETUP = "meetup", _("Meetup")
    WELL_BEING = "well_being", _("Well-being")
    CAREER = "career", _("Career")


class EventFormat(models.TextChoices):
    ONLINE = "online", _("Online")
    IN_PERSON = "in_person", _("In person")
    HYBRID = "hybrid", _("Hybrid")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("Waitlisted")
    CANCELLED = "cancelled", _("Cancelled")


# A live registration holds a seat or a waitlist place; at most one per person and event.
LIVE_REGISTRATION_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class ResourceKind(models.TextChoices):
    WELL_BEING = "well_being", _("Well-being")
    CAREER = "career", _("Career development")
    GUIDE = "guide", _("Guide")


class AttendanceStatus(models.TextChoices):
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("No-show")


class AttendanceSource(models.TextChoices):
    ADMIN = "admin", _("Admin")
    PARTNER_API = "partner_api", _("Partner API")
    CSV_IMPORT = "csv_import", _("CSV import")
