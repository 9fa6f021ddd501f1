"""Backups and restores of a journal file: a backup made while the journal is written is a
sound, checked journal; a restore checks the backup first, keeps the journal as it was, and
leaves a journal that passes every check with states equal to a full recompute."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from ep_skills.api import Journal, open_journal
from ep_skills.cli import cli
from ep_skills.journal.backup import BackupError, backup, inspect, restore

pytestmark = pytest.mark.sqlite_only  # files copied, replaced and tampered with

TODAY = date(2026, 11, 20)
TASK = "reception-livraison"


def _journal(path: Path) -> Journal:
    journal = open_journal(path, create=True, today=TODAY)
    for name in ("Léa Martin", "Noah Petit"):
        journal.add_trainee(name, diploma="cap-psr", cohort="2026")
    for day in range(1, 6):
        journal.record(["Léa Martin", "Noah Petit"], task=TASK, day=date(2026, 11, day))
    return journal


def _states(journal: Journal) -> dict[str, object]:
    return {t.name: journal.progress(t) for t in journal.trainees()}


def test_a_backup_made_while_the_journal_is_written_is_sound(tmp_path: Path) -> None:
    journal = _journal(tmp_path / "atelier.db")
    stop = threading.Event()
    failed: list[BaseException] = []

    def write() -> None:
        try:
            for day in range(6, 21):
                if stop.is_set():
                    return
                journal.record(["Léa Martin"], task=TASK, day=date(2026, 11, day))
        except BaseException as exc:  # said by the test, not lost in a thread
            failed.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        copies = [backup(tmp_path / "atelier.db", tmp_path / f"copy-{i}.db") for i in range(3)]
    finally:
        stop.set()
        writer.join()
    assert not failed
    for copy in copies:
        assert copy.path.exists()
        assert copy.path.stat().st_mode & 0o077 == 0  # its owner's only: trainees' data
        assert not Path(f"{copy.path}-wal").exists()  # one file
        # Each copy is the journal at one moment: whole records only, states as computed.
        with open_journal(copy.path, today=TODAY) as opened:
            assert opened.storage.count_assessments() % 2 == 0  # whole records only
            before = _states(opened)
            opened.recompute()
            assert _states(opened) == before
        db = sqlite3.connect(copy.path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
    journal.close()


def test_restore_puts_the_journal_back_and_keeps_it_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "atelier.db"
    journal = _journal(path)
    saved = backup(path, tmp_path / "saved.db")
    before = _states(journal)
    journal.record(["Léa Martin"], task=TASK, day=date(2026, 11, 12))  # after the backup
    after = _states(journal)
    assert after != before
    restored, kept = restore(saved.path, path)
    assert restored.assessments == saved.assessments
    assert kept is not None
    # The journal still open sees the restored one at its next read.
    assert _states(journal) == before
    journal.close()
    with open_journal(path, today=TODAY) as reopened:
        assert _states(reopened) == before
        reopened.recompute()
        assert _states(reopened) == before
    with open_journal(kept, today=TODAY) as former:  # nothing lost, even then
        assert _states(former) == after
    assert inspect(saved.path).assessments == saved.assessments  # the backup itself unchanged


def test_a_backup_changed_outside_ep_skills_is_not_restored(tmp_path: Path) -> None:
    path = tmp_path / "atelier.db"
    journal = _journal(path)
    saved = backup(path, tmp_path / "saved.db")
    journal.close()
    db = sqlite3.connect(saved.path)
    db.execute("DROP TRIGGER assessment_append_only_update")
    db.execute("UPDATE assessment SET level = 'VV' WHERE id = 1")
    db.commit()
    db.close()
    untouched = path.read_bytes()
    with pytest.raises(BackupError, match="does not pass the journal's checks"):
        restore(saved.path, path)
    assert path.read_bytes() == untouched
    assert not list(tmp_path.glob("*before-restore*"))


def test_the_commands_and_their_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "atelier.db"
    _journal(path).close()
    runner = CliRunner()
    base = ["--db", str(path), "--lang", "fr"]
    made = runner.invoke(cli, [*base, "backup", str(tmp_path / "b.db")])
    assert made.exit_code == 0, made.output
    assert "Sauvegarde écrite" in made.stdout
    cases = {
        "existe déjà": [*base, "backup", str(tmp_path / "b.db")],
        "aucune sauvegarde": [*base, "restore", str(tmp_path / "nope.db"), "--yes"],
        "pas un journal": [*base, "restore", str(tmp_path / "garbage.db"), "--yes"],
        "rien n'a été restauré": [*base, "restore", str(tmp_path / "b.db")],
    }
    (tmp_path / "garbage.db").write_text("pas une base")
    for expected, args in cases.items():
        result = runner.invoke(cli, args, input="n\n")
        assert result.exit_code == 1, (args, result.output)
        assert expected in result.output, result.output
        assert "Traceback" not in result.output
    done = runner.invoke(cli, [*base, "restore", str(tmp_path / "b.db"), "--yes"])
    assert done.exit_code == 0, done.output
    assert "restauré" in done.stdout
