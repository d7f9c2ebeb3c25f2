"""Demo events and resources for `make run` (filled in by the events area)."""

from .models import Partner


def seed_events(*, partner: Partner) -> list[str]:
    return []
