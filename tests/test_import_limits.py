"""Every import input is bounded, and every bad file is one clear message.

Each test reproduces a finding of the fault and security audit: a small hostile file that
stalled the import, took gigabytes, hung on a pipe or ended in a traceback. Each must now end
in bounded time with either the rows imported or one clear message (exit code 1, no
traceback, the journal unchanged). The hang guards run the real command in a child process
with a generous timeout: they measure nothing, they only fail when the command hangs.

The limits themselves are :data:`ep_skills.importing.LIMITS` (docs/journal.md, « Limits on
inputs »); the tests use those values, and a smaller :class:`Limits` only where building a
file beyond the real one would be slow.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import traceback
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from ep_skills.api import open_journal
from ep_skills.cli import cli
from ep_skills.errors import EpSkillsError
from ep_skills.i18n import current_language, set_language
from ep_skills.importing import LIMITS, ImportProblems, Limits, import_file, read_rows
from ep_skills.rncp import read_fiche

ENV_VARS = ("EP_SKILLS_DB", "EP_SKILLS_CONFIG", "EP_SKILLS_BLOCK_PLUGINS", "NO_COLOR")
NORMAL = "conduire-ligne-mode-normal"  # CP04, CP02, CP01
HANG_GUARD = 120  # seconds: only a hang reaches it
ROW = ["2026-11-20", "Léa Martin", NORMAL]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    before = current_language()
    set_language("en")
    yield
    set_language(before)


def run(db: Path, *args: str, lang: str = "en") -> Result:
    """``ep-skills --lang LANG --db DB ARGS``; a crash (not a SystemExit) fails the test."""
    result = CliRunner().invoke(cli, ["--lang", lang, "--db", str(db), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"ep-skills {' '.join(args)} crashed instead of a clear error:\n{trace}")
    return result


def refused(db: Path, *args: str, lang: str = "en") -> str:
    """Run a command that must be refused; return its message (one line, unless it is an
    import report: then one line per problem)."""
    result = run(db, *args, lang=lang)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    prefix = "Error: " if lang == "en" else "Erreur"
    assert result.stderr.startswith(prefix), result.stderr
    return result.stderr.strip()


def one_line(db: Path, *args: str, lang: str = "en") -> str:
    message = refused(db, *args, lang=lang)
    assert len(message.splitlines()) == 1, message
    return message


def counts(db: Path) -> tuple[int, int]:
    """(task records, assessments): what a refused import must leave as it was."""
    with open_journal(db) as journal:
        connection = journal.storage.connection  # type: ignore[attr-defined]
        records = int(connection.execute("SELECT count(*) FROM task_record").fetchone()[0])
        return records, journal.storage.count_assessments()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A journal with Léa Martin (cap-cip), order 2026-041 and one record of 3 assessments."""
    path = tmp_path / "j.db"
    for args in (
        ("init",),
        ("trainee", "add", "Léa Martin", "--diploma", "cap-cip", "--cohort", "C"),
        ("order", "add", "2026-041", "--customer", "Mécanique Durand", "--title", "Équerres"),
        ("record", "Léa Martin", "--task", NORMAL, "--order", "2026-041"),
    ):
        assert run(path, *args).exit_code == 0
    assert counts(path) == (1, 3)
    return path


@pytest.fixture
def unchanged(db: Path) -> Iterator[Path]:
    """The journal, checked unchanged at the end of the test."""
    before = counts(db)
    yield db
    assert counts(db) == before


def write_csv(path: Path, rows: list[list[str]], *, delimiter: str = ";") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def script() -> str:
    beside = Path(sys.executable).parent / "ep-skills"
    return str(beside) if beside.exists() else "ep-skills"


def within_guard(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command in a child process; a hang fails the test instead of the suite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EP_SKILLS_")}
    try:
        return subprocess.run(
            [script(), "--lang", "en", "--db", str(db), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            timeout=HANG_GUARD,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"ep-skills {' '.join(args)} hung (no answer in {HANG_GUARD} s)")


def rezip(source: Path, target: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """A copy of a zip with each member changed (None: left out)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info))
            if data is not None:
                new.writestr(info.filename, data)
    return target


def workbook(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


# -- 1. a far cell stalled the XLSX import ---------------------------------------------------


@pytest.mark.sqlite_only  # a subprocess opens the file by its path
def test_a_cell_at_xfd1048576_does_not_stall_the_import(db: Path, tmp_path: Path) -> None:
    # openpyxl's read-only mode trusts <dimension ref="A1:XFD1048576"/> and padded each of the
    # million rows to 16,384 cells: minutes (12 s for a cell at row 20,000 only).
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["date", "trainee", "task"])
    sheet.append(ROW)
    sheet.cell(row=1_048_576, column=16_384, value="a stray note")
    path = tmp_path / "suivi.xlsx"
    book.save(path)
    assert path.stat().st_size < 10_000
    done = within_guard(db, "import", str(path))
    # The stray cell is beyond the header's width: ignored; the one real row is imported.
    assert done.returncode == 0, done.stderr
    assert "Import #1: 1 row, 1 new task record, 3 assessments" in done.stdout
    assert counts(db) == (2, 6)


@pytest.mark.sqlite_only  # a subprocess opens the file by its path
def test_a_row_number_no_sheet_can_have_is_refused(unchanged: Path, tmp_path: Path) -> None:
    # Hand-written XML can number a row beyond Excel's last: openpyxl would yield every empty
    # row up to it.
    path = workbook(tmp_path / "base.xlsx", [["date", "trainee", "task"], ROW])
    far = '<row r="2000000000"><c r="A2000000000" t="inlineStr"><is><t>x</t></is></c></row>'

    def change(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            return data.replace(b"</sheetData>", far.encode() + b"</sheetData>")
        return data

    hostile = rezip(path, tmp_path / "suivi.xlsx", change)
    done = within_guard(unchanged, "import", str(hostile))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"Error: cannot read the spreadsheet {hostile}: it has rows after row 1048576, "
        "the last a sheet can have"
    )


def test_rows_after_empty_rows_keep_their_row_numbers(unchanged: Path, tmp_path: Path) -> None:
    # Empty rows are skipped, but a problem names the row as the spreadsheet shows it.
    rows: list[list[object]] = [["date", "trainee", "task"], ROW, [None, None, None]]
    rows += [[None, None, None]] * 5 + [["2026-11-20", "Lea Martn", NORMAL]]
    path = workbook(tmp_path / "suivi.xlsx", rows)
    lines = refused(unchanged, "import", str(path)).splitlines()
    assert lines[1].startswith("  row 9, column trainee: "), lines
    csv_path = write_csv(
        tmp_path / "suivi.csv",
        [["date", "trainee", "task"], ROW, [], ["", "", ""], ["2026-11-20", "Lea Martn", NORMAL]],
    )
    lines = refused(unchanged, "import", str(csv_path)).splitlines()
    assert lines[1].startswith("  row 5, column trainee: "), lines


# -- 2. a zip bomb took gigabytes ------------------------------------------------------------


def _bomb(tmp_path: Path, megabytes: int) -> Path:
    """A valid workbook whose sheet holds one more cell of ``megabytes`` of « a »."""
    path = workbook(tmp_path / "base.xlsx", [["date", "trainee", "task"], ROW])
    big = b'<row r="3"><c r="D3" t="inlineStr"><is><t>'
    big += b"a" * (megabytes * 1_000_000) + b"</t></is></c></row></sheetData>"

    def change(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            return data.replace(b"</sheetData>", big)
        return data

    return rezip(path, tmp_path / "bomb.xlsx", change)


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(unchanged: Path, tmp_path: Path) -> None:
    bomb = _bomb(tmp_path, 20)
    assert bomb.stat().st_size < 100_000  # 20 MB in one cell, compressed ~1000 times
    line = one_line(unchanged, "import", str(bomb))
    assert line.startswith(f"Error: {bomb}: xl/worksheets/sheet1.xml inside it is compressed ")
    assert line.endswith(f"times, more than the {LIMITS.zip_ratio} times allowed (a zip bomb?)")


def test_the_uncompressed_size_of_a_workbook_is_bounded(db: Path, tmp_path: Path) -> None:
    # Within the ratio but beyond the total: checked on the sizes the archive declares.
    bomb = _bomb(tmp_path, 2)
    small = Limits(zip_bytes=1_000_000, zip_ratio=10_000)
    with open_journal(db) as journal, pytest.raises(EpSkillsError) as caught:
        import_file(journal, bomb, limits=small)
    assert str(caught.value).startswith(f"{bomb}: once uncompressed, its contents would take 3 MB")
    assert str(caught.value).endswith("more than the 1 MB allowed")


def test_a_workbook_of_too_many_files_is_refused(unchanged: Path, tmp_path: Path) -> None:
    path = workbook(tmp_path / "base.xlsx", [["date", "trainee", "task"], ROW])
    many = tmp_path / "many.xlsx"
    rezip(path, many, lambda _name, data: data)
    with zipfile.ZipFile(many, "a") as archive:
        for i in range(LIMITS.zip_members):
            archive.writestr(f"xl/media/image{i}.png", b"")
    line = one_line(unchanged, "import", str(many))
    assert line == f"Error: {many}: it holds more than 1000 compressed files, the most allowed"


def test_a_workbook_under_the_limits_is_read(db: Path, tmp_path: Path) -> None:
    bomb = _bomb(tmp_path, 2)  # the same shape, compressed as much, but small enough
    generous = Limits(zip_ratio=10_000)
    with open_journal(db) as journal:
        assert import_file(journal, bomb, limits=generous, dry_run=True).rows == 1


# -- 3. a CSV of a million empty rows took 588 MB --------------------------------------------


def test_a_million_empty_rows_are_streamed_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "suivi.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("date;trainee;task;order;level;competencies;autonomy;note\n")
        handle.write(";;;;;;;\n" * 1_000_000)
        handle.write(";".join(ROW) + ";;;;;\n")
    tracemalloc.start()
    try:
        rows = read_rows(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(r["\0row"], r["trainee"]) for r in rows] == [(1_000_002, "Léa Martin")]
    # Reading the whole file, or a dictionary per empty row, takes hundreds of megabytes.
    assert peak < 20_000_000, f"peak {peak / 1e6:.0f} MB"


def test_too_many_rows(unchanged: Path, tmp_path: Path) -> None:
    path = tmp_path / "suivi.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("date;trainee\n")
        handle.write("2026-11-20;Léa Martin\n" * (LIMITS.rows + 1))
    line = one_line(unchanged, "import", str(path))
    assert line == f"Error: {path} has more than 200000 rows: split it into smaller files"


def test_too_many_columns(unchanged: Path, tmp_path: Path) -> None:
    header = ["date", "trainee", "task"] + [f"extra {i}" for i in range(LIMITS.columns - 2)]
    path = write_csv(tmp_path / "suivi.csv", [header, ROW])
    line = one_line(unchanged, "import", str(path))
    assert line == f"Error: {path}: 51 columns, more than the 50 an import reads"
    # Fifty are fine, and so are empty header cells after the last named column.
    write_csv(path, [[*header[:50], "", ""], ROW])
    assert run(unchanged, "import", str(path), "--dry-run").exit_code == 0


def test_a_cell_too_long(unchanged: Path, tmp_path: Path) -> None:
    long_note = "x" * (LIMITS.cell_chars + 1)
    path = write_csv(tmp_path / "suivi.csv", [["date", "trainee", "note"], [*ROW[:2], long_note]])
    lines = refused(unchanged, "import", str(path)).splitlines()
    assert lines == [
        f"Error: {path}: 1 problem, nothing was imported:",
        "  row 2, column note: the cell holds 10001 characters, more than the 10000 allowed",
    ]


def test_a_131_kb_field_is_a_message(unchanged: Path, tmp_path: Path) -> None:
    # Beyond the csv module's own limit (131,072), which raised its own English error.
    path = write_csv(
        tmp_path / "suivi.csv", [["date", "trainee", "note"], [*ROW[:2], "x" * 131_100]]
    )
    lines = refused(unchanged, "import", str(path)).splitlines()
    assert lines[1] == "  row 2, column —: a cell holds more than 10000 characters"


def test_a_line_too_long_is_not_read_whole(unchanged: Path, tmp_path: Path) -> None:
    # A file without line breaks was read whole into memory before the csv module saw it.
    path = tmp_path / "suivi.csv"
    path.write_text("date;trainee;note\n" + "x" * (LIMITS.line_chars + 1), encoding="utf-8")
    line = one_line(unchanged, "import", str(path))
    assert line == f"Error: {path}: line 2 is longer than 1000000 characters"
    export = tmp_path / "blocs.csv"
    export.write_text(
        "Numero_Fiche;Bloc_Competences_Code;Bloc_Competences_Libelle\n" + "x" * 2000,
        encoding="utf-8",
    )
    with pytest.raises(EpSkillsError) as caught:
        read_fiche(export, "RNCP1", limits=Limits(line_chars=1000))
    assert str(caught.value) == "blocs.csv: line 2 is longer than 1000 characters"


def test_a_file_too_large(unchanged: Path, tmp_path: Path) -> None:
    path = tmp_path / "suivi.csv"
    with path.open("wb") as handle:
        handle.truncate(LIMITS.file_bytes + 1)  # sparse: nothing is written to the disk
    line = one_line(unchanged, "import", str(path))
    assert line == f"Error: {path} is too large: 101 MB, more than the 100 MB allowed"


def test_an_unclosed_quote_is_a_message(unchanged: Path, tmp_path: Path) -> None:
    # It used to swallow every following row into one cell, silently.
    path = tmp_path / "suivi.csv"
    path.write_text(
        'date;trainee;note\n2026-11-20;Léa Martin;"bien\n2026-11-21;Léa Martin;ok\n',
        encoding="utf-8",
    )
    line = one_line(unchanged, "import", str(path))
    assert line == (
        f'Error: {path}: row 2 is not well-formed CSV: a cell is too long, or a quote (") '
        "is not closed"
    )


# -- 4. a FIFO hung the import ---------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.sqlite_only  # a subprocess opens the file by its path
def test_a_fifo_is_refused_without_opening_it(unchanged: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "x.csv"
    os.mkfifo(fifo)
    done = within_guard(unchanged, "import", str(fifo))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"Error: {fifo} is not a regular file (a folder, a pipe or a device): give a file"
    )
    rncp = tmp_path / "export.xml"
    os.mkfifo(rncp)
    done = within_guard(unchanged, "referential", "import-rncp", str(rncp), "--fiche", "RNCP1")
    assert done.returncode == 1
    assert "is not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_device_or_a_folder_is_refused(db: Path, tmp_path: Path) -> None:
    with open_journal(db) as journal:
        for target in (Path(os.devnull), tmp_path):
            with pytest.raises(EpSkillsError, match="is not a regular file"):
                import_file(journal, target)
    with pytest.raises(EpSkillsError, match="is not a regular file"):
        read_fiche(tmp_path, "RNCP1")


# -- 5. tracebacks instead of messages -------------------------------------------------------


def test_a_byte_invalid_in_cp1252(unchanged: Path, tmp_path: Path) -> None:
    path = tmp_path / "suivi.csv"
    path.write_bytes("date;trainee;task\n2026-11-20;Léa Martin;".encode("cp1252") + b"\x81\n")
    line = one_line(unchanged, "import", str(path))
    assert line == (
        f"Error: {path} is neither UTF-8 nor Windows-1252 text (byte 0x81); save it as "
        "« CSV UTF-8 » and import it again"
    )


def test_latin_1_is_read_as_windows_1252(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "suivi.csv"
    path.write_bytes("date;apprenti;tâche\n20/11/2026;Léa Martin;".encode("latin-1") + b"x\n")
    result = run(db, "import", str(path))
    assert result.exit_code == 1
    # The headers and the name were understood: only the unknown task is reported.
    assert "row 2, column tâche: " in result.stderr
    assert "Léa Martin" not in result.stderr


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_unicode_files_with_a_byte_order_mark_are_read(
    db: Path, tmp_path: Path, encoding: str
) -> None:
    text = "date\ttrainee\ttask\n" + "\t".join(ROW) + "\n"  # Excel's « Unicode text »
    mark = "\ufeff" if encoding == "utf-16-be" else ""
    path = tmp_path / "suivi.csv"
    path.write_bytes((mark + text).encode(encoding))
    result = run(db, "import", str(path))
    assert result.exit_code == 0, result.output
    assert counts(db) == (2, 6)


def test_utf_16_without_a_byte_order_mark(unchanged: Path, tmp_path: Path) -> None:
    path = tmp_path / "suivi.csv"
    path.write_bytes("date;trainee;task\n".encode("utf-16-le"))
    line = one_line(unchanged, "import", str(path))
    assert "UTF-16" in line
    assert line.startswith(f"Error: {path} is not a CSV text file: it holds binary data")


def test_broken_utf_16(unchanged: Path, tmp_path: Path) -> None:
    path = tmp_path / "suivi.csv"
    path.write_bytes("date;trainee;task\n".encode("utf-16") + b"\x00\xd8\x41\x00")  # lone half
    line = one_line(unchanged, "import", str(path))
    assert line.startswith(f"Error: {path} starts as UTF-16 text but is not valid UTF-16 (byte ")


@pytest.mark.parametrize(
    ("part", "why"),
    [
        ("xl/worksheets/sheet1.xml", "left out"),
        ("xl/worksheets/sheet1.xml", "truncated"),
        ("xl/workbook.xml", "truncated"),
        ("xl/styles.xml", "truncated"),
        ("xl/_rels/workbook.xml.rels", "truncated"),
        ("[Content_Types].xml", "left out"),
    ],
)
def test_a_broken_workbook_part(unchanged: Path, tmp_path: Path, part: str, why: str) -> None:
    path = workbook(tmp_path / "base.xlsx", [["date", "trainee", "task"], ROW])

    def change(name: str, data: bytes) -> bytes | None:
        if name != part:
            return data
        return None if why == "left out" else data[: len(data) // 2]

    broken = rezip(path, tmp_path / "suivi.xlsx", change)
    line = one_line(unchanged, "import", str(broken))
    assert line.startswith(f"Error: cannot read the spreadsheet {broken}: "), line


def test_a_damaged_deflate_stream(unchanged: Path, tmp_path: Path) -> None:
    path = workbook(tmp_path / "suivi.xlsx", [["date", "trainee", "task"], ROW])
    data = bytearray(path.read_bytes())
    at = data.index(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
    data[at : at + 40] = bytes(40)  # the start of the sheet's compressed data
    path.write_bytes(bytes(data))
    line = one_line(unchanged, "import", str(path))
    assert line.startswith(f"Error: cannot read the spreadsheet {path}: "), line


def test_rncp_errors_are_messages(tmp_path: Path) -> None:
    cases = {
        "unknown.xml": b'<?xml version="1.0" encoding="x-unknown"?><FICHES/>',
        "cp1252.csv": (
            "Numero_Fiche;Bloc_Competences_Code;Bloc_Competences_Libelle\n"
            "RNCP1;RNCP1BC01;Éducation\n"
        ).encode("cp1252"),
        "long.csv": b"Numero_Fiche;Bloc_Competences_Code;Bloc_Competences_Libelle\n"
        + b"RNCP1;RNCP1BC01;"
        + b"x" * 140_000
        + b"\n",
        "bomb.zip": b"",
    }
    expected = {
        "unknown.xml": "unknown.xml: not a valid RNCP XML export (unknown encoding: x-unknown)",
        "cp1252.csv": "cp1252.csv: the text is not UTF-8 (byte 0xC9), as the RNCP export is: "
        "download it again",
        "long.csv": 'long.csv: row 2 is not well-formed CSV: a cell is too long, or a quote (") '
        "is not closed",
        "bomb.zip": "bomb.zip: export.xml inside it is compressed",
    }
    for name, data in cases.items():
        path = tmp_path / name
        if name == "bomb.zip":
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("export.xml", b"<FICHES>" + b" " * 20_000_000 + b"</FICHES>")
        else:
            path.write_bytes(data)
        with pytest.raises(EpSkillsError) as caught:
            read_fiche(path, "RNCP1")
        message = str(caught.value).replace(str(tmp_path) + os.sep, "")
        assert message.startswith(expected[name]), message
        assert len(message.splitlines()) == 1


@pytest.mark.parametrize("flag", [0x01, 0x20, 0x40])
def test_an_encrypted_or_patched_member_is_a_message(tmp_path: Path, flag: int) -> None:
    # zipfile raised RuntimeError (encrypted) or NotImplementedError (patched data).
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("export.xml", b"<FICHES/>")
    data = bytearray(path.read_bytes())  # zipfile writes no such flag: set it by hand
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + offset
        data[at] |= flag
    path.write_bytes(bytes(data))
    with pytest.raises(EpSkillsError) as caught:
        read_fiche(path, "RNCP1")
    assert str(caught.value) == (
        f"{path}: export.xml inside it is encrypted or compressed in a way that cannot be read"
    )
    xlsx = tmp_path / "suivi.xlsx"
    xlsx.write_bytes(path.read_bytes())
    with pytest.raises(EpSkillsError, match="inside it is encrypted or compressed"):
        read_rows(xlsx)


def test_rncp_cli_unknown_encoding_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(b'<?xml version="1.0" encoding="x-unknown"?><FICHES/>')
    result = CliRunner().invoke(
        cli, ["--lang", "en", "referential", "import-rncp", str(path), "--fiche", "RNCP1"]
    )
    assert result.exit_code == 1
    assert not isinstance(result.exception, LookupError)
    assert result.stderr.strip() == (
        f"Error: {path}: not a valid RNCP XML export (unknown encoding: x-unknown)"
    )


def test_an_rncp_fiche_is_bounded(tmp_path: Path) -> None:
    # Everything read since the last fiche ended is held in memory: bounded.
    path = tmp_path / "export.xml"
    path.write_text(
        "<FICHES><FICHE><NUMERO_FICHE>RNCP2</NUMERO_FICHE><INTITULE>"
        + "x" * 200_000
        + "</INTITULE></FICHE></FICHES>",
        encoding="utf-8",
    )
    with pytest.raises(EpSkillsError) as caught:
        read_fiche(path, "RNCP1", limits=Limits(rncp_fiche_bytes=100_000))
    assert str(caught.value) == (
        "export.xml: more than 1 MB without the end of a fiche: not an RNCP export, or a "
        "damaged one"
    )
    assert read_fiche(path, "RNCP2").title == "x" * 200_000


def test_rncp_blocs_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "blocs.csv"
    lines = ["Numero_Fiche;Bloc_Competences_Code;Bloc_Competences_Libelle"]
    lines += [f"RNCP1;RNCP1BC{i:02};Bloc {i}" for i in range(12)]
    lines += ["RNCP1", "RNCP1;;sans code"]  # short rows and rows without a code: skipped
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(read_fiche(path, "RNCP1").blocs) == 12
    with pytest.raises(EpSkillsError) as caught:
        read_fiche(path, "RNCP1", limits=Limits(rncp_blocs=10))
    assert str(caught.value) == "blocs.csv: fiche RNCP1 has more than 10 blocs"


# -- 6. smaller findings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (
            ["date", "apprenti", "niveau", "tache", "niveau"],
            "columns C « niveau » and E « niveau »",
        ),
        (["date", "trainee", "Level", "task", "Niveau"], "columns C « Level » and E « Niveau »"),
    ],
)
def test_a_column_twice_is_refused(
    unchanged: Path, tmp_path: Path, header: list[str], named: str
) -> None:
    path = write_csv(
        tmp_path / "suivi.csv", [header, ["2026-11-20", "Léa Martin", "V", NORMAL, "R"]]
    )
    line = one_line(unchanged, "import", str(path))
    assert line == f"Error: {path}: {named} are both the level column; keep only one"


def test_an_unknown_column_twice_is_ignored(db: Path, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "suivi.csv",
        [["date", "trainee", "task", "remarque", "remarque"], [*ROW, "a", "b"]],
    )
    assert run(db, "import", str(path)).exit_code == 0
    assert counts(db) == (2, 6)


def test_a_semicolon_file_with_many_commas(db: Path, tmp_path: Path) -> None:
    # Notes full of commas in the first 4 KB made the old sniffer pick ",".
    note = "propre, rapide, soigné, " * 20
    rows = [["date", "trainee", "task", "note"]] + [[*ROW, f"{note}{i}"] for i in range(12)]
    path = write_csv(tmp_path / "suivi.csv", rows)
    assert path.read_text(encoding="utf-8")[:4096].count(",") > 100
    result = run(db, "import", str(path))
    assert result.exit_code == 0, result.output
    assert counts(db) == (13, 39)


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_the_delimiter_is_the_header_lines(db: Path, tmp_path: Path, delimiter: str) -> None:
    rows = [["date", "trainee", "task", "note"], [*ROW, "a; b, c"]]
    path = write_csv(tmp_path / "suivi.csv", rows, delimiter=delimiter)
    result = run(db, "import", str(path))
    assert result.exit_code == 0, result.output
    with open_journal(db) as journal:
        connection = journal.storage.connection  # type: ignore[attr-defined]
        notes = [r[0] for r in connection.execute("SELECT note FROM task_record")]
    assert "a; b, c" in notes


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("autonomy", "4.9", "autonomy: 4.9 is not a whole number"),
        ("autonomy", "inf", "autonomy: inf is not a whole number"),
        ("autonomy", "nan", "autonomy: nan is not a whole number"),
        ("autonomy", "1e19", "autonomy: 10000000000000000000 is not between 1 and 4"),
        ("minutes", "90.5", "minutes: 90.5 is not a whole number"),
        ("minutes", "-inf", "minutes: -inf is not a whole number"),
        ("minutes", "1e19", "minutes: 10000000000000000000 is not between 1 and 10000"),
        ("minutes", "9" * 5000, "minutes: inf is not a whole number"),
        ("minutes", "beaucoup", "'beaucoup' is not a number"),
    ],
)
def test_numbers_must_be_whole(
    unchanged: Path, tmp_path: Path, column: str, value: str, message: str
) -> None:
    path = write_csv(tmp_path / "suivi.csv", [["date", "trainee", "task", column], [*ROW, value]])
    lines = refused(unchanged, "import", str(path)).splitlines()
    assert lines[1] == f"  row 2, column {column}: {message}"


def test_whole_numbers_written_as_decimals_are_taken(db: Path, tmp_path: Path) -> None:
    # An XLSX cell holds 3 as 3.0; a CSV may say « 3.0 » or « 1e2 ».
    rows: list[list[object]] = [["date", "trainee", "task", "autonomy", "minutes"]]
    rows.append([*ROW, 3.0, "1e2"])
    path = workbook(tmp_path / "suivi.xlsx", rows)
    assert run(db, "import", str(path)).exit_code == 0
    with open_journal(db) as journal:
        found = journal.storage.assessments(journal.trainee("Léa Martin").id)
    assert {r.autonomy for r in found} == {None, 3}


def test_problem_lines_stay_one_line_each(db: Path, tmp_path: Path) -> None:
    # A note may hold line breaks; quoted in a problem, they must not split the report's lines.
    header = ["date", "trainee", "task", "note"]
    with open_journal(db) as journal:
        import_file(journal, write_csv(tmp_path / "a.csv", [header, [*ROW, "vu\nrevu"]]))
        with pytest.raises(ImportProblems) as caught:
            import_file(journal, write_csv(tmp_path / "b.csv", [header, [*ROW, "autre\nnote"]]))
    lines = str(caught.value).splitlines()
    assert len(lines) == 2, lines
    assert "« vu revu »" in lines[1] and "« autre note »" in lines[1]
