from datetime import timedelta

import pytest
from django.utils import timezone

from memberships.exceptions import FeedbackClosed, FeedbackNotAllowed
from memberships.models import Feedback
from memberships.services.feedback import FEEDBACK_EDIT_DAYS, feedback_submit
from tests.factories import RegistrationFactory, attended, past_event

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def test_feedback_submit_keeps_one_response_per_person_and_event(employee):
    registration = attended(event=past_event(), user=employee)

    feedback_submit(registration=registration, user=employee, rating=2, comment=" Too fast ")
    feedback_submit(registration=registration, user=employee, rating=4, comment="Better later")

    assert list(Feedback.objects.values_list("registration", "rating", "comment")) == [
        (registration.pk, 4, "Better later")
    ]


def test_feedback_submit_is_editable_for_14_days_only(employee):
    registration = attended(event=past_event(), user=employee)
    first = timezone.now()
    feedback_submit(registration=registration, user=employee, rating=3, now=first)
    last_minute = first + timedelta(days=FEEDBACK_EDIT_DAYS) - timedelta(seconds=1)

    feedback_submit(registration=registration, user=employee, rating=5, now=last_minute)
    with pytest.raises(FeedbackClosed):
        feedback_submit(
            registration=registration,
            user=employee,
            rating=1,
            now=first + timedelta(days=FEEDBACK_EDIT_DAYS),
        )

    assert Feedback.objects.get().rating == 5


def test_feedback_submit_needs_attendance_of_ones_own_seat(employee, other_employee):
    event = past_event()
    not_marked = RegistrationFactory(event=event, user=employee)
    someone_elses = attended(event=event, user=other_employee)

    with pytest.raises(FeedbackNotAllowed):
        feedback_submit(registration=not_marked, user=employee, rating=5)
    with pytest.raises(FeedbackNotAllowed):
        feedback_submit(registration=someone_elses, user=employee, rating=5)

    assert Feedback.objects.count() == 0


def test_feedback_submit_refuses_a_rating_outside_1_to_5(employee):
    registration = attended(event=past_event(), user=employee)

    with pytest.raises(ValueError, match="rating"):
        feedback_submit(registration=registration, user=employee, rating=6)

    assert Feedback.objects.count() == 0
