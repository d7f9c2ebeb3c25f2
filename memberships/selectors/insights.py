"""Read side of programme insights: aggregate figures with the privacy floor.

The floor: a figure about fewer than PRIVACY_FLOOR people is never shown. Everything is built
from fixed monthly cells ("atoms") in completed calendar months; a cell below the floor
contributes nothing to any total, so that comparing two date ranges reveals nothing that the
cells shown do not already show (see README, "Programme insights")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count

from ..models import Event, Feedback

PRIVACY_FLOOR = 5
AVERAGE_QUANTUM = Decimal("0.1")


@dataclass(frozen=True)
class FeedbackSummary:
    """What a host may see of one event's feedback: nothing but the count band below the
    floor; the average and the comments (no names, sorted by text, not by time) from it."""

    responses: int
    average: Decimal | None
    comments: list[str]

    @property
    def is_shown(self) -> bool:
        return self.responses >= PRIVACY_FLOOR


def event_feedback_summary(*, event: Event) -> FeedbackSummary:
    """Two queries at most, however many answers."""
    feedback = Feedback.objects.filter(registration__event=event)
    totals = feedback.aggregate(responses=Count("pk"), average=Avg("rating"))
    responses = totals["responses"]
    if responses < PRIVACY_FLOOR:
        return FeedbackSummary(responses=responses, average=None, comments=[])
    comments = sorted(
        comment for comment in feedback.exclude(comment="").values_list("comment", flat=True)
    )
    average = Decimal(str(totals["average"])).quantize(AVERAGE_QUANTUM, rounding=ROUND_HALF_UP)
    return FeedbackSummary(responses=responses, average=average, comments=comments)
