"""``ep-skills plan`` on a workshop's journal: every assignment checked against the journal's
own data (capacity, working time, presence, the law on young workers), the exact plan equal
to a brute-force optimum on a small workshop, what cannot be placed said with its reason,
exports, acceptance, personal gaps — and bad input."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from ep_skills.api import Journal, open_journal
from ep_skills.cli import cli
from ep_skills.demo import DEMO_END, DEMO_MACHINE, build_demo
from ep_skills.errors import InvalidValueError
from ep_skills.journal.model import Trainee
from ep_skills.planning import Assignment, Plan, check, score
from ep_skills.planning.proposal import Proposal, accepted_plans, propose
from ep_skills.views import trainee_gaps

CLI = str(Path(sys.executable).parent / "ep-skills")
START = DEMO_END + timedelta(days=1)
END = START + timedelta(days=27)
TODAY = START


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "demo.db"
    journal = open_journal(path, create=True, today=TODAY)
    try:
        build_demo(journal, trainees=10)
    finally:
        journal.close()
    return path


@pytest.fixture
def journal(demo: Path, tmp_path: Path) -> Journal:
    copy = tmp_path / "demo.db"
    copy.write_bytes(demo.read_bytes())
    j = open_journal(copy, today=TODAY)
    yield j
    j.close()


def assert_lawful(journal: Journal, made: Proposal) -> None:
    """Each assignment checked against the journal itself, not against the problem the
    planner built from it."""
    register = journal.register()
    tasks = {(t.order, t.task): t for t in journal.order_tasks()}
    orders = {o.ref: o for o in journal.orders()}
    people = {t.name: t for t in journal.trainees()}
    minutes: Counter[str] = Counter()
    taken: Counter[tuple[str, str]] = Counter()
    for line in made.lines:
        task = tasks[(line.order, line.task)]
        person = people[line.trainee]
        minutes[line.trainee] += task.minutes
        taken[(line.order, line.task)] += 1
        if task.machine:
            for offset in range((made.end - made.start).days + 1):
                day = made.start + timedelta(days=offset)
                assert register.why_not(person.id, task.machine, day) is None, (line, day)
        due = orders[line.order].due
        assert due is None or due >= made.start
        time = journal.availability(person)
        assert time is not None
        days = time.days(made.start, min(made.end, due or made.end))
        assert days, line  # there on some day before it is due
    for name, used in minutes.items():
        time = journal.availability(name)
        assert time is not None
        assert used <= time.minutes(made.start, made.end), name
    for (order, task), count in taken.items():
        entry = tasks[(order, task)]
        assert count <= entry.places * entry.quantity


@pytest.mark.sqlite_only  # a copy of the demo's file
def test_the_demo_workshop_plan_keeps_every_rule(journal: Journal) -> None:
    made = propose(journal, START, END, method="exact", time_limit=30)
    assert made.plan.optimal
    assert check(made.problem, made.plan) == []
    assert made.lines
    assert_lawful(journal, made)
    # Regulated work was given, and only to those the register allows.
    regulated = [line for line in made.lines if line.machine == DEMO_MACHINE]
    assert regulated
    # The minors the demo leaves without a medical opinion are never among them.
    register = journal.register()
    uncovered = {
        t.name
        for t in journal.trainees()
        if register.why_not(t.id, DEMO_MACHINE, START) is not None
    }
    assert uncovered
    assert not uncovered & {line.trainee for line in regulated}
    # Each line says why, with the weeks left before the exam (8 June 2026 from 1 April).
    assert all("exam in 9 weeks" in line.why for line in made.lines)


def _brute_force(made: Proposal) -> int:
    """The best value over every plan that keeps the rules: each job's team among the
    subsets of trainees (small workshop only)."""
    problem = made.problem
    teams = []
    for job in problem.jobs:
        options = [()]
        for size in range(1, job.places + 1):
            options += list(itertools.combinations([w.id for w in problem.workers], size))
        teams.append(options)
    best = -1
    for choice in itertools.product(*teams):
        assignments = tuple(
            Assignment(worker=w, job=job.id)
            for job, team in zip(problem.jobs, choice, strict=True)
            for w in team
        )
        plan = Plan(
            assignments=assignments,
            unplaced=(),
            method="brute",
            score=score(problem, assignments),
            bound=None,
            optimal=False,
            seconds=0.0,
        )
        if any(v.startswith("rule") for v in check(problem, plan)):
            continue  # (closes, unplaced and sort order are the solver's to fill in)
        best = max(best, plan.score.value)
    return best


def test_the_exact_plan_equals_the_optimum_on_a_small_workshop(tmp_path: Path) -> None:
    journal = open_journal(tmp_path / "small.db", create=True, today=TODAY)
    try:
        build_demo(journal, trainees=3)
        # Keep it small enough to enumerate: one order, three tasks, one of them regulated.
        kept = journal.order_tasks()
        first = kept[0].order
        for entry in kept:
            if entry.order != first:
                journal.withdraw_order_task(entry.order, entry.task)
        for entry in journal.order_tasks()[3:]:
            journal.withdraw_order_task(entry.order, entry.task)
        for entry in journal.order_tasks():
            journal.add_order_task(
                entry.order,
                entry.task,
                minutes=entry.minutes,
                places=min(entry.places, 2),
                needed=1,
                quantity=1,
                machine=entry.machine,
            )
        made = propose(journal, START, END, method="exact", time_limit=30)
        assert len(made.problem.jobs) == 3
        assert made.plan.optimal
        assert made.plan.score.value == _brute_force(made)
        heuristic = propose(journal, START, END, method="heuristic")
        assert heuristic.plan.score.value <= made.plan.score.value
        assert check(heuristic.problem, heuristic.plan) == []
    finally:
        journal.close()


@pytest.mark.sqlite_only  # a copy of the demo's file
def test_regulated_work_nobody_may_do_is_left_unplaced_with_the_law_as_reason(
    journal: Journal,
) -> None:
    journal.add_order_task(
        journal.order_tasks()[0].order,
        "conduire-ligne-mode-normal",
        minutes=60,
        machine="tour sans dérogation",
    )
    for person in journal.trainees():  # everyone a minor: nobody may
        journal.set_birth_date(person, date(2010, 1, 15))
    made = propose(journal, START, END, method="exact", time_limit=30)
    assert not [line for line in made.lines if line.machine == "tour sans dérogation"]
    reasons = [r for _o, task, _t, _n, r in made.unplaced if task == "conduire-ligne-mode-normal"]
    assert reasons
    assert "tour sans dérogation" in reasons[0]
    assert "legally" in reasons[0]
    assert_lawful(journal, made)


@pytest.mark.sqlite_only  # a copy of the demo's file
def test_a_trainee_away_for_the_whole_period_gets_nothing(journal: Journal) -> None:
    from ep_skills.journal.planning import Away, AwayKind

    person = journal.trainees()[0]
    journal.set_availability(person, hours_per_week=30, away=[Away(START, END, AwayKind.PFMP)])
    made = propose(journal, START, END, method="heuristic")
    assert person.name not in {line.trainee for line in made.lines}
    assert check(made.problem, made.plan) == []


def test_missing_exam_dates_and_working_time_are_said(journal: Journal, tmp_path: Path) -> None:
    other = open_journal(tmp_path / "bare.db", create=True, today=TODAY)
    try:
        other.add_trainee("Léa Martin", diploma="cap-psr")
        other.add_order("C-1", customer="Cantine", title="Repas", due=END)
        other.add_order_task("C-1", "reception-livraison", minutes=60)
        made = propose(other, START, END)
        assert any("no exam date" in w for w in made.warnings)
        assert any("working time not set" in w for w in made.warnings)
        assert [line.trainee for line in made.lines] == ["Léa Martin"]
    finally:
        other.close()


def test_bad_input_says_what_blocks(tmp_path: Path) -> None:
    bare = open_journal(tmp_path / "bare.db", create=True, today=TODAY)
    try:
        with pytest.raises(InvalidValueError, match="no trainee"):
            propose(bare, START, END)
        bare.add_trainee("Léa Martin", diploma="cap-psr")
        with pytest.raises(InvalidValueError, match="no task on the orders"):
            propose(bare, START, END)
        with pytest.raises(InvalidValueError, match="before it starts"):
            propose(bare, END, START)
    finally:
        bare.close()


@pytest.mark.sqlite_only  # a copy of the demo's file
def test_plan_command_exports_and_accepts(demo: Path, tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    path.write_bytes(demo.read_bytes())
    runner = CliRunner()
    base = ["--db", str(path), "--lang", "en"]
    period = ["--from", START.isoformat(), "--to", END.isoformat()]
    out_json, out_xlsx = tmp_path / "plan.json", tmp_path / "plan.xlsx"
    result = runner.invoke(
        cli, [*base, "plan", *period, "--json", str(out_json), "--xlsx", str(out_xlsx), "--accept"]
    )
    assert result.exit_code == 0, result.output
    assert "Plan accepted (version 1)" in result.stdout
    data = json.loads(out_json.read_text())
    assert data["assignments"]
    assert {"trainee", "order", "task", "why", "closes"} <= set(data["assignments"][0])
    book = load_workbook(out_xlsx)
    assert book.sheetnames == ["Plan", "Not placed", "Warnings"]
    sheet = book["Plan"]
    assert sheet.max_row == len(data["assignments"]) + 1
    again = runner.invoke(cli, [*base, "plan", *period, "--accept"])
    assert "version 2" in again.stdout
    listed = runner.invoke(cli, [*base, "plan", "--accepted"])
    assert listed.exit_code == 0
    assert listed.stdout.count("assignments, accepted") == 1  # the latest of the period
    reopened = open_journal(path, today=TODAY)
    try:
        (kept,) = accepted_plans(reopened)
        assert kept["assignments"] == data["assignments"]
    finally:
        reopened.close()
    # An export never replaces a file by accident.
    refused = runner.invoke(cli, [*base, "plan", *period, "--json", str(out_json)])
    assert refused.exit_code != 0
    assert "Traceback" not in refused.output


@pytest.mark.sqlite_only  # a copy of the demo's file
def test_plan_in_french_through_a_real_process(demo: Path, tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    path.write_bytes(demo.read_bytes())

    def plan(first: date, last: date, *more: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                CLI,
                "--db",
                str(path),
                "--lang",
                "fr",
                "plan",
                "--from",
                first.isoformat(),
                "--to",
                last.isoformat(),
                *more,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    done = plan(START, END, "--method", "heuristic")
    assert done.returncode == 0, done.stderr
    assert "affectations" in done.stdout
    assert "examen dans 9 semaines" in done.stdout
    empty = plan(END, START)
    assert empty.returncode == 1
    assert "avant de commencer" in empty.stderr
    assert "Traceback" not in empty.stderr


@pytest.mark.sqlite_only  # a copy of the demo's file
def test_personal_gaps_put_the_open_orders_first(journal: Journal, tmp_path: Path) -> None:
    person = journal.trainees()[1]
    found = trainee_gaps(journal, person.id)
    assert found
    asked = {t.task for t in journal.order_tasks()}
    flags = [bool(chance.orders) for chance in found]
    assert flags == sorted(flags, reverse=True)  # the open orders' tasks first
    assert {c.task for c in found if c.orders} <= asked
    missing = {c for c, m in journal.still_missing(person).items() if not m.acquired}
    assert all(set(chance.closes) <= missing for chance in found)
    weights = [chance.weight for chance in found if chance.orders]
    assert weights == sorted(weights, reverse=True)
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "demo.db"), "--lang", "fr", "gaps", person.name]
    )
    assert result.exit_code == 0, result.output
    assert "commandes ouvertes" in result.stdout


def test_a_line_says_how_far_the_exam_is_even_when_days_or_past() -> None:
    from ep_skills.i18n import using_language
    from ep_skills.planning.proposal import _why

    person = Trainee(id=1, name="Léa Martin", diploma="cap-cip")
    with using_language("fr"):
        said = {weeks: _why(person, [], {}, weeks) for weeks in (-1, 0, 3, None)}
    assert said[3].endswith("examen dans 3 semaines")
    assert said[0].endswith("examen dans moins d'une semaine")
    assert said[-1].endswith("date d'examen passée")
    assert said[None].endswith("pas de date d'examen")
    assert not any("0 semaine" in words for words in said.values())
