"""Importing task records from the spreadsheets schools keep today (CSV or XLSX).

One row is one task done by one trainee (or a team: names separated by ``;``) on one day.
Columns, in English or French (accents and case do not matter; « apprenti » and « apprenant »
are read as « jeune »):

=============  ==================  =========================================================
column         French              content
=============  ==================  =========================================================
date           date                day of the work: 2026-11-20 or 20/11/2026 (required)
trainee        jeune               trainee name(s), ``;`` between team members (required)
task           tâche               catalogue task id (or give a description)
order          commande            production order reference (must exist)
level          niveau              one level for every competency of the task
competencies   compétences         ``CP03=V; CP04=R``: levels for single competencies
autonomy       autonomie           1 (guided) to 4 (autonomous)
assessor       évaluateur          who assessed
role           rôle                maitre, enseignant, tuteur or auto
minutes        minutes             time spent
note           note                a short note
description    description         what was done, when it is not a catalogue task
=============  ==================  =========================================================

The template (:func:`write_template`) and the messages name the columns in the user's
language: French headers and a sheet « enregistrements » in French.

The whole file is checked before anything is written; any problem is reported with its row
and column and nothing is written (all or nothing).

Importing is idempotent: a row already in the journal — recognised by its content, not by the
file's name (:mod:`ep_skills.journal.recognise`) — is not written again, so importing the
same spreadsheet every week writes only its new rows. A row that matches a record on
everything but a level or a note is a conflict, reported with both values.

Every input is bounded (:class:`Limits`, one place for every bound, also used for the RNCP
export by :mod:`ep_skills.rncp`): only a regular file is opened, the CSV is streamed and its
empty rows skipped, an XLSX workbook's zip is checked before openpyxl opens it and its sheet
read no wider than its header, and every file that cannot be read is one message naming the
reason — never a traceback, a hang or gigabytes of memory.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import math
import os
import stat
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from attrs import frozen

from ep_skills.dates import parse_day
from ep_skills.errors import EpSkillsError, EvidenceError, InvalidValueError
from ep_skills.i18n import _, current_language, format_day, ngettext
from ep_skills.outputs import replacing

if TYPE_CHECKING:
    from ep_skills.api import Journal
    from ep_skills.journal.model import TaskRecord

__all__ = [
    "COLUMNS",
    "FRENCH_COLUMNS",
    "LIMITS",
    "ImportProblems",
    "ImportReport",
    "Limits",
    "column_name",
    "column_names",
    "import_file",
    "read_bytes",
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
_KNOWN = frozenset(COLUMNS)
FRENCH_COLUMNS = {
    "date": "date",
    "trainee": "jeune",
    "task": "tâche",
    "order": "commande",
    "level": "niveau",
    "competencies": "compétences",
    "autonomy": "autonomie",
    "assessor": "évaluateur",
    "role": "rôle",
    "minutes": "minutes",
    "note": "note",
    "description": "description",
}
"""Each column's French header: a French template's, and what messages call it in French.
Headers are data of the file format (read in both languages), not translated messages."""
_SHEET_NAMES = {"en": "records", "fr": "enregistrements"}
# What a problem may name that is not a column of its own (a field of the journal).
_FIELD_COLUMNS = {"competency": "competencies", "day": "date"}


def _ascii_key(header: str) -> str:
    text = unicodedata.normalize("NFKD", str(header or "")).encode("ascii", "ignore").decode()
    return text.strip().lower().replace(" ", "_")


_FRENCH = {
    **{_ascii_key(french): column for column, french in FRENCH_COLUMNS.items()},
    "apprenti": "trainee",
    "apprenant": "trainee",
}
_MAX_SHOWN = 30
_HEADERS = "\0headers"
_ROW = "\0row"
_MB = 1_000_000


@frozen
class Limits:
    """How much an import reads at most: every input a user gives is bounded, so that a
    hostile or broken file costs seconds and megabytes, never minutes and gigabytes.

    A file beyond a bound is refused with a message naming it, before anything is written.
    The values are documented in docs/journal.md (« Limits on inputs »); :data:`LIMITS`
    holds the ones every import uses. The journal's own bounds on values (a note's length,
    the minutes of a task…) are checked where the values enter the journal
    (:mod:`ep_skills.journal.values`), not here.
    """

    file_bytes: int = 100 * _MB
    """A CSV or XLSX file, on disk."""
    rows: int = 200_000
    """Rows with content in one file (empty rows are skipped and not counted)."""
    columns: int = 50
    """Columns of the header, up to its last named one; cells beyond it are ignored."""
    cell_chars: int = 10_000
    """Characters in one cell."""
    line_chars: int = 1_000_000
    """Characters in one line of a CSV file (read whole before it is split into cells)."""
    sheet_rows: int = 1_048_576
    """The last row number of a sheet (Excel's own limit), empty rows included."""
    zip_members: int = 1_000
    """Files inside an XLSX workbook or a zipped RNCP export."""
    zip_bytes: int = 300 * _MB
    """An XLSX workbook's files, all together once uncompressed (200,000 rows of twelve
    columns take about 110 MB)."""
    zip_ratio: int = 100
    """How many times any file of more than 1 MB inside a zip may be compressed (workbooks
    of 200,000 rows: 12 to 19 times; a zip bomb: a thousand)."""
    rncp_bytes: int = 2_000 * _MB
    """An RNCP export, on disk or once unzipped (the whole XML export is ~570 MB)."""
    rncp_fiche_bytes: int = 10 * _MB
    """XML read without the end of a fiche: one fiche of the export (kilobytes, not
    megabytes), or what comes before the first."""
    rncp_blocs: int = 1_000
    """Blocs of one fiche."""


LIMITS = Limits()
"""The bounds every import uses."""


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


def _shown(value: object, limit: int = 200) -> str:
    """``value`` as one short line, to quote in a message."""
    text = " ".join(str(value).splitlines())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ImportProblems(InvalidValueError):
    """The file has problems; ``problems`` lists them as ``(row, column, message)`` (a file
    that cannot be read at all is one problem, row 0). ``value`` is the file's name."""

    def __init__(self, file: str, problems: list[tuple[int, str, str]]) -> None:
        self.problems = problems
        lines = [
            ngettext(
                "{file}: {n} problem, nothing was imported:",
                "{file}: {n} problems, nothing was imported:",
                len(problems),
            ).format(file=file, n=len(problems))
        ]
        for row, column, message in problems[:_MAX_SHOWN]:
            # One line per problem, whatever the cells held (a value quoted with its line
            # breaks would split it).
            lines.append(
                _("  row {row}, column {column}: {message}").format(
                    row=row,
                    column=_shown(column) if column else "—",
                    message=" ".join(message.splitlines()),
                )
            )
        if len(problems) > _MAX_SHOWN:
            lines.append(_("  … and {n} more").format(n=len(problems) - _MAX_SHOWN))
        super().__init__("\n".join(lines), field="file", value=file)


# -- what may be read ------------------------------------------------------------------------


def check_regular_file(file: str | Path, max_bytes: int) -> Path:
    """``file``, if it is a regular file of at most ``max_bytes``: checked before it is
    opened, since opening a FIFO waits for a writer forever and a device never ends.

    :raises EpSkillsError: missing, not a regular file, unreadable, or too large.
    """
    path = Path(file)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise EpSkillsError(_("no such file: {file}").format(file=file)) from None
    except OSError as exc:
        raise EpSkillsError(
            _("cannot read the file {file}: {reason}").format(file=file, reason=exc.strerror or exc)
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise EpSkillsError(
            _("{file} is not a regular file (a folder, a pipe or a device): give a file").format(
                file=file
            )
        )
    if info.st_size > max_bytes:
        raise EpSkillsError(
            _("{file} is too large: {size} MB, more than the {max} MB allowed").format(
                file=file, size=-(-info.st_size // _MB), max=max_bytes // _MB
            )
        )
    return path


def read_bytes(file: str | Path, max_bytes: int) -> bytes:
    """The content of ``file``, checked first as :func:`check_regular_file` does; every
    failure is one message in the user's language naming the file.

    :raises EpSkillsError: missing, not a regular file, too large, or unreadable.
    """
    path = check_regular_file(file, max_bytes)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise EpSkillsError(
            _("cannot read the file {file}: {reason}").format(file=file, reason=exc.strerror or exc)
        ) from None


def _zip_directory(handle: IO[bytes]) -> tuple[int, int] | None:
    """(files, bytes) of the central directory as the archive's end record declares them, or
    None when there is no end record (not a zip)."""
    size = handle.seek(0, os.SEEK_END)
    tail = min(size, 22 + 0xFFFF)  # the end record, then a comment of at most 64 KiB
    handle.seek(size - tail)
    data = handle.read(tail)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or len(data) - at < 22:
        return None
    return int.from_bytes(data[at + 10 : at + 12], "little"), int.from_bytes(
        data[at + 12 : at + 16], "little"
    )


def open_zip(
    handle: IO[bytes], file: str | Path, max_bytes: int, limits: Limits
) -> zipfile.ZipFile:
    """The zip archive in ``handle``, once its declared contents are checked against the
    limits: the number of files (read from the end record before the directory itself is),
    their total size once uncompressed (at most ``max_bytes``), how much each is compressed,
    and a method that can be read. zipfile never hands out more than a file's declared size,
    so the declared sizes bound what is read.

    :raises zipfile.BadZipFile: not a zip.
    :raises EpSkillsError: beyond a limit.
    """
    declared = _zip_directory(handle)
    if declared is None:
        raise zipfile.BadZipFile("File is not a zip file")
    count, directory = declared
    # A directory entry takes 46 bytes and a name: 1 KiB each is generous.
    if count > limits.zip_members or directory > limits.zip_members * 1024:
        raise EpSkillsError(
            _("{file}: it holds more than {max} compressed files, the most allowed").format(
                file=file, max=limits.zip_members
            )
        )
    handle.seek(0)
    archive = zipfile.ZipFile(handle)
    members = archive.infolist()
    if len(members) > limits.zip_members:
        archive.close()
        raise EpSkillsError(
            _("{file}: it holds more than {max} compressed files, the most allowed").format(
                file=file, max=limits.zip_members
            )
        )
    total = 0
    for member in members:
        total += member.file_size
        # Flags 0x01 and 0x40: encrypted; 0x20: patched data, which zipfile cannot read.
        if member.flag_bits & 0x61 or member.compress_type not in (
            zipfile.ZIP_STORED,
            zipfile.ZIP_DEFLATED,
        ):
            archive.close()
            raise EpSkillsError(
                _(
                    "{file}: {part} inside it is encrypted or compressed in a way that cannot be "
                    "read"
                ).format(file=file, part=_shown(member.filename))
            )
        ratio = member.file_size // max(member.compress_size, 1)
        if member.file_size > _MB and ratio > limits.zip_ratio:
            archive.close()
            raise EpSkillsError(
                _(
                    "{file}: {part} inside it is compressed {ratio} times, more than the {max} "
                    "times allowed (a zip bomb?)"
                ).format(file=file, part=_shown(member.filename), ratio=ratio, max=limits.zip_ratio)
            )
    if total > max_bytes:
        archive.close()
        raise EpSkillsError(
            _(
                "{file}: once uncompressed, its contents would take {size} MB, more than the "
                "{max} MB allowed"
            ).format(file=file, size=-(-total // _MB), max=max_bytes // _MB)
        )
    return archive


def bounded_lines(text: IO[str], file: str | Path, max_chars: int) -> Iterator[str]:
    """The lines of ``text``, each read at most ``max_chars`` at a time: a file without line
    breaks is not read whole into memory.

    :raises EpSkillsError: a line is longer.
    """
    number = 0
    while line := text.readline(max_chars):
        number += 1
        if len(line) == max_chars and line[-1] not in "\r\n":
            raise EpSkillsError(
                _("{file}: line {line} is longer than {max} characters").format(
                    file=file, line=number, max=max_chars
                )
            )
        yield line


# -- reading a file --------------------------------------------------------------------------


def _normalise(header: str) -> str:
    key = _ascii_key(header)
    return _FRENCH.get(key, key)


def column_name(column: str) -> str:
    """The header of ``column`` (or of the column a journal field comes from) in the user's
    language: ``jeune`` for ``trainee`` in French; an unknown name is returned as it is."""
    column = _FIELD_COLUMNS.get(column, column)
    if current_language() == "fr":
        return FRENCH_COLUMNS.get(column, column)
    return column


def column_names() -> list[str]:
    """Every column's header in the user's language, in the template's order."""
    return [column_name(column) for column in COLUMNS]


def _column_letter(index: int) -> str:
    """``A`` for the first column, ``AA`` for the 27th, as a spreadsheet names them."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _width(file: str | Path, header: Sequence[Any], limits: Limits) -> int:
    """The header's width, up to its last named column."""
    width = 0
    for index, cell in enumerate(header):
        if cell is not None and str(cell).strip():
            width = index + 1
    if width > limits.columns:
        raise EpSkillsError(
            _("{file}: {n} columns, more than the {max} an import reads").format(
                file=file, n=width, max=limits.columns
            )
        )
    return width


def _too_long(
    file: str | Path, number: int, header: Sequence[Any], cells: Sequence[Any], limits: Limits
) -> None:
    """Raise if a cell of the row holds more than ``limits.cell_chars`` characters."""
    for index, cell in enumerate(cells):
        if isinstance(cell, str) and len(cell) > limits.cell_chars:
            name = header[index] if index < len(header) and header[index] else None
            raise ImportProblems(
                str(file),
                [
                    (
                        number,
                        str(name).strip() if name is not None else _column_letter(index),
                        _("the cell holds {n} characters, more than the {max} allowed").format(
                            n=len(cell), max=limits.cell_chars
                        ),
                    )
                ],
            )


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),  # before UTF-16 LE, which it starts with
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_SAVE_AS = "« CSV UTF-8 »"


def _csv_encoding(handle: IO[bytes], file: str | Path) -> tuple[str, str | None]:
    """The codec to read the CSV with, and the name of the encoding its byte order mark
    announces (None without one: then UTF-8 if the whole file is, else Windows-1252, what
    Excel writes for « CSV (séparateur: point-virgule) »)."""
    head = handle.read(4)
    handle.seek(0)
    for bom, codec, name in _BOMS:
        if head.startswith(bom):
            return codec, name
    decoder = codecs.getincrementaldecoder("utf-8")()
    codec = "utf-8"
    try:
        while chunk := handle.read(1 << 20):
            if b"\0" in chunk:  # no text holds NUL: binary, or UTF-16 without its mark
                raise EpSkillsError(
                    _(
                        "{file} is not a CSV text file: it holds binary data (or UTF-16 text "
                        "without a byte order mark); save it as {format} and import it again"
                    ).format(file=file, format=_SAVE_AS)
                )
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        codec = "cp1252"
    handle.seek(0)
    return codec, None


def _delimiter(header: str) -> str:
    """``;``, tab or ``,``: the one the header line holds most of (``;`` on a tie)."""
    counts = [(header.count(d), -i, d) for i, d in enumerate((";", "\t", ","))]
    return max(counts)[2]


def _csv_rows(
    handle: IO[bytes], file: str | Path, limits: Limits
) -> Generator[tuple[int, Sequence[Any]], None, None]:
    """The header, then each row with content, numbered as a spreadsheet shows them."""
    codec, announced = _csv_encoding(handle, file)
    text = io.TextIOWrapper(handle, encoding=codec, newline="")
    number = 0
    try:
        lines = bounded_lines(text, file, limits.line_chars)
        first = next(lines, "")
        reader = csv.reader(
            itertools.chain((first,), lines), delimiter=_delimiter(first), strict=True
        )
        header = next(reader, None)
        if header is None:
            return
        number = 1
        width = _width(file, header, limits)
        del header[width:]
        _too_long(file, 1, header, header, limits)
        yield 1, header
        for number, cells in enumerate(reader, start=2):
            if len(cells) > width:
                del cells[width:]
            if not any(cells) or not "".join(cells).strip():
                continue
            if sum(map(len, cells)) > limits.cell_chars:
                _too_long(file, number, header, cells, limits)
            yield number, cells
    except UnicodeDecodeError as exc:
        byte = f"0x{exc.object[exc.start]:02X}" if exc.start < len(exc.object) else "—"
        if announced:
            message = _(
                "{file} starts as {encoding} text but is not valid {encoding} (byte {byte}); "
                "save it as {format} and import it again"
            )
        else:
            message = _(
                "{file} is neither UTF-8 nor Windows-1252 text (byte {byte}); save it as "
                "{format} and import it again"
            )
        raise EpSkillsError(
            message.format(file=file, encoding=announced, byte=byte, format=_SAVE_AS)
        ) from None
    except csv.Error as exc:
        if "field limit" in str(exc):  # csv's own bound, above ours
            raise ImportProblems(
                str(file),
                [
                    (
                        number + 1,
                        "",
                        _("a cell holds more than {max} characters").format(max=limits.cell_chars),
                    )
                ],
            ) from None
        raise EpSkillsError(
            _(
                '{file}: row {row} is not well-formed CSV: a cell is too long, or a quote (") '
                "is not closed"
            ).format(file=file, row=number + 1)
        ) from None


def _damaged(file: str | Path, exc: BaseException) -> EpSkillsError:
    detail = _shown(exc) or type(exc).__name__
    return EpSkillsError(
        _("cannot read the spreadsheet {file}: {reason}").format(
            file=file,
            reason=_("it is damaged, or not an XLSX workbook ({detail})").format(detail=detail),
        )
    )


def _xlsx_rows(
    handle: IO[bytes], file: str | Path, limits: Limits
) -> Generator[tuple[int, Sequence[Any]], None, None]:
    """The first sheet's header, then each row with content.

    The sheet's declared size (its ``dimension``) is not trusted: openpyxl would pad every
    row to it. Rows are read up to the header's width, so that a cell at XFD1048576 costs
    a million cheap empty rows, not a million rows of 16,384 cells.
    """
    workbook = None
    try:
        open_zip(handle, file, limits.zip_bytes, limits).close()
        handle.seek(0)
        from openpyxl import load_workbook

        with warnings.catch_warnings():  # what it says of a damaged file is in the message
            warnings.simplefilter("ignore")
            workbook = load_workbook(handle, read_only=True, data_only=True, keep_links=False)
        sheets = workbook.worksheets
        if not sheets:
            raise EpSkillsError(
                _("cannot read the spreadsheet {file}: {reason}").format(
                    file=file, reason=_("the workbook has no sheet it can read")
                )
            )
        sheet = sheets[0]
        sheet.reset_dimensions()
        header = list(next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ()))
        width = _width(file, header, limits)
        del header[width:]
        _too_long(file, 1, header, header, limits)
        yield 1, header
        if not width:
            return
        blank = (None,) * width
        rows = sheet.iter_rows(min_row=2, max_col=width, values_only=True)
        for number, values in enumerate(rows, start=2):
            if number > limits.sheet_rows:
                raise EpSkillsError(
                    _("cannot read the spreadsheet {file}: {reason}").format(
                        file=file,
                        reason=_("it has rows after row {max}, the last a sheet can have").format(
                            max=limits.sheet_rows
                        ),
                    )
                )
            if values == blank or all(
                v is None or (isinstance(v, str) and not v.strip()) for v in values
            ):
                continue
            _too_long(file, number, header, values, limits)
            yield number, values
    except EpSkillsError:
        raise
    except Exception as exc:  # openpyxl raises whatever its parsers meet in a damaged file
        raise _damaged(file, exc) from None
    finally:
        if workbook is not None:
            workbook.close()


def _collect(
    file: str | Path, rows: Iterator[tuple[int, Sequence[Any]]], limits: Limits
) -> list[dict[str, Any]]:
    """The rows as dictionaries keyed by normalised column names."""
    first = next(rows, None)
    if first is None:
        return []
    header = first[1]
    where: dict[str, int] = {}
    headers: dict[str, str] = {}
    for index, cell in enumerate(header):
        written = "" if cell is None else str(cell).strip()
        if not written:
            continue
        name = _normalise(written)
        if name in where and name in _KNOWN:
            raise EpSkillsError(
                _(
                    "{file}: columns {first} « {a} » and {second} « {b} » are both the "
                    "{column} column; keep only one"
                ).format(
                    file=file,
                    first=_column_letter(where[name]),
                    a=_shown(headers[name]),
                    second=_column_letter(index),
                    b=_shown(written),
                    column=column_name(name),
                )
            )
        where[name] = index
        headers[name] = written
    missing = [column_name(c) for c in ("date", "trainee") if c not in where]
    if missing:
        raise EpSkillsError(
            ngettext(
                "{file}: missing column {columns} (see: ep-skills import --template)",
                "{file}: missing columns {columns} (see: ep-skills import --template)",
                len(missing),
            ).format(file=file, columns=", ".join(missing))
        )
    positions = list(where.items())
    result: list[dict[str, Any]] = []
    for number, cells in rows:
        if len(result) == limits.rows:
            raise EpSkillsError(
                _("{file} has more than {max} rows: split it into smaller files").format(
                    file=file, max=limits.rows
                )
            )
        length = len(cells)
        row = {name: cells[i] for name, i in positions if i < length}
        row[_HEADERS] = headers
        row[_ROW] = number
        result.append(row)
    return result


def read_rows(file: str | Path, *, limits: Limits = LIMITS) -> list[dict[str, Any]]:
    """The rows with content of a CSV or XLSX file, keyed by normalised column names.

    Each row also maps ``"\0headers"`` to ``{normalised name: the file's own header}``, so
    that problems can name the columns as the user wrote them, and ``"\0row"`` to its row
    number in the file (the header is row 1; empty rows are skipped but counted).

    A CSV file may be UTF-8 (with or without a byte order mark), UTF-16 or UTF-32 with their
    byte order mark, or Windows-1252; its separator is the one of ``;``, tab and ``,`` its
    header line holds most of. An XLSX file is read from its first sheet.

    :raises EpSkillsError: the file cannot be read, is beyond ``limits``, lacks the date or
        trainee column, or names a column twice.
    """
    path = check_regular_file(file, limits.file_bytes)
    xlsx = path.suffix.lower() in (".xlsx", ".xlsm")
    try:
        with path.open("rb") as handle:
            rows = (_xlsx_rows if xlsx else _csv_rows)(handle, file, limits)
            try:
                return _collect(file, rows, limits)
            finally:
                rows.close()  # the workbook too, when a limit stopped the reading early
    except OSError as exc:
        raise EpSkillsError(
            _("cannot read the file {file}: {reason}").format(file=file, reason=exc.strerror or exc)
        ) from None


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
    numbers = {column: _whole(row.get(column), column) for column in ("autonomy", "minutes")}
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


def _whole(value: Any, column: str) -> int | None:
    """A cell as a whole number: ``4.9``, ``inf`` or ``nan`` is refused, never truncated
    (its range is the journal's to check, which keeps it within SQLite's integers)."""
    text = _text(value)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise _CellError(column, _("{value!r} is not a number").format(value=text)) from None
    if not math.isfinite(number) or not number.is_integer():
        raise _CellError(
            column,
            _("{field}: {value!r} is not a whole number").format(
                field=column_name(column), value=number
            ),
        )
    return int(number)


def _header(headers: dict[str, str], column: str) -> str:
    """The column at fault as the file names it, else in the user's language."""
    column = _FIELD_COLUMNS.get(column, column)
    return headers.get(column) or column_name(column)


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
    limits: Limits = LIMITS,
) -> ImportReport:
    """Check every row of ``file``, then write the new ones in one transaction (unless dry
    run); rows already in the journal are recognised and left out (unless ``again``).

    :param limits: the bounds on what is read (:data:`LIMITS` unless given).
    :raises ImportProblems: listing every problem with its row and column (conflicts with
        the journal included); nothing written.
    :raises EpSkillsError: the file cannot be read or is beyond ``limits`` (see
        :func:`read_rows`); nothing written.
    """
    from ep_skills.api import ImportConflicts

    rows = read_rows(file, limits=limits)
    if not rows:
        raise EpSkillsError(_("{file} has no rows to import").format(file=file))
    records: list[TaskRecord] = []
    problems: list[tuple[int, str, str]] = []
    step = max(1, len(rows) // 100)
    for index, row in enumerate(rows, start=1):
        try:
            records.append(_row_to_record(journal, row))
        except _CellError as exc:
            headers = row.get(_HEADERS, {})
            problems.append((row[_ROW], _header(headers, exc.column), exc.message))
        if progress and index % step == 0:
            progress(index, len(rows))
    if progress:
        progress(len(rows), len(rows))
    if problems:
        raise ImportProblems(str(file), problems)
    try:
        with Path(file).open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise EpSkillsError(
            _("cannot read the file {file}: {reason}").format(file=file, reason=exc.strerror or exc)
        ) from None
    try:
        result = journal.import_records(
            records,
            file_name=Path(file).name,
            file_sha256=digest,
            rows=[row[_ROW] for row in rows],
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
    names = ", ".join(journal.trainee(t).name for t in there.trainees)
    return _(
        "the same work ({names}, {day}) is already in the journal as task record #{id} with "
        "{theirs}; this file says {mine}. Correct the journal (ep-skills correct --record "
        "{id}) or the file"
    ).format(
        names=names,
        day=format_day(there.day),
        id=there.id,
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
    """The columns and an example row, in the user's language (headers, sheet, date)."""
    headers = column_names()
    example = [
        format_day(date(2026, 11, 20)),
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
        sheet.title = _SHEET_NAMES.get(current_language(), _SHEET_NAMES["en"])
        sheet.append(headers)
        sheet.append(example)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        workbook.save(path)
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(headers)
        writer.writerow(example)
