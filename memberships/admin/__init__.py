"""Admin registrations, one module per area."""

from . import attendance, claims, events, notifications  # noqa: F401 -- registers the ModelAdmins
