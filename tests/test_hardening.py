"""Mistaken and hostile input cannot hurt: each finding of the fault audit, reproduced.

Every test here failed on the code the audit tried; each passes because of a rule kept in one
place (``ep_skills.outputs`` for files the user names, the write transaction for reads before
writes, the CLI edge for interruptions).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ep_skills.api import EvidenceError, Journal, open_journal
from ep_skills.cli import cli
from ep_skills.i18n import current_language, set_language

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
        for i in range(50):
            journal.record(["Léa Martin"], task=NORMAL)
    return path


def assessments(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute("SELECT count(*) FROM assessment").fetchone()[0])


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
