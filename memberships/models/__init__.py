from .audit import AuditEntry
from .events import CalendarFeed, Event, Registration, Topic
from .learning import Attendance, Certificate, Feedback, LearningRecordSettings
from .memberships import Membership, SeatWaitlistEntry
from .notifications import Notification
from .partners import Partner
from .resources import Resource, UrgentHelpLine
from .sponsorships import RosterEntry, Sponsorship

__all__ = [
    "Attendance",
    "Certificate",
    "Feedback",
    "LearningRecordSettings",
    "AuditEntry",
    "CalendarFeed",
    "Event",
    "Registration",
    "Topic",
    "Resource",
    "UrgentHelpLine",
    "Notification",
    "Partner",
    "Membership",
    "SeatWaitlistEntry",
    "RosterEntry",
    "Sponsorship",
]
