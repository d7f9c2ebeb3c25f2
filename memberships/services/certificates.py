"""Certificates of attendance and the yearly summary of development hours, as PDF (fpdf2).

Pure rendering: no query, no write. The text is the employee's own data and the event's
public facts; the verification code and the address that checks it are printed on each."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from ..selectors.learning import LearningRecord, RecordEntry, user_zone

FONT_FAMILY = "certificate"


def _pdf() -> tuple[FPDF, str]:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_creator(settings.PROGRAMME_NAME)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(20, 20, 20)
    font = Path(settings.CERTIFICATE_FONT_PATH) if settings.CERTIFICATE_FONT_PATH else None
    if font is not None and font.is_file():
        pdf.add_font(FONT_FAMILY, "", str(font))
        family = FONT_FAMILY
    else:
        family = "helvetica"  # Latin-1 only: other letters are replaced (see _text)
    pdf.add_page()
    return pdf, family


def _text(pdf: FPDF, family: str, text: str) -> str:
    if family == FONT_FAMILY:
        return text
    return text.encode("latin-1", "replace").decode("latin-1")


def verification_url() -> str:
    return settings.SITE_URL + reverse("memberships:certificate-verify")


def _hours(hours: Decimal) -> str:
    return formats.number_format(hours.normalize() if hours == hours.to_integral() else hours, 2)


def certificate_pdf(*, entry: RecordEntry, user) -> bytes:
    """A one-page certificate of attendance for one attended session."""
    event = entry.event
    zone = user_zone(user)
    starts = timezone.localtime(event.starts_at, zone)
    pdf, family = _pdf()
    pdf.set_title(_("Certificate of attendance"))

    def line(text: str, size: int, height: float = 10, align: str = "C") -> None:
        pdf.set_font(family, size=size)
        pdf.multi_cell(0, height, _text(pdf, family, text), align=align, new_x="LMARGIN")

    pdf.ln(25)
    line(settings.PROGRAMME_NAME, 12)
    pdf.ln(10)
    line(_("Certificate of attendance"), 26, 14)
    pdf.ln(10)
    line(_("This certifies that"), 12)
    line(user.display_name, 20, 12)
    line(_("attended"), 12)
    line(event.title, 18, 11)
    pdf.ln(4)
    line(
        _("hosted by %(host)s on %(date)s (%(zone)s)")
        % {
            "host": event.partner.name,
            "date": formats.date_format(starts, "j F Y, H:i"),
            "zone": zone.key,
        },
        12,
    )
    line(
        _("%(kind)s · %(hours)s hours of development")
        % {"kind": event.get_kind_display(), "hours": _hours(entry.hours)},
        12,
    )
    if entry.topics:
        line(_("Topics: %(topics)s") % {"topics": ", ".join(entry.topics)}, 11)
    pdf.ln(25)
    line(_("Verification code: %(code)s") % {"code": entry.certificate_code}, 12)
    line(_("Check it at %(url)s") % {"url": verification_url()}, 10, 7)
    return bytes(pdf.output())


def yearly_summary_pdf(*, record: LearningRecord, user) -> bytes:
    """The year's development hours, by kind and topic, with every session listed: what an
    employee hands to their manager."""
    pdf, family = _pdf()
    pdf.set_title(_("Development hours %(year)s") % {"year": record.year})

    def line(text: str, size: int, height: float = 7, align: str = "L") -> None:
        pdf.set_font(family, size=size)
        pdf.multi_cell(0, height, _text(pdf, family, text), align=align, new_x="LMARGIN")

    line(settings.PROGRAMME_NAME, 10)
    line(_("Development hours %(year)s") % {"year": record.year}, 20, 12)
    line(user.display_name, 14, 9)
    pdf.ln(4)
    line(_("Total: %(hours)s hours") % {"hours": _hours(record.total_hours)}, 13)
    for title, rows in (
        (_("Hours by kind"), record.hours_by_kind),
        (_("Hours by topic (a session counts for each of its topics)"), record.hours_by_topic),
    ):
        pdf.ln(3)
        line(title, 13, 9)
        for label, hours in rows:
            line(f"{label}: {_hours(hours)}", 11)
    pdf.ln(3)
    line(_("Sessions"), 13, 9)
    zone = user_zone(user)
    for entry in record.entries:
        starts = timezone.localtime(entry.event.starts_at, zone)
        line(
            _("%(date)s · %(title)s (%(host)s) · %(hours)s h · certificate %(code)s")
            % {
                "date": formats.date_format(starts, "j M Y"),
                "title": entry.event.title,
                "host": entry.event.partner.name,
                "hours": _hours(entry.hours),
                "code": entry.certificate_code,
            },
            10,
            6,
        )
    pdf.ln(4)
    line(
        _("Times in %(zone)s. Check any certificate code at %(url)s")
        % {"zone": zone.key, "url": verification_url()},
        9,
        5,
    )
    return bytes(pdf.output())
