"""Admin registrations, one module per area."""

from . import claims, notifications  # noqa: F401 -- registers the ModelAdmins
