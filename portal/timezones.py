"""The time zones people choose from: the canonical zones of the tz database (its
`zone.tab`, one zone per place), grouped by region, without aliases and oddities such as
`Factory`, `localtime` or `US/Pacific`."""

from __future__ import annotations

import datetime
import functools
import zoneinfo
from importlib import resources

UTC = "UTC"


@functools.cache
def canonical_zone_names() -> tuple[str, ...]:
    text = (resources.files("tzdata.zoneinfo") / "zone.tab").read_text(encoding="utf-8")
    available = zoneinfo.available_timezones()
    names = {
        columns[2]
        for line in text.splitlines()
        if line and not line.startswith("#") and len(columns := line.split("\t")) >= 3
    }
    return tuple(sorted(names & available))


def is_choosable(name: str) -> bool:
    return name == UTC or name in canonical_zone_names()


def _offset(name: str, now: datetime.datetime) -> str:
    minutes = int(now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def zone_label(name: str, now: datetime.datetime | None = None) -> str:
    """`Karachi (UTC+05:00)`, `Argentina – Buenos Aires (UTC−03:00)`: the place, then the
    offset it has now (the offset changes with daylight saving time, the place does not)."""
    now = now or datetime.datetime.now(datetime.UTC)
    place = name.split("/", 1)[1] if "/" in name else name
    return f"{place.replace('_', ' ').replace('/', ' – ')} ({_offset(name, now)})"


def grouped_zone_choices(now: datetime.datetime | None = None) -> list:
    """Choices for a `<select>`: UTC first, then one group per region."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in canonical_zone_names():
        region = name.split("/", 1)[0]
        groups.setdefault(region, []).append((name, zone_label(name, now)))
    return [(UTC, "UTC"), *groups.items()]


@functools.cache
def _links() -> dict[str, str]:
    """Alias -> canonical zone, from the tz database's link lines (`L Asia/Kolkata
    Asia/Calcutta`). Browsers still report some old names (Chromium says Asia/Calcutta)."""
    text = (resources.files("tzdata.zoneinfo") / "tzdata.zi").read_text(encoding="utf-8")
    links = {}
    for line in text.splitlines():
        if line.startswith("L "):
            _kind, target, alias = line.split()[:3]
            links[alias] = target
    return links


def canonical_zone(name: str) -> str:
    """The zone people choose for `name`: itself, its canonical name, or '' if unknown."""
    name = (name or "").strip()
    if name in {"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Universal", "Zulu"}:
        return UTC
    seen = set()
    while name and name not in seen and not is_choosable(name):
        seen.add(name)
        name = _links().get(name, "")
    return name if is_choosable(name) else ""
