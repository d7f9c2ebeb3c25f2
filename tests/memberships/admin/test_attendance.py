import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from memberships.models import Attendance, Notification, Registration
from portal.models import User
from tests.factories import RegistrationFactory, UserFactory, attended, past_event

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _mark_url(event) -> str:
    return reverse("admin:memberships_attendance_mark", args=[event.pk])


def test_admin_attendance_mark_records_the_choices(
    admin_client_sso, employee, other_employee, django_capture_on_commit_callbacks
):
    event = past_event()
    came = RegistrationFactory(event=event, user=employee)
    absent = RegistrationFactory(event=event, user=other_employee)

    page = admin_client_sso.get(_mark_url(event))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_sso.post(
            _mark_url(event),
            {f"registration_{came.pk}": "attended", f"registration_{absent.pk}": "no_show"},
        )

    assert [row[0] for row in page.context["form"].rows()] == [came, absent]
    assert response.status_code == 302
    assert dict(Attendance.objects.values_list("registration", "status")) == {
        came.pk: "attended",
        absent.pk: "no_show",
    }
    assert Notification.objects.get().user == employee


def test_admin_attendance_never_shows_well_being_sessions(admin_client_sso, employee):
    event = past_event(kind="well_being")
    attended(event=event, user=employee)
    workshop = past_event(title="Visible workshop")
    attended(event=workshop, user=UserFactory())

    chooser = admin_client_sso.get(reverse("admin:memberships_attendance_events"))
    mark = admin_client_sso.get(_mark_url(event))
    changelist = admin_client_sso.get(reverse("admin:memberships_attendance_changelist"))

    assert chooser.context["events"] == [workshop]
    assert mark.status_code == 404
    assert [a.registration.event for a in changelist.context["cl"].result_list] == [workshop]
    assert "Alex Morgan" not in changelist.content.decode()


def test_admin_attendance_import_marks_attendees_from_a_csv(
    admin_client_sso, employee, other_employee
):
    event = past_event(format="online")
    came = RegistrationFactory(event=event, user=employee)
    RegistrationFactory(event=event, user=other_employee)
    upload = SimpleUploadedFile("attendees.csv", b"email\nalex@example.com\nnobody@example.com\n")

    response = admin_client_sso.post(
        reverse("admin:memberships_attendance_import", args=[event.pk]),
        {"file": upload},
        follow=True,
    )

    assert dict(Attendance.objects.values_list("registration", "status")) == {came.pk: "attended"}
    texts = [str(m) for m in response.context["messages"]]
    assert texts == [
        "Recorded 1 marks; 0 were already so.",
        "No confirmed seat for: nobody@example.com",
    ]


def test_admin_attendance_needs_staff(client, employee):
    from tests.conftest import sso_login

    event = past_event()
    sso_login(client, employee)

    response = client.get(_mark_url(event))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def _bulk_seats(event, count: int) -> None:
    users = User.objects.bulk_create(
        User(username=f"seat{n}", email=f"seat{n}@example.com", idp_subject=f"seat-{n}")
        for n in range(count)
    )
    registrations = Registration.objects.bulk_create(
        Registration(event=event, user=user, status="confirmed") for user in users
    )
    Attendance.objects.bulk_create(
        Attendance(registration=r, status="attended", source="admin", marked_at=event.starts_at)
        for r in registrations[::2]
    )


@pytest.mark.parametrize("item_count", [10, 10_000])
def test_admin_attendance_pages_run_constant_queries(
    admin_client_sso, django_assert_max_num_queries, item_count
):
    event = past_event(capacity=None)
    _bulk_seats(event, item_count)

    with django_assert_max_num_queries(9):
        mark = admin_client_sso.get(_mark_url(event))
    with django_assert_max_num_queries(9):
        chooser = admin_client_sso.get(reverse("admin:memberships_attendance_events"))
    with django_assert_max_num_queries(12):
        changelist = admin_client_sso.get(reverse("admin:memberships_attendance_changelist"))

    assert len(mark.context["form"].rows()) == min(item_count, 100)
    assert mark.context["page"].paginator.count == item_count
    assert chooser.context["events"] == [event]
    assert changelist.context["cl"].result_count == item_count // 2
