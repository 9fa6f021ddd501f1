"""Importing task records from the spreadsheets schools keep today (CSV or XLSX).

One row is one task done by one trainee (or a team: names separated by ``;``) on one day.
Columns, in English or French (accents and case do not matter):

=============  ==================  =========================================================
column         French              content
=============  ==================  =========================================================
date           date                day of the work: 2026-11-20 or 20/11/2026 (required)
trainee        apprenti            trainee name(s), ``;`` between team members (required)
task           tache               catalogue task id (or give a description)
order          commande            production order reference (must exist)
level          niveau              one level for every competency of the task
competencies   competences         ``CP03=V; CP04=R``: levels for single competencies
autonomy       autonomie           1 (guided) to 4 (autonomous)
assessor       evaluateur          who assessed
role           role                maitre, enseignant, tuteur or auto
minutes        minutes             time spent
note           note                a short note
description    description         what was done, when it is not a catalogue task
=============  ==================  =========================================================

The whole file is checked before anything is written; any problem is reported with its row
and column and nothing is written (all or nothing).

Importing is idempotent: a row already in the journal — recognised by its content, not by the
file's name (:mod:`ep_skills.journal.recognise`) — is not written again, so importing the
same spreadsheet every week writes only its new rows. A row that matches a record on
everything but a level or a note is a conflict, reported with both values.
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from attrs import frozen

from ep_skills.api import EvidenceError, ImportConflicts, Journal
from ep_skills.dates import parse_day
from ep_skills.errors import EpSkillsError
from ep_skills.i18n import _, format_day
from ep_skills.journal.model import TaskRecord
from ep_skills.outputs import replacing

__all__ = [
    "COLUMNS",
    "ImportProblems",
    "ImportReport",
    "import_file",
    "read_rows",
    "write_template",
]

COLUMNS = (
    "date",
    "trainee",
    "task",
    "order",
    "level",
    "competencies",
    "autonomy",
    "assessor",
    "role",
    "minutes",
    "note",
    "description",
)
_FRENCH = {
    "apprenti": "trainee",
    "jeune": "trainee",
    "apprenant": "trainee",
    "tache": "task",
    "commande": "order",
    "niveau": "level",
    "competences": "competencies",
    "autonomie": "autonomy",
    "evaluateur": "assessor",
}
_MAX_SHOWN = 30
_HEADERS = "\0headers"


@frozen
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    rows: int
    records: int
    """New task records written (or, in a dry run, to write)."""
    assessments: int
    """Their assessments."""
    existing: int = 0
    """Rows already in the journal, not written again."""
    existing_since: datetime | None = None
    """When the oldest of those was recorded."""
    repeated: int = 0
    """Rows identical to an earlier row of the file, each written as a record of its own."""
    batch: int | None = None
    """The number of the import (« import n° … »), to withdraw it as a whole."""
    names: tuple[tuple[str, str], ...] = ()
    """Names as typed that were matched loosely (case, accents, spaces), with the trainee's
    name as recorded."""


class ImportProblems(EpSkillsError):
    """The file has problems; ``problems`` lists them as ``(row, column, message)``."""

    def __init__(self, file: str, problems: list[tuple[int, str, str]]) -> None:
        self.problems = problems
        lines = [
            _("{file}: {n} problem(s), nothing was imported:").format(file=file, n=len(problems))
        ]
        for row, column, message in problems[:_MAX_SHOWN]:
            lines.append(
                _("  row {row}, column {column}: {message}").format(
                    row=row, column=column or "—", message=message
                )
            )
        if len(problems) > _MAX_SHOWN:
            lines.append(_("  … and {n} more").format(n=len(problems) - _MAX_SHOWN))
        super().__init__("\n".join(lines))


def _normalise(header: str) -> str:
    text = unicodedata.normalize("NFKD", str(header or "")).encode("ascii", "ignore").decode()
    key = text.strip().lower().replace(" ", "_")
    return _FRENCH.get(key, key)


def _read_csv(path: Path) -> Iterator[dict[str, Any]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")  # what Excel writes for "CSV (séparateur: point-virgule)"
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    yield from csv.DictReader(io.StringIO(text), delimiter=delimiter)


def _read_xlsx(path: Path) -> Iterator[dict[str, Any]]:
    from zipfile import BadZipFile

    try:
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise EpSkillsError(
            _("cannot read the spreadsheet {file}: {reason}").format(file=path, reason=exc)
        ) from None
    except Exception as exc:  # openpyxl raises its own errors for damaged files
        raise EpSkillsError(
            _("cannot read the spreadsheet {file}: {reason}").format(file=path, reason=exc)
        ) from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        return
    names = [str(h) if h is not None else "" for h in header]
    for values in rows:
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        yield dict(zip(names, values, strict=False))
    workbook.close()


def read_rows(file: str | Path) -> list[dict[str, Any]]:
    """The rows of a CSV or XLSX file, keyed by normalised column names.

    Each row also maps ``"\0headers"`` to ``{normalised name: the file's own header}``, so
    that problems can name the columns as the user wrote them.
    """
    path = Path(file)
    if not path.exists():
        raise EpSkillsError(_("no such file: {file}").format(file=file))
    reader = _read_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _read_csv(path)
    try:
        rows = []
        names: dict[str, str] = {}
        headers: dict[str, str] = {}
        for raw in reader:
            if not names:  # every row has the same headers: normalise them once
                names = {k: _normalise(k) for k in raw if k is not None}
                headers = {v: str(k).strip() for k, v in names.items()}
            row = {names[k]: v for k, v in raw.items() if k in names}
            row[_HEADERS] = headers
            rows.append(row)
    except csv.Error as exc:
        raise EpSkillsError(
            _("cannot read the CSV file {file}: {reason}").format(file=file, reason=exc)
        ) from None
    return rows


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_day(str(value))


def _row_to_record(journal: Journal, row: dict[str, Any]) -> TaskRecord:
    """Build one checked record; raises ``_CellError`` naming the column at fault."""
    if not _text(row.get("date")):
        raise _CellError("date", _("the date is missing"))
    try:
        day = _day(row["date"])
    except ValueError:
        raise _CellError("date", _("{value!r} is not a date").format(value=row["date"])) from None
    names = [n.strip() for n in (_text(row.get("trainee")) or "").split(";") if n.strip()]
    if not names:
        raise _CellError("trainee", _("the trainee is missing"))
    levels: dict[str, str] = {}
    for part in (_text(row.get("competencies")) or "").replace(",", ";").split(";"):
        if not part.strip():
            continue
        code, sep, level = part.partition("=")
        if not sep:
            raise _CellError("competencies", _("{value!r} is not CODE=LEVEL").format(value=part))
        levels[code.strip()] = level.strip()
    numbers: dict[str, int | None] = {}
    for column in ("autonomy", "minutes"):
        value = _text(row.get(column))
        try:
            numbers[column] = int(float(value)) if value else None
        except ValueError:
            raise _CellError(column, _("{value!r} is not a number").format(value=value)) from None
    try:
        return journal.build_record(
            names,
            task=_text(row.get("task")),
            description=_text(row.get("description")),
            day=day,
            order=_text(row.get("order")),
            level=_text(row.get("level")),
            levels=levels,
            autonomy=numbers["autonomy"],
            assessor=_text(row.get("assessor")),
            role=_text(row.get("role")) or "maitre",
            note=_text(row.get("note")),
            minutes=numbers["minutes"],
        )
    except EvidenceError as exc:
        raise _CellError(exc.field or "", str(exc)) from None


class _CellError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def import_file(
    journal: Journal,
    file: str | Path,
    *,
    dry_run: bool = False,
    again: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Check every row of ``file``, then write the new ones in one transaction (unless dry
    run); rows already in the journal are recognised and left out (unless ``again``).

    :raises ImportProblems: listing every problem with its row and column (conflicts with
        the journal included); nothing written.
    """
    rows = read_rows(file)
    if not rows:
        raise EpSkillsError(_("{file} has no rows to import").format(file=file))
    missing = [c for c in ("date", "trainee") if c not in rows[0]]
    if missing:
        raise EpSkillsError(
            _("{file}: missing column(s) {columns} (see: ep-skills import --template)").format(
                file=file, columns=", ".join(missing)
            )
        )
    records: list[TaskRecord] = []
    problems: list[tuple[int, str, str]] = []
    step = max(1, len(rows) // 100)
    for index, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            records.append(_row_to_record(journal, row))
        except _CellError as exc:
            headers = row.get(_HEADERS, {})
            problems.append((index, headers.get(exc.column, exc.column), exc.message))
        if progress and (index - 1) % step == 0:
            progress(index - 1, len(rows))
    if progress:
        progress(len(rows), len(rows))
    if problems:
        raise ImportProblems(str(file), problems)
    lines = list(range(2, len(rows) + 2))
    try:
        result = journal.import_records(
            records,
            file_name=Path(file).name,
            file_sha256=hashlib.sha256(Path(file).read_bytes()).hexdigest(),
            rows=lines,
            again=again,
            dry_run=dry_run,
        )
    except ImportConflicts as exc:
        raise ImportProblems(
            str(file),
            [(row, "", _conflict(journal, mine, there)) for row, mine, there in exc.conflicts],
        ) from None
    since = min((r.recorded_at for _row, r in result.existing if r.recorded_at), default=None)
    return ImportReport(
        rows=len(rows),
        records=len(result.written),
        assessments=sum(len(r.assessments) * len(r.trainees) for r in result.written),
        existing=len(result.existing),
        existing_since=since,
        repeated=result.repeated,
        batch=result.batch.id if result.batch else None,
        names=_loose_names(journal, rows),
    )


def _levels(record: TaskRecord) -> str:
    levels = ", ".join(f"{a.competency}={a.level}" for a in record.assessments)
    if record.note:
        levels += " « " + record.note + " »"
    return levels


def _conflict(journal: Journal, mine: TaskRecord, there: TaskRecord) -> str:
    return _(
        "the same work is already in the journal (record #{id}, recorded on {day}) with "
        "{theirs}; this file says {mine}. Correct the journal (ep-skills correct) or the "
        "file, or import with --again to record it as a second entry"
    ).format(
        id=there.id,
        day=format_day(there.recorded_at.date()) if there.recorded_at else "—",
        theirs=_levels(there),
        mine=_levels(mine),
    )


def _loose_names(journal: Journal, rows: list[dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    """Names typed otherwise than the trainee's recorded name, each with that name."""
    found: dict[str, str] = {}
    for row in rows:
        for typed in (_text(row.get("trainee")) or "").split(";"):
            typed = typed.strip()
            if typed and typed not in found:
                found[typed] = journal.trainee(typed).name
    return tuple((typed, name) for typed, name in found.items() if typed != name)


def write_template(file: str | Path, *, force: bool = False) -> None:
    """Write an empty import template with the columns and one example row.

    :raises OutputError: ``file`` exists (unless ``force``) or is not a regular file.
    """
    with replacing(file, force=force, private=False) as scratch:
        _write_template(Path(file).suffix.lower(), scratch)


def _write_template(suffix: str, path: Path) -> None:
    example = [
        "2026-11-20",
        "Léa Martin; Hugo Bernard",
        "conduire-ligne-mode-normal",
        "2026-041",
        "",
        "CP05=VV",
        "3",
        "M. Durand",
        "maitre",
        "120",
        "bonne réactivité",
        "",
    ]
    if suffix == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = "records"
        sheet.append(list(COLUMNS))
        sheet.append(example)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        workbook.save(path)
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(COLUMNS)
        writer.writerow(example)
