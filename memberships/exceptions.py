"""Domain errors. Each carries a translatable message that is safe to show the user."""

from django.utils.translation import gettext_lazy as _


class MembershipError(Exception):
    default_message = _("That could not be done.")

    def __init__(self, message=None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


# Delivery of notifications: not domain errors, never shown to an employee.


class DeliveryFailed(Exception):  # noqa: N818 -- the event it reports
    """A notification could not be delivered now but may succeed later (retryable)."""


class DeliveryRejected(Exception):  # noqa: N818 -- the event it reports
    """The recipient refused the message for good (a retry would fail the same way)."""


class NotificationRetry(DeliveryFailed):
    """Raised after a failed attempt has been recorded: try again in `retry_in` seconds."""

    def __init__(self, message: str, *, retry_in: float) -> None:
        super().__init__(message)
        self.retry_in = retry_in


class NotEligible(MembershipError):
    default_message = _("You are not eligible for this membership.")


class SeatsExhausted(MembershipError):
    default_message = _("All seats of this membership are taken. You can join the waitlist.")


class AlreadyMember(MembershipError):
    default_message = _("You already hold this membership.")

    def __init__(self, message=None, *, membership=None) -> None:
        super().__init__(message)
        self.membership = membership


class ConsentRequired(MembershipError):
    default_message = _("Please tick the box to agree to share your details with the partner.")


class InvalidTransition(MembershipError):
    default_message = _("This membership cannot be changed that way in its current state.")


class RosterInvalid(MembershipError):
    default_message = _("The roster file has errors; nothing was imported.")


class EventNotOpen(MembershipError):
    default_message = _("This event is not open for registration.")


class RegistrationClosed(MembershipError):
    default_message = _("Registration for this event is closed.")


class RegistrationNotYetOpen(MembershipError):
    default_message = _("Registration for this event has not opened yet.")


class MembersOnly(MembershipError):
    default_message = _(
        "This event is for members of the host association, and your membership is not "
        "active yet. The event page says where it stands and what happens next."
    )


class InvalidEventChange(MembershipError):
    default_message = _("The event cannot be changed that way.")


class SeatsBelowLive(MembershipError):
    default_message = _("There are more live memberships than that number of seats.")


# Attendance, feedback and certificates


class AttendanceNotOpen(MembershipError):
    default_message = _("Attendance can be recorded once a published event has started.")


class UnknownRegistrations(MembershipError):
    default_message = _("Some registrations are not confirmed seats of this event.")

    def __init__(self, message=None, *, registration_ids=()) -> None:
        super().__init__(message)
        self.registration_ids = sorted(registration_ids)


class AttendancePrivate(MembershipError):
    default_message = _(
        "Attendance at well-being sessions is private: only the hosting partner records it, "
        "through its API."
    )


class AttendanceImportInvalid(MembershipError):
    default_message = _("The attendee file could not be read; nothing was recorded.")


class FeedbackNotAllowed(MembershipError):
    default_message = _("Feedback is open to people who attended the event.")


class FeedbackClosed(MembershipError):
    default_message = _("Your feedback can no longer be changed: the 14 days have passed.")
