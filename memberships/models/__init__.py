from .audit import AuditEntry
from .notifications import Notification
from .partners import Partner

__all__ = ["AuditEntry", "Notification", "Partner"]
