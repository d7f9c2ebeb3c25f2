from decimal import Decimal

import pytest

from memberships.selectors.insights import MonthRange, programme_insights
from memberships.services.insights import insights_tables
from tests.memberships.insights_data import seed_programme

pytestmark = [pytest.mark.django_db, pytest.mark.unit]

FEWER = "fewer than 5"


def _tables(period):
    return {table.name: table.rows for table in insights_tables(programme_insights(period=period))}


def test_programme_insights_match_the_seeded_programme():
    seeded = seed_programme()
    period = MonthRange(first=seeded.first, last=seeded.second)

    insights = programme_insights(period=period)
    tables = _tables(period)

    first, second = f"{seeded.first:%Y-%m}", f"{seeded.second:%Y-%m}"
    assert tables["headline"] == [
        ["Eligible people", "8"],  # 8 in the group, minus 1 marked ineligible, plus 1 roster row
        ["Active members", "6"],
        ["People waiting for a seat", FEWER],
        ["Waitlist places at upcoming events", FEWER],
    ]
    assert tables["months"] == [
        [first, "7", "5", "5–9", "5–9", "6*", "5*"],
        [second, FEWER, FEWER, "5–9", "5–9", FEWER, FEWER],
        ["total", "7*", "5*", "", "", "6*", "5*"],
    ]
    assert (insights.activation_days_median, insights.activation_days_p90) == (
        Decimal("3.0"),
        Decimal("7.6"),
    )
    assert tables["kinds"] == [
        ["Workshop", "6*", "5*", "5*", "3.6"],
        ["Webinar", FEWER, FEWER, FEWER, FEWER],
        ["Conference", FEWER, FEWER, FEWER, FEWER],
        ["Meetup", FEWER, FEWER, FEWER, FEWER],
        ["Well-being", "5*", "5*", FEWER, FEWER],
        ["Career", FEWER, FEWER, FEWER, FEWER],
    ]
    assert tables["topics"] == [["Policy", "6*", "5*"]]
    assert tables["cost"] == [[insights.sponsorships[0].name, "12000.00", "EUR", "6", "2000.00"]]
    assert tables["departments"] == [["Trust & Safety", "6"]]


def test_programme_insights_differencing_two_ranges_reveals_nobody():
    """The attack: the second month holds one person's claim, activation, registration and
    attendance. Subtracting the figures of [first] from those of [first, second] must not
    give that person's contribution back, for any figure."""
    seeded = seed_programme()
    short = programme_insights(period=MonthRange(first=seeded.first, last=seeded.first))
    long = programme_insights(period=MonthRange(first=seeded.first, last=seeded.second))

    pairs = {
        "claims": (short.claims_total.value, long.claims_total.value),
        "activations": (short.activations_total.value, long.activations_total.value),
        "registrations": (short.registrations_total.value, long.registrations_total.value),
        "attended": (short.attended_total.value, long.attended_total.value),
        "median days": (short.activation_days_median, long.activation_days_median),
        "p90 days": (short.activation_days_p90, long.activation_days_p90),
        **{
            f"{a.key} registrations": (a.registrations.value, b.registrations.value)
            for a, b in zip(short.kinds, long.kinds, strict=True)
        },
        **{
            f"{a.key} attended": (a.attended.value, b.attended.value)
            for a, b in zip(short.kinds, long.kinds, strict=True)
        },
        **{
            f"{a.key} topic": (a.registrations.value, b.registrations.value)
            for a, b in zip(short.topics, long.topics, strict=True)
        },
    }

    differences = {name: (b - a) if a is not None else b for name, (a, b) in pairs.items()}
    assert {name: d for name, d in differences.items() if d not in (0, None)} == {}
    assert long.months[1].claims.shown is None
    assert long.months[1].registrations.value is None


def test_programme_insights_departments_hidden_when_one_is_below_the_floor():
    seeded = seed_programme()
    seeded.users[0].department = "Legal"
    seeded.users[0].save()

    insights = programme_insights(period=MonthRange(first=seeded.first, last=seeded.second))
    tables = {t.name: t.rows for t in insights_tables(insights)}

    assert insights.departments is None
    assert tables["departments"] == []


def test_programme_insights_count_people_not_registrations_for_the_floor():
    """Three people at two workshops each: six registrations, but three people, so the
    cell stays below the floor."""
    from memberships.selectors.insights import last_completed_month
    from tests.factories import EventFactory, RegistrationFactory, UserFactory
    from tests.memberships.insights_data import _at

    month = last_completed_month()
    people = [UserFactory() for _n in range(3)]
    for day in (5, 6):
        event = EventFactory(
            kind="workshop", starts_at=_at(month, day), ends_at=_at(month, day, 12)
        )
        for person in people:
            RegistrationFactory(event=event, user=person)

    insights = programme_insights(period=MonthRange(first=month, last=month))

    workshop = next(row for row in insights.kinds if row.key == "workshop")
    assert (workshop.registrations.value, workshop.registrations.is_partial) == (None, True)
    assert insights.months[0].registrations.value is None
