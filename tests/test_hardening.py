"""Mistaken and hostile input cannot hurt: each finding of the fault audit, reproduced.

Every test here failed on the code the audit tried; each passes because of a rule kept in one
place (``ep_skills.outputs`` for files the user names, the write transaction for reads before
writes, the CLI edge for interruptions).
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from tests.journals import write_old_journal

from ep_skills.api import EvidenceError, Journal, open_journal
from ep_skills.cli import cli
from ep_skills.i18n import current_language, set_language
from ep_skills.journal.sqlite import JournalFileError

NORMAL = "conduire-ligne-mode-normal"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("EP_SKILLS_DB", "EP_SKILLS_CONFIG", "EP_SKILLS_BLOCK_PLUGINS", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    before = current_language()
    yield
    set_language(before)


def run(db: Path, *args: str, lang: str = "en") -> Result:
    result = CliRunner().invoke(cli, ["--lang", lang, "--db", str(db), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"ep-skills {' '.join(args)} crashed:\n{trace}")
    return result


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "atelier.db"
    with open_journal(path, create=True) as journal:
        journal.add_trainee("Léa Martin", diploma="cap-cip")
        for _ in range(50):
            journal.record(["Léa Martin"], task=NORMAL)
    return path


def assessments(db: Path) -> int:
    with open_journal(db) as journal:
        return journal.storage.count_assessments()


# -- no command replaces a file it did not create -------------------------------------------


def test_a_template_never_overwrites_a_journal(db: Path) -> None:
    before = db.read_bytes()
    result = run(db, "import", "--template", str(db), lang="fr")
    assert result.exit_code == 1
    assert "existe déjà" in result.output and "--force" in result.output
    assert db.read_bytes() == before
    assert assessments(db) == 150


def test_a_template_replaces_a_file_only_with_force(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "modele.csv"
    target.write_text("mon ancien fichier\n", encoding="utf-8")
    assert run(db, "import", "--template", str(target)).exit_code == 1
    assert target.read_text(encoding="utf-8") == "mon ancien fichier\n"
    result = run(db, "import", "--template", str(target), "--force")
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("date;trainee")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".modele")]  # no scratch


def test_never_a_special_file_nor_a_read_only_one(db: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "x.csv"
    os.mkfifo(fifo)
    result = run(db, "import", "--template", str(fifo), "--force")
    assert result.exit_code == 1 and "not a regular file" in result.output
    locked = tmp_path / "lecture-seule.csv"
    locked.write_text("gardé\n", encoding="utf-8")
    locked.chmod(0o444)
    result = run(db, "import", "--template", str(locked), "--force")
    assert result.exit_code == 1 and "read-only" in result.output
    assert locked.read_text(encoding="utf-8") == "gardé\n"


# -- reads before writes happen in the write transaction ------------------------------------


@pytest.mark.parametrize("kind", ["trainee", "order"])
def test_concurrent_adds_of_one_key_get_the_same_clear_message(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "j.db"
    open_journal(path, create=True).close()
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def add() -> None:
        with open_journal(path) as journal:
            barrier.wait()
            try:
                if kind == "trainee":
                    journal.add_trainee("Léa Martin", diploma="cap-cip")
                else:
                    journal.add_order("2026-041", customer="Méca", title="équerres")
                outcomes.append("added")
            except EvidenceError as exc:
                outcomes.append(str(exc))
            except Exception as exc:  # the audit saw sqlite3.IntegrityError here
                outcomes.append(f"crash: {exc!r}")

    threads = [threading.Thread(target=add) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("added") == 1
    assert all("already exists" in o for o in outcomes if o != "added"), outcomes


# -- messages after an interruption tell the truth ------------------------------------------


@pytest.mark.parametrize("after_commit", [False, True])
def test_an_interrupted_import_says_what_was_written(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after_commit: bool
) -> None:
    original = Journal.import_records

    def interrupted(self: Journal, *args: object, **kwargs: object) -> object:
        if after_commit:
            original(self, *args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt

    monkeypatch.setattr(Journal, "import_records", interrupted)
    file = tmp_path / "fiches.csv"
    file.write_text(f"date;apprenti;tache\n20/11/2026;Léa Martin;{NORMAL}\n", encoding="utf-8")
    result = run(db, "import", str(file), lang="fr")
    assert result.exit_code == 130
    if after_commit:
        assert assessments(db) == 153
        assert "Interrompu après l'enregistrement" in result.output
    else:
        assert assessments(db) == 150
        assert "rien n'a été écrit" in result.output


# -- append-only everywhere, tampering shows --------------------------------------------------


def raw(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(db, isolation_level=None)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT OR REPLACE INTO assessment SELECT id, record, trainee, diploma, competency, "
        "'RR', day, role, 'quelqu''un', autonomy, note, order_ref, task, supersedes, withdrawn, "
        "recorded_at FROM assessment WHERE id = 1",
        "REPLACE INTO task_record SELECT * FROM task_record WHERE id = 1",
        "UPDATE record_trainee SET trainee = 2 WHERE record = 1",
        "DELETE FROM record_trainee WHERE record = 1",
        "UPDATE trainee SET name = 'Autre' WHERE id = 1",
        "UPDATE trainee SET diploma = 'cap-psr' WHERE id = 1",
        "DELETE FROM trainee WHERE id = 2",
        "UPDATE production_order SET customer = 'x'",
        "DELETE FROM production_order",
        "INSERT OR REPLACE INTO production_order SELECT * FROM production_order",
        "UPDATE trainee_transfer SET to_diploma = 'x'",
        "UPDATE meta SET value = '2020-01-01' WHERE key = 'created'",
        "DELETE FROM meta WHERE key = 'created'",
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('created', '2020-01-01')",
        "DELETE FROM seal",
        "UPDATE seal SET digest = 'x'",
    ],
)
@pytest.mark.sqlite_only  # a server's: tests/test_postgresql.py
def test_every_table_of_evidence_is_append_only(db: Path, statement: str) -> None:
    with open_journal(db) as journal:
        journal.add_trainee("Hugo Bernard", diploma="cap-cip")
        journal.add_order("2026-041", customer="Méca", title="équerres")
        journal.transfer("Hugo Bernard", "cap-psr")
    connection = raw(db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute(statement)
    connection.close()
    with open_journal(db) as journal:
        assert journal.storage.verify() == []  # type: ignore[attr-defined]


def test_derived_states_and_their_fingerprints_may_change(db: Path) -> None:
    with open_journal(db) as journal:
        connection = journal.storage.connection  # type: ignore[attr-defined]
        connection.execute("DELETE FROM competency_state")
        connection.execute("UPDATE meta SET value = 'stale' WHERE key LIKE 'states:%'")
    with open_journal(db) as journal:
        assert journal.leaf_states("Léa Martin")["CP04"].count == 50  # recomputed
        assert journal.storage.verify() == []  # type: ignore[attr-defined]


def tamper(db: Path, *statements: str) -> None:
    """What someone with the file and a SQLite shell could do: drop the triggers first."""
    connection = raw(db)
    triggers = [
        r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
    ]
    connection.execute("BEGIN")
    for name in triggers:
        connection.execute(f"DROP TRIGGER {name}")
    for statement in statements:
        connection.execute(statement)
    connection.execute("COMMIT")
    connection.close()


@pytest.mark.sqlite_only  # the file's triggers (a server's: tests/test_postgresql.py)
def test_a_journal_without_its_protections_is_refused_then_repaired(db: Path) -> None:
    connection = raw(db)
    connection.execute("DROP TRIGGER assessment_append_only_update")
    connection.close()
    with pytest.raises(JournalFileError, match="ep-skills verify --repair"):
        open_journal(db)
    result = run(db, "progress", "Léa Martin", lang="fr")
    assert result.exit_code == 1 and "a perdu des protections" in result.output
    check = run(db, "verify")
    assert check.exit_code == 1
    assert "assessment_append_only_update is missing" in check.output
    repaired = run(db, "verify", "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert "1 protection restored." in repaired.output
    assert "verified" in repaired.output
    with open_journal(db) as journal:  # opens again
        journal.record(["Léa Martin"], task=NORMAL)
    assert run(db, "verify").exit_code == 0


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (
            [
                "INSERT OR REPLACE INTO assessment SELECT id, record, trainee, diploma, "
                "competency, 'RR', day, role, 'quelqu''un', autonomy, note, order_ref, task, "
                "supersedes, withdrawn, recorded_at FROM assessment WHERE id = 4"
            ],
            "the rows it sealed were changed since",
        ),
        (["UPDATE record_trainee SET trainee = 2 WHERE record = 7"], "were changed since"),
        (["DELETE FROM assessment WHERE id = 150"], "were changed since"),
        (
            [
                "INSERT INTO assessment SELECT 151, record, trainee, diploma, competency, 'VV', "
                "day, role, assessor, autonomy, note, order_ref, task, supersedes, withdrawn, "
                "recorded_at FROM assessment WHERE id = 1"
            ],
            "1 row(s) written outside ep-skills",
        ),
    ],
    ids=["replace-level", "link-moved", "row-deleted", "row-added"],
)
@pytest.mark.sqlite_only  # the file's seals
def test_verify_detects_tampering_outside_ep_skills(
    db: Path, statements: list[str], expected: str
) -> None:
    with open_journal(db) as journal:
        journal.add_trainee("Hugo Bernard", diploma="cap-cip")
    tamper(db, *statements)
    run(db, "verify", "--repair")  # the locks come back; what passed through stays visible
    result = run(db, "verify")
    assert result.exit_code == 1
    assert expected in result.output
    if "outside" in expected:
        # Nothing is written on top of rows no seal covers.
        refused = run(db, "record", "Léa Martin", "--task", NORMAL)
        assert refused.exit_code == 1 and "ep-skills verify" in refused.output


def test_an_older_journal_is_sealed_once_when_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "ancien.db"
    write_old_journal(
        path,
        5,
        "INSERT INTO trainee (id, name, name_key, diploma, created_at) "
        "VALUES (1, 'Léa Martin', 'lea martin', 'cap-cip', '2026-01-01T00:00:00+00:00')",
    )
    with open_journal(path) as journal:
        journal.record(["Léa Martin"], task=NORMAL)
        connection = journal.storage.connection  # type: ignore[attr-defined]
        kinds = [k for (k,) in connection.execute("SELECT kind FROM seal ORDER BY id")]
        assert kinds == ["upgrade", "write"]
        assert journal.storage.verify() == []  # type: ignore[attr-defined]


# -- every value checked where it enters ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Léa\u200bMartin", "U+200B"),  # a zero-width space: a look-alike second Léa Martin
        ("Léa Martin\u202e", "U+202E"),  # a right-to-left override
        ("Léa\x1b]0;titre\x07", "U+001B"),  # a terminal escape
        ("L" * 121, "at most 120"),
    ],
)
def test_names_that_no_person_types_are_refused(db: Path, name: str, problem: str) -> None:
    with (
        open_journal(db) as journal,
        pytest.raises(EvidenceError, match=problem.replace("+", r"\+")),
    ):
        journal.add_trainee(name, diploma="cap-cip")


def test_names_are_normalised_so_look_alikes_cannot_coexist(db: Path) -> None:
    decomposed = "Le\u0301a  Martin"  # « é » as e + combining accent, two spaces
    with open_journal(db) as journal:
        with pytest.raises(EvidenceError, match="already exists"):
            journal.add_trainee(decomposed, diploma="cap-cip")
        added = journal.add_trainee("Noe\u0301 Petit", diploma="cap-cip")
        assert added.name == "Noé Petit"


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("minutes", 10**19, "not between 1 and 10000"),
        ("minutes", 4.5, "not a whole number"),
        ("autonomy", 4.9, "not a whole number"),
        ("autonomy", float("inf"), "not a whole number"),
        ("note", "a\x00b", "U+0000"),
        ("note", "x" * 2001, "at most 2000"),
        ("assessor", "M.\u202eDurand", "U+202E"),
    ],
)
def test_record_values_are_checked(db: Path, field: str, value: object, problem: str) -> None:
    with open_journal(db) as journal:
        with pytest.raises(EvidenceError, match=problem.replace("+", r"\+")) as caught:
            journal.record(["Léa Martin"], task=NORMAL, **{field: value})  # type: ignore[arg-type]
        assert caught.value.field == field
    assert assessments(db) == 150


def test_numbers_too_large_for_the_database_are_just_unknown(db: Path) -> None:
    for args in (
        ("correct", "99999999999999999999", "--level", "R"),
        ("withdraw", "--record", "99999999999999999999"),
        ("withdraw", "--import", "99999999999999999999"),
        ("progress", "99999999999999999999"),
    ):
        result = run(db, *args)
        assert result.exit_code != 0, args
        assert "Traceback" not in result.output and len(result.output.splitlines()) <= 2, args
    result = run(db, "order", "add", "X", "--customer", "c", "--title", "t",
                 "--quantity", "99999999999999999999")  # fmt: skip
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert assessments(db) == 150


# -- text neutralised at every output edge ----------------------------------------------------


def legacy_journal(path: Path, name: str) -> Path:
    """A journal written before names were checked, holding ``name``."""
    write_old_journal(
        path,
        5,
        "INSERT INTO trainee (id, name, name_key, diploma, cohort, created_at) VALUES "
        f"(1, {name}, 'x', 'cap-cip', 'C', '2026-01-01')",
    )
    with open_journal(path) as journal:
        journal.record([1], task=NORMAL)
    return path


def test_escape_sequences_never_reach_the_terminal(tmp_path: Path) -> None:
    db = legacy_journal(tmp_path / "j.db", "'Léa' || char(27) || ']0;pwned' || char(7) || 'M'")
    for args in (("explain", "1", "CP04"), ("progress", "1"), ("trainee", "list")):
        result = run(db, *args)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output, args
        assert "Léa" in result.output


def test_csv_cells_a_spreadsheet_would_run_are_made_inert(tmp_path: Path) -> None:
    db = legacy_journal(tmp_path / "j.db", "'=cmd|'' /c calc''!A1'")
    result = run(db, "progress", "--cohort", "C", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[1][0] == "'=cmd|' /c calc'!A1"
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)


@pytest.mark.sqlite_only  # a file's permissions
def test_a_journal_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "atelier.db"
    with open_journal(path, create=True) as journal:
        journal.add_trainee("Léa Martin", diploma="cap-cip")
        for suffix in ("", "-wal", "-shm"):
            assert Path(f"{path}{suffix}").stat().st_mode & 0o777 == 0o600, suffix


@pytest.mark.sqlite_only  # a file's permissions
@pytest.mark.parametrize("shm", [True, False], ids=["shm-writable", "immutable"])
def test_a_read_only_journal_can_still_be_read(
    db: Path, monkeypatch: pytest.MonkeyPatch, shm: bool
) -> None:
    # Tests run as root, who may write anything: the permission check is simulated, the
    # read-only opening is SQLite's own.
    real_access = os.access

    def access(path: object, mode: int) -> bool:
        if mode == os.W_OK and Path(str(path)).resolve() in (db.resolve(), db.parent.resolve()):
            return False
        return real_access(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    if not shm:
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        db.parent.chmod(0o555)  # no -wal nor -shm to start from (root may still create them)
    try:
        shown = run(db, "progress", "Léa Martin")
        assert shown.exit_code == 0, shown.output
        assert "CP04" in shown.output
        refused = run(db, "record", "Léa Martin", "--task", NORMAL, lang="fr")
        assert refused.exit_code == 1 and "lecture seule" in refused.output
    finally:
        db.parent.chmod(0o755)
    assert assessments(db) == 150


@pytest.mark.sqlite_only  # a file's disk
def test_a_full_disk_during_an_import_says_so_and_writes_nothing(db: Path, tmp_path: Path) -> None:
    from ep_skills.importing import import_file

    file = tmp_path / "fiches.csv"
    rows = [f"{d:02d}/11/2026;Léa Martin;{NORMAL};;VV;{'n' * 200} {i}" for i in range(800)
            for d in (2,)]  # fmt: skip
    file.write_text(
        "date;apprenti;tache;commande;niveau;note\n" + "\n".join(rows), encoding="utf-8"
    )
    with open_journal(db) as journal:
        connection = journal.storage.connection  # type: ignore[attr-defined]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages + 8}")  # the disk fills up
        with pytest.raises(JournalFileError, match="is full: nothing was written"):
            import_file(journal, file)
    assert assessments(db) == 150
    with open_journal(db) as journal:
        assert journal.storage.verify() == []  # type: ignore[attr-defined]


PDF_SCRIPT = """
import subprocess, sys
started = []
original = subprocess.Popen.__init__
def counting(self, *args, **kwargs):
    started.append(args[0] if args else kwargs.get("args"))
    return original(self, *args, **kwargs)
subprocess.Popen.__init__ = counting
from ep_skills import open_journal
from ep_skills.reports import livret_pdf
with open_journal(sys.argv[1]) as journal:
    livret_pdf(journal, "Léa Martin", sys.argv[2])
tools = [a[0] for a in started if a[0].rsplit("/", 1)[-1] in ("gcc", "cc", "ld", "ldconfig")]
print(len(tools), tools[:3])
"""


@pytest.mark.sqlite_only  # a subprocess opens the file by its path
def test_a_pdf_report_runs_no_compiler_and_leaves_no_scratch_file(db: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    # A fresh font cache too: matplotlib's first run lists the fonts (fc-list), once; what
    # the audit saw were some fifty gcc, ld and ldconfig runs at every PDF.
    env = {**os.environ, "TMPDIR": str(scratch), "MPLCONFIGDIR": str(tmp_path / "mpl")}
    out = tmp_path / "livret.pdf"
    done = subprocess.run(
        [sys.executable, "-c", PDF_SCRIPT, str(db), str(out)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("0 "), done.stdout
    assert out.read_bytes().startswith(b"%PDF")
    assert list(scratch.iterdir()) == []


def test_long_words_in_reports_get_break_opportunities() -> None:
    from markupsafe import Markup

    from ep_skills.reports import breakable

    word = "x" * 100
    assert breakable(word) == "\u200b".join(["x" * 40, "x" * 40, "x" * 20])
    assert breakable("une note ordinaire") == "une note ordinaire"
    assert breakable(Markup("<svg>" + word + "</svg>")) == Markup("<svg>" + word + "</svg>")
    assert breakable(12.5) == 12.5


def test_a_report_shows_a_huge_legacy_text_cut_and_says_so(tmp_path: Path) -> None:
    # A 16,000-character word in the assessor field took the livret 100 s to lay out. Such a
    # text is refused where it enters now; a journal of an earlier version may hold one.
    from ep_skills.reports import livret_html, livret_pdf

    path = tmp_path / "ancien.db"
    huge = "y" * 16_000
    write_old_journal(
        path,
        5,
        "INSERT INTO trainee (id, name, name_key, diploma, cohort, created_at) "
        "VALUES (1, 'Léa Martin', 'lea martin', 'cap-cip', 'C', '2026-01-01')",
        "INSERT INTO task_record (id, day, task, context, assessor, role, recorded_at) "
        f"VALUES (1, '2026-11-02', '{NORMAL}', '{{}}', '{huge}', 'maitre', '2026-11-02')",
        "INSERT INTO record_trainee VALUES (1, 1)",
        "INSERT INTO assessment (id, record, trainee, diploma, competency, level, day, role, "
        f"assessor, recorded_at) VALUES (1, 1, 1, 'cap-cip', 'CP04', 'V', '2026-11-02', "
        f"'maitre', '{huge}', '2026-11-02')",
    )
    with open_journal(path) as journal:
        html = livret_html(journal, "Léa Martin")
        assert "(+15400 characters: see ep-skills explain)" in html
        assert "y" * 601 not in html.replace("\u200b", "")
        livret_pdf(journal, "Léa Martin", tmp_path / "livret.pdf")
    assert (tmp_path / "livret.pdf").read_bytes().startswith(b"%PDF")
