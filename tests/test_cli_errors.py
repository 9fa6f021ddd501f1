"""User errors on the command line: one clear line on stderr, in the user's language, a non-zero
exit code, no traceback, and a journal left exactly as it was.

"No traceback" through CliRunner means: the command ended with SystemExit (click's way of
exiting), never with another exception; tests/test_cli_subprocess.py checks the real stderr of
the installed script. Click's own usage errors (a bad ``--date``) exit with 2 and print click's
usage lines before the message; library errors exit with 1 and print one line. An import
report is the one message meant to span several lines: one line per problem.
"""

from __future__ import annotations

import csv
import os
import random
import sqlite3
import subprocess
import traceback
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import ep_skills.journal.sqlite as sqlite_storage
from ep_skills.api import open_journal
from ep_skills.cli import cli
from ep_skills.i18n import current_language, set_language

ENV_VARS = ("EP_SKILLS_DB", "EP_SKILLS_CONFIG", "EP_SKILLS_BLOCK_PLUGINS", "NO_COLOR")
NORMAL = "conduire-ligne-mode-normal"
PREFIX = {"en": "Error: ", "fr": "Erreur"}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    before = current_language()
    yield
    set_language(before)


def run(db: Path, *args: str, lang: str = "en") -> Result:
    """Run ``ep-skills --lang LANG --db DB ARGS``; a crash (not a SystemExit) fails the test."""
    result = CliRunner().invoke(cli, ["--lang", lang, "--db", str(db), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"ep-skills {' '.join(args)} crashed instead of a clear error:\n{trace}")
    return result


def ok(db: Path, *args: str) -> Result:
    result = run(db, *args)
    assert result.exit_code == 0, result.output
    return result


def user_error(db: Path, *args: str, lang: str = "en") -> str:
    """Run a command that must fail with a user error; return its one line."""
    result = run(db, *args, lang=lang)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert "Traceback" not in result.output
    assert lines[0].startswith(PREFIX[lang]), lines[0]
    return lines[0]


Snapshot = tuple[int, int, int, int]


def snapshot(db: Path) -> Snapshot:
    """(trainees, orders, task records, assessments): what a failed command must not change."""
    with open_journal(db) as journal:
        connection = journal.storage.connection  # type: ignore[attr-defined]
        records = int(connection.execute("SELECT count(*) FROM task_record").fetchone()[0])
        return (
            len(journal.trainees()),
            len(journal.orders()),
            records,
            journal.storage.count_assessments(),
        )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A journal with Léa Martin (cap-cip), order 2026-041 and one record of 3 assessments."""
    path = tmp_path / "j.db"
    ok(path, "init")
    ok(path, "trainee", "add", "Léa Martin", "--diploma", "cap-cip", "--cohort", "C")
    ok(path, "order", "add", "2026-041", "--customer", "Mécanique Durand", "--title", "Équerres")
    ok(path, "record", "Léa Martin", "--task", NORMAL, "--order", "2026-041")
    assert snapshot(path) == (1, 1, 1, 3)
    return path


@pytest.fixture
def unchanged(db: Path) -> Iterator[Path]:
    """The journal, checked unchanged at the end of the test."""
    before = snapshot(db)
    yield db
    assert snapshot(db) == before


# -- the journal file ------------------------------------------------------------------------


def test_missing_journal(tmp_path: Path) -> None:
    missing = tmp_path / "absent.db"
    line = user_error(missing, "progress", "Léa Martin")
    assert line == f"Error: no journal at {missing}; create one with: ep-skills init"
    assert not missing.exists()  # reading never creates a journal


@pytest.mark.parametrize(
    "args",
    [
        ("record", "Léa Martin", "--task", NORMAL),
        ("trainee", "add", "Léa Martin", "--diploma", "cap-cip"),
        ("trainee", "list"),
        ("gaps",),
    ],
)
def test_missing_journal_for_any_command(tmp_path: Path, args: tuple[str, ...]) -> None:
    missing = tmp_path / "absent.db"
    assert "ep-skills init" in user_error(missing, *args)
    assert not missing.exists()


def test_a_file_that_is_not_a_journal(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("Liste des jeunes : Léa, Hugo\n", encoding="utf-8")
    line = user_error(path, "trainee", "add", "Hugo Bernard", "--diploma", "cap-cip")
    assert line == f"Error: {path} is not an ep-skills journal (or it is damaged)"
    assert path.read_text(encoding="utf-8") == "Liste des jeunes : Léa, Hugo\n"


def test_an_sqlite_file_of_another_program(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE clients (name TEXT)")
    line = user_error(path, "progress", "--all")
    assert "is not an ep-skills journal" in line
    with sqlite3.connect(path) as other:
        tables = [r[0] for r in other.execute("SELECT name FROM sqlite_master")]
    assert tables == ["clients"]


@pytest.mark.sqlite_only  # a file's lock and permissions
def test_locked_journal(unchanged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_storage, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(unchanged, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        line = user_error(unchanged, "record", "Léa Martin", "--task", NORMAL)
        assert line == f"Error: the journal {unchanged} is locked by another program; try again"
        line = user_error(unchanged, "trainee", "add", "Hugo Bernard", "--diploma", "cap-cip")
        assert "is locked by another program" in line
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # Once the other program is done, the same command works.
    ok(unchanged, "trainee", "list")


def _make_read_only(path: Path) -> Callable[[], None] | None:
    """Make ``path`` unwritable for this process; returns how to undo it, or None if impossible.

    Permission bits stop an ordinary user. Root ignores them, but not the immutable attribute
    of ext2/3/4 (``chattr +i``), when the file system and the container allow it.
    """
    if os.geteuid() != 0:
        path.chmod(0o444)
        return lambda: path.chmod(0o644)
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        return None
    return lambda: subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.sqlite_only  # a file's lock and permissions
def test_read_only_journal(db: Path) -> None:
    before = snapshot(db)
    undo = _make_read_only(db)
    if undo is None:
        # Running as root on a file system without the immutable attribute: nothing can make
        # the file read-only for this process, so check the translation of SQLite's real
        # error instead (test_readonly_error_translation does so too, always).
        error = sqlite3.OperationalError("attempt to write a readonly database")
        message = str(sqlite_storage._translate(error, str(db)))
        assert message == f"the journal {db} is read-only: check the file's permissions"
        return
    try:
        line = user_error(db, "record", "Léa Martin", "--task", NORMAL)
        assert line == f"Error: the journal {db} is read-only: check the file's permissions"
        line = user_error(db, "trainee", "add", "Hugo Bernard", "--diploma", "cap-cip")
        assert "read-only" in line
    finally:
        undo()
    assert snapshot(db) == before


def test_readonly_error_translation(tmp_path: Path) -> None:
    """SQLite's own read-only error, raised for real, becomes the read-only message."""
    path = tmp_path / "ro.db"
    sqlite3.connect(path).close()
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        with pytest.raises(sqlite3.OperationalError) as raised:
            reader.execute("CREATE TABLE t (x)")
    finally:
        reader.close()
    assert "readonly" in str(raised.value)
    message = str(sqlite_storage._translate(raised.value, str(path)))
    assert message == f"the journal {path} is read-only: check the file's permissions"


# -- what the user typed ---------------------------------------------------------------------


def test_unknown_trainee_suggests_the_closest_name(unchanged: Path) -> None:
    line = user_error(unchanged, "record", "Lea Martn", "--task", NORMAL)
    assert line.startswith("Error: unknown trainee 'Lea Martn'")
    assert "did you mean" in line
    assert "Léa Martin" in line


def test_unknown_trainee_in_progress(unchanged: Path) -> None:
    line = user_error(unchanged, "progress", "Lea Martn")
    assert "unknown trainee 'Lea Martn'" in line
    assert "Léa Martin" in line


def test_misspelt_task_suggests_close_ids(unchanged: Path) -> None:
    line = user_error(unchanged, "record", "Léa Martin", "--task", "conduire-ligne-mode-normale")
    assert line.startswith("Error: unknown task 'conduire-ligne-mode-normale' for cap-cip")
    suggestions = line.split("did you mean:", 1)[1]
    assert NORMAL in suggestions


def test_bad_date_is_a_usage_error(unchanged: Path) -> None:
    result = run(unchanged, "record", "Léa Martin", "--task", NORMAL, "--date", "32/13/2026")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: Invalid value for '--date'")
    assert "'32/13/2026' is not a date (write 2026-11-20 or 20/11/2026)" in last


def test_bad_level(unchanged: Path) -> None:
    line = user_error(unchanged, "record", "Léa Martin", "--task", NORMAL, "--level", "X")
    assert line.startswith("Error: unknown level 'X' for ")
    assert "RR, R, V, VV" in line  # the scale's levels are listed


@pytest.mark.parametrize(
    "option",
    [("--level", "MS"), ("--competency", "CP04=TBM")],
)
def test_a_level_of_another_scale(unchanged: Path, option: tuple[str, str]) -> None:
    # MS and TBM are the « livret » names of the four levels; cap-cip uses RR/R/V/VV.
    line = user_error(unchanged, "record", "Léa Martin", "--task", NORMAL, *option)
    level = option[1].split("=")[-1]
    assert line.startswith(f"Error: unknown level '{level}' for CP0")
    assert "the scale of cap-cip has: RR, R, V, VV" in line


def test_unknown_competency(unchanged: Path) -> None:
    line = user_error(unchanged, "record", "Léa Martin", "--task", NORMAL, "--competency", "CP4=V")
    assert line.startswith("Error: unknown competency 'CP4' for cap-cip")
    assert "CP04" in line


def test_malformed_competency_pair_is_a_usage_error(unchanged: Path) -> None:
    result = run(unchanged, "record", "Léa Martin", "--task", NORMAL, "--competency", "CP04")
    assert result.exit_code == 2
    assert "'CP04' is not CODE=LEVEL" in result.stderr


def test_future_date(unchanged: Path) -> None:
    later = date.today() + timedelta(days=30)
    line = user_error(
        unchanged, "record", "Léa Martin", "--task", NORMAL, "--date", later.isoformat()
    )
    assert line == f"Error: date {later.isoformat()} is in the future"


def test_unknown_order(unchanged: Path) -> None:
    line = user_error(unchanged, "record", "Léa Martin", "--task", NORMAL, "--order", "2026-04")
    assert line.startswith("Error: unknown order '2026-04'")
    assert "2026-041" in line


def test_unknown_diploma_on_trainee_add(unchanged: Path) -> None:
    line = user_error(unchanged, "trainee", "add", "Hugo Bernard", "--diploma", "cap-xyz")
    assert "cap-xyz" in line
    assert "cap-cip" in line  # the installed diplomas are named
    assert "cap-psr" in line


@pytest.mark.parametrize(
    "again", ["Léa Martin", "Lea Martin", "léa martin"], ids=["same", "no-accent", "lower-case"]
)
def test_same_trainee_twice_in_one_record(db: Path, again: str) -> None:
    """Naming a trainee twice (or once with, once without accents) is a typing slip.

    It must not crash. Either it is refused with one clear line and the journal stays as it
    was, or the trainee is counted once.
    """
    before = snapshot(db)
    result = run(db, "record", "Léa Martin", again, "--task", NORMAL)
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        trainees, orders, records, assessments = before
        assert snapshot(db) == (trainees, orders, records + 1, assessments + 3)
    else:
        assert result.exit_code == 1
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("Error: ")
        assert snapshot(db) == before


def test_correct_errors(unchanged: Path) -> None:
    assert user_error(unchanged, "correct", "999", "--level", "R") == "Error: no assessment #999"
    both = user_error(unchanged, "correct", "1", "--level", "R", "--withdraw")
    assert both == "Error: give either a new level or withdraw, not both"
    neither = user_error(unchanged, "correct", "1")
    assert neither == "Error: give the right level (--level) or withdraw it"
    assert "unknown level 'TBM'" in user_error(unchanged, "correct", "1", "--level", "TBM")


def test_trainee_errors(unchanged: Path) -> None:
    later = (date.today() + timedelta(days=30)).isoformat()
    assert "already exists" in user_error(
        unchanged, "trainee", "add", "Léa Martin", "--diploma", "cap-cip"
    )
    assert "in the future" in user_error(
        unchanged, "trainee", "add", "Hugo Bernard", "--diploma", "cap-cip", "--start", later
    )


def test_order_twice(unchanged: Path) -> None:
    line = user_error(unchanged, "order", "add", "2026-041", "--customer", "X", "--title", "Y")
    assert line == "Error: order '2026-041' already exists"


def test_progress_without_a_name(unchanged: Path) -> None:
    assert user_error(unchanged, "progress") == (
        "Error: name a trainee, or use --cohort NAME or --all"
    )


# -- import ----------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    return path


def test_corrupt_xlsx(unchanged: Path, tmp_path: Path) -> None:
    path = tmp_path / "suivi.xlsx"
    path.write_bytes(random.Random(7).randbytes(4096))
    line = user_error(unchanged, "import", str(path))
    assert line.startswith(f"Error: cannot read the spreadsheet {path}: ")


def test_import_of_a_missing_file(unchanged: Path, tmp_path: Path) -> None:
    path = tmp_path / "absent.csv"
    assert user_error(unchanged, "import", str(path)) == f"Error: no such file: {path}"
    assert "name the file" in user_error(unchanged, "import")


def test_import_without_the_required_columns(unchanged: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "suivi.csv", [["jour", "apprenti"], ["20/11/2026", "Léa Martin"]])
    line = user_error(unchanged, "import", str(path))
    assert "missing column date" in line
    assert "--template" in line


BAD_ROWS = [
    ["date", "trainee", "task", "order", "level", "competencies", "autonomy"],
    ["20/11/2026", "Léa Martin", NORMAL, "2026-041", "", "", ""],  # row 2: fine
    ["32/13/2026", "Léa Martin", NORMAL, "", "", "", ""],  # row 3
    ["2026-11-20", "Lea Martn", NORMAL, "", "", "", ""],  # row 4
    ["2026-11-20", "Léa Martin", "conduire-ligne", "", "", "", ""],  # row 5
    ["2026-11-20", "Léa Martin", NORMAL, "2026-999", "", "", ""],  # row 6
    ["2026-11-20", "Léa Martin", NORMAL, "", "ZZ", "", ""],  # row 7
    ["2026-11-20", "Léa Martin", NORMAL, "", "", "CP04", ""],  # row 8
    ["2026-11-20", "Léa Martin", NORMAL, "", "", "", "beaucoup"],  # row 9
]
BAD_CELLS = [
    (3, "date"),
    (4, "trainee"),
    (5, "task"),
    (6, "order"),
    (7, "level"),
    (8, "competencies"),
    (9, "autonomy"),
]


def test_csv_with_bad_rows_reports_every_row_and_column(unchanged: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "suivi.csv", BAD_ROWS)
    result = run(unchanged, "import", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"Error: {path}: {len(BAD_CELLS)} problems, nothing was imported:"
    assert len(lines) == 1 + len(BAD_CELLS)
    for line, (row, column) in zip(lines[1:], BAD_CELLS, strict=True):
        assert line.startswith(f"  row {row}, column {column}: "), line
    assert "'32/13/2026' is not a date" in lines[1]
    assert "Léa Martin" in lines[2]  # the unknown name still gets its suggestion
    assert "'beaucoup' is not a number" in lines[7]
    # --dry-run reports the same problems.
    dry = run(unchanged, "import", str(path), "--dry-run")
    assert dry.exit_code == 1
    assert dry.stderr == result.stderr


def test_csv_report_names_the_columns_as_the_file_does(unchanged: Path, tmp_path: Path) -> None:
    """A school's file with French headers: the report must point at its own columns."""
    rows = [
        ["date", "apprenti", "tache", "commande"],
        ["2026-11-20", "Lea Martn", NORMAL, ""],
        ["2026-11-20", "Léa Martin", "conduire-ligne", ""],
        ["2026-11-20", "Léa Martin", NORMAL, "2026-999"],
    ]
    path = write_csv(tmp_path / "suivi.csv", rows)
    result = run(unchanged, "import", str(path))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[1].startswith("  row 2, column apprenti: "), lines[1]
    assert lines[2].startswith("  row 3, column tache: "), lines[2]
    assert lines[3].startswith("  row 4, column commande: "), lines[3]


def test_csv_naming_a_trainee_twice_in_a_team(unchanged: Path, tmp_path: Path) -> None:
    rows = [["date", "apprenti", "tache"], ["2026-11-20", "Léa Martin; Léa Martin", NORMAL]]
    path = write_csv(tmp_path / "suivi.csv", rows)
    result = run(unchanged, "import", str(path))
    assert result.exit_code == 1, "a team naming the same trainee twice was imported"
    assert "Traceback" not in result.output
    (problem,) = result.stderr.strip().splitlines()[1:]
    assert problem.startswith("  row 2, column ")
    assert not problem.startswith("  row 2, column —"), "the report does not name the column"


# -- in French -------------------------------------------------------------------------------


def test_missing_journal_in_french(tmp_path: Path) -> None:
    missing = tmp_path / "absent.db"
    line = user_error(missing, "progress", "Léa Martin", lang="fr")
    assert line.startswith("Erreur : ")
    assert "aucun journal" in line
    assert "ep-skills init" in line


def test_unknown_trainee_in_french(unchanged: Path) -> None:
    line = user_error(unchanged, "record", "Lea Martn", "--task", NORMAL, lang="fr")
    assert line.startswith("Erreur : jeune 'Lea Martn' inconnu")
    assert "vouliez-vous dire" in line
    assert "Léa Martin" in line


def test_misspelt_task_in_french(unchanged: Path) -> None:
    line = user_error(unchanged, "record", "Léa Martin", "--task", "conduire-ligne", lang="fr")
    assert "tâche 'conduire-ligne' inconnue" in line
    assert NORMAL in line


def test_bad_date_in_french(unchanged: Path) -> None:
    result = run(
        unchanged, "record", "Léa Martin", "--task", NORMAL, "--date", "32/13/2026", lang="fr"
    )
    assert result.exit_code == 2
    assert "Utilisation :" in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Erreur")
    assert "Valeur invalide pour '--date'" in last
    assert "n'est pas une date" in last


@pytest.mark.sqlite_only  # a file's lock and permissions
def test_locked_journal_in_french(unchanged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_storage, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(unchanged, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        line = user_error(unchanged, "record", "Léa Martin", "--task", NORMAL, lang="fr")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (
        line == f"Erreur : le journal {unchanged} est verrouillé par un autre programme ; réessayez"
    )


def test_not_a_journal_in_french(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("pas un journal\n", encoding="utf-8")
    line = user_error(path, "trainee", "list", lang="fr")
    assert line == f"Erreur : {path} n'est pas un journal ep-skills (ou il est endommagé)"


def test_unknown_diploma_in_french(unchanged: Path) -> None:
    line = user_error(
        unchanged, "trainee", "add", "Hugo Bernard", "--diploma", "cap-xyz", lang="fr"
    )
    assert "cap-xyz" in line
    assert "unknown diploma" not in line, "the message is still in English"
    assert "diplôme" in line


def test_csv_report_in_french(unchanged: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "suivi.csv", BAD_ROWS[:4])
    result = run(unchanged, "import", str(path), lang="fr")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"Erreur : {path} : 2 problèmes, rien n'a été importé :"
    assert lines[1].startswith("  ligne 3, colonne date : ")
    assert "n'est pas une date" in lines[1]
    assert lines[2].startswith("  ligne 4, colonne ")
    assert "jeune 'Lea Martn' inconnu" in lines[2]
