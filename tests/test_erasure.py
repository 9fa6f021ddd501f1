"""Erasing a trainee (RGPD art. 17): no personal datum of theirs left in any table nor in
any byte of the journal, every state the same as before (theirs and everyone else's), the
journal still sealed and checked, the erasure itself told in the audit."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from ep_skills.api import Journal, open_journal
from ep_skills.cli import cli
from ep_skills.erasure import erase_trainee
from ep_skills.privacy import export_trainee
from ep_skills.web.accounts import accounts, add_account

TODAY = date(2026, 11, 20)
TASK = "reception-livraison"
# What names Léa, in every form the journal was given it.
HERS = ("Léa Martin", "LÉA MARTIN", "lea martin", "Léa Durand", "INE-0042", "2010-05-04", "lea")


def _photo(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="JPEG")
    return out.getvalue()


def _school(path: Path) -> Journal:
    j = open_journal(path, create=True, today=TODAY)
    j.add_trainee("Léa Durand", diploma="cap-psr", cohort="2026", external_id="INE-0042")
    j.add_trainee("Noah Petit", diploma="cap-psr", cohort="2026")
    j.update_trainee("Léa Durand", name="Léa Martin", metadata={"tuteur": "M. Roux"})
    j.add_order("C-12", customer="Cantine", title="Repas")
    team = j.record(
        ["Léa Martin", "Noah Petit"],
        task=TASK,
        order="C-12",
        day=date(2026, 11, 3),
        note="Léa a ébavuré, Noah a monté",
        photo=_photo((10, 200, 10)),
    )
    j.record(
        ["Léa Martin"],
        task=TASK,
        day=date(2026, 11, 10),
        note="Léa Martin seule, très appliquée",
        photo=_photo((200, 10, 10)),
    )
    j.record(["Noah Petit"], task=TASK, day=date(2026, 11, 12), note="aidé par léa martin")
    j.correct(team.assessment_ids[0], level="VV", note="revu avec LÉA MARTIN")
    j.set_birth_date("Léa Martin", date(2010, 5, 4))
    j.set_birth_date("Noah Petit", date(2009, 1, 2))
    j.record_medical_opinion("Léa Martin", date(2026, 9, 1))
    j.set_availability("Léa Martin", hours_per_week=30)
    add_account(j, "lea", "mot-de-passe-solide", trainee="Léa Martin")
    add_account(j, "noah", "mot-de-passe-solide", trainee="Noah Petit")
    return j


def _every_text_of(journal: Journal) -> str:
    """Every value of every table of the journal (the school's rows, on a server), as text."""
    storage = journal.storage
    if not hasattr(storage, "address"):
        return _every_text(Path(storage.path))  # type: ignore[attr-defined]
    from ep_skills.journal.postgres import _SCHOOL_TABLES

    found = []
    for table in _SCHOOL_TABLES:
        for row in storage._read(f"SELECT * FROM {table}"):  # type: ignore[attr-defined]
            found += [str(v) for v in row.values() if v is not None]
    return "\n".join(found)


def _every_text(path: Path) -> str:
    """Every value of every table of the journal file, as text."""
    db = sqlite3.connect(path)
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    found = []
    for table in tables:
        for row in db.execute(f"SELECT * FROM {table}"):
            found += [
                v.decode("latin-1") if isinstance(v, bytes) else str(v)
                for v in row
                if v is not None
            ]
    db.close()
    return "\n".join(found)


def test_nothing_of_hers_stays_and_every_state_is_the_same(tmp_path: Path) -> None:
    path = tmp_path / "atelier.db"
    journal = _school(path)
    lea = journal.trainee("Léa Martin").id
    noah = journal.trainee("Noah Petit").id
    before = {t: journal.leaf_states(t) for t in (lea, noah)}
    noah_photos = journal.trainee_photos("Noah Petit")
    text = _every_text_of(journal)
    assert all(word.casefold() in text.casefold() for word in HERS)  # the test can fail

    # As the school does it: her data exported for her first (RGPD art. 15), then erased.
    exported = export_trainee(journal, "Léa Martin", tmp_path / "lea.zip")
    with zipfile.ZipFile(exported) as kept:
        assert "Léa Martin" in kept.read("data.json").decode()
    erased = erase_trainee(journal, "Léa Martin")

    text = _every_text_of(journal).casefold()
    left = [word for word in HERS if word.casefold() in text]
    assert left == [], left
    journal.close()
    if not hasattr(journal.storage, "address"):  # a file: not in any byte of it either
        raw = path.read_bytes()
        assert b"Martin" not in raw and "Léa".encode() not in raw and b"INE-0042" not in raw
    journal = open_journal(path, today=TODAY)
    assert journal.trainee(lea).name == erased.pseudonym
    assert {t: journal.leaf_states(t) for t in (lea, noah)} == before
    journal.recompute()
    assert {t: journal.leaf_states(t) for t in (lea, noah)} == before
    # Noah keeps all of his: his birth date, his account, the photo of the team's work.
    assert journal.register().person(noah).birth_date == date(2009, 1, 2)
    assert journal.register().person(lea).birth_date is None
    assert [a.login for a in accounts(journal)] == ["noah"]
    assert journal.trainee_photos("Noah Petit") == noah_photos
    # The photo of her work alone is gone; the team's stays (it is Noah's evidence too).
    assert [record for record, _day, _photo in journal.trainee_photos(lea)] == [1]
    assert journal.task_record(3).note == f"aidé par {erased.pseudonym}"
    assert journal.storage.verify() == []  # type: ignore[attr-defined]
    told = [e for e in journal.audit(lea) if e.action == "trainee.erase"]
    assert len(told) == 1 and told[0].detail["rows"] == erased.rows
    assert journal.trainee_changes(lea)[-1].kind == "erase"
    # The journal goes on: new evidence is written and sealed as before.
    journal.record(["Noah Petit"], task=TASK, day=TODAY)
    assert journal.storage.verify() == []  # type: ignore[attr-defined]
    journal.close()


@pytest.mark.sqlite_only
def test_a_tampered_journal_is_not_erased(tmp_path: Path) -> None:
    path = tmp_path / "atelier.db"
    _school(path).close()
    db = sqlite3.connect(path)
    (lock,) = db.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'assessment_append_only_update'"
    ).fetchone()
    db.execute("DROP TRIGGER assessment_append_only_update")
    db.execute("UPDATE assessment SET level = 'VV' WHERE id = 1")
    db.execute(lock)  # the lock put back: only the seals show the change
    db.commit()
    db.close()
    journal = open_journal(path, today=TODAY)
    with pytest.raises(Exception, match=r"tampering"):
        erase_trainee(journal, "Léa Martin")
    journal.close()
    assert "Léa Martin" in _every_text(path)


@pytest.mark.sqlite_only
def test_the_command_asks_first_and_says_what_it_did(tmp_path: Path) -> None:
    path = tmp_path / "atelier.db"
    _school(path).close()
    runner = CliRunner()
    refused = runner.invoke(cli, ["--db", str(path), "trainee", "erase", "Léa Martin"], input="n\n")
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "Léa Martin" in _every_text(path)
    done = runner.invoke(
        cli, ["--db", str(path), "--lang", "fr", "trainee", "erase", "Léa Martin", "--yes"]
    )
    assert done.exit_code == 0, done.output
    assert "anonyme-" in done.output
    assert "Léa Martin" not in _every_text(path)
    listed = runner.invoke(cli, ["--db", str(path), "trainee", "list"])
    assert "Léa" not in listed.output and "Noah Petit" in listed.output


def test_the_other_trainees_states_do_not_move(tmp_path: Path) -> None:
    journal = _school(tmp_path / "atelier.db")
    noah = journal.leaf_states("Noah Petit")
    erase_trainee(journal, "Léa Martin")
    assert journal.leaf_states("Noah Petit") == noah
    data = json.dumps([e.to_dict() for e in journal.audit()], ensure_ascii=False)
    assert "Martin" not in data
    journal.close()
