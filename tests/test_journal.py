"""The journal and the Python API, on the installed cap-psr and cap-cip plugins.

Both diplomas use the SACoche scale RR/R/V/VV = 0/33/67/100 with thresholds VA 40 / A 61.
The plugins may add their own calculation settings (coverage rules…); the tests pin the ones
they compute by hand with a school configuration — the highest layer —: geometric method over
the last 5, all assessments in scope, all-children roll-up, and coverage rules that any
scored competency meets (1 assessment, 1 context).
"""

from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from ep_skills.api import EvidenceError, Journal, open_journal
from ep_skills.engine.layers import SchoolConfig
from ep_skills.errors import EpSkillsError
from ep_skills.i18n import current_language, set_language
from ep_skills.journal.model import Role
from ep_skills.plugins.manager import make_plugin_manager
from ep_skills.plugins.registry import Registry
from ep_skills.referential.settings import CalculationSettings, Coverage

TODAY = date(2026, 11, 20)
REGISTRY = Registry(make_plugin_manager())
PINNED = CalculationSettings(
    method="geometrique",
    limit=5,
    scope="all",
    rollup="all-children",
    coverage=Coverage(min_assessments=1, min_contexts=1, min_span_weeks=0),
    role_weights={"maitre": 1.0, "enseignant": 1.0, "tuteur": 1.0},
)
SCHOOL = SchoolConfig(settings=PINNED)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    before = current_language()
    set_language("en")
    yield
    set_language(before)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = open_journal(
        tmp_path / "atelier.db", create=True, today=TODAY, registry=REGISTRY, school=SCHOOL
    )
    j.add_trainee("Léa Martin", diploma="cap-psr", cohort="2026", start_date=date(2026, 9, 1))
    j.add_trainee("Noah Petit", diploma="cap-psr", cohort="2026")
    j.add_trainee("Inès Roux", diploma="cap-cip", cohort="2025")
    j.add_order("2026-041", customer="Mécanique Durand", title="400 équerres")
    yield j
    j.close()


def levels_of(journal: Journal, name: str) -> dict[str, list[str]]:
    trainee = journal.trainee(name)
    found: dict[str, list[str]] = {}
    for row in journal.storage.assessments(trainee.id):
        found.setdefault(row.competency, []).append(row.level)
    return found


def snapshot(journal: Journal) -> tuple[int, int, int, int, list[object]]:
    db = journal.storage.connection  # type: ignore[attr-defined]
    records = db.execute("SELECT count(*) FROM task_record").fetchone()[0]
    states = [tuple(r) for r in db.execute("SELECT * FROM competency_state ORDER BY 1, 2")]
    return (
        journal.storage.count_assessments(),
        records,
        len(journal.trainees()),
        len(journal.orders()),
        states,
    )


# -- trainees, orders, records ------------------------------------------------------------------


def test_add_trainee_and_find_by_name_or_id(journal: Journal) -> None:
    lea = journal.trainee("Léa Martin")
    assert lea.diploma == "cap-psr"
    assert lea.cohort == "2026"
    assert lea.start_date == date(2026, 9, 1)
    assert journal.trainee(lea.id) == lea
    assert journal.trainee(str(lea.id)) == lea
    assert journal.trainee("léa MARTIN") == lea  # ASCII case differs
    assert [t.name for t in journal.trainees("2026")] == ["Léa Martin", "Noah Petit"]
    assert [t.name for t in journal.trainees()] == ["Inès Roux", "Léa Martin", "Noah Petit"]


def test_trainee_lookup_is_case_insensitive_for_accented_initials(journal: Journal) -> None:
    # French names often start with an accented capital; "case-insensitive" lookup must
    # find "Élodie Durand" when typed "élodie durand".
    elodie = journal.add_trainee("Élodie Durand", diploma="cap-psr")
    assert journal.trainee("élodie durand") == elodie


def test_add_order(journal: Journal) -> None:
    journal.add_order(
        "2026-042",
        customer="Cantine municipale",
        title="Repas du midi",
        quantity=120,
        received=date(2026, 11, 2),
        due=date(2026, 11, 30),
    )
    refs = [o.ref for o in journal.orders()]
    assert set(refs) == {"2026-041", "2026-042"}
    order = journal.storage.order("2026-042")
    assert order is not None
    assert (order.quantity, order.received, order.due) == (
        120,
        date(2026, 11, 2),
        date(2026, 11, 30),
    )


def test_catalogue_task_records_its_default_levels(journal: Journal) -> None:
    # reception-livraison mobilises C1.1 (V) and C1.2 (V).
    record = journal.record(["Léa Martin"], task="reception-livraison", day=date(2026, 11, 2))
    assert record.id > 0
    assert levels_of(journal, "Léa Martin") == {"C1.1": ["V"], "C1.2": ["V"]}
    rows = journal.storage.assessments(journal.trainee("Léa Martin").id)
    assert {r.day for r in rows} == {date(2026, 11, 2)}
    assert {r.task for r in rows} == {"reception-livraison"}
    assert {r.role for r in rows} == {Role.MAITRE}
    assert {r.record for r in rows} == {record.id}


def test_record_without_a_day_is_today(journal: Journal) -> None:
    journal.record(["Léa Martin"], task="reception-livraison")
    rows = journal.storage.assessments(journal.trainee("Léa Martin").id)
    assert {r.day for r in rows} == {TODAY}


def test_level_overrides_every_default(journal: Journal) -> None:
    journal.record(["Léa Martin"], task="reception-livraison", level="VV")
    assert levels_of(journal, "Léa Martin") == {"C1.1": ["VV"], "C1.2": ["VV"]}


def test_levels_override_one_and_add_one(journal: Journal) -> None:
    journal.record(["Léa Martin"], task="reception-livraison", levels={"C1.2": "R", "C1.3": "VV"})
    assert levels_of(journal, "Léa Martin") == {"C1.1": ["V"], "C1.2": ["R"], "C1.3": ["VV"]}


def test_level_and_levels_together(journal: Journal) -> None:
    journal.record(["Léa Martin"], task="reception-livraison", level="R", levels={"C1.1": "VV"})
    assert levels_of(journal, "Léa Martin") == {"C1.1": ["VV"], "C1.2": ["R"]}


def test_free_description_with_levels(journal: Journal) -> None:
    journal.record(
        ["Léa Martin"],
        description="Inventaire de la réserve",
        levels={"C1.3": "R"},
        order="2026-041",
        autonomy=3,
        minutes=90,
        note="premier inventaire",
    )
    (row,) = journal.storage.assessments(journal.trainee("Léa Martin").id)
    assert (row.competency, row.level, row.order, row.autonomy, row.task) == (
        "C1.3",
        "R",
        "2026-041",
        3,
        None,
    )


def test_several_trainees_in_one_record(journal: Journal) -> None:
    before = journal.storage.count_assessments()
    record = journal.record(["Léa Martin", "Noah Petit"], task="reception-livraison")
    # 2 trainees × 2 competencies = 4 rows, all on the same record.
    assert journal.storage.count_assessments() == before + 4
    for name in ("Léa Martin", "Noah Petit"):
        rows = journal.storage.assessments(journal.trainee(name).id)
        assert {r.competency for r in rows} == {"C1.1", "C1.2"}
        assert {r.record for r in rows} == {record.id}
        assert [r.id for r in journal.storage.records(journal.trainee(name).id)] == [record.id]


def test_task_record_keeps_the_catalogue_context(journal: Journal) -> None:
    journal.record(["Léa Martin"], task="reception-livraison")
    (record,) = journal.storage.records(journal.trainee("Léa Martin").id)
    assert record.task == "reception-livraison"
    assert "thermosonde" in record.machine
    assert "réception" in record.process


# -- states, progress, explanations -------------------------------------------------------------


def record_sacoche(journal: Journal, name: str = "Léa Martin") -> None:
    """R, R, V, VV on C1.1, oldest first, on four days."""
    for day, level in zip((2, 3, 4, 5), ("R", "R", "V", "VV"), strict=True):
        journal.record(
            [name], description="Réception", day=date(2026, 11, day), levels={"C1.1": level}
        )


def test_states_follow_sacoche(journal: Journal) -> None:
    record_sacoche(journal)
    state = journal.leaf_states("Léa Martin")["C1.1"]
    # Geometric: (33 + 66 + 268 + 800) / 15 = 77.8 → 78 → A.
    assert (state.score, state.state, state.acquired, state.count) == (78, "A", True, 4)
    assert state.last_day == date(2026, 11, 5)
    # Free descriptions without order: each record is its own context.
    assert state.contexts == 4


def test_school_settings_are_the_top_layer(journal: Journal) -> None:
    s = journal.settings("cap-psr")
    assert (s.method, s.limit, s.scope, s.rollup) == ("geometrique", 5, "all", "all-children")
    assert s.coverage.min_assessments == 1
    assert s.coverage.min_contexts == 1


def test_school_coverage_rules_apply_in_the_journal(tmp_path: Path) -> None:
    strict = SchoolConfig(
        settings=PINNED,
        diplomas={"cap-psr": CalculationSettings(coverage=Coverage(min_assessments=3))},
    )
    with open_journal(
        tmp_path / "j.db", create=True, today=TODAY, registry=REGISTRY, school=strict
    ) as j:
        assert j.settings("cap-psr").coverage.min_assessments == 3
        assert j.settings("cap-cip").coverage.min_assessments == 1  # only cap-psr is stricter
        j.add_trainee("Léa Martin", diploma="cap-psr")
        for day in (2, 3):
            j.record(
                ["Léa Martin"], description="x", day=date(2026, 11, day), levels={"C1.1": "VV"}
            )
        # Two VV: score 100, but 3 assessments are required → VA.
        state = j.leaf_states("Léa Martin")["C1.1"]
        assert (state.score, state.state, state.acquired) == (100, "VA", False)
        j.record(["Léa Martin"], description="x", day=date(2026, 11, 4), levels={"C1.1": "VV"})
        state = j.leaf_states("Léa Martin")["C1.1"]
        assert (state.score, state.state, state.acquired) == (100, "A", True)


def test_progress(journal: Journal) -> None:
    record_sacoche(journal)
    # C1.2: a single R → 33 → NA.
    journal.record(["Léa Martin"], description="x", day=date(2026, 11, 6), levels={"C1.2": "R"})
    progress = journal.progress("Léa Martin")
    assert progress.diploma == "cap-psr"
    c11 = progress.node("C1.1")
    assert c11 is not None
    assert (c11.state, c11.score, c11.acquired) == ("A", 78, True)
    c1 = progress.node("C1")
    assert c1 is not None
    # C1 is rolled up from C1.1 (78, A), C1.2 (33, NA), C1.3 (never): not acquired;
    # score (78 + 33) / 2 = 55.5 → 56 → VA.
    assert c1.acquired is False
    assert c1.score == 56
    assert c1.state == "VA"
    assert "C1.1" not in progress.missing()
    assert "C1.2" in progress.missing()
    assert progress.readiness == 0.0  # no épreuve competency (C1…C10) is acquired yet
    assert progress.ready is False


def test_cohort_progress(journal: Journal) -> None:
    record_sacoche(journal, "Noah Petit")
    cohort = journal.cohort_progress("2026")
    assert [t.name for t, _p in cohort] == ["Léa Martin", "Noah Petit"]
    lea, noah = (p for _t, p in cohort)
    assert lea.node("C1.1").state is None  # type: ignore[union-attr]
    assert noah.node("C1.1").state == "A"  # type: ignore[union-attr]
    everyone = journal.cohort_progress()
    assert [t.name for t, _p in everyone] == ["Inès Roux", "Léa Martin", "Noah Petit"]
    only_cip = journal.cohort_progress(diploma="cap-cip")
    assert [(t.name, p.diploma) for t, p in only_cip] == [("Inès Roux", "cap-cip")]


def test_explain_a_leaf(journal: Journal) -> None:
    record_sacoche(journal)
    explanation = journal.explain("Léa Martin", "C1.1")
    text = explanation.text()
    assert "geometrique" in text
    ids = [r.id for r in journal.storage.assessments(journal.trainee("Léa Martin").id, "C1.1")]
    assert len(ids) == 4
    for assessment_id, level in zip(ids, ("R", "R", "V", "VV"), strict=True):
        line = next(line for line in explanation.lines() if f"#{assessment_id} " in line)
        assert f"{level} = " in line
    # Geometric weights 1, 2, 4, 8 appear on the lines.
    assert any("weight 8" in line for line in explanation.lines())
    assert "78" in text  # the score
    assert "61" in text  # the threshold of « acquis »
    assert "acquis" in text


def test_explain_a_correction_and_a_self_assessment(journal: Journal) -> None:
    record_sacoche(journal)
    lea = journal.trainee("Léa Martin")
    first = journal.storage.assessments(lea.id, "C1.1")[0]
    journal.correct(first.id, withdraw=True)
    journal.record(["Léa Martin"], description="auto", levels={"C1.1": "VV"}, role="auto")
    text = journal.explain("Léa Martin", "C1.1").text()
    assert "corrected or withdrawn" in text
    assert "Self-assessment" in text
    # Without the withdrawn R: R, V, VV → (33 + 134 + 400) / 7 = 81.
    assert "81" in text


def test_explain_a_parent_and_an_unknown_code(journal: Journal) -> None:
    record_sacoche(journal)
    lines = journal.explain("Léa Martin", "C1").lines()
    assert lines[0].startswith("C1 ")
    assert any("C1.1" in line for line in lines)
    assert any("C1.3" in line for line in lines)
    with pytest.raises(EvidenceError, match=r"C1\.9"):
        journal.explain("Léa Martin", "C1.9")


# -- corrections ---------------------------------------------------------------------------------


def test_correct_appends_and_updates_the_state(journal: Journal) -> None:
    journal.record(["Léa Martin"], description="x", levels={"C1.1": "RR"}, day=date(2026, 11, 2))
    lea = journal.trainee("Léa Martin")
    (original,) = journal.storage.assessments(lea.id, "C1.1")
    assert journal.leaf_states(lea.id)["C1.1"].state == "NA"
    correction = journal.correct(original.id, level="VV", note="mauvaise saisie")
    assert correction.supersedes == original.id
    assert correction.day == original.day
    assert journal.storage.count_assessments() == 2  # the original stays
    state = journal.leaf_states(lea.id)["C1.1"]
    assert (state.score, state.state, state.count, state.history) == (100, "A", 1, 2)


def test_withdraw(journal: Journal) -> None:
    journal.record(["Léa Martin"], description="x", levels={"C1.1": "VV"})
    lea = journal.trainee("Léa Martin")
    (original,) = journal.storage.assessments(lea.id, "C1.1")
    row = journal.correct(original.id, withdraw=True)
    assert row.withdrawn is True
    state = journal.leaf_states(lea.id)["C1.1"]
    assert (state.score, state.state, state.history) == (None, None, 2)


def test_a_chain_of_corrections(journal: Journal) -> None:
    journal.record(["Léa Martin"], description="x", levels={"C1.1": "VV"})
    lea = journal.trainee("Léa Martin")
    (original,) = journal.storage.assessments(lea.id, "C1.1")
    second = journal.correct(original.id, level="RR")
    journal.correct(second.id, level="V")
    state = journal.leaf_states(lea.id)["C1.1"]
    assert (state.score, state.count, state.history) == (67, 1, 3)


def test_correcting_the_same_assessment_twice_counts_once(journal: Journal) -> None:
    # The instructor corrects #1 to RR, then changes their mind and corrects #1 again to V.
    # One piece of evidence stays one: only the latest correction may count.
    journal.record(["Léa Martin"], description="x", levels={"C1.1": "VV"})
    lea = journal.trainee("Léa Martin")
    (original,) = journal.storage.assessments(lea.id, "C1.1")
    journal.correct(original.id, level="RR")
    journal.correct(original.id, level="V")
    state = journal.leaf_states(lea.id)["C1.1"]
    assert state.count == 1
    assert state.score == 67


def test_correcting_a_self_assessment_keeps_it_out_of_the_official_score(
    journal: Journal,
) -> None:
    # A self-assessment is "shown beside the official state, never mixed in": correcting
    # its level must not turn it into official evidence.
    journal.record(["Léa Martin"], description="x", levels={"C1.1": "R"}, role="auto")
    lea = journal.trainee("Léa Martin")
    (own,) = journal.storage.assessments(lea.id, "C1.1")
    journal.correct(own.id, level="VV")
    state = journal.leaf_states(lea.id)["C1.1"]
    assert state.score is None
    assert state.self_score == 100


def test_self_assessment_in_the_journal(journal: Journal) -> None:
    journal.record(["Léa Martin"], description="x", levels={"C1.1": "R"}, day=date(2026, 11, 2))
    journal.record(
        ["Léa Martin"],
        description="x",
        levels={"C1.1": "VV"},
        role=Role.AUTO,
        day=date(2026, 11, 3),
    )
    state = journal.leaf_states("Léa Martin")["C1.1"]
    assert (state.score, state.state, state.self_score, state.self_state) == (33, "NA", 100, "A")


# -- bad input: a clear error and nothing written ------------------------------------------------

BAD: list[tuple[str, Callable[[Journal], object], tuple[str, ...]]] = [
    (
        "unknown-trainee",
        lambda j: j.record(["Lea Martn"], task="reception-livraison"),
        ("trainee", "'Lea Martn'", "Léa Martin"),
    ),
    (
        "unknown-trainee-id",
        lambda j: j.record([999], task="reception-livraison"),
        ("trainee", "999"),
    ),
    (
        "unknown-competency",
        lambda j: j.record(["Léa Martin"], description="x", levels={"C1.9": "V"}),
        ("competency", "C1.9", "cap-psr"),
    ),
    (
        "competency-of-another-diploma",
        lambda j: j.record(["Léa Martin"], description="x", levels={"CP03": "V"}),
        ("competency", "CP03"),
    ),
    (
        "unknown-task",
        lambda j: j.record(["Léa Martin"], task="reception-livraisn"),
        ("task", "reception-livraisn", "reception-livraison"),
    ),
    (
        "unknown-level",
        lambda j: j.record(["Léa Martin"], task="reception-livraison", levels={"C1.1": "B"}),
        ("level", "'B'", "C1.1"),
    ),
    (
        "level-of-another-scale",
        lambda j: j.record(["Léa Martin"], task="reception-livraison", level="MS"),
        ("level", "'MS'"),
    ),
    (
        "future-date",
        lambda j: j.record(["Léa Martin"], task="reception-livraison", day=date(2026, 11, 21)),
        ("date", "2026-11-21", "future"),
    ),
    (
        "before-start",
        lambda j: j.record(["Léa Martin"], task="reception-livraison", day=date(2026, 8, 31)),
        ("date", "2026-08-31", "Léa Martin", "2026-09-01"),
    ),
    (
        "unknown-order",
        lambda j: j.record(["Léa Martin"], task="reception-livraison", order="2026-04"),
        ("order", "'2026-04'", "2026-041"),
    ),
    (
        "correction-of-nothing",
        lambda j: j.correct(9999, level="V"),
        ("assessment", "9999"),
    ),
    (
        "correction-level-of-another-scale",
        lambda j: j.correct(j.storage.last_assessment_id(), level="MS"),
        ("level", "'MS'"),
    ),
    (
        "two-diplomas",
        lambda j: j.record(["Léa Martin", "Inès Roux"], task="reception-livraison"),
        ("diploma", "cap-cip", "cap-psr"),
    ),
    (
        "unknown-diploma",
        lambda j: j.add_trainee("Zoé Blanc", diploma="cap-xyz"),
        ("diploma", "cap-xyz"),
    ),
    (
        "duplicate-trainee",
        lambda j: j.add_trainee("Léa Martin", diploma="cap-psr"),
        ("trainee", "Léa Martin", "exists"),
    ),
    (
        "duplicate-trainee-other-case",
        lambda j: j.add_trainee("léa martin", diploma="cap-psr"),
        ("trainee", "léa martin", "exists"),
    ),
    (
        "duplicate-order",
        lambda j: j.add_order("2026-041", customer="Autre", title="Autre"),
        ("order", "2026-041", "exists"),
    ),
    (
        "unknown-role",
        lambda j: j.record(["Léa Martin"], task="reception-livraison", role="chef"),
        ("role", "chef"),
    ),
    (
        "autonomy-out-of-range",
        lambda j: j.record(["Léa Martin"], task="reception-livraison", autonomy=5),
        ("autonomy",),
    ),
    (
        "no-task-no-description",
        lambda j: j.record(["Léa Martin"], levels={"C1.1": "V"}),
        ("task", "description"),
    ),
]


@pytest.mark.parametrize(("action", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_refused_and_changes_nothing(
    journal: Journal, action: Callable[[Journal], object], words: tuple[str, ...]
) -> None:
    # One valid record first, so that an assessment exists and states are stored.
    journal.record(["Léa Martin"], task="reception-livraison", day=date(2026, 11, 2))
    before = snapshot(journal)
    with pytest.raises(EpSkillsError) as info:
        action(journal)
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert snapshot(journal) == before


def test_evidence_errors_are_evidence_errors(journal: Journal) -> None:
    with pytest.raises(EvidenceError):
        journal.record(["Léa Martin"], task="nope")
    with pytest.raises(EvidenceError):
        journal.correct(12345, level="V")


def test_correct_needs_a_level_or_withdraw_not_both(journal: Journal) -> None:
    journal.record(["Léa Martin"], task="reception-livraison")
    count = journal.storage.count_assessments()
    with pytest.raises(EvidenceError):
        journal.correct(1, level="V", withdraw=True)
    with pytest.raises(EvidenceError):
        journal.correct(1)
    assert journal.storage.count_assessments() == count


# -- the database ---------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_schema_version_and_wal(journal: Journal) -> None:
    from ep_skills.journal.sqlite import MIGRATIONS, SCHEMA_VERSION

    # Every migration ran, in order, and the file says so.
    assert len(MIGRATIONS) == SCHEMA_VERSION
    assert journal.storage.schema_version == SCHEMA_VERSION  # type: ignore[attr-defined]
    db = journal.storage.connection  # type: ignore[attr-defined]
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"assessment_by_pair", "assessment_corrections", "assessment_contexts"} <= indexes
    db = journal.storage.connection  # type: ignore[attr-defined]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_evidence_is_append_only_in_the_database(journal: Journal) -> None:
    journal.record(["Léa Martin"], task="reception-livraison")
    db = journal.storage.connection  # type: ignore[attr-defined]
    count = journal.storage.count_assessments()
    # SQLite's triggers refuse; on a server the program's role may not even try (the
    # triggers there refuse the owner: tests/test_postgresql.py).
    refused = "append-only|may not do that"
    with pytest.raises(Exception, match=refused):
        db.execute("UPDATE assessment SET level = 'VV'")
    with pytest.raises(Exception, match=refused):
        db.execute("DELETE FROM assessment")
    with pytest.raises(Exception, match=refused):
        db.execute("UPDATE task_record SET note = 'changed'")
    with pytest.raises(Exception, match=refused):
        db.execute("DELETE FROM task_record")
    assert journal.storage.count_assessments() == count
    assert {r.level for r in journal.storage.assessments(journal.trainee("Léa Martin").id)} == {"V"}


def test_reopen_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with open_journal(path, create=True, today=TODAY, registry=REGISTRY, school=SCHOOL) as j:
        j.add_trainee("Léa Martin", diploma="cap-psr")
        record_sacoche(j)
    with open_journal(path, today=TODAY, registry=REGISTRY, school=SCHOOL) as j:
        assert j.storage.count_assessments() == 4
        assert j.leaf_states("Léa Martin")["C1.1"].score == 78


def test_missing_file_without_create(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    with pytest.raises(EpSkillsError, match="ep-skills init"):
        open_journal(path, registry=REGISTRY)
    assert not path.exists()


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"Ceci n'est pas une base de donnees.\n" * 200)
    with pytest.raises(EpSkillsError, match="not an ep-skills journal"):
        open_journal(path, registry=REGISTRY)


def test_another_sqlite_database_is_not_a_journal(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE stock (item TEXT)")
    db.commit()
    db.close()
    with pytest.raises(EpSkillsError, match="not an ep-skills journal"):
        open_journal(path, registry=REGISTRY)


@pytest.mark.sqlite_only
def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    open_journal(path, create=True, registry=REGISTRY).close()
    copy = tmp_path / "newer.db"
    shutil.copy(path, copy)
    db = sqlite3.connect(copy)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(EpSkillsError, match="newer") as info:
        open_journal(copy, registry=REGISTRY)
    assert "99" in str(info.value)
    # The original is untouched and still opens.
    open_journal(path, registry=REGISTRY).close()


def _write_50(path: str, name: str) -> None:
    with open_journal(path, today=TODAY, registry=REGISTRY, school=SCHOOL) as j:
        for i in range(50):
            j.record([name], description=f"travail {i}", levels={"C1.1": "V", "C1.2": "R"})


def test_two_writers_threads(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with open_journal(path, create=True, today=TODAY, registry=REGISTRY, school=SCHOOL) as j:
        j.add_trainee("Léa Martin", diploma="cap-psr")
        j.add_trainee("Noah Petit", diploma="cap-psr")
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            _write_50(str(path), name)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in ("Léa Martin", "Noah Petit")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with open_journal(path, today=TODAY, registry=REGISTRY, school=SCHOOL) as j:
        # 2 writers × 50 records × 2 competencies.
        assert j.storage.count_assessments() == 200
        for name in ("Léa Martin", "Noah Petit"):
            assert j.leaf_states(name)["C1.1"].count == 50


def test_two_writers_processes(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with open_journal(path, create=True, today=TODAY, registry=REGISTRY, school=SCHOOL) as j:
        j.add_trainee("Léa Martin", diploma="cap-psr")
        j.add_trainee("Noah Petit", diploma="cap-psr")
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_write_50, args=(str(path), n)) for n in ("Léa Martin", "Noah Petit")
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0]
    with open_journal(path, today=TODAY, registry=REGISTRY, school=SCHOOL) as j:
        assert j.storage.count_assessments() == 200
        assert (
            j.storage.connection.execute(  # type: ignore[attr-defined]
                "SELECT count(*) FROM task_record"
            ).fetchone()[0]
            == 100
        )


def test_a_large_batch_leaves_the_states_a_full_recompute_gives(journal: Journal) -> None:
    # Above a few thousand assessments on few pairs, recording summarises the touched pairs
    # again instead of updating them row by row: both must end in the same states.
    journal.record(["Noah Petit"], description="service", levels={"C1.1": "V"})
    levels = ("RR", "R", "V", "VV", "ABS")
    records = [
        journal.build_record(
            ["Léa Martin", "Noah Petit"],
            description=f"service {i}",
            day=date(2026, 9, 1 + i % 60) if i % 60 < 30 else date(2026, 10, i % 60 - 29),
            levels={"C1.1": levels[i % 5], "C1.2": levels[(i * 3) % 5]},
            order="2026-041" if i % 4 else None,
            role="auto" if i % 9 == 0 else "maitre",
        )
        for i in range(700)
    ]
    journal.write_records(records)
    assert journal.storage.count_assessments() == 1 + 700 * 2 * 2
    batched = {n: journal.leaf_states(n) for n in ("Léa Martin", "Noah Petit")}
    journal.recompute()
    assert {n: journal.leaf_states(n) for n in ("Léa Martin", "Noah Petit")} == batched
    assert batched["Noah Petit"]["C1.1"].count > 400  # not vacuous: the batch was counted


def test_an_order_reference_with_a_control_character_is_refused(journal: Journal) -> None:
    with pytest.raises(EvidenceError, match="invisible character U\\+0001"):
        journal.add_order("2026\x01042", customer="Client", title="Commande")
    assert [o.ref for o in journal.orders()] == ["2026-041"]


def test_stored_states_are_read_only_under_the_settings_they_were_stored_with(
    journal: Journal,
) -> None:
    # fresh_states: the states and the fingerprints they were stored under, read together
    # (one exchange with a server); a fingerprint that differs or is missing means stale.
    journal.record(["Léa Martin"], description="service", levels={"C1.1": "V", "C1.2": "VV"})
    lea = journal.trainee("Léa Martin")
    key = f"states:{lea.diploma}"
    stored = journal.storage.get_meta(key)
    assert stored is not None
    rows = journal.storage.fresh_states([lea.id], {key: stored})
    assert rows is not None
    assert sorted(rows) == sorted(journal.storage.states([lea.id]))
    assert {r.competency for r in rows} == {"C1.1", "C1.2"}
    assert journal.storage.fresh_states([lea.id], {key: stored + "x"}) is None
    assert journal.storage.fresh_states([lea.id], {key: stored, "states:other": "x"}) is None
    assert journal.storage.fresh_states([], {key: stored}) == []
    assert journal.storage.fresh_states([], {key: "x"}) is None
    assert journal.storage.fresh_states([lea.id], {}) == journal.storage.states([lea.id])
    # Stale fingerprints (settings changed by another program): progress recomputes first.
    with journal.storage.transaction():
        journal.storage.set_meta(key, "stale")
    assert journal.progress(lea.id).node("C1.1") is not None
    assert journal.storage.get_meta(key) == stored
