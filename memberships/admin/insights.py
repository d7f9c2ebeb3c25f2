"""Programme insights: a staff-only page in the admin, with server-drawn SVG charts (each
beside the table of its numbers), a range of whole months, and a CSV of every table.

Every figure comes from selectors/insights.py with the privacy floor applied; this module
only lays them out."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _

from ..csv_export import csv_download
from ..forms.insights import InsightsRangeForm
from ..selectors.insights import PRIVACY_FLOOR, MonthRange, programme_insights
from ..services.insights import insights_tables

CHART_WIDTH = 560
BAR_AREA_HEIGHT = 160
LABEL_HEIGHT = 36
TOP_PADDING = 18


@dataclass
class Bar:
    label: str
    value: int | None  # None: below the floor, drawn as a marker, never as a bar
    x: float
    width: float
    y: float
    height: float
    text_x: float
    value_y: float
    label_y: float


@dataclass
class Chart:
    slug: str
    title: str
    description: str
    bars: list[Bar]
    width: int
    height: int
    baseline_y: float


def bar_chart(*, slug: str, title: str, points: list[tuple[str, int | None]]) -> Chart:
    """The geometry of a simple bar chart; the template draws it as SVG."""
    count = max(len(points), 1)
    slot = CHART_WIDTH / count
    width = max(slot * 0.7, 2)
    top = max((value for _label, value in points if value is not None), default=0) or 1
    baseline = TOP_PADDING + BAR_AREA_HEIGHT
    bars = []
    for index, (label, value) in enumerate(points):
        height = 0 if value is None else BAR_AREA_HEIGHT * value / top
        x = index * slot + (slot - width) / 2
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(x, 1),
                width=round(width, 1),
                y=round(baseline - height, 1),
                height=round(height, 1),
                text_x=round(x + width / 2, 1),
                value_y=round(baseline - height - 4, 1),
                label_y=baseline + 14,
            )
        )
    shown = [f"{label}: {value}" for label, value in points if value is not None]
    hidden = [label for label, value in points if value is None]
    description = "; ".join(shown) or _("No figure clears the floor.")
    if hidden:
        description += ". " + _("Fewer than %(floor)s: %(labels)s.") % {
            "floor": PRIVACY_FLOOR,
            "labels": ", ".join(hidden),
        }
    return Chart(
        slug=slug,
        title=title,
        description=description,
        bars=bars,
        width=CHART_WIDTH,
        height=int(baseline + LABEL_HEIGHT),
        baseline_y=baseline,
    )


def _charts(insights) -> list[Chart]:
    return [
        bar_chart(
            slug="seats",
            title=_("Seats used at the end of each month (lower end of the band)"),
            points=[(f"{row.month:%Y-%m}", row.seats_used.low) for row in insights.months],
        ),
        bar_chart(
            slug="claims",
            title=_("Claims per month"),
            points=[(f"{row.month:%Y-%m}", row.claims.shown) for row in insights.months],
        ),
        bar_chart(
            slug="registrations",
            title=_("Event registrations per month (well-being sessions not included)"),
            points=[(f"{row.month:%Y-%m}", row.registrations.value) for row in insights.months],
        ),
        bar_chart(
            slug="kinds",
            title=_("Registrations by kind of event"),
            points=[(row.label, row.registrations.value) for row in insights.kinds],
        ),
    ]


def insights_view(request):
    """The dashboard. `?csv=<table>` downloads one table with the same figures."""
    if not request.user.is_staff:
        raise PermissionDenied
    form = InsightsRangeForm(request.GET if "from_month" in request.GET else None)
    if form.is_bound and not form.is_valid():
        context = {"title": _("Programme insights"), "form": form, "insights": None}
        return TemplateResponse(
            request,
            "admin/insights/dashboard.html",
            {**request.admin_site_context, **context},
            status=400,
        )
    period = form.period() if form.is_bound else MonthRange.default()
    if not form.is_bound:
        form = InsightsRangeForm(
            initial={
                "from_month": period.first.strftime("%Y-%m"),
                "to_month": period.last.strftime("%Y-%m"),
            }
        )
    insights = programme_insights(period=period)
    tables = insights_tables(insights)
    wanted = request.GET.get("csv")
    if wanted:
        table = next((t for t in tables if t.name == wanted), None)
        if table is not None:
            span = f"{period.first:%Y-%m}-to-{period.last:%Y-%m}"
            return csv_download(
                name=f"insights-{table.name}-{span}", header=table.header, rows=table.rows
            )
    query = f"from_month={period.first:%Y-%m}&to_month={period.last:%Y-%m}"
    context = {
        "title": _("Programme insights"),
        "form": form,
        "insights": insights,
        "tables": {table.name: table for table in tables},
        "charts": {chart.slug: chart for chart in _charts(insights)},
        "query": query,
        "floor": PRIVACY_FLOOR,
    }
    return TemplateResponse(
        request, "admin/insights/dashboard.html", {**request.admin_site_context, **context}
    )


def insights_urls(admin_site) -> list:
    """The admin URLs of this page, for the admin site's get_urls."""

    def view(request):
        request.admin_site_context = admin_site.each_context(request)
        return insights_view(request)

    return [path("insights/", admin_site.admin_view(view), name="insights")]
