"""Closed periods: the livret as of a closed period is the same whatever is written after
(corrections of the period's own entries included); sign-offs recorded; a change made
outside ep-skills shows."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ep_skills.api import Journal, open_journal
from ep_skills.cli import cli
from ep_skills.errors import EpSkillsError
from ep_skills.periods import as_of, check, close_period, periods, sign_off, sign_offs
from ep_skills.reports import livret_html

TODAY = date(2026, 11, 20)
END = date(2026, 10, 31)
TASK = "reception-livraison"


def _journal(path: Path) -> Journal:
    j = open_journal(path, create=True, today=TODAY)
    j.add_trainee("Léa Martin", diploma="cap-psr", cohort="2026")
    j.add_trainee("Noah Petit", diploma="cap-psr", cohort="2026")
    j.add_order("C-12", customer="Cantine", title="Repas")
    for day in (date(2026, 9, 7), date(2026, 9, 28), date(2026, 10, 19)):
        j.record(["Léa Martin", "Noah Petit"], task=TASK, order="C-12", day=day)
    return j


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    j = _journal(tmp_path / "atelier.db")
    yield j
    j.close()


def test_the_livret_as_of_a_closed_period_stays_as_it_was(journal: Journal) -> None:
    closed = close_period(journal, "S1", END)
    before = livret_html(as_of(journal, "S1"), "Léa Martin")
    first = journal.task_record(1)
    # Corrections of the period's own entries, a record of a day inside the period written
    # after its close, and a record after it.
    journal.correct(first.assessment_ids[0], level="RR", note="revu")
    journal.correct_record(2, withdraw=True)
    journal.record(["Léa Martin"], task=TASK, day=date(2026, 10, 30), note="en retard")
    journal.record(["Léa Martin"], task=TASK, day=date(2026, 11, 10))
    after = livret_html(as_of(journal, "S1"), "Léa Martin")
    assert after == before
    assert closed.digest[:16] in after and "« S1 »" in after
    # The journal itself moved on: the livret of today differs.
    assert livret_html(journal, "Léa Martin") != before
    assert check(journal, "S1") == []


def test_a_closed_period_cannot_be_written_nor_closed_twice(journal: Journal) -> None:
    close_period(journal, "S1", END)
    with pytest.raises(EpSkillsError, match="already closed"):
        close_period(journal, "S1", END)
    with pytest.raises(EpSkillsError):
        close_period(journal, "S2", TODAY + timedelta(days=1))
    frozen = as_of(journal, "S1")
    with pytest.raises(EpSkillsError, match="read only"):
        frozen.record(["Léa Martin"], task=TASK, day=END)
    assert [p.name for p in periods(journal)] == ["S1"]


def test_sign_offs_are_recorded_and_told_in_the_audit(journal: Journal) -> None:
    close_period(journal, "S1", END, cohort="2026")
    sign_off(journal, "S1", "Léa Martin", signer="trainee", by="Léa Martin")
    sign_off(journal, "S1", "Léa Martin", signer="instructor", by="Jean Maître", note="ok")
    found = sign_offs(journal, "S1")
    assert [(s.signer, s.by) for s in found] == [
        ("instructor", "Jean Maître"),
        ("trainee", "Léa Martin"),
    ]
    with pytest.raises(EpSkillsError):
        sign_off(journal, "S1", "Léa Martin", signer="parent", by="X")
    actions = [e.action for e in journal.audit("Léa Martin")]
    assert actions.count("period.sign") == 2 and "period.close" in actions


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    later=st.lists(
        st.tuples(
            st.sampled_from(["record", "correct", "withdraw"]),
            st.integers(min_value=0, max_value=80),  # days after 1 September
            st.sampled_from(["RR", "R", "V", "VV"]),
        ),
        max_size=6,
    )
)
def test_nothing_written_after_changes_the_period(
    tmp_path_factory: pytest.TempPathFactory, later: list[tuple[str, int, str]]
) -> None:
    journal = _journal(tmp_path_factory.mktemp("p") / "atelier.db")
    close_period(journal, "S1", END)
    frozen = as_of(journal, "S1")
    before = {t.id: frozen.progress(t.id) for t in journal.trainees()}
    for action, offset, level in later:
        day = date(2026, 9, 1) + timedelta(days=offset)
        if action == "record":
            journal.record(["Noah Petit"], task=TASK, day=day)
        else:
            rows = list(journal.storage.assessments(journal.trainee("Noah Petit").id))
            latest = rows[offset % len(rows)]
            try:
                if action == "correct":
                    journal.correct(latest.id, level=level)
                else:
                    journal.correct(latest.id, withdraw=True)
            except EpSkillsError:
                pass  # already withdrawn
    frozen = as_of(journal, "S1")
    assert {t.id: frozen.progress(t.id) for t in journal.trainees()} == before
    assert check(journal, "S1") == []
    journal.close()


def test_the_commands(tmp_path: Path) -> None:
    path = tmp_path / "atelier.db"
    _journal(path).close()
    runner = CliRunner()
    db = ["--db", str(path), "--lang", "fr"]
    closed = runner.invoke(cli, [*db, "period", "close", "S1", "--to", "2026-10-31"])
    assert closed.exit_code == 0, closed.output
    signed = runner.invoke(
        cli,
        [*db, "period", "sign", "S1", "--trainee", "Léa Martin", "--as", "trainee", "--by", "Léa"],
    )
    assert signed.exit_code == 0, signed.output
    shown = runner.invoke(cli, [*db, "period", "show", "S1"])
    assert shown.exit_code == 0, shown.output
    assert "Léa Martin" in shown.output and "Noah Petit" in shown.output
    listed = runner.invoke(cli, [*db, "period", "list"])
    assert "S1" in listed.output
    out = tmp_path / "livret.html"
    written = runner.invoke(
        cli, [*db, "report", "Léa Martin", "--period", "S1", "--format", "html", "-o", str(out)]
    )
    assert written.exit_code == 0, written.output
    assert "S1" in out.read_text(encoding="utf-8")
    unknown = runner.invoke(cli, [*db, "period", "show", "S9"])
    assert unknown.exit_code != 0 and "Traceback" not in unknown.output


@pytest.mark.sqlite_only
def test_a_change_made_outside_shows(tmp_path: Path) -> None:
    path = tmp_path / "atelier.db"
    journal = _journal(path)
    close_period(journal, "S1", END)
    journal.close()
    db = sqlite3.connect(path)
    (lock,) = db.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'assessment_append_only_update'"
    ).fetchone()
    db.execute("DROP TRIGGER assessment_append_only_update")
    db.execute("UPDATE assessment SET level = 'RR'")
    db.execute(lock)
    db.commit()
    db.close()
    shown = CliRunner().invoke(cli, ["--db", str(path), "period", "show", "S1"])
    assert shown.exit_code == 1, shown.output
