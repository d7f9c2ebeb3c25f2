import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from memberships.enums import AttendanceSource, NotificationKind, RegistrationStatus
from memberships.exceptions import (
    AttendanceImportInvalid,
    AttendanceNotOpen,
    AttendancePrivate,
    UnknownRegistrations,
)
from memberships.models import Attendance, AuditEntry, Certificate, Notification
from memberships.services.attendance import (
    attendance_csv_emails,
    attendance_import_csv,
    attendance_mark,
    attendance_mark_by_partner,
)
from tests.factories import EventFactory, RegistrationFactory, UserFactory, past_event

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


def _mark(event, marks, **kwargs):
    return attendance_mark(
        event=event, marks=marks, source=kwargs.pop("source", AttendanceSource.ADMIN), **kwargs
    )


def test_attendance_mark_records_issues_certificate_and_asks_feedback_once(
    employee, admin_user, django_capture_on_commit_callbacks, mailoutbox
):
    event = past_event()
    registration = RegistrationFactory(event=event, user=employee)

    with django_capture_on_commit_callbacks(execute=True):
        first = _mark(event, {registration.pk: "attended"}, actor=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        again = _mark(event, {registration.pk: "attended"}, actor=admin_user)

    attendance = Attendance.objects.get()
    assert (attendance.registration, attendance.status, attendance.marked_by) == (
        registration,
        "attended",
        admin_user,
    )
    assert (first.created, first.changed, first.unchanged) == ([registration.pk], [], [])
    assert (again.created, again.changed, again.unchanged) == ([], [], [registration.pk])
    assert Certificate.objects.get().registration == registration
    assert list(Notification.objects.values_list("kind", flat=True)) == [
        NotificationKind.FEEDBACK_REQUEST
    ]
    assert [m.to for m in mailoutbox] == [[employee.email]]
    assert f"/me/feedback/{registration.pk}/" in mailoutbox[0].body
    assert AuditEntry.objects.get().changes == {"source": "admin", "attended": 1, "no_show": 0}


def test_attendance_mark_corrected_to_no_show_withdraws_certificate_and_sends_nothing_new(
    employee, django_capture_on_commit_callbacks
):
    event = past_event()
    registration = RegistrationFactory(event=event, user=employee)
    with django_capture_on_commit_callbacks(execute=True):
        _mark(event, {registration.pk: "attended"})

    with django_capture_on_commit_callbacks(execute=True):
        result = _mark(event, {registration.pk: "no_show"})
    with django_capture_on_commit_callbacks(execute=True):
        _mark(event, {registration.pk: "attended"})

    assert result.changed == [registration.pk]
    assert Attendance.objects.get().status == "attended"
    assert Certificate.objects.count() == 1
    assert Notification.objects.filter(kind=NotificationKind.FEEDBACK_REQUEST).count() == 1


def test_attendance_mark_is_all_or_nothing_for_unknown_registrations(employee, other_employee):
    event = past_event()
    seat = RegistrationFactory(event=event, user=employee)
    waitlisted = RegistrationFactory(
        event=event, user=other_employee, status=RegistrationStatus.WAITLISTED
    )
    elsewhere = RegistrationFactory(event=past_event())

    with pytest.raises(UnknownRegistrations) as raised:
        _mark(event, {seat.pk: "attended", waitlisted.pk: "attended", elsewhere.pk: "no_show"})

    assert raised.value.registration_ids == sorted([waitlisted.pk, elsewhere.pk])
    assert Attendance.objects.count() == 0


def test_attendance_mark_before_the_start_is_refused(employee):
    event = EventFactory()  # starts in a week
    registration = RegistrationFactory(event=event, user=employee)

    with pytest.raises(AttendanceNotOpen):
        _mark(event, {registration.pk: "attended"})

    assert Attendance.objects.count() == 0


def test_attendance_mark_of_well_being_from_the_admin_is_refused(employee):
    event = past_event(kind="well_being")
    registration = RegistrationFactory(event=event, user=employee)

    with pytest.raises(AttendancePrivate):
        _mark(event, {registration.pk: "attended"})

    assert Attendance.objects.count() == 0


def test_attendance_mark_locks_the_event_row(employee):
    event = past_event()
    registration = RegistrationFactory(event=event, user=employee)

    with CaptureQueriesContext(connection) as queries:
        _mark(event, {registration.pk: "attended"})

    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) == 1
    assert 'FROM "memberships_event"' in locks[0]


def test_attendance_mark_by_partner_confirms_once_per_distinct_request(
    employee, other_employee, django_capture_on_commit_callbacks
):
    event = past_event(kind="well_being")
    one = RegistrationFactory(event=event, user=employee)
    two = RegistrationFactory(event=event, user=other_employee)

    with django_capture_on_commit_callbacks(execute=True):
        attendance_mark_by_partner(event=event, marks={one.pk: "attended", two.pk: "no_show"})
    with django_capture_on_commit_callbacks(execute=True):
        repeat = attendance_mark_by_partner(
            event=event, marks={two.pk: "no_show", one.pk: "attended"}
        )

    confirmations = Notification.objects.filter(kind=NotificationKind.PARTNER_ATTENDANCE_RECORDED)
    assert [n.payload["attended"] for n in confirmations] == [[one.pk]]
    assert confirmations.get().payload["no_show"] == [two.pk]
    assert repeat.unchanged == sorted([one.pk, two.pk])
    assert set(Attendance.objects.values_list("source", flat=True)) == {"partner_api"}


def test_attendance_csv_emails_reads_the_email_column_or_the_first():
    named = "name,Email\nAlex,ALEX@example.com\nSam,sam@example.com\n,\nAlex,alex@example.com\n"
    bare = "alex@example.com\nsam@example.com\n"

    assert attendance_csv_emails(content=named) == ["alex@example.com", "sam@example.com"]
    assert attendance_csv_emails(content=bare) == ["alex@example.com", "sam@example.com"]
    with pytest.raises(AttendanceImportInvalid):
        attendance_csv_emails(content="email\nnot-an-address\n")
    with pytest.raises(AttendanceImportInvalid):
        attendance_csv_emails(content="email\n")


def test_attendance_import_csv_marks_matches_and_optionally_the_rest(
    employee, other_employee, admin_user
):
    event = past_event(format="online")
    came = RegistrationFactory(event=event, user=employee)
    absent = RegistrationFactory(event=event, user=other_employee)
    content = "email\nALEX@example.com\nstranger@example.com\n"

    result = attendance_import_csv(
        event=event, content=content, actor=admin_user, rest_are_no_shows=True
    )

    assert dict(Attendance.objects.values_list("registration", "status")) == {
        came.pk: "attended",
        absent.pk: "no_show",
    }
    assert result.unmatched_emails == ["stranger@example.com"]
    assert set(Attendance.objects.values_list("source", flat=True)) == {"csv_import"}


@pytest.mark.parametrize(
    ("kind", "format", "error"),
    [
        ("well_being", "online", AttendancePrivate),
        ("workshop", "in_person", AttendanceImportInvalid),
    ],
)
def test_attendance_import_csv_refuses_well_being_and_in_person(admin_user, kind, format, error):
    event = past_event(kind=kind, format=format)
    user = UserFactory()
    RegistrationFactory(event=event, user=user)

    with pytest.raises(error):
        attendance_import_csv(event=event, content=f"{user.email}\n", actor=admin_user)

    assert Attendance.objects.count() == 0
