"""Importing the HR roster of a sponsorship from CSV: all rows or none.

The file is the whole roster: rows missing from it are removed. Whoever stops being eligible
has their live memberships revoked in the same transaction."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..enums import LIVE_MEMBERSHIP_STATUSES
from ..exceptions import RosterInvalid
from ..models import RosterEntry, Sponsorship
from ..selectors.eligibility import ELIGIBLE, eligibility_rule_code, roster_entry_for
from .audit import audit_record
from .claims import memberships_revoke
from .locks import sponsorship_lock

REQUIRED_COLUMNS = ("email", "employee_id", "eligible")
OPTIONAL_COLUMNS = ("department",)
MAX_ROWS = 100_000
_YES = {"yes", "y", "true", "1", ""}
_NO = {"no", "n", "false", "0"}


@dataclass(frozen=True)
class RosterRowError:
    line: int
    message: str

    def __str__(self) -> str:
        return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class RosterImportResult:
    rows: int = 0
    errors: list[RosterRowError] = field(default_factory=list)
    gained: int = 0
    lost: int = 0
    revoked: list = field(default_factory=list)
    is_dry_run: bool = True
    is_imported: bool = False

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return ngettext(
                "%(n)s error; nothing will be imported.",
                "%(n)s errors; nothing will be imported.",
                len(self.errors),
            ) % {"n": len(self.errors)}
        gain = ngettext(
            "%(n)s person gains eligibility", "%(n)s people gain eligibility", self.gained
        ) % {"n": self.gained}
        lose = ngettext("%(n)s loses it", "%(n)s lose it", self.lost) % {"n": self.lost}
        if self.is_imported:
            revoke = ngettext(
                "%(n)s live membership was revoked",
                "%(n)s live memberships were revoked",
                len(self.revoked),
            )
        else:
            revoke = ngettext(
                "%(n)s live membership will be revoked",
                "%(n)s live memberships will be revoked",
                len(self.revoked),
            )
        rows = ngettext("%(n)s row", "%(n)s rows", self.rows) % {"n": self.rows}
        return f"{rows}: {gain}, {lose}; {revoke % {'n': len(self.revoked)}}."


def _decode(file) -> str:
    if hasattr(file, "read"):
        file = file.read()
    if isinstance(file, bytes):
        try:
            return file.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RosterInvalid(_("The file is not UTF-8 text (save it as CSV UTF-8).")) from exc
    return file


def _read_header(text: str) -> tuple[csv.DictReader, RosterRowError | None]:
    """A reader with normalised column names, or the error that the header is wrong."""
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        message = _("The header must name the columns %(cols)s; missing: %(missing)s.") % {
            "cols": ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS),
            "missing": ", ".join(missing),
        }
        return reader, RosterRowError(line=1, message=message)
    reader.fieldnames = columns
    return reader, None


def _cells(row: dict) -> tuple[str, str, str, str]:
    """email (lower case), employee id, department and eligible, stripped."""
    return (
        (row.get("email") or "").strip().lower(),
        (row.get("employee_id") or "").strip(),
        (row.get("department") or "").strip(),
        (row.get("eligible") or "").strip().lower(),
    )


def _row_problems(
    *, email: str, employee_id: str, department: str, eligible: str, seen: dict
) -> list[str]:
    """Everything wrong with one row, in plain words; `seen` maps the e-mails and employee
    ids of earlier valid rows to their line numbers."""
    problems = []
    if not email and not employee_id:
        problems.append(_("give an e-mail address or an employee id"))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(_("%(email)s is not an e-mail address") % {"email": email})
        if ("email", email) in seen:
            problems.append(
                _("%(email)s is already on line %(line)s")
                % {"email": email, "line": seen["email", email]}
            )
    if employee_id:
        if len(employee_id) > 64:
            problems.append(_("the employee id is longer than 64 characters"))
        if ("id", employee_id) in seen:
            problems.append(
                _("employee id %(id)s is already on line %(line)s")
                % {"id": employee_id, "line": seen["id", employee_id]}
            )
    if eligible not in _YES | _NO:
        problems.append(_('"eligible" must be yes or no, not "%(value)s"') % {"value": eligible})
    if len(department) > 200:
        problems.append(_("the department is longer than 200 characters"))
    return problems


def roster_parse(*, file) -> tuple[list[RosterEntry], list[RosterRowError]]:
    """Parse and validate every row; returns unsaved entries and row-level errors."""
    try:
        text = _decode(file)
    except RosterInvalid as exc:
        return [], [RosterRowError(line=1, message=str(exc))]
    reader, header_error = _read_header(text)
    if header_error is not None:
        return [], [header_error]
    entries: list[RosterEntry] = []
    errors: list[RosterRowError] = []
    seen: dict[tuple[str, str], int] = {}
    for row in reader:
        line = reader.line_num
        if len(entries) + len(errors) >= MAX_ROWS:
            errors.append(RosterRowError(line=line, message=_("Too many rows.")))
            break
        if None in row:
            errors.append(RosterRowError(line=line, message=_("This row has too many values.")))
            continue
        email, employee_id, department, eligible = _cells(row)
        if not any([email, employee_id, department, eligible]):
            continue  # blank line
        problems = _row_problems(
            email=email,
            employee_id=employee_id,
            department=department,
            eligible=eligible,
            seen=seen,
        )
        if problems:
            errors.append(RosterRowError(line=line, message="; ".join(problems) + "."))
            continue
        if email:
            seen["email", email] = line
        if employee_id:
            seen["id", employee_id] = line
        entries.append(
            RosterEntry(
                email=email,
                employee_id=employee_id,
                department=department,
                is_eligible=eligible in _YES,
            )
        )
    return entries, errors


def _match(entry: RosterEntry, old_by_email: dict, old_by_id: dict) -> RosterEntry | None:
    found = old_by_email.get(entry.email) if entry.email else None
    if found is None and entry.employee_id:
        found = old_by_id.get(entry.employee_id)
    return found


def _count_changes(
    result: RosterImportResult, *, old_entries: list, new_entries: list[RosterEntry]
) -> None:
    """How many people gain and lose eligibility between the old roster and the new one."""
    old_by_email = {e.email.lower(): e for e in old_entries if e.email}
    old_by_id = {e.employee_id: e for e in old_entries if e.employee_id}
    matched: set[int] = set()
    for entry in new_entries:
        old = _match(entry, old_by_email, old_by_id)
        if old is not None:
            matched.add(old.pk)
        was_eligible = old is not None and old.is_eligible
        if entry.is_eligible and not was_eligible:
            result.gained += 1
        elif not entry.is_eligible and was_eligible:
            result.lost += 1
    result.lost += sum(1 for e in old_entries if e.is_eligible and e.pk not in matched)


def _memberships_losing_eligibility(
    *, sponsorship: Sponsorship, new_entries: list[RosterEntry]
) -> list:
    """Live memberships whose holder the new roster no longer makes eligible."""
    live = sponsorship.memberships.filter(status__in=LIVE_MEMBERSHIP_STATUSES).select_related(
        "user"
    )
    return [
        m
        for m in live
        if eligibility_rule_code(
            user=m.user,
            sponsorship=sponsorship,
            roster_entry=roster_entry_for(user=m.user, entries=new_entries),
        )
        != ELIGIBLE
    ]


def _replace_roster(
    result: RosterImportResult, *, sponsorship: Sponsorship, new_entries: list, actor
) -> None:
    """Swap the rows, revoke who lost eligibility, and record it (sponsorship locked)."""
    sponsorship.roster_entries.all().delete()
    RosterEntry.objects.bulk_create(new_entries, batch_size=1000)
    result.revoked = memberships_revoke(
        memberships=result.revoked,
        actor=actor,
        reason=_("No longer on the company's list of eligible staff (roster import)."),
    )
    audit_record(
        actor=actor,
        obj=sponsorship,
        action="roster_imported",
        changes={
            "rows": result.rows,
            "gained": result.gained,
            "lost": result.lost,
            "revoked": len(result.revoked),
        },
    )
    result.is_imported = True


@transaction.atomic
def roster_import(*, sponsorship: Sponsorship, file, dry_run: bool, actor) -> RosterImportResult:
    """Replace the roster of `sponsorship` with the CSV `file` (email, employee_id,
    department, eligible) and revoke the live memberships of people who lose eligibility.

    All or nothing: any row error imports nothing. `dry_run` computes the effect only.
    Locks the sponsorship row, like every change of its seats."""
    new_entries, errors = roster_parse(file=file)
    result = RosterImportResult(rows=len(new_entries) + len(errors), errors=errors)
    result.is_dry_run = dry_run
    if errors:
        return result
    sponsorship = sponsorship_lock(sponsorship_id=sponsorship.pk)
    for entry in new_entries:
        entry.sponsorship = sponsorship
    _count_changes(
        result, old_entries=list(sponsorship.roster_entries.all()), new_entries=new_entries
    )
    result.revoked = _memberships_losing_eligibility(
        sponsorship=sponsorship, new_entries=new_entries
    )
    if not dry_run:
        _replace_roster(result, sponsorship=sponsorship, new_entries=new_entries, actor=actor)
    return result
