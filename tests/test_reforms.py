"""Reforms: a trainee moves to the diploma that replaces theirs, and their evidence follows.

Two small referentials built in Python: ``old-dip`` (leaves O1, O2) and ``new-dip`` (leaves N1,
N2, N3) whose correspondence table maps O1 → N1 and O2 → N2 + N3. Both use the library's
default scale (RR/R/V/VV = 0/33/67/100, states NA from 0, VA from 40, A from 61) and default
settings (geometric weights 1, 2, 4… over the last 5, no coverage rule), so every expected
score below is worked out by hand and also checked against ``compute_state`` on the rows.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import attrs
import ep_skills_cap_cip
import pluggy
import pytest
from click.testing import CliRunner, Result

from ep_skills import hookimpl
from ep_skills.api import EvidenceError, Journal, open_journal
from ep_skills.cli import cli
from ep_skills.engine.compute import CompetencyState, compute_state
from ep_skills.errors import ReferentialError, Severity, UnknownDiplomaError
from ep_skills.i18n import current_language, set_language
from ep_skills.journal.model import Assessment
from ep_skills.plugins.manager import make_plugin_manager
from ep_skills.plugins.registry import Registry
from ep_skills.referential.codec import dumps_referential, loads_referential
from ep_skills.referential.defaults import DEFAULT_SCALE
from ep_skills.referential.model import (
    Bloc,
    CatalogueTask,
    CodeMap,
    Competency,
    Correspondence,
    DiplomaKind,
    Epreuve,
    Provenance,
    ProvenanceStatus,
    Referential,
    Source,
    TaskCompetency,
)
from ep_skills.referential.validate import check_referential

TODAY = date(2026, 11, 20)
NAME = "Léa Martin"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("EP_SKILLS_DB", "EP_SKILLS_CONFIG", "EP_SKILLS_BLOCK_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    before = current_language()
    set_language("en")
    yield
    set_language(before)


# -- referentials and plugin ------------------------------------------------------------------


def referential(
    diploma_id: str, codes: tuple[str, ...], *correspondences: Correspondence
) -> Referential:
    return Referential(
        id=diploma_id,
        title=f"Diplôme {diploma_id}",
        kind=DiplomaKind.CAP,
        level=3,
        version="1",
        legal_source=f"Arrêté d'essai ({diploma_id})",
        provenance=Provenance(ProvenanceStatus.VERIFIED, "arrete"),
        sources=(Source("arrete", "Arrêté d'essai"),),
        blocs=(
            Bloc(
                "B1",
                "Bloc un",
                competencies=tuple(Competency(code, f"Compétence {code}") for code in codes),
            ),
        ),
        epreuves=(Epreuve("EP1", "Épreuve un", unit="UP1", coefficient=1.0, competencies=codes),),
        tasks=(CatalogueTask("tache", "Tâche", tuple(TaskCompetency(c) for c in codes)),),
        correspondences=correspondences,
    )


OLD = referential("old-dip", ("O1", "O2"))
TABLE = Correspondence(
    old_referential="old-dip",
    old_title="Ancien diplôme d'essai",
    competencies=(
        CodeMap(old=("O1",), new=("N1",)),
        CodeMap(old=("O2",), new=("N2", "N3")),
    ),
)
NEW = referential("new-dip", ("N1", "N2", "N3"), TABLE)
# Replaces old-dip too, but its table maps units only: no evidence carries over.
UNITS_ONLY = referential(
    "units-dip",
    ("U1",),
    Correspondence(
        old_referential="old-dip",
        old_title="Ancien diplôme d'essai",
        units=(CodeMap(old=("UP1",), new=("UP1",)),),
    ),
)
# No table at all.
OTHER = referential("other-dip", ("X1",))


class Provides:
    def __init__(self, *referentials: Referential) -> None:
        self.referentials = referentials

    @hookimpl
    def ep_skills_register_referentials(self, register: Callable[[object], None]) -> None:
        for item in self.referentials:
            register(item)


def make_pm(*referentials: Referential) -> pluggy.PluginManager:
    chosen = referentials or (OLD, NEW, UNITS_ONLY, OTHER)
    return make_plugin_manager(entry_points=False, extra=(("test", Provides(*chosen)),))


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = open_journal(tmp_path / "j.db", create=True, today=TODAY, registry=Registry(make_pm()))
    yield j
    j.close()


def record_old(journal: Journal) -> tuple[int, int]:
    """Léa on old-dip: O1 V then VV, O2 R. Returns the ids of the O2 and first O1 rows."""
    journal.add_trainee(NAME, diploma="old-dip", cohort="2026")
    journal.record(
        [NAME],
        description="Série de supports",
        levels={"O1": "V", "O2": "R"},
        day=date(2026, 10, 1),
    )
    journal.record([NAME], description="Reprise", levels={"O1": "VV"}, day=date(2026, 10, 5))
    rows = journal.storage.assessments(journal.trainee(NAME).id)
    o2 = next(r.id for r in rows if r.competency == "O2")
    o1 = next(r.id for r in rows if r.competency == "O1" and r.level == "V")
    return o2, o1


def summary(state: CompetencyState) -> tuple[object, ...]:
    """What a stored state keeps (the explanation's details are recomputed on demand)."""
    return (
        state.competency,
        state.state,
        state.score,
        state.acquired,
        state.score_state,
        state.count,
        state.contexts,
        state.last_day,
        state.history,
    )


def expected(journal: Journal, code: str, rows: list[Assessment]) -> CompetencyState:
    """compute_state on the rows behind ``code``, carried rows renamed as the journal does."""
    carried = [
        row
        if row.diploma == "new-dip"
        else attrs.evolve(row, competency=code, via=f"{row.diploma} {row.competency}")
        for row in rows
    ]
    return compute_state(
        code,
        carried,
        scale=DEFAULT_SCALE,
        settings=journal.settings("new-dip"),
        methods=journal.registry.methods(),
        today=TODAY,
    )


def rows_on(journal: Journal, *pairs: tuple[str, str]) -> list[Assessment]:
    lea = journal.trainee(NAME)
    return [
        r for r in journal.storage.assessments(lea.id) if (r.diploma, r.competency) in set(pairs)
    ]


def stored(journal: Journal) -> dict[str, tuple[object, ...]]:
    """The states as saved in the journal (not recomputed)."""
    lea = journal.trainee(NAME)
    return {
        row.competency: (row.state, row.score, row.acquired, row.assessments)
        for row in journal.storage.states([lea.id])
    }


# -- transfer ---------------------------------------------------------------------------------


def test_evidence_follows_the_correspondence_table(journal: Journal) -> None:
    record_old(journal)
    before = journal.leaf_states(NAME)
    # O1: V (67) then VV (100), weights 1 and 2: 267 / 3 = 89 → A. O2: R = 33 → NA.
    assert {c: (s.score, s.state) for c, s in before.items()} == {
        "O1": (89, "A"),
        "O2": (33, "NA"),
    }
    count = journal.storage.count_assessments()
    assert count == 3

    moved = journal.transfer(NAME, "new-dip", note="rénovation")
    assert moved.diploma == "new-dip"
    # What the transfer itself saved, before any read could recompute it.
    assert stored(journal) == {
        "N1": ("A", 89, True, 2),
        "N2": ("NA", 33, False, 1),
        "N3": ("NA", 33, False, 1),
    }
    assert journal.trainee(NAME).diploma == "new-dip"

    after = journal.leaf_states(NAME)
    assert set(after) == {"N1", "N2", "N3"}
    assert {c: (s.score, s.state, s.count) for c, s in after.items()} == {
        "N1": (89, "A", 2),
        "N2": (33, "NA", 1),
        "N3": (33, "NA", 1),
    }
    for code, old in (("N1", "O1"), ("N2", "O2"), ("N3", "O2")):
        want = expected(journal, code, rows_on(journal, ("old-dip", old)))
        assert summary(after[code]) == summary(want), code

    # Nothing lost, nothing rewritten: the rows keep the diploma they were recorded under.
    assert journal.storage.count_assessments() == count
    rows = journal.storage.assessments(journal.trainee(NAME).id)
    assert {(r.diploma, r.competency) for r in rows} == {("old-dip", "O1"), ("old-dip", "O2")}
    assert all(r.via is None for r in rows)
    db = journal.storage.connection  # type: ignore[attr-defined]
    transfers = db.execute("SELECT from_diploma, to_diploma, note FROM trainee_transfer").fetchall()
    assert [tuple(t) for t in transfers] == [("old-dip", "new-dip", "rénovation")]


def test_explain_says_where_the_evidence_comes_from(journal: Journal) -> None:
    record_old(journal)
    journal.transfer(NAME, "new-dip")
    explanation = journal.explain(NAME, "N2")
    assert [r.via for r in explanation.rows] == ["old-dip O2"]
    assert [r.competency for r in explanation.rows] == ["N2"]
    text = "\n".join(explanation.lines())
    assert "old-dip O2" in text
    assert "correspondence table" in text
    assert "State: non acquis." in text
    n1 = "\n".join(journal.explain(NAME, "N1").lines())
    assert n1.count("old-dip O1") == 2  # both O1 rows


def test_new_records_combine_with_carried_ones(journal: Journal) -> None:
    record_old(journal)
    journal.transfer(NAME, "new-dip")
    journal.leaf_states(NAME)  # first read: states brought up to date
    journal.record([NAME], description="Nouvelle série", levels={"N2": "VV"}, day=date(2026, 11, 2))

    # N2: O2 R (33, 1 Oct) then N2 VV (100, 2 Nov): (33 + 200) / 3 = 77.7 → 78 → A.
    states = journal.leaf_states(NAME)
    assert (states["N2"].score, states["N2"].state, states["N2"].count) == (78, "A", 2)
    # N3 has only the carried O2 row; N1 is unchanged.
    assert (states["N3"].score, states["N3"].state) == (33, "NA")
    assert (states["N1"].score, states["N1"].state) == (89, "A")
    rows = rows_on(journal, ("old-dip", "O2"), ("new-dip", "N2"))
    assert summary(states["N2"]) == summary(expected(journal, "N2", rows))
    # The incremental write saved exactly that.
    assert stored(journal)["N2"] == ("A", 78, True, 2)

    # An old code is not a competency of the new diploma: it cannot be recorded any more.
    with pytest.raises(EvidenceError, match="O1"):
        journal.record([NAME], description="x", levels={"O1": "V"}, day=date(2026, 11, 3))


def test_recompute_gives_the_same_states(journal: Journal) -> None:
    record_old(journal)
    journal.transfer(NAME, "new-dip")
    journal.leaf_states(NAME)
    journal.record([NAME], description="Nouvelle série", levels={"N2": "VV"}, day=date(2026, 11, 2))
    journal.record([NAME], description="Encore", levels={"N1": "R"}, day=date(2026, 11, 9))
    incremental = stored(journal)
    states_before = {c: summary(s) for c, s in journal.leaf_states(NAME).items()}

    assert journal.recompute() == 3  # N1, N2, N3
    assert stored(journal) == incremental
    assert {c: summary(s) for c, s in journal.leaf_states(NAME).items()} == states_before
    # N1: V (67), VV (100), R (33) with weights 1, 2, 4: (67 + 200 + 132) / 7 = 57 → VA.
    assert incremental["N1"] == ("VA", 57, False, 3)


def test_correcting_old_evidence_after_the_transfer(journal: Journal) -> None:
    o2, o1 = record_old(journal)
    journal.transfer(NAME, "new-dip")
    journal.leaf_states(NAME)
    journal.record([NAME], description="Nouvelle série", levels={"N2": "VV"}, day=date(2026, 11, 2))

    corrected = journal.correct(o2, level="V", note="mal saisi")
    assert (corrected.diploma, corrected.competency, corrected.supersedes) == ("old-dip", "O2", o2)
    # Read what the correction saved, before any read could recompute it.
    saved = stored(journal)
    # N2: O2 now V (67, 1 Oct), N2 VV (100, 2 Nov): 267 / 3 = 89 → A. N3: V alone = 67 → A.
    assert saved["N2"] == ("A", 89, True, 2)
    assert saved["N3"] == ("A", 67, True, 1)
    assert saved["N1"] == ("A", 89, True, 2)  # untouched

    journal.correct(o1, withdraw=True)
    # N1: only O1 VV (100) remains.
    assert stored(journal)["N1"] == ("A", 100, True, 1)

    incremental = stored(journal)
    journal.recompute()
    assert stored(journal) == incremental
    explanation = "\n".join(journal.explain(NAME, "N3").lines())
    assert "old-dip O2" in explanation
    assert "corrected or withdrawn" in explanation


def test_other_trainees_are_not_touched(journal: Journal) -> None:
    journal.add_trainee("Noah Petit", diploma="new-dip")
    journal.add_trainee("Inès Roux", diploma="old-dip")
    journal.record(["Noah Petit"], description="a", levels={"N2": "VV"}, day=date(2026, 10, 2))
    journal.record(["Inès Roux"], description="b", levels={"O2": "V"}, day=date(2026, 10, 3))
    noah = {c: summary(s) for c, s in journal.leaf_states("Noah Petit").items()}
    ines = {c: summary(s) for c, s in journal.leaf_states("Inès Roux").items()}
    record_old(journal)
    journal.leaf_states(NAME)  # states of both diplomas are now fresh
    journal.transfer(NAME, "new-dip")
    # Saved by the transfer alone (the fingerprints are fresh: no recompute on read).
    assert stored(journal)["N3"] == ("NA", 33, False, 1)
    assert {c: summary(s) for c, s in journal.leaf_states("Noah Petit").items()} == noah
    assert {c: summary(s) for c, s in journal.leaf_states("Inès Roux").items()} == ines
    # Noah's own N2 row and Léa's carried O2 row are not mixed up.
    assert noah["N2"][1:3] == ("A", 100)
    assert journal.leaf_states(NAME)["N2"].score == 33
    db = journal.storage.connection  # type: ignore[attr-defined]
    before = [tuple(r) for r in db.execute("SELECT * FROM competency_state ORDER BY 1, 2")]
    assert journal.recompute() == 1 + 1 + 3
    assert [tuple(r) for r in db.execute("SELECT * FROM competency_state ORDER BY 1, 2")] == before


def test_transfer_back_restores_the_own_evidence(journal: Journal) -> None:
    record_old(journal)
    journal.transfer(NAME, "new-dip")
    journal.record([NAME], description="Nouvelle série", levels={"N3": "RR"}, day=date(2026, 11, 2))
    journal.transfer(NAME, "old-dip")
    states = journal.leaf_states(NAME)
    # old-dip has no table from new-dip: N3's row does not count, O1 and O2 are as at first.
    assert {c: (s.score, s.state) for c, s in states.items()} == {
        "O1": (89, "A"),
        "O2": (33, "NA"),
    }
    assert journal.storage.count_assessments() == 4


def test_refused_transfers_change_nothing(journal: Journal) -> None:
    record_old(journal)
    states = {c: summary(s) for c, s in journal.leaf_states(NAME).items()}
    with pytest.raises(EvidenceError, match="already prepares old-dip"):
        journal.transfer(NAME, "old-dip")
    with pytest.raises(UnknownDiplomaError) as caught:
        journal.transfer(NAME, "cap-absent")
    assert caught.value.diploma_id == "cap-absent"
    with pytest.raises(EvidenceError, match="unknown trainee"):
        journal.transfer("Personne", "new-dip")
    assert journal.trainee(NAME).diploma == "old-dip"
    assert {c: summary(s) for c, s in journal.leaf_states(NAME).items()} == states
    db = journal.storage.connection  # type: ignore[attr-defined]
    assert db.execute("SELECT count(*) FROM trainee_transfer").fetchone()[0] == 0


def test_transfer_to_a_diploma_without_a_competency_table(journal: Journal) -> None:
    record_old(journal)
    journal.transfer(NAME, "units-dip")
    assert journal.leaf_states(NAME) == {}
    assert journal.storage.count_assessments() == 3


# -- command line -----------------------------------------------------------------------------


def invoke(db: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--lang", "en", "--db", str(db), *args], obj=make_pm())
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"ep-skills {' '.join(args)} crashed:\n{trace}")
    return result


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    with open_journal(path, create=True, today=TODAY, registry=Registry(make_pm())) as j:
        record_old(j)
    return path


def test_cli_transfer_with_a_table_says_nothing_on_stderr(db: Path) -> None:
    result = invoke(db, "trainee", "transfer", NAME, "--diploma", "new-dip", "--note", "réforme")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{NAME} now prepares new-dip."
    assert result.stderr == ""
    with open_journal(db, registry=Registry(make_pm()), today=TODAY) as j:
        assert j.trainee(NAME).diploma == "new-dip"
        assert j.leaf_states(NAME)["N3"].score == 33


@pytest.mark.parametrize("target", ["other-dip", "units-dip"])
def test_cli_transfer_warns_when_no_evidence_carries_over(db: Path, target: str) -> None:
    result = invoke(db, "trainee", "transfer", NAME, "--diploma", target)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{NAME} now prepares {target}."
    assert result.stderr.startswith(f"Warning: {target} has no competency correspondence")
    assert "from old-dip" in result.stderr
    assert "does not count" in result.stderr


def test_cli_transfer_errors(db: Path) -> None:
    same = invoke(db, "trainee", "transfer", NAME, "--diploma", "old-dip")
    assert same.exit_code == 1
    assert same.stderr.strip() == f"Error: {NAME} already prepares old-dip"
    unknown = invoke(db, "trainee", "transfer", NAME, "--diploma", "cap-absent")
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("Error: unknown diploma 'cap-absent'")
    assert unknown.stdout == ""


# -- correspondence tables in referentials ----------------------------------------------------


def test_the_test_referentials_are_valid() -> None:
    for item in (OLD, NEW, UNITS_ONLY, OTHER):
        assert check_referential(item) == [], item.id


def test_cap_cip_annex_iv_table() -> None:
    ref = Registry(
        make_plugin_manager(entry_points=False, extra=(("cap_cip", ep_skills_cap_cip.plugin),))
    ).get("cap-cip")
    (table,) = ref.correspondences
    assert table.old_referential == "cap-conduite-systemes-industriels"
    assert table.competencies == ()
    pairs = [(line.old, line.new) for line in table.units]
    # Annex IV: EP.1 + EP.2 (UP1, UP2) → EP.1 (UP1); EP.3 (UP3) → EP.2 (UP2); general ones kept.
    assert pairs[:2] == [(("UP1", "UP2"), ("UP1",)), (("UP3",), ("UP2",))]
    assert (("UG1",), ("UG1",)) in pairs
    units = {e.unit for e in ref.epreuves} | {e.code for e in ref.epreuves}
    assert all(code in units for line in table.units for code in line.new)
    problems = [p for p in check_referential(ref) if p.path.startswith("correspondences")]
    assert problems == []


def test_cap_cip_table_with_an_unknown_unit_is_an_error() -> None:
    ref = Registry(
        make_plugin_manager(entry_points=False, extra=(("cap_cip", ep_skills_cap_cip.plugin),))
    ).get("cap-cip")
    (table,) = ref.correspondences
    bad = attrs.evolve(
        ref,
        correspondences=(
            attrs.evolve(table, units=(*table.units, CodeMap(old=("UP4",), new=("UP9",)))),
        ),
    )
    errors = [p for p in check_referential(bad) if p.severity is Severity.ERROR]
    assert [(p.path, p.message) for p in errors] == [
        (f"correspondences[0].units[{len(table.units)}].new[0]", "unknown unit or épreuve 'UP9'")
    ]


def test_a_correspondence_to_an_unknown_new_code_is_an_error() -> None:
    bad_table = attrs.evolve(
        TABLE, competencies=(*TABLE.competencies, CodeMap(old=("O3",), new=("N1", "N9")))
    )
    bad = attrs.evolve(NEW, correspondences=(bad_table,))
    problems = check_referential(bad)
    assert [(p.path, p.message, p.severity) for p in problems] == [
        ("correspondences[0].competencies[2].new[1]", "unknown competency 'N9'", Severity.ERROR)
    ]
    # Registered by a plugin, it is refused.
    with pytest.raises(ReferentialError, match="N9"):
        Registry(make_pm(OLD, bad)).get("new-dip")
    # Read from a file, the problem has its line.
    text = dumps_referential(bad)
    with pytest.raises(ReferentialError) as caught:
        loads_referential(text, file="new-dip.toml")
    (problem,) = caught.value.problems
    assert (problem.file, problem.path) == (
        "new-dip.toml",
        "correspondences[0].competencies[2].new[1]",
    )
    assert problem.line is not None
    # The array is written over several lines; the problem points at its key.
    lines = text.splitlines()
    assert lines[problem.line - 1].strip().startswith("new = [")
    closing = lines.index("]", problem.line - 1)
    assert '"N9",' in [line.strip() for line in lines[problem.line : closing]]


def test_other_malformed_tables() -> None:
    to_itself = attrs.evolve(TABLE, old_referential="new-dip")
    empty = attrs.evolve(TABLE, competencies=(CodeMap(old=(), new=("N1",)),))
    assert [p.path for p in check_referential(attrs.evolve(NEW, correspondences=(to_itself,)))] == [
        "correspondences[0].old_referential"
    ]
    assert [p.path for p in check_referential(attrs.evolve(NEW, correspondences=(empty,)))] == [
        "correspondences[0].competencies[0]"
    ]
