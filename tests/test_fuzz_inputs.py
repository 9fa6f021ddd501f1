"""Fuzzing every file a user imports: a spreadsheet (CSV bytes, XLSX workbooks) or an RNCP
export (XML or CSV, bare or zipped).

For every input, the import either succeeds with valid records or raises
:class:`~ep_skills.errors.EpSkillsError` whose message is not empty and holds one line per
problem — never another exception, never a hang, never a half-write: after a refusal the
journal holds exactly what it held. Each file is also run once through the command line,
which must exit with 0 or 1 and never print a traceback.

Inputs are small and built from pieces close to real files (the columns, dates, names, tasks,
levels and numbers a school types, the export's elements), then often damaged: bytes
flipped, inserted, deleted, or the file cut short. ``max_examples`` stays modest so that the
whole file runs in well under a minute; a hang guard (an alarm) fails an example that takes
more than a few seconds instead of letting the suite hang.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import tempfile
import traceback
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ep_skills.api import Journal, open_journal
from ep_skills.cli import cli
from ep_skills.errors import EpSkillsError
from ep_skills.i18n import current_language, set_language
from ep_skills.importing import ImportProblems, import_file
from ep_skills.rncp import RncpFiche, read_fiche

NORMAL = "conduire-ligne-mode-normal"
JAM = "traiter-bourrage-mode-degrade"
GUARD_SECONDS = 20
FUZZ = settings(
    # EP_SKILLS_FUZZ_EXAMPLES=2000 fuzzes longer, by hand.
    max_examples=int(os.environ.get("EP_SKILLS_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Every example starts from a copy of a journal file (the server runs the same imports in
# test_cli_journal.py and test_import_limits.py).
pytestmark = pytest.mark.sqlite_only


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    before = current_language()
    set_language("en")
    yield
    set_language(before)


@contextmanager
def hang_guard(seconds: int = GUARD_SECONDS) -> Iterator[None]:
    """Fail instead of hanging: an alarm interrupts whatever runs too long."""

    def expired(_signum: int, _frame: object) -> None:
        raise AssertionError(f"no answer in {seconds} s: the import hangs")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


@pytest.fixture(scope="module")
def template(folder: Path) -> Path:
    """A journal each example starts from: two trainees, an order, one record."""
    path = folder / "template.db"
    with open_journal(path, create=True) as journal:
        journal.add_trainee("Léa Martin", diploma="cap-cip", cohort="2026")
        journal.add_trainee("Hugo Bernard", diploma="cap-cip", cohort="2026")
        journal.add_order("2026-041", customer="Mécanique du Gier", title="400 équerres")
        journal.record(["Léa Martin"], task=NORMAL, order="2026-041", day=date(2026, 11, 20))
    return path


def fresh(template: Path) -> Path:
    """A copy of the template journal, for one example."""
    db = template.with_name("atelier.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, db)
    return db


def held(journal: Journal) -> tuple[int, int, int]:
    """(task records, assessments, imports) in the journal."""
    connection = journal.storage.connection  # type: ignore[attr-defined]
    records = connection.execute("SELECT count(*) FROM task_record").fetchone()[0]
    imports = connection.execute("SELECT count(*) FROM import_batch").fetchone()[0]
    return int(records), journal.storage.count_assessments(), int(imports)


def check_message(error: EpSkillsError) -> None:
    """Not empty; one line, or for a list of problems one line per problem."""
    lines = str(error).splitlines()
    assert lines and lines[0].strip(), repr(str(error))
    if isinstance(error, ImportProblems):
        shown = min(len(error.problems), 30)
        assert len(lines) == 1 + shown + (len(error.problems) > 30), str(error)
    else:
        assert len(lines) == 1, str(error)


def check_import(template: Path, path: Path, dry_run: bool) -> str:
    """The property every spreadsheet must have, through the API then the command line."""
    db = fresh(template)
    with open_journal(db) as journal:
        before = held(journal)
        try:
            with hang_guard():
                report = import_file(journal, path, dry_run=dry_run)
        except EpSkillsError as error:
            check_message(error)
            assert held(journal) == before, "a refused import wrote something"
            outcome = f"refused: {type(error).__name__}"
        else:
            outcome = "accepted"
            assert report.rows >= 1
            assert report.records + report.existing == report.rows
            assert report.assessments >= report.records
            records, assessments, imports = held(journal)
            if dry_run:
                assert (records, assessments, imports) == before
            else:
                assert records == before[0] + report.records
                assert assessments == before[1] + report.assessments
                assert imports == before[2] + (1 if report.records else 0)
    with hang_guard():
        result = CliRunner().invoke(cli, ["--lang", "en", "--db", str(db), "import", str(path)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"ep-skills import crashed:\n{trace}")
    assert "Traceback" not in result.output
    # After the API's import (or its dry run) the same file is accepted again, or refused
    # again.
    assert result.exit_code == (0 if outcome == "accepted" else 1), result.output
    return outcome


# -- building blocks -------------------------------------------------------------------------

HEADERS = {
    # as a school writes it: what the import reads it as
    "date": "date",
    "Date": "date",
    "trainee": "trainee",
    "apprenti": "trainee",
    "Apprenti": "trainee",
    "jeune": "trainee",
    "task": "task",
    "Tâche": "task",
    "order": "order",
    "commande": "order",
    "level": "level",
    "niveau": "level",
    "competencies": "competencies",
    "Compétences": "competencies",
    "autonomy": "number",
    "autonomie": "number",
    "assessor": "text",
    "role": "role",
    "minutes": "number",
    "note": "text",
    "description": "text",
    "remarque": "text",
    "": "text",
}
GOOD = {
    "date": ["2026-11-20", "20/11/2026", "19/11/2026"],
    "trainee": ["Léa Martin", "lea  martin", "Hugo Bernard", "Léa Martin; Hugo Bernard"],
    "task": [NORMAL, JAM],
    "order": ["2026-041", ""],
    "level": ["V", "VV", "R", ""],
    "competencies": ["CP04=V", "CP05=VV; CP04=R", ""],
    "number": ["1", "3", "4", "3.0", "1e0", ""],
    "role": ["maitre", "tuteur", "auto", ""],
    "text": ["", "bien", "a eu besoin d'aide"],
}
BAD = {
    "date": ["32/13/2026", "2999-01-01", "19/11", "hier", ""],
    "trainee": ["X", "Léa Martin; Léa Martin", ""],
    "task": ["conduire-ligne", ""],
    "order": ["2026-999"],
    "level": ["ZZ"],
    "competencies": ["CP04", "CP99=V", "="],
    "number": ["4.9", "inf", "nan", "-1", "1e19", "abc", "9" * 40],
    "role": ["chef"],
    "text": ["x" * 3000],
}
PLAIN = sorted({v for values in (*GOOD.values(), *BAD.values()) for v in values})
# Any text, control characters, quotes, separators and line breaks included.
TEXT = st.text(max_size=12)
CELL = st.one_of(st.sampled_from(PLAIN), TEXT)


def cells(kind: str) -> st.SearchStrategy[str]:
    """Mostly a good value for the column, sometimes a bad one, sometimes anything."""
    return st.integers(0, 19).flatmap(
        lambda pick: (
            st.sampled_from(GOOD[kind])
            if pick < 17
            else st.sampled_from(BAD[kind])
            if pick < 19
            else CELL
        )
    )


OPTIONAL = sorted(name for name, kind in HEADERS.items() if kind not in ("date", "trainee", "task"))


@st.composite
def tables(draw: st.DrawFn) -> list[list[str]]:
    """A header (mostly with the required columns) and a few rows of plausible cells."""
    base = draw(st.sampled_from([["date", "trainee", "task"], ["Date", "apprenti", "Tâche"]]))
    if draw(st.integers(0, 9)) == 9:
        base = draw(st.lists(st.sampled_from(sorted(HEADERS)), max_size=3))  # anything goes
    pick = st.integers(0, 9).flatmap(
        lambda n: st.sampled_from(OPTIONAL) if n < 8 else st.sampled_from(sorted(HEADERS)) | TEXT
    )
    header = base + draw(st.lists(pick, max_size=3))
    kinds = [HEADERS.get(name, "text") for name in header]
    rows = []
    for _ in range(draw(st.integers(1, 4)) if draw(st.integers(0, 19)) < 19 else 0):
        row = [draw(cells(kind)) for kind in kinds]
        shape = draw(st.integers(0, 19))
        if shape == 19:
            row = row[: draw(st.integers(0, len(row)))]  # a short row
        elif shape == 18:
            row += draw(st.lists(CELL, max_size=2))  # cells beyond the header
        elif shape == 17:
            row = [""] * len(row)  # an empty row
        rows.append(row)
    return [header, *rows]


MUTATION = st.tuples(
    st.sampled_from(["flip", "insert", "delete", "cut"]),
    st.floats(0, 1),
    st.integers(0, 255),
)
# Damaged one time in three.
MUTATIONS = st.integers(0, 2).flatmap(
    lambda n: st.lists(MUTATION, min_size=1, max_size=3) if n == 2 else st.just([])
)


def mutate(data: bytes, mutations: list[tuple[str, float, int]]) -> bytes:
    """``data`` damaged: a byte changed, inserted or deleted, or the end cut off."""
    buffer = bytearray(data)
    for kind, where, byte in mutations:
        at = min(int(where * len(buffer)), max(len(buffer) - 1, 0))
        if kind == "insert":
            buffer[at:at] = bytes([byte])
        elif not buffer:
            continue
        elif kind == "flip":
            buffer[at] = byte
        elif kind == "delete":
            del buffer[at]
        else:
            del buffer[at:]
    return bytes(buffer)


# -- CSV -------------------------------------------------------------------------------------


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 9:
        return draw(st.binary(max_size=300))  # anything at all
    out = io.StringIO()
    writer = csv.writer(
        out,
        delimiter=draw(st.sampled_from([";", ",", "\t"])),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        lineterminator=draw(st.sampled_from(["\r\n", "\n"])),
    )
    writer.writerows(draw(tables()))
    encoding = draw(
        st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-32"])
    )
    data = out.getvalue().encode(encoding, errors="replace")
    return mutate(data, draw(MUTATIONS))


@FUZZ
@given(data=csv_files(), dry_run=st.booleans())
def test_csv_imports_succeed_or_say_why(
    template: Path, folder: Path, data: bytes, dry_run: bool
) -> None:
    path = folder / "suivi.csv"
    path.write_bytes(data)
    event(check_import(template, path, dry_run))


# -- XLSX ------------------------------------------------------------------------------------

XLSX_VALUE = st.one_of(
    CELL.map(lambda text: ILLEGAL_CHARACTERS_RE.sub("", text)),
    st.none(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([3.0, 4.9, 1e19, 0.5, True, False]),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1)),
)


@st.composite
def xlsx_files(draw: st.DrawFn) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    header, *rows = draw(tables())
    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", h) for h in header])
    for row in rows:
        values: list[object] = []
        for cell in row:
            pick = draw(st.integers(0, 9))
            clean = ILLEGAL_CHARACTERS_RE.sub("", cell)
            values.append(clean if pick < 7 else None if pick == 7 else draw(XLSX_VALUE))
        sheet.append(values)
    if draw(st.booleans()):  # a stray cell far away, beyond the header or below the rows
        row_number = draw(st.integers(1, 5_000))
        column = draw(st.integers(1, 16_384))
        sheet.cell(row=row_number, column=column, value=draw(XLSX_VALUE))
    out = io.BytesIO()
    book.save(out)
    return mutate(out.getvalue(), draw(MUTATIONS))


@FUZZ
@given(data=xlsx_files(), dry_run=st.booleans())
def test_xlsx_imports_succeed_or_say_why(
    template: Path, folder: Path, data: bytes, dry_run: bool
) -> None:
    path = folder / "suivi.xlsx"
    path.write_bytes(data)
    event(check_import(template, path, dry_run))


@st.composite
def damaged_parts(draw: st.DrawFn) -> bytes:
    """A valid workbook with one of its XML parts damaged inside a valid zip."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["date", "trainee", "task"])
    sheet.append(["2026-11-20", "Léa Martin", NORMAL])
    out = io.BytesIO()
    book.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    names = source.namelist()
    victim = draw(st.sampled_from(names))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as target:
        for name in names:
            data = source.read(name)
            if name == victim:
                if draw(st.booleans()):
                    continue  # left out
                data = mutate(data, draw(st.lists(MUTATION, min_size=1, max_size=3)))
            target.writestr(name, data)
    return damaged.getvalue()


@FUZZ
@given(data=damaged_parts())
def test_damaged_workbook_parts_succeed_or_say_why(
    template: Path, folder: Path, data: bytes
) -> None:
    path = folder / "parts.xlsx"
    path.write_bytes(data)
    event(check_import(template, path, dry_run=True))


# -- RNCP exports ----------------------------------------------------------------------------

RNCP_TEXT = st.one_of(
    st.sampled_from(["Réaliser des prestations", "Français et histoire", "", "  "]),
    st.text(max_size=15),
)


def xml_text(text: str) -> str:
    """Text that XML can hold (no control characters, no lone surrogates), escaped."""
    kept = "".join(c for c in text if c in "\t\n\r" or (c >= " " and not "\ud800" <= c <= "\udfff"))
    return escape(kept)


@st.composite
def rncp_xml(draw: st.DrawFn) -> str:
    fiches = []
    for _ in range(draw(st.integers(1, 3))):
        number = draw(st.sampled_from(["RNCP1", "RNCP1", "rncp1", "RNCP34670", "", "RNCP"]))
        blocs = []
        for _ in range(draw(st.integers(0, 3))):
            code = draw(st.one_of(st.sampled_from(["RNCP1BC01", "RNCP1BC02", ""]), RNCP_TEXT))
            lines = "&lt;br&gt;".join(xml_text(draw(RNCP_TEXT)) for _ in range(2))
            blocs.append(
                f"<BLOC_COMPETENCES><CODE>{xml_text(code)}</CODE>"
                f"<LIBELLE>{xml_text(draw(RNCP_TEXT))}</LIBELLE>"
                f"<LISTE_COMPETENCES>{lines}</LISTE_COMPETENCES></BLOC_COMPETENCES>"
            )
        level = draw(st.sampled_from(["NIV3", "NIV4", "niveau 12", "", "NIV" + "9" * 30]))
        day = draw(st.sampled_from(["31/08/2025", "2025-08-31", "31/02/2025", ""]))
        fiches.append(
            f"<FICHE><NUMERO_FICHE>{number}</NUMERO_FICHE>"
            f"<INTITULE>{xml_text(draw(RNCP_TEXT))}</INTITULE>"
            f"<ABREGE><CODE>{draw(st.sampled_from(['CAP', 'BAC PRO', 'TP', 'X']))}</CODE></ABREGE>"
            f"<NOMENCLATURE_EUROPE><NIVEAU>{level}</NIVEAU></NOMENCLATURE_EUROPE>"
            f"<DATE_FIN_ENREGISTREMENT>{day}</DATE_FIN_ENREGISTREMENT>"
            f"<ACTIF>{draw(st.sampled_from(['Oui', 'Non', '']))}</ACTIF>"
            f"<BLOCS_COMPETENCES>{''.join(blocs)}</BLOCS_COMPETENCES></FICHE>"
        )
    nested = draw(st.booleans())
    body = "".join(fiches)
    body = f"<LOT>{body}</LOT>" if nested and draw(st.booleans()) else body
    declared = draw(
        st.sampled_from(["", "", "utf-8", "UTF-8", "iso-8859-1", "x-unknown", "utf-16"])
    )
    prolog = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    return f"{prolog}<FICHES>{body}</FICHES>"


@st.composite
def rncp_csv(draw: st.DrawFn) -> str:
    columns = ["Numero_Fiche", "Bloc_Competences_Code", "Bloc_Competences_Libelle"]
    header = draw(st.permutations(columns)) if draw(st.integers(0, 4)) else ["Fiche", "Code"]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(header)
    for _ in range(draw(st.integers(0, 5))):
        number = draw(st.sampled_from(["RNCP1", "rncp1 ", "RNCP2", ""]))
        cells = {
            "Numero_Fiche": number,
            "Bloc_Competences_Code": draw(st.sampled_from(["RNCP1BC01", "", "BC"])),
            "Bloc_Competences_Libelle": draw(RNCP_TEXT),
        }
        row = [cells.get(c, "x") for c in header]
        writer.writerow(row[: draw(st.integers(0, len(row)))] if draw(st.booleans()) else row)
    return out.getvalue()


@st.composite
def rncp_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, bytes): an XML or CSV export, perhaps zipped, perhaps damaged."""
    if draw(st.booleans()):
        name, text = "export.xml", draw(rncp_xml())
    else:
        name, text = "blocs.csv", draw(rncp_csv())
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    data = mutate(data, draw(MUTATIONS))
    if draw(st.integers(0, 2)) == 2:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"export_{name}", data)
        zipped = mutate(out.getvalue(), draw(MUTATIONS))
        return "export.zip", zipped
    return name, data


def check_fiche(fiche: RncpFiche, number: str) -> None:
    assert fiche.number.upper() == number
    assert all(b.code and b.code == b.code.strip() for b in fiche.blocs)
    assert fiche.level is None or 0 <= fiche.level < 1000
    assert all(isinstance(line, str) and line for b in fiche.blocs for line in b.competencies)


@FUZZ
@given(file=rncp_files(), number=st.sampled_from(["RNCP1", "RNCP1", "RNCP34670"]))
def test_rncp_exports_succeed_or_say_why(
    folder: Path, file: tuple[str, bytes], number: str
) -> None:
    name, data = file
    path = folder / name
    path.write_bytes(data)
    try:
        with hang_guard():
            fiche = read_fiche(path, number)
    except EpSkillsError as error:
        check_message(error)
        event("refused")
        accepted = False
    else:
        check_fiche(fiche, number)
        event("accepted")
        accepted = True
    out = folder / "referential.toml"
    out.unlink(missing_ok=True)
    with hang_guard():
        result = CliRunner().invoke(
            cli,
            [
                "--lang",
                "en",
                "referential",
                "import-rncp",
                str(path),
                "--fiche",
                number,
                "-o",
                str(out),
            ],
        )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"ep-skills referential import-rncp crashed:\n{trace}")
    assert "Traceback" not in result.output
    assert result.exit_code == (0 if accepted else 1), result.output


def test_the_fuzz_strategies_reach_both_outcomes(folder: Path, template: Path) -> None:
    """A fuzz test whose every example is refused proves little: one accepted file of each
    kind, built from the same pieces, goes through the same checks."""
    rows: list[list[Any]] = [["date", "trainee", "task"], ["2026-11-20", "Léa Martin", NORMAL]]
    path = folder / "good.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    assert check_import(template, path, dry_run=False) == "accepted"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(folder / "good.xlsx")
    assert check_import(template, folder / "good.xlsx", dry_run=True) == "accepted"
    xml = folder / "good.xml"
    xml.write_text(
        "<FICHES><FICHE><NUMERO_FICHE>RNCP1</NUMERO_FICHE><BLOCS_COMPETENCES><BLOC_COMPETENCES>"
        "<CODE>RNCP1BC01</CODE><LIBELLE>Bloc</LIBELLE></BLOC_COMPETENCES></BLOCS_COMPETENCES>"
        "</FICHE></FICHES>",
        encoding="utf-8",
    )
    check_fiche(read_fiche(xml, "RNCP1"), "RNCP1")
