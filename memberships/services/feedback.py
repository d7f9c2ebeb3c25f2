"""Feedback after an attended event: a 1–5 rating and an optional comment, one per person
and event, editable for FEEDBACK_EDIT_DAYS after it was first given."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..enums import AttendanceStatus
from ..exceptions import FeedbackClosed, FeedbackNotAllowed
from ..models import Feedback, Registration
from ..models.learning import FEEDBACK_RATING_MAX, FEEDBACK_RATING_MIN

FEEDBACK_EDIT_DAYS = 14


def feedback_is_editable(feedback: Feedback, *, now=None) -> bool:
    now = now or timezone.now()
    return now < feedback.submitted_at + timedelta(days=FEEDBACK_EDIT_DAYS)


@transaction.atomic(durable=True)
def feedback_submit(
    *, registration: Registration, user, rating: int, comment: str = "", now=None
) -> Feedback:
    """Give or change `user`'s feedback on the event of `registration`.

    Only the registrant, and only once marked as attended. The first answer creates the one
    row (a one-to-one on the registration is the backstop against a double submit); later
    answers change it until FEEDBACK_EDIT_DAYS have passed, then FeedbackClosed."""
    if not FEEDBACK_RATING_MIN <= rating <= FEEDBACK_RATING_MAX:
        raise ValueError("rating out of range")
    now = now or timezone.now()
    attended = Registration.objects.filter(
        pk=registration.pk, user=user, attendance__status=AttendanceStatus.ATTENDED
    ).exists()
    if not attended:
        raise FeedbackNotAllowed
    feedback = Feedback.objects.select_for_update().filter(registration_id=registration.pk).first()
    if feedback is None:
        try:
            with transaction.atomic():
                return Feedback.objects.create(
                    registration_id=registration.pk,
                    rating=rating,
                    comment=comment.strip(),
                    submitted_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            # A second tab submitted at the same moment: treat this one as an edit.
            feedback = Feedback.objects.select_for_update().get(registration_id=registration.pk)
    if not feedback_is_editable(feedback, now=now):
        raise FeedbackClosed
    feedback.rating = rating
    feedback.comment = comment.strip()
    feedback.updated_at = now
    feedback.full_clean()
    feedback.save(update_fields=["rating", "comment", "updated_at"])
    return feedback
