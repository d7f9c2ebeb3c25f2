"""Sponsorships: the programme team's edits (seats, term, eligibility, consent, sharing)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from ..models import Sponsorship
from .audit import audited_delete, audited_save
from .locks import sponsorship_lock


@transaction.atomic
def sponsorship_save(*, sponsorship: Sponsorship, actor, fields: Iterable[str]) -> Sponsorship:
    """Create or edit a sponsorship with its audit entry. An edit takes the sponsorship lock
    first, so it never interleaves with a claim counting seats."""
    if not sponsorship._state.adding:
        sponsorship_lock(sponsorship_id=sponsorship.pk)
    return audited_save(obj=sponsorship, actor=actor, fields=fields, noun="sponsorship")


def sponsorship_delete(*, sponsorship: Sponsorship, actor) -> None:
    audited_delete(obj=sponsorship, actor=actor, noun="sponsorship")
