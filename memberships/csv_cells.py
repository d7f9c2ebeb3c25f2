"""Cells of the CSV files the portal writes (exports, digests, rosters)."""

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """`value` as text, with a leading apostrophe where a spreadsheet would take it for a
    formula. None becomes an empty cell."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text
