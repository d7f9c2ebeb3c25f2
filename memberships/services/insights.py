"""Programme insights as tables (for the CSV downloads and the monthly report) and the
monthly report itself, e-mailed to the programme admins through the outbox."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..csv_export import csv_text
from ..enums import NotificationKind
from ..selectors.insights import (
    PRIVACY_FLOOR,
    Band,
    Cell,
    MonthRange,
    ProgrammeInsights,
    Total,
    last_completed_month,
    programme_insights,
)
from .notifications import notify_employee


def below_floor() -> str:
    return _("fewer than %(floor)s") % {"floor": PRIVACY_FLOOR}


def show(value) -> str:
    """One figure as the page, the CSV and the report print it."""
    if isinstance(value, Cell):
        return below_floor() if value.shown is None else str(value.shown)
    if isinstance(value, Band):
        if value.low is None:
            return below_floor()
        return f"{value.low}–{value.high}"
    if isinstance(value, Total):
        if value.value is None:
            return below_floor()
        return f"{value.value}*" if value.is_partial else str(value.value)
    if value is None:
        return below_floor()
    return str(value)


@dataclass
class Table:
    name: str
    title: str
    header: list[str]
    rows: list[list[str]]


def insights_tables(insights: ProgrammeInsights) -> list[Table]:
    """Every table of the dashboard, as text cells (the floor already applied)."""
    headline = Table(
        name="headline",
        title=_("Programme today"),
        header=[_("figure"), _("value")],
        rows=[
            [_("Eligible people"), show(insights.eligible_people)],
            [_("Active members"), show(insights.active_members_now)],
            [_("People waiting for a seat"), show(insights.seat_waitlist)],
            [_("Waitlist places at upcoming events"), show(insights.event_waitlist)],
        ],
    )
    months = Table(
        name="months",
        title=_("Month by month"),
        header=[
            _("month"),
            _("claims"),
            _("activations"),
            _("seats used at month end"),
            _("active members at month end"),
            _("event registrations"),
            _("attended"),
        ],
        rows=[
            [
                row.month.strftime("%Y-%m"),
                show(row.claims),
                show(row.activations),
                show(row.seats_used),
                show(row.active_members),
                show(row.registrations),
                show(row.attended),
            ]
            for row in insights.months
        ]
        + [
            [
                _("total"),
                show(insights.claims_total),
                show(insights.activations_total),
                "",
                "",
                show(insights.registrations_total),
                show(insights.attended_total),
            ]
        ],
    )
    activation = Table(
        name="activation",
        title=_("Time from claim to activation"),
        header=[_("figure"), _("days")],
        rows=[
            [_("median"), show(insights.activation_days_median)],
            [_("90th percentile"), show(insights.activation_days_p90)],
        ],
    )
    kinds = Table(
        name="kinds",
        title=_("Events by kind"),
        header=[
            _("kind"),
            _("registrations"),
            _("attended"),
            _("feedback answers"),
            _("average rating (1–5)"),
        ],
        rows=[
            [
                row.label,
                show(row.registrations),
                show(row.attended),
                show(row.feedback_responses),
                show(row.average_rating),
            ]
            for row in insights.kinds
        ],
    )
    topics = Table(
        name="topics",
        title=_("Events by topic (well-being sessions only in the kinds table)"),
        header=[_("topic"), _("registrations"), _("attended")],
        rows=[[row.label, show(row.registrations), show(row.attended)] for row in insights.topics],
    )
    cost = Table(
        name="cost",
        title=_("Cost per active member"),
        header=[_("sponsorship"), _("fee"), _("currency"), _("active members"), _("per member")],
        rows=[
            [
                row.name,
                "" if row.fee is None else str(row.fee),
                row.currency,
                show(row.active_members),
                "" if row.fee is None else show(row.cost_per_member),
            ]
            for row in insights.sponsorships
        ],
    )
    departments = Table(
        name="departments",
        title=_("Active members by department"),
        header=[_("department"), _("active members")],
        rows=[[name or _("(none)"), show(cell)] for name, cell in insights.departments or []],
    )
    return [headline, months, activation, kinds, topics, cost, departments]


def insights_csv(table: Table) -> str:
    return csv_text(header=table.header, rows=table.rows)


@transaction.atomic
def _monthly_report_payload(insights: ProgrammeInsights, *, stamp: str) -> dict:
    tables = insights_tables(insights)
    return {
        "month": stamp,
        "floor": PRIVACY_FLOOR,
        "dashboard_url": settings.SITE_URL
        + reverse("admin:insights")
        + f"?from_month={stamp}&to_month={stamp}",
        "headline": tables[0].rows,
        "months": tables[1].rows[:1],
        "attachments": [
            {
                "filename": f"insights-{table.name}-{stamp}.csv",
                "content": insights_csv(table),
                "mimetype": "text/csv",
            }
            for table in tables
        ],
    }


def insights_monthly_report_send(*, today=None) -> int:
    """E-mail last month's figures, with every table as a CSV attachment, to each active
    programme admin. Idempotent per month and person (the outbox key), so a second run, or
    two beat processes, send nothing more. Returns how many programme admins it covers."""
    today = today or timezone.localdate()
    month = last_completed_month(today=today)
    period = MonthRange(first=month, last=month)
    insights = programme_insights(period=period)
    stamp = month.strftime("%Y-%m")
    admins = Group.objects.filter(name=settings.PROGRAMME_ADMINS_GROUP).first()
    recipients = [] if admins is None else admins.user_set.filter(is_active=True, is_staff=True)
    sent = 0
    for user in recipients.order_by("pk"):
        # The tables' labels and the CSVs are written in the reader's language: the payload
        # is stored, and a worker has no request to take a language from.
        with translation.override(user.language or settings.LANGUAGE_CODE):
            payload = _monthly_report_payload(insights, stamp=stamp)
        notify_employee(
            user=user,
            kind=NotificationKind.INSIGHTS_MONTHLY_REPORT,
            payload={**payload, "name": user.display_name},
            key=f"insights-report:{stamp}:{user.pk}",
        )
        sent += 1
    return sent
