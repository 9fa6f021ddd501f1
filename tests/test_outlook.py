"""On track, at risk or behind: each épreuve against the weeks left before the exam, and the
exam sessions it is measured against (per cohort, overridable per trainee, append-only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from ep_skills.api import Journal, open_journal
from ep_skills.cli import cli
from ep_skills.engine.missing import StillMissing
from ep_skills.engine.outlook import Status, outlook, outlook_words
from ep_skills.errors import InvalidValueError, NotFoundError
from ep_skills.i18n import using_language
from ep_skills.journal.exams import ExamMode

TODAY = date(2026, 3, 2)
EXAM = TODAY + timedelta(weeks=10)
EP1 = ("CP01", "CP02", "CP03", "CP04", "CP05")


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with open_journal(tmp_path / "atelier.db", create=True, today=TODAY) as opened:
        opened.add_trainee("Léa Martin", diploma="cap-cip", cohort="2026")
        opened.add_trainee("Hugo Bernard", diploma="cap-cip", cohort="2026")
        yield opened


def needs(code: str, more: int = 2, **extra: object) -> StillMissing:
    return StillMissing(code, acquired=False, assessments=more, level="V", **extra)  # type: ignore[arg-type]


def ep1(journal: Journal, pace: dict[str, float], **missing: StillMissing) -> object:
    progress = journal.progress("Léa Martin")
    still = {code: missing.get(code, needs(code, 1)) for code in (*EP1, "CP06", "CP07")}
    rates = dict.fromkeys((*EP1, "CP06", "CP07"), 1.0) | pace
    (first, _second) = outlook(progress, still, rates, exam=EXAM, today=TODAY)
    return first


def test_the_slowest_competency_sets_the_verdict(journal: Journal) -> None:
    on_track = ep1(journal, {"CP03": 1.0}, CP03=needs("CP03", 4))  # 4 weeks of 10
    assert on_track.status is Status.ON_TRACK and on_track.limiting == "CP03"
    at_risk = ep1(journal, {"CP03": 0.5}, CP03=needs("CP03", 4))  # 8 weeks of 10
    assert at_risk.status is Status.AT_RISK and at_risk.weeks_needed == 8
    behind = ep1(journal, {"CP03": 0.25}, CP03=needs("CP03", 4))  # 16 weeks of 10
    assert behind.status is Status.BEHIND and behind.limiting == "CP03"


def test_a_span_that_ends_after_the_exam_is_behind(journal: Journal) -> None:
    late = needs("CP02", 1, not_before=EXAM + timedelta(days=3))
    found = ep1(journal, {}, CP02=late)
    assert found.status is Status.BEHIND and found.limiting == "CP02"
    with using_language("fr"):
        assert "après l'examen" in outlook_words(found, EXAM)


def test_not_practised_lately_is_at_risk_to_plan(journal: Journal) -> None:
    found = ep1(journal, {"CP05": 0.0})
    assert found.status is Status.AT_RISK and found.weeks_needed is None
    with using_language("fr"):
        words = outlook_words(found, EXAM)
    assert words.startswith("à risque : CP05") and "à programmer" in words
    assert "dans 10 semaines" in words


def test_out_of_reach_or_a_passed_exam_is_behind(journal: Journal) -> None:
    unreachable = StillMissing("CP01", acquired=False, reachable=False)
    assert ep1(journal, {}, CP01=unreachable).status is Status.BEHIND
    progress = journal.progress("Léa Martin")
    still = {code: needs(code, 1) for code in (*EP1, "CP06", "CP07")}
    rates = dict.fromkeys(still, 5.0)
    passed = outlook(progress, still, rates, exam=TODAY - timedelta(days=1), today=TODAY)
    assert {item.status for item in passed} == {Status.BEHIND}
    unknown = outlook(progress, still, rates, exam=None, today=TODAY)
    assert {item.status for item in unknown} == {Status.UNKNOWN}
    # Days before the exam, and after it: said as such, never « dans 0 semaine ».
    soon = outlook(progress, still, rates, exam=TODAY + timedelta(days=3), today=TODAY)
    with using_language("fr"):
        before = outlook_words(soon[0], TODAY + timedelta(days=3))
        after = outlook_words(passed[0], TODAY - timedelta(days=1))
    assert "dans moins d'une semaine" in before and "0 semaine" not in before
    assert "examen passé" in after and "0 semaine" not in after


def test_sessions_per_cohort_overridden_per_trainee_append_only(journal: Journal) -> None:
    assert journal.exam_session("Léa Martin") is None
    journal.set_exam_session(date(2026, 6, 10), cohort="2026")
    journal.set_exam_session(date(2026, 6, 15), cohort="2026", mode="ccf")
    journal.set_exam_session(date(2026, 9, 1), trainee="Hugo Bernard")
    lea, hugo = journal.exam_session("Léa Martin"), journal.exam_session("Hugo Bernard")
    assert lea is not None and (lea.day, lea.mode) == (date(2026, 6, 15), ExamMode.CCF)
    assert hugo is not None and hugo.day == date(2026, 9, 1) and hugo.trainee is not None
    kept = journal.storage.meta_items("exam:cohort:2026:")
    assert len(kept) == 2  # the earlier setting stays
    with pytest.raises(InvalidValueError):
        journal.set_exam_session(EXAM)
    with pytest.raises(InvalidValueError):
        journal.set_exam_session(EXAM, cohort="2026", mode="oral")
    with pytest.raises(NotFoundError):
        journal.set_exam_session(EXAM, cohort="nobody")


def test_the_journal_measures_pace_over_the_last_weeks(journal: Journal) -> None:
    journal.set_exam_session(EXAM, cohort="2026")
    journal.add_order("O1", customer="Client", title="Pièces")
    journal.add_order("O2", customer="Client", title="Pièces")
    for weeks_ago, order in ((6, "O1"), (4, "O2"), (2, "O1"), (1, "O2")):
        journal.record(
            ["Léa Martin"],
            task="conduire-ligne-mode-normal",
            day=TODAY - timedelta(weeks=weeks_ago),
            order=order,
            level="R",
        )
    found = {item.code: item for item in journal.outlook("Léa Martin")}
    assert set(found) == {"EP1", "EP2"}
    # CP03 and CP05 were never assessed: no pace to project, at risk and to plan.
    assert found["EP1"].status is Status.AT_RISK
    assert found["EP1"].limiting in {"CP03", "CP05"}
    assert found["EP1"].weeks_left == 10


def test_the_command_line_sets_sessions_and_progress_says_the_verdict(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    runner = CliRunner()

    def ep(*args: str) -> object:
        return runner.invoke(cli, ["--lang", "fr", "--db", db, *args])

    ep("init")
    ep("trainee", "add", "Léa Martin", "--diploma", "cap-cip", "--cohort", "2026")
    none = ep("exam", "list")
    assert "Aucune session d'examen" in none.output  # type: ignore[attr-defined]
    done = ep("exam", "set", "--cohort", "2026", "--date", "10/06/2027")
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    assert "Session d'examen de groupe 2026 : 10/06/2027 (ponctuel)" in done.output  # type: ignore[attr-defined]
    shown = ep("progress", "Léa Martin").output  # type: ignore[attr-defined]
    assert "session d'examen : 10/06/2027 (ponctuel)" in shown
    assert "à risque : CP0" in shown and "à programmer" in shown
    bad = ep("exam", "set", "--date", "10/06/2027")
    assert bad.exit_code != 0  # type: ignore[attr-defined]
    assert "indiquez soit un groupe, soit un jeune" in bad.output  # type: ignore[attr-defined]
    assert "Traceback" not in bad.output  # type: ignore[attr-defined]


def test_the_livret_and_the_workshop_view_say_it(journal: Journal) -> None:
    from ep_skills.reports import cohort_html, livret_html

    assert 'class="outlook-' not in livret_html(journal, "Léa Martin")
    journal.set_exam_session(EXAM, cohort="2026")
    with using_language("fr"):
        livret = livret_html(journal, "Léa Martin")
        workshop = cohort_html(journal, "2026")
    assert "session d&#39;examen : 11/05/2026 (ponctuel)" in livret
    assert 'class="outlook-at-risk"' in livret
    assert "Avant l&#39;examen" in workshop and 'class="outlook-at-risk"' in workshop
