import pytest
from django.urls import reverse

from memberships.models import UrgentHelpLine
from tests.factories import EventFactory, ResourceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

URL = reverse("memberships:well-being")
SENTENCE = "Your employer never sees who attends; only totals of five or more."


def test_well_being_is_in_the_main_navigation(employee_client):
    html = employee_client.get(reverse("home")).content.decode()

    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    assert f'<a href="{URL}">Well-being</a>' in nav


def test_well_being_page_shows_urgent_help_first_then_sessions_and_resources(employee_client):
    UrgentHelpLine.objects.create(
        name="Crisis line", phone="+1 555 0199", availability="24 hours", order=2
    )
    UrgentHelpLine.objects.create(
        name="Employee Assistance Programme", phone="+1 (555) 0100", url="https://eap.example.org"
    )
    UrgentHelpLine.objects.create(name="Old line", phone="1", is_active=False)
    EventFactory(title="Resilience circle", kind="well_being")
    EventFactory(title="Policy clinic", kind="workshop")
    ResourceFactory(title="Breathing space", kind="well_being")
    ResourceFactory(title="Salary guide", kind="career")

    html = employee_client.get(URL).content.decode()

    assert html.index("Need help now?") < html.index("Resilience circle")
    assert html.index("Resilience circle") < html.index("Breathing space")
    assert html.index("Employee Assistance Programme") < html.index("Crisis line")
    assert '<a href="tel:+15550100" dir="ltr">+1 (555) 0100</a>' in html
    assert "Old line" not in html
    assert "Policy clinic" not in html
    assert "Salary guide" not in html
    assert SENTENCE in html


def test_well_being_page_without_help_lines_points_to_the_programme_team(employee_client):
    html = employee_client.get(URL).content.decode()

    assert "mailto:tns-programme@example.com" in html


@pytest.mark.parametrize("item_count", [1, 3])
def test_well_being_page_runs_constant_queries(
    employee_client, item_count, django_assert_max_num_queries
):
    for n in range(item_count):
        UrgentHelpLine.objects.create(name=f"Line {n}", phone=f"555 01{n:02d}")
        EventFactory(kind="well_being")
        ResourceFactory(kind="well_being", is_members_only=True)

    with django_assert_max_num_queries(10):
        response = employee_client.get(URL)

    assert len(response.context["events"]) == item_count


def test_every_well_being_event_says_attendance_stays_private(employee_client):
    wellness = EventFactory(kind="well_being")
    workshop = EventFactory(kind="workshop")

    wellness_page = employee_client.get(reverse("memberships:event-detail", args=[wellness.slug]))
    workshop_page = employee_client.get(reverse("memberships:event-detail", args=[workshop.slug]))
    listing = employee_client.get(reverse("memberships:event-list")).content.decode()

    assert SENTENCE in wellness_page.content.decode()
    assert SENTENCE not in workshop_page.content.decode()
    assert listing.count(SENTENCE) == 1


def test_resources_list_well_being_first(employee_client):
    ResourceFactory(title="A career guide", kind="career")
    ResourceFactory(title="Breathing space", kind="well_being")

    response = employee_client.get(reverse("memberships:resource-list"))

    assert [r.title for r in response.context["resources"]] == [
        "Breathing space",
        "A career guide",
    ]
