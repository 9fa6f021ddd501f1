"""Trainees as other software knows them: external ids, metadata, homonyms, changes kept as
events, archived trainees out of lists but not out of the evidence."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.journals import write_old_journal

from ep_skills import (
    AlreadyExistsError,
    ConflictError,
    InvalidValueError,
    NotFoundError,
    cohort_gaps,
    open_journal,
)
from ep_skills.cli import cli
from ep_skills.journal import integrity
from ep_skills.journal.sqlite import SCHEMA_VERSION, SqliteStorage

NORMAL = "conduire-ligne-mode-normal"
TODAY = date(2026, 11, 20)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "atelier.db"


def test_external_ids_find_trainees_and_are_unique(db: Path) -> None:
    with open_journal(db, create=True, today=TODAY) as journal:
        lea = journal.add_trainee(
            "Léa Martin", diploma="cap-cip", external_id="SIS-1", metadata={"classe": "2A"}
        )
        assert journal.trainee(external_id="SIS-1") == lea
        assert journal.trainee(lea.id).metadata == {"classe": "2A"}
        with pytest.raises(AlreadyExistsError) as taken:
            journal.add_trainee("Hugo Bernard", diploma="cap-cip", external_id="SIS-1")
        assert (taken.value.field, taken.value.value) == ("external_id", "SIS-1")
        with pytest.raises(NotFoundError) as missing:
            journal.trainee(external_id="SIS-9")
        assert missing.value.field == "external_id"


def test_homonyms_need_external_ids_and_are_named_by_number(db: Path) -> None:
    with open_journal(db, create=True, today=TODAY) as journal:
        first = journal.add_trainee("Léa Martin", diploma="cap-cip", external_id="A")
        second = journal.add_trainee("léa  martin", diploma="cap-cip", external_id="B")
        assert first.id != second.id
        with pytest.raises(AlreadyExistsError):
            journal.add_trainee("Léa Martin", diploma="cap-cip")  # no external id to tell apart
        with pytest.raises(ConflictError, match="#1 \\(A\\), #2 \\(B\\)"):
            journal.record(["Léa Martin"], task=NORMAL)
        record = journal.record([second.id], task=NORMAL)
        assert record.trainees == (second.id,)
        # Renamed, the homonym is one name again.
        journal.rename_trainee(second, "Léa Martinez")
        assert journal.trainee("Léa Martin") == first


def test_a_trainee_without_external_id_blocks_homonyms(db: Path) -> None:
    with open_journal(db, create=True, today=TODAY) as journal:
        journal.add_trainee("Léa Martin", diploma="cap-cip")
        with pytest.raises(AlreadyExistsError, match="already exists"):
            journal.add_trainee("Léa Martin", diploma="cap-cip", external_id="B")


def test_updates_are_events_with_before_and_after(db: Path) -> None:
    with open_journal(db, create=True, today=TODAY) as journal:
        lea = journal.add_trainee("Léa Martin", diploma="cap-cip", cohort="2026")
        journal.record([lea], task=NORMAL, day=date(2026, 11, 2))
        renamed = journal.rename_trainee(lea, "Léa Martin-Roux", author="secrétariat", note="nom")
        assert renamed.id == lea.id and renamed.name == "Léa Martin-Roux"
        updated = journal.update_trainee(renamed, cohort=None, external_id="SIS-7")
        assert (updated.cohort, updated.external_id, updated.name) == (
            None,
            "SIS-7",
            "Léa Martin-Roux",
        )
        with pytest.raises(InvalidValueError, match="nothing to change"):
            journal.update_trainee(updated, cohort=None)
        changes = journal.trainee_changes(lea.id)
        assert [c.kind for c in changes] == ["update", "update"]
        assert changes[0].changes == (("name", "Léa Martin", "Léa Martin-Roux"),)
        assert (changes[0].author, changes[0].note) == ("secrétariat", "nom")
        assert changes[1].changes == (("cohort", "2026", None), ("external_id", None, "SIS-7"))
        # The evidence follows the trainee, whatever their name.
        assert journal.progress("Léa Martin-Roux").node("CP04") is not None
        assert journal.evidence(lea.id, "CP04")
        with pytest.raises(NotFoundError):
            journal.trainee("Léa Martin")
        assert journal.storage.verify() == []  # type: ignore[attr-defined]


def test_archived_trainees_leave_lists_matrices_and_gaps_but_keep_evidence(db: Path) -> None:
    with open_journal(db, create=True, today=TODAY) as journal:
        lea = journal.add_trainee("Léa Martin", diploma="cap-cip", cohort="2026")
        hugo = journal.add_trainee("Hugo Bernard", diploma="cap-cip", cohort="2026")
        journal.record([lea, hugo], task=NORMAL, day=date(2026, 11, 2))
        left = journal.archive_trainee(hugo, day=date(2026, 11, 10), note="fin de contrat")
        assert left.archived == date(2026, 11, 10)
        assert [t.name for t in journal.trainees()] == ["Léa Martin"]
        assert [t.name for t in journal.trainees(archived=True)] == ["Hugo Bernard", "Léa Martin"]
        assert [t.name for t, _p in journal.cohort_progress("2026")] == ["Léa Martin"]
        assert all("Hugo Bernard" not in gap.trainees for gap in cohort_gaps(journal, "2026"))
        # Still found by number and name, with their evidence.
        assert journal.explain(hugo.id, "CP04").rows
        with pytest.raises(ConflictError, match="restore"):
            journal.record([hugo.id], task=NORMAL)
        with pytest.raises(ConflictError, match="already archived"):
            journal.archive_trainee(hugo)
        back = journal.restore_trainee(hugo, note="retour")
        assert back.archived is None
        journal.record([hugo.id], task=NORMAL, day=date(2026, 11, 18))
        with pytest.raises(ConflictError, match="not archived"):
            journal.restore_trainee(hugo)
        assert [c.kind for c in journal.trainee_changes(hugo)] == ["archive", "restore"]


def test_a_full_recompute_keeps_the_states_of_archived_trainees(db: Path) -> None:
    # Found by the storage audit: the recompute cleared every stored state but rebuilt only
    # those of trainees not archived, so a trainee restored later showed 0 %.
    with open_journal(db, create=True, today=TODAY) as journal:
        lea = journal.add_trainee("Léa Martin", diploma="cap-cip", cohort="2026")
        hugo = journal.add_trainee("Hugo Bernard", diploma="cap-cip", cohort="2026")
        journal.record([lea, hugo], task=NORMAL, day=date(2026, 11, 2))
        before = journal.leaf_states(hugo)
        assert before
        journal.archive_trainee(hugo, day=date(2026, 11, 10))
        journal.recompute()
        assert journal.storage.states([hugo.id])
        journal.restore_trainee(hugo)
        assert journal.leaf_states(hugo) == before


@pytest.mark.sqlite_only  # the file's triggers and seals (a server's: test_postgresql.py)
def test_the_trainee_row_and_its_changes_are_append_only_and_sealed(db: Path) -> None:
    with open_journal(db, create=True, today=TODAY) as journal:
        lea = journal.add_trainee("Léa Martin", diploma="cap-cip")
        journal.rename_trainee(lea, "Léa Martin-Roux")
    connection = sqlite3.connect(db)
    for statement in (
        "UPDATE trainee SET name = 'Zoé' WHERE id = 1",
        "UPDATE trainee SET external_id = 'X' WHERE id = 1",
        "UPDATE trainee_event SET name = 'Zoé' WHERE id = 1",
        "DELETE FROM trainee_event WHERE id = 1",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute(statement)
    # Outside ep-skills, with the protections dropped: the seal tells.
    connection.execute("DROP TRIGGER trainee_event_append_only_update")
    connection.execute("UPDATE trainee_event SET name = 'Zoé' WHERE id = 1")
    connection.commit()
    connection.close()
    storage = _unchecked(db)
    problems = storage.verify()
    storage.close()
    assert any("trainee change 1" in p for p in problems), problems


def _unchecked(path: Path) -> SqliteStorage:
    return SqliteStorage(path, check=False)


def test_a_schema_6_journal_is_upgraded_with_its_seals_intact(tmp_path: Path) -> None:
    old = tmp_path / "six.db"
    write_old_journal(
        old,
        6,
        "INSERT INTO trainee (id, name, name_key, diploma, created_at) "
        "VALUES (1, 'Léa Martin', 'lea martin', 'cap-cip', '2026-01-01T00:00:00+00:00')",
    )
    connection = sqlite3.connect(old)  # sealed as ep-skills 0.2 (schema 6) sealed it
    integrity.seal(connection, "write", version=1)
    connection.commit()
    connection.close()
    with open_journal(old, today=TODAY) as journal:
        assert journal.storage.schema_version == SCHEMA_VERSION  # type: ignore[attr-defined]
        lea = journal.trainee("Léa Martin")
        journal.record([lea], task=NORMAL)
        journal.rename_trainee(lea, "Léa Martin-Roux")
        assert journal.storage.verify() == []  # type: ignore[attr-defined]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["rename", "cohort", "archive", "restore", "external"]),
            st.integers(0, 3),
        ),
        max_size=12,
    )
)
def test_any_sequence_of_changes_keeps_the_latest_picture(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int]]
) -> None:
    """Whatever changes come, in whatever order, the trainee read back is the one expected,
    and the journal still verifies."""
    path = tmp_path_factory.mktemp("changes") / "j.db"
    with open_journal(path, create=True, today=TODAY) as journal:
        person = journal.add_trainee("T0", diploma="cap-cip")
        expected = {"name": "T0", "cohort": None, "archived": None, "external_id": None}
        for n, (kind, value) in enumerate(steps):
            try:
                if kind == "rename":
                    journal.rename_trainee(person.id, f"T{n}-{value}")
                    expected["name"] = f"T{n}-{value}"
                elif kind == "cohort":
                    if expected["cohort"] == str(value):
                        continue
                    journal.update_trainee(person.id, cohort=str(value))
                    expected["cohort"] = str(value)
                elif kind == "archive":
                    journal.archive_trainee(person.id, day=date(2026, 11, 1 + value))
                    expected["archived"] = date(2026, 11, 1 + value)  # type: ignore[assignment]
                elif kind == "restore":
                    journal.restore_trainee(person.id)
                    expected["archived"] = None
                else:
                    journal.update_trainee(person.id, external_id=f"X{value}")
                    expected["external_id"] = f"X{value}"
            except ConflictError:
                assert kind in ("archive", "restore")
            except InvalidValueError:
                assert kind == "external"  # the same external id again: nothing to change
        now = journal.trainee(person.id)
        assert {
            "name": now.name,
            "cohort": now.cohort,
            "archived": now.archived,
            "external_id": now.external_id,
        } == expected
        assert journal.storage.verify() == []  # type: ignore[attr-defined]


def test_the_command_line_updates_archives_and_shows_history(db: Path) -> None:
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--lang", "fr", "--db", str(db), *args])
        assert result.exit_code == 0, result.output
        return result.output

    run("init")
    run("trainee", "add", "Léa Martin", "--diploma", "cap-cip", "--external-id", "SIS-1")
    out = run("trainee", "update", "Léa Martin", "--name", "Léa Roux", "--meta", "classe=2A")
    assert "Léa Martin → Léa Roux" in out and "classe" in out
    out = run("trainee", "archive", "1", "--day", "10/11/2026", "--note", "fin de contrat")
    assert "archivé" in out
    assert "Léa Roux" not in run("trainee", "list")
    assert "SIS-1" in run("trainee", "list", "--archived")
    history = run("trainee", "history", "1")
    assert "modification" in history and "sortie" in history and "fin de contrat" in history
    refused = runner.invoke(cli, ["--lang", "fr", "--db", str(db), "record", "1", "--task", NORMAL])
    assert refused.exit_code == 1 and "réintégrez" in refused.output
    assert "Traceback" not in refused.output


def test_another_journal_on_the_same_file_sees_changes_at_once(db: Path) -> None:
    """Two programs (or two threads) on one file: what one renames, archives or transfers,
    the other sees on its next call, never from a stale memory."""
    with (
        open_journal(db, create=True, today=TODAY) as first,
        open_journal(db, today=TODAY) as second,
    ):
        lea = first.add_trainee("Léa Martin", diploma="cap-cip")
        assert second.trainee("Léa Martin").id == lea.id  # now kept in second's memory
        first.rename_trainee(lea, "Léa Roux")
        with pytest.raises(NotFoundError):
            second.trainee("Léa Martin")
        first.archive_trainee(lea)
        with pytest.raises(ConflictError):
            second.record([lea.id], task=NORMAL)
