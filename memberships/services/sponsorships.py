"""Sponsorships: the programme team's deletions (creation, edits and renewal are claims
services, because seats and consent hang on them: `services/claims.py`)."""

from __future__ import annotations

from ..models import Sponsorship
from .audit import audited_delete


def sponsorship_delete(*, sponsorship: Sponsorship, actor) -> None:
    audited_delete(obj=sponsorship, actor=actor, noun="sponsorship")
