"""Admin registrations, one module per area."""

from . import notifications  # noqa: F401 -- registers the ModelAdmins
