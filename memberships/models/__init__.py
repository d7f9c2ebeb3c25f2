from .notifications import Notification
from .partners import Partner

__all__ = ["Notification", "Partner"]
