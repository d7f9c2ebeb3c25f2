from .audit import AuditEntry
from .events import CalendarFeed, Event, Registration, Topic
from .notifications import Notification
from .partners import Partner
from .resources import Resource

__all__ = [
    "AuditEntry",
    "CalendarFeed",
    "Event",
    "Registration",
    "Topic",
    "Resource",
    "Notification",
    "Partner",
]
