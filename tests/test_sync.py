"""Offline workshop PCs and their school's server: each entry once, corrections that follow
their original, an interrupted sync that resumes, states equal to a full recompute.

The server is the tests' PostgreSQL (``python3 dev.py test`` starts one); two SQLite files
stand for two workshop PCs. A sync between two files is checked too (no server needed).
"""

from __future__ import annotations

import itertools
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ep_skills import sync as sync_module
from ep_skills.api import Journal, open_journal
from ep_skills.cli import cli
from ep_skills.journal.connect import open_storage as real_open_storage
from ep_skills.plugins.manager import make_plugin_manager
from ep_skills.plugins.registry import Registry
from ep_skills.sync import sync

pytestmark = pytest.mark.own_backends

TODAY = date(2026, 11, 20)
REGISTRY = Registry(make_plugin_manager())
_N = itertools.count(1)


def pc(path: Path) -> Journal:
    """A workshop PC's journal: a SQLite file, whatever backend the suite runs on."""
    return Journal(real_open_storage(path, create=True), REGISTRY, today=TODAY)


def everything(journal: Journal) -> dict[str, Any]:
    """What a person can see of a journal, by global id (row numbers differ between sides)."""
    storage: Any = journal.storage
    with storage.transaction():
        storage.assign_uids()
    uid_of = storage.uids("assessment")
    record_uid = storage.uids("task_record")
    rows = {}
    for trainee in journal.trainees(archived=True):
        for row in storage.assessments(trainee.id):
            rows[uid_of[str(row.id)]] = (
                trainee.name,
                row.competency,
                row.level,
                row.day,
                str(row.role),
                row.assessor,
                row.note,
                row.withdrawn,
                uid_of.get(str(row.supersedes)) if row.supersedes else None,
                record_uid[str(row.record)],
            )
    states = {t.name: journal.leaf_states(t) for t in journal.trainees(archived=True)}
    return {"rows": rows, "states": states, "orders": sorted(o.ref for o in journal.orders())}


def assert_states_are_a_full_recompute(journal: Journal) -> None:
    before = {t.name: journal.leaf_states(t) for t in journal.trainees(archived=True)}
    journal.recompute()
    assert {t.name: journal.leaf_states(t) for t in journal.trainees(archived=True)} == before


def _other_side(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The school's server when the suite has one, else a third file."""
    if request.param == "server":
        server: str = request.getfixturevalue("postgresql_server")
        return f"{server}?school=sync-{next(_N)}-{id(tmp_path) % 99991}"
    return str(tmp_path / "school.db")


@pytest.fixture(params=["server", "file"])
def school(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _other_side(request, tmp_path)


def test_two_offline_journals_pushed_twice_with_crossed_corrections(
    school: str, tmp_path: Path
) -> None:
    office = open_journal(school, create=True, registry=REGISTRY, today=TODAY)
    office.add_trainee("Léa Martin", diploma="cap-psr", cohort="2026")
    office.add_trainee("Noah Petit", diploma="cap-psr", cohort="2026")
    office.add_order("2026-041", customer="Mécanique Durand", title="400 équerres")
    a, b = pc(tmp_path / "pc-a.db"), pc(tmp_path / "pc-b.db")
    first = sync(a, office)
    assert first.received.trainees == 2 and first.received.orders == 1
    sync(b, office)

    # Offline, each PC records its own work.
    a.record(["Léa Martin"], task="reception-livraison", order="2026-041", day=date(2026, 11, 2))
    a.record(["Noah Petit"], description="Inventaire", levels={"C1.1": "V"}, day=date(2026, 11, 3))
    b.record(["Noah Petit"], description="Ébavurage", levels={"C1.2": "R"}, day=date(2026, 11, 4))

    sent = sync(a, office)
    assert sent.sent.records == 2 and sent.received.records == 0
    exchanged = sync(b, office)
    assert exchanged.sent.records == 1 and exchanged.received.records == 2

    # Crossed corrections: B corrects an entry A recorded; A (after receiving B's entry)
    # corrects one B recorded, and withdraws one of its own.
    lea = b.trainee("Léa Martin")
    from_a = b.storage.assessments(lea.id)[0]
    b.correct(from_a.id, level="VV", note="relu par le formateur")
    sync(b, office)
    sync(a, office)
    noah = a.trainee("Noah Petit")
    from_b = next(r for r in a.storage.assessments(noah.id) if r.competency == "C1.2")
    a.correct(from_b.id, level="V", note="revu")
    inventory = next(r for r in a.storage.assessments(noah.id) if r.competency == "C1.1")
    a.withdraw_record(inventory.record, note="saisi deux fois")

    # Everyone syncs twice: the second round has nothing left to send.
    for journal in (a, b, a, b):
        sync(journal, office)
    for journal in (a, b):
        again = sync(journal, office)
        assert again.sent.total() == 0 and again.received.total() == 0

    seen = [everything(j) for j in (a, b, office)]
    assert seen[0] == seen[1] == seen[2]
    rows = seen[0]["rows"]
    assert len(rows) == len(set(rows))  # each entry once, by global id
    # 3 originals of Léa's reception task? (whatever the task holds) + 2 others, 3 corrections
    corrections = [r for r in rows.values() if r[8] is not None]
    assert len(corrections) == 3
    assert any(r[2] == "VV" and r[6] == "relu par le formateur" for r in corrections)
    assert any(r[7] for r in corrections)  # the withdrawal travelled
    for journal in (a, b, office):
        count = journal.storage.count_assessments()
        assert count == len(rows)
        assert_states_are_a_full_recompute(journal)
    for journal in (a, b, office):
        journal.close()


def test_an_interrupted_sync_resumes_and_writes_each_entry_once(
    school: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = open_journal(school, create=True, registry=REGISTRY, today=TODAY)
    office.add_trainee("Léa Martin", diploma="cap-psr")
    a = pc(tmp_path / "pc-a.db")
    sync(a, office)
    for day in range(1, 8):
        a.record(
            ["Léa Martin"],
            description=f"Série {day}",
            levels={"C1.1": "V"},
            day=date(2026, 11, day),
        )
    local_before = everything(a)
    monkeypatch.setattr(sync_module, "BATCH", 2)
    calls = itertools.count()
    original = sync_module._Transfer._record_batch

    def failing(self: Any, *args: Any) -> None:
        if next(calls) == 2:
            raise ConnectionError("the network went away")
        original(self, *args)

    monkeypatch.setattr(sync_module._Transfer, "_record_batch", failing)
    with pytest.raises(ConnectionError):
        sync(a, office)
    assert office.storage.count_assessments() == 4  # two batches of two arrived
    assert everything(a) == local_before  # the local journal is intact
    monkeypatch.setattr(sync_module._Transfer, "_record_batch", original)
    report = sync(a, office)
    assert report.sent.records == 3
    assert office.storage.count_assessments() == 7
    assert everything(a)["rows"] == everything(office)["rows"]
    assert_states_are_a_full_recompute(office)
    a.close()
    office.close()


def test_a_trainee_created_on_both_sides_is_flagged(school: str, tmp_path: Path) -> None:
    office = open_journal(school, create=True, registry=REGISTRY, today=TODAY)
    office.add_trainee("Léa Martin", diploma="cap-psr")
    a = pc(tmp_path / "pc-a.db")
    a.add_trainee("Léa Martin", diploma="cap-psr")
    report = sync(a, office)
    assert any("Léa Martin" in line or "lea martin" in line for line in report.review)
    a.close()
    office.close()


def test_the_command_line_syncs_and_reports_in_french(school: str, tmp_path: Path) -> None:
    office = open_journal(school, create=True, registry=REGISTRY, today=TODAY)
    office.add_trainee("Léa Martin", diploma="cap-psr")
    office.close()
    local = tmp_path / "atelier.db"
    pc(local).close()
    runner = CliRunner()
    result = runner.invoke(cli, ["--lang", "fr", "--db", str(local), "sync", "--to", school])
    assert result.exit_code == 0, result.output
    assert "Reçu" in result.output and "1 jeune" in result.output
    again = runner.invoke(cli, ["--lang", "fr", "--db", str(local), "sync", "--to", school])
    assert again.exit_code == 0
    assert "rien de nouveau" in again.output
    assert sqlite3.connect(local).execute("SELECT count(*) FROM trainee").fetchone() == (1,)


def test_one_entry_corrected_on_both_sides_stays_one_chain(school: str, tmp_path: Path) -> None:
    office = open_journal(school, create=True, registry=REGISTRY, today=TODAY)
    office.add_trainee("Léa Martin", diploma="cap-psr")
    a, b = pc(tmp_path / "pc-a.db"), pc(tmp_path / "pc-b.db")
    sync(a, office)
    a.record(["Léa Martin"], description="Inventaire", levels={"C1.1": "V"}, day=date(2026, 11, 2))
    sync(a, office)
    sync(b, office)
    entry_a = a.storage.assessments(a.trainee("Léa Martin").id)[0]
    entry_b = b.storage.assessments(b.trainee("Léa Martin").id)[0]
    a.correct(entry_a.id, level="VV", note="vu par A")
    b.correct(entry_b.id, level="RR", note="vu par B")
    reports = [sync(a, office), sync(b, office), sync(a, office), sync(b, office)]
    review = [line for r in reports for line in r.review]
    assert any("Léa Martin" in line and "C1.1" in line for line in review)
    for journal in (a, b, office):
        rows = journal.storage.assessments(journal.trainee("Léa Martin").id)
        # One chain: every row corrects at most one, and no row is corrected twice.
        corrected = [r.supersedes for r in rows if r.supersedes is not None]
        assert len(corrected) == len(set(corrected)) == 2
        assert_states_are_a_full_recompute(journal)


def test_imported_records_travel_with_their_import_and_keep_the_seals(
    school: str, tmp_path: Path
) -> None:
    office = open_journal(school, create=True, registry=REGISTRY, today=TODAY)
    office.add_trainee("Léa Martin", diploma="cap-psr")
    a, b = pc(tmp_path / "pc-a.db"), pc(tmp_path / "pc-b.db")
    sync(a, office)
    a.import_records(
        [
            a.build_record(
                ["Léa Martin"],
                description="Inventaire",
                levels={"C1.1": "V"},
                day=date(2026, 11, 2),
            ),
            a.build_record(
                ["Léa Martin"], description="Rangement", levels={"C1.2": "R"}, day=date(2026, 11, 3)
            ),
        ],
        file_name="fiches.csv",
        file_sha256="0" * 64,
    )
    assert a.imports()
    sync(a, office)
    sync(b, office)
    assert [i.rows for i in b.imports()] == [i.rows for i in a.imports()]
    assert b.storage.imported_records(b.imports()[0].id)
    assert b.storage.verify() == []  # type: ignore[attr-defined]
    assert_states_are_a_full_recompute(b)


def test_what_differs_on_both_sides_is_listed_to_review(school: str, tmp_path: Path) -> None:
    office = open_journal(school, create=True, registry=REGISTRY, today=TODAY)
    office.add_trainee("Léa Martin", diploma="cap-psr")
    office.add_order("2026-041", customer="Mécanique Durand", title="400 équerres")
    a = pc(tmp_path / "pc-a.db")
    a.add_order("2026-041", customer="Chaudronnerie Roux", title="Garde-corps")
    report = sync(a, office)
    assert any("2026-041" in line for line in report.review)
    office.rename_trainee("Léa Martin", "Léa Martin-Roux")
    a.update_trainee("Léa Martin", cohort="2027")
    report = sync(a, office)
    assert any("changed on both sides" in line for line in report.review)


def test_an_interruption_after_the_records_leaves_states_to_trust(
    school: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = open_journal(school, create=True, registry=REGISTRY, today=TODAY)
    office.add_trainee("Léa Martin", diploma="cap-psr")
    a = pc(tmp_path / "pc-a.db")
    sync(a, office)
    for day in range(1, 8):
        a.record(
            ["Léa Martin"],
            description=f"Série {day}",
            levels={"C1.1": "V"},
            day=date(2026, 11, day),
        )
    a.correct(a.storage.last_assessment_id(), level="RR")
    for batch in (500, 2):  # a day's few records, then a bulk sync
        monkeypatch.setattr(sync_module, "BATCH", batch)

        def stop(self: Any) -> None:
            raise ConnectionError("the network went away")

        monkeypatch.setattr(sync_module._Transfer, "_corrections", stop)
        with pytest.raises(ConnectionError):
            sync(a, office)
        fresh = open_journal(school, registry=REGISTRY, today=TODAY)
        assert_states_are_a_full_recompute(fresh)
        monkeypatch.undo()
        sync(a, office)
        assert_states_are_a_full_recompute(office)
        a.record(["Léa Martin"], description="Encore", levels={"C1.1": "V"}, day=date(2026, 11, 9))
        a.correct(a.storage.last_assessment_id(), level="R")


def test_an_erased_trainee_does_not_get_their_name_back(school: str, tmp_path: Path) -> None:
    from ep_skills.erasure import erase_trainee

    office = open_journal(school, create=True, registry=REGISTRY, today=TODAY)
    workshop = pc(tmp_path / "pc.db")
    workshop.add_trainee("Léa Martin", diploma="cap-psr")
    sync(workshop, office)
    erased = erase_trainee(office, "Léa Martin")
    workshop.update_trainee("Léa Martin", cohort="2027")  # the PC, still holding her name
    report = sync(workshop, office)
    assert [t.name for t in office.trainees()] == [erased.pseudonym]
    assert any("erase" in line for line in report.review), report.review
    workshop.close()
    office.close()
