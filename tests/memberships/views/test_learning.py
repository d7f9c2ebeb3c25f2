import re
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from memberships.models import Attendance, Certificate, Event, Feedback, Registration
from memberships.models.learning import new_certificate_code
from memberships.services.learning import learning_record_settings_update
from portal.models import User
from tests.conftest import sso_login
from tests.factories import PartnerFactory, RegistrationFactory, attended, past_event

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

RECORD_URL = reverse("memberships:learning-record")


def _pdf_text(content: bytes) -> str:
    """The text drawn on the pages (fpdf2 compresses each content stream with zlib)."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S)
    text = []
    for stream in streams:
        try:
            text.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "".join(re.findall(r"\((.*?)\)\s*Tj", "\n".join(text)))


@pytest.fixture
def latin_font(settings):
    # The built-in font writes text as readable strings, which the assertions look for.
    settings.CERTIFICATE_FONT_PATH = ""


def test_learning_record_lists_sessions_and_hides_well_being_until_chosen(
    employee_client, employee
):
    attended(event=past_event(title="Policy clinic"), user=employee)
    attended(event=past_event(title="Quiet hour", kind="well_being"), user=employee)

    hidden = employee_client.get(RECORD_URL)
    employee_client.post(reverse("memberships:learning-settings"), {"shows_well_being": "on"})
    shown = employee_client.get(RECORD_URL)

    assert [e.event.title for e in hidden.context["entries"]] == ["Policy clinic"]
    assert "1 well-being session is left out of your record." in hidden.content.decode()
    assert sorted(e.event.title for e in shown.context["entries"]) == [
        "Policy clinic",
        "Quiet hour",
    ]


def test_certificate_download_is_a_pdf_with_name_event_and_code(
    employee_client, employee, latin_font
):
    registration = attended(event=past_event(title="Policy clinic"), user=employee)

    response = employee_client.get(
        reverse("memberships:certificate-download", args=[registration.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = _pdf_text(response.content)
    assert "Alex Morgan" in text
    assert "Policy clinic" in text
    assert registration.certificate.code in text


def test_certificate_download_with_the_unicode_font_works(employee_client, employee, settings):
    # `make test` installs the font (Debian fonts-dejavu-core): missing, this fails.
    assert Path(settings.CERTIFICATE_FONT_PATH).is_file()
    employee.name = "Łukasz Żółć"
    employee.save()
    registration = attended(event=past_event(), user=employee)

    response = employee_client.get(
        reverse("memberships:certificate-download", args=[registration.pk])
    )

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert b"/FontFile2" in response.content  # the TrueType font is embedded


def test_certificate_download_of_others_unattended_or_hidden_is_404(
    employee_client, employee, other_employee
):
    others = attended(event=past_event(), user=other_employee)
    not_marked = RegistrationFactory(event=past_event(), user=employee)
    hidden = attended(event=past_event(kind="well_being"), user=employee)

    statuses = [
        employee_client.get(
            reverse("memberships:certificate-download", args=[registration.pk])
        ).status_code
        for registration in (others, not_marked, hidden)
    ]

    assert statuses == [404, 404, 404]


def test_year_summary_pdf_lists_the_years_sessions(employee_client, employee, latin_font):
    registration = attended(event=past_event(title="Policy clinic"), user=employee)
    year = registration.event.starts_at.year

    response = employee_client.get(reverse("memberships:learning-year-summary", args=[year]))
    missing = employee_client.get(reverse("memberships:learning-year-summary", args=[1999]))

    assert response.status_code == 200
    text = _pdf_text(response.content)
    assert f"Development hours {year}" in text
    assert "Policy clinic" in text
    assert missing.status_code == 404


def test_certificate_verify_page_is_public_and_says_only_valid_or_not(client, employee):
    registration = attended(event=past_event(title="Policy clinic"), user=employee)
    hidden = attended(event=past_event(kind="well_being"), user=employee)
    url = reverse("memberships:certificate-verify")

    valid = client.get(url, {"code": registration.certificate.code})
    forged = client.get(url, {"code": "ABCD-EFGH-JKMN-PQRS"})
    well_being = client.get(url, {"code": hidden.certificate.code})

    assert valid.status_code == 200
    assert valid.context["result"].name == "Alex Morgan"
    assert "This certificate is genuine" in valid.content.decode()
    assert employee.email not in valid.content.decode()
    assert forged.context["result"] is None
    assert well_being.context["result"] is None
    assert well_being.content.decode().count("No valid certificate has this code") == 1
    assert valid["Cache-Control"] == "no-store"


def test_feedback_page_saves_one_answer_and_refuses_others_seats(
    employee_client, employee, other_employee
):
    registration = attended(event=past_event(), user=employee)
    others = attended(event=past_event(), user=other_employee)
    url = reverse("memberships:feedback", args=[registration.pk])

    first = employee_client.post(url, {"rating": "4", "comment": "Useful"})
    second = employee_client.post(url, {"rating": "5", "comment": ""})
    invalid = employee_client.post(url, {"rating": "9"})
    foreign = employee_client.get(reverse("memberships:feedback", args=[others.pk]))

    assert (first.status_code, first["Location"]) == (302, RECORD_URL)
    assert second.status_code == 302
    assert list(Feedback.objects.values_list("registration", "rating", "comment")) == [
        (registration.pk, 5, "")
    ]
    assert invalid.status_code == 400
    assert foreign.status_code == 404


def test_feedback_page_after_14_days_shows_the_answer_read_only(employee_client, employee):
    registration = attended(event=past_event(days_ago=30), user=employee)
    long_ago = timezone.now() - timedelta(days=20)
    Feedback.objects.create(
        registration=registration,
        rating=3,
        comment="Ok",
        submitted_at=long_ago,
        updated_at=long_ago,
    )
    url = reverse("memberships:feedback", args=[registration.pk])

    page = employee_client.get(url)
    post = employee_client.post(url, {"rating": "5"}, follow=True)

    assert page.context["is_editable"] is False
    assert "can no longer be changed" in page.content.decode()
    assert Feedback.objects.get().rating == 3
    assert "can no longer be changed" in post.content.decode()


def _bulk_attended(user, count: int) -> None:
    partner = PartnerFactory()
    start = timezone.now() - timedelta(days=400)
    events = Event.objects.bulk_create(
        Event(
            partner=partner,
            title=f"Session {n}",
            slug=f"session-{n}",
            kind="workshop",
            summary="s",
            starts_at=start + timedelta(hours=n),
            ends_at=start + timedelta(hours=n, minutes=90),
            format="online",
            status="published",
        )
        for n in range(count)
    )
    registrations = Registration.objects.bulk_create(
        Registration(event=event, user=user, status="confirmed") for event in events
    )
    Attendance.objects.bulk_create(
        Attendance(registration=r, status="attended", source="admin", marked_at=start)
        for r in registrations
    )
    Certificate.objects.bulk_create(
        Certificate(registration=r, code=new_certificate_code(), issued_at=start)
        for r in registrations
    )


@pytest.mark.parametrize("item_count", [10, 10_000])
def test_learning_record_runs_constant_queries(
    client, employee, django_assert_max_num_queries, item_count
):
    _bulk_attended(employee, item_count)
    learning_record_settings_update(user=employee, shows_well_being=True)
    sso_login(client, employee)

    with django_assert_max_num_queries(7):
        response = client.get(RECORD_URL)

    assert len(response.context["record"].registration_ids) == item_count
    assert len(response.context["entries"]) == min(item_count, 25)


@pytest.mark.parametrize("item_count", [10, 10_000])
def test_certificate_verify_runs_constant_queries(
    client, employee, django_assert_max_num_queries, item_count
):
    _bulk_attended(employee, item_count)
    code = Certificate.objects.order_by("pk").last().code

    with django_assert_max_num_queries(1):
        response = client.get(reverse("memberships:certificate-verify"), {"code": code})

    assert response.context["result"].code == code


@pytest.mark.parametrize("item_count", [10, 10_000])
def test_feedback_page_runs_constant_queries(
    client, employee, django_assert_max_num_queries, item_count
):
    _bulk_attended(employee, item_count)
    registration = Registration.objects.filter(user=employee).last()
    sso_login(client, employee)

    with django_assert_max_num_queries(4):
        response = client.get(reverse("memberships:feedback", args=[registration.pk]))

    assert response.context["registration"] == registration
    assert User.objects.count() == 1


@pytest.mark.parametrize("item_count", [10, 10_000])
def test_certificate_download_runs_constant_queries(
    client, employee, django_assert_max_num_queries, item_count
):
    _bulk_attended(employee, item_count)
    registration = Registration.objects.filter(user=employee).last()
    sso_login(client, employee)

    with django_assert_max_num_queries(4):
        response = client.get(reverse("memberships:certificate-download", args=[registration.pk]))

    assert response.content.startswith(b"%PDF-")


def test_learning_record_shows_the_hours_of_one_year(employee_client, employee):
    this_year = attended(event=past_event(days_ago=3, title="Recent"), user=employee)
    last_year = attended(event=past_event(days_ago=400, title="Older"), user=employee)
    years = (this_year.event.starts_at.year, last_year.event.starts_at.year)

    one = employee_client.get(RECORD_URL, {"year": years[1]})
    none = employee_client.get(RECORD_URL, {"year": 1999})

    assert [e.event.title for e in one.context["entries"]] == ["Older"]
    assert one.context["record"].years == sorted(set(years), reverse=True)
    assert none.status_code == 404
