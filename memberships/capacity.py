"""The one seat arithmetic, for sponsorship seats and event capacity alike (a leaf module).

A limit of None means unlimited. A limit lowered below what is already taken leaves no place,
never a negative count (people who hold a place keep it)."""


def places_left(*, limit: int | None, used: int) -> int | None:
    """How many places are free: None when unlimited, never below 0."""
    if limit is None:
        return None
    return max(limit - used, 0)


def has_place(*, limit: int | None, used: int) -> bool:
    """Whether one more person fits."""
    left = places_left(limit=limit, used=used)
    return left is None or left > 0
