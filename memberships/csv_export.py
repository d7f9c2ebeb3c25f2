"""The one way the portal writes CSV (admin exports, partner digests, event rosters).

Every cell goes through `csv_cell`: a spreadsheet runs a cell that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return as a formula (CSV injection), and any value here may have been
typed by someone else (a name, a title, a member number set through the partner API)."""

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils import timezone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """`value` as text, with a leading apostrophe where a spreadsheet would take it for a
    formula. None becomes an empty cell."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def _write(out, header: Sequence, rows: Iterable[Sequence]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(cell) for cell in header])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)


def csv_text(*, header: Sequence, rows: Iterable[Sequence]) -> str:
    """The rows as CSV text (for attachments), every cell guarded."""
    out = io.StringIO()
    _write(out, header, rows)
    return out.getvalue()


def csv_download(*, name: str, header: Sequence, rows: Iterable[Sequence]) -> HttpResponse:
    """An attachment `<name>-<UTC timestamp>.csv`, every cell guarded."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    _write(response, header, rows)
    return response
