from datetime import timedelta
from decimal import Decimal

import pytest

from memberships.models import Attendance, Certificate
from memberships.selectors.learning import (
    certificate_verify,
    learning_record,
    normalise_code,
    record_entries,
)
from memberships.services.learning import learning_record_settings_update
from tests.factories import TopicFactory, attended, past_event

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def test_certificate_verify_shows_only_what_the_certificate_prints(employee):
    registration = attended(event=past_event(title="Policy clinic"), user=employee)
    code = registration.certificate.code

    result = certificate_verify(code=code.lower().replace("-", " "))

    assert result is not None
    assert (result.name, result.event_title, result.hours, result.code) == (
        "Alex Morgan",
        "Policy clinic",
        Decimal("1.50"),
        code,
    )
    assert set(vars(result)) == {
        "name",
        "event_title",
        "host",
        "starts_at",
        "time_zone",
        "hours",
        "code",
    }


def test_certificate_verify_rejects_forged_and_malformed_codes(employee):
    registration = attended(event=past_event(), user=employee)
    real = registration.certificate.code
    forged = ("A" if real[0] != "A" else "B") + real[1:]

    assert certificate_verify(code=forged) is None
    assert certificate_verify(code="' OR 1=1 --") is None
    assert certificate_verify(code="") is None
    assert normalise_code("ABCD-EFGH-IJKL-MNO0") == ""  # I and 0 are not in the alphabet


def test_certificate_verify_of_a_hidden_well_being_session_looks_forged(employee):
    registration = attended(event=past_event(kind="well_being"), user=employee)
    code = registration.certificate.code

    hidden = certificate_verify(code=code)
    learning_record_settings_update(user=employee, shows_well_being=True)
    shown = certificate_verify(code=code)

    assert hidden is None
    assert shown is not None and shown.code == code


def test_certificate_verify_of_an_attendance_corrected_to_no_show_fails(employee):
    registration = attended(event=past_event(), user=employee)
    code = registration.certificate.code
    Attendance.objects.filter(registration=registration).update(status="no_show")

    assert certificate_verify(code=code) is None
    assert Certificate.objects.count() == 1  # even a stale row does not verify


def test_learning_record_counts_hours_by_kind_topic_and_year(employee, other_employee):
    care, policy = TopicFactory(name="Care"), TopicFactory(name="Policy")
    workshop = past_event(days_ago=10, kind="workshop")
    workshop.topics.add(care, policy)
    webinar = past_event(days_ago=5, kind="webinar")
    webinar.ends_at = webinar.starts_at + timedelta(hours=2)
    webinar.save()
    webinar.topics.add(policy)
    well_being = past_event(days_ago=4, kind="well_being")
    attended(event=workshop, user=employee)
    attended(event=webinar, user=employee)
    attended(event=well_being, user=employee)
    attended(event=workshop, user=other_employee)

    record = learning_record(user=employee)
    entries = record_entries(user=employee, registration_ids=record.registration_ids)

    assert [e.event for e in entries] == [webinar, workshop]
    assert record.hours_by_kind == [("Webinar", Decimal("2.00")), ("Workshop", Decimal("1.50"))]
    assert record.hours_by_topic == [("Care", Decimal("1.50")), ("Policy", Decimal("3.50"))]
    assert record.total_hours == Decimal("3.50")
    assert record.hidden_well_being_count == 1
    assert record.years == sorted({workshop.starts_at.year, webinar.starts_at.year}, reverse=True)
