"""The planning solvers: every plan keeps the rules, and the exact one is optimal.

The optimum is found here by brute force over every assignment the rules allow, scored by
a reference written from the definition (not by :func:`ep_skills.planning.score`), so that
the solver, the score and the rules are each checked against something independent.
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ep_skills.planning import (
    Assignment,
    Job,
    Plan,
    Problem,
    Unplaced,
    Worker,
    check,
    exact,
    heuristic,
    naive,
    score,
    solve,
)

START = date(2026, 3, 2)
MACHINES = ("presse", "scie")
COMPETENCIES = ("C1", "C2", "C3")
BRUTE_FORCE_LEAVES = 20_000


# -- a reference, written from the definitions ---------------------------------------------


def may(problem: Problem, worker: Worker, job: Job) -> bool:
    """Rules 3 and 4 for one pair, and a job no longer than the trainee's whole time."""
    if job.minutes > worker.minutes:
        return False
    if job.machine is not None and job.machine not in worker.machines:
        return False
    first = max(problem.start, job.start or problem.start)
    last = min(problem.end, job.due or problem.end)
    if first > last:
        return False
    return worker.days is None or any(first <= day <= last for day in worker.days)


def reference_value(problem: Problem, pairs: set[tuple[int, str]]) -> int:
    jobs = {j.id: j for j in problem.jobs}
    demand = sum(j.needed * j.minutes for j in problem.jobs)
    working = sum(1 for w in problem.workers if w.minutes > 0)
    fair = demand // max(1, working)
    share = {w.id: min(w.minutes, fair) for w in problem.workers}
    w2 = sum(share.values()) + 1
    w1 = sum(w.urgency * sum(w.needs.values()) for w in problem.workers) * w2 + w2
    staffed = sum(min(j.needed, sum(1 for _w, jid in pairs if jid == j.id)) for j in problem.jobs)
    closed = spread = 0
    for w in problem.workers:
        mine = [jobs[jid] for wid, jid in pairs if wid == w.id]
        closed += w.urgency * sum(
            min(n, sum(1 for job in mine if c in job.competencies)) for c, n in w.needs.items()
        )
        spread += min(sum(job.minutes for job in mine), share[w.id])
    return staffed * w1 + closed * w2 + spread


def team_options(problem: Problem) -> list[list[tuple[Worker, ...]]]:
    """For each job, every team the rules could allow it, time aside."""
    options = []
    for job in problem.jobs:
        allowed = [w for w in problem.workers if may(problem, w, job)]
        options.append(
            [
                team
                for size in range(min(job.places, len(allowed)) + 1)
                for team in itertools.combinations(allowed, size)
            ]
        )
    return options


def brute_force(problem: Problem) -> int:
    """The best value over every assignment keeping the rules."""
    options = team_options(problem)
    best = 0

    def walk(index: int, left: dict[int, int], pairs: set[tuple[int, str]]) -> None:
        nonlocal best
        if index == len(problem.jobs):
            best = max(best, reference_value(problem, pairs))
            return
        job = problem.jobs[index]
        for team in options[index]:
            if all(left[w.id] >= job.minutes for w in team):
                for w in team:
                    left[w.id] -= job.minutes
                walk(index + 1, left, pairs | {(w.id, job.id) for w in team})
                for w in team:
                    left[w.id] += job.minutes

    walk(0, {w.id: w.minutes for w in problem.workers}, set())
    return best


def pairs_of(plan: Plan) -> set[tuple[int, str]]:
    return {(a.worker, a.job) for a in plan.assignments}


def assert_lawful(problem: Problem, plan: Plan) -> None:
    """The law on minors, asserted on its own beside check(): no regulated job goes to a
    trainee without that machine."""
    workers = {w.id: w for w in problem.workers}
    jobs = {j.id: j for j in problem.jobs}
    for a in plan.assignments:
        machine = jobs[a.job].machine
        assert machine is None or machine in workers[a.worker].machines, (a, machine)


# -- small random problems ------------------------------------------------------------------


def _day(offset: int) -> date:
    return START + timedelta(days=offset)


def _sometimes(value: st.SearchStrategy[object], often: object = None) -> st.SearchStrategy[object]:
    """``often`` three times in four, else a value drawn from ``value``."""
    return st.integers(0, 3).flatmap(lambda n: value if n == 0 else st.just(often))


@st.composite
def problems(draw: st.DrawFn, max_workers: int = 4, max_jobs: int = 5) -> Problem:
    """Small problems where the rules bite: regulated machines, days off, late and future
    jobs, trainees short of time, jobs with several places."""
    length = draw(st.integers(0, 4))
    days = [_day(d) for d in range(length + 1)]
    workers = []
    for i in range(draw(st.integers(1, max_workers))):
        workers.append(
            Worker(
                id=i + 1,
                name=f"Jeune {i + 1}",
                minutes=draw(st.sampled_from([0, 120, 180, 240, 240, 300])),
                needs=draw(st.dictionaries(st.sampled_from(COMPETENCIES), st.integers(1, 2))),
                urgency=draw(st.integers(1, 3)),
                machines=draw(st.frozensets(st.sampled_from(MACHINES))),
                days=draw(_sometimes(st.frozensets(st.sampled_from(days)))),  # type: ignore[arg-type]
            )
        )
    jobs = []
    for i in range(draw(st.integers(1, max_jobs))):
        places = draw(st.sampled_from([0, 1, 1, 2, 2, 3]))
        jobs.append(
            Job(
                id=f"J{i + 1}",
                order=f"O{i % 2}",
                task=f"t{i}",
                title=f"task {i}",
                competencies=draw(st.lists(st.sampled_from(COMPETENCIES), max_size=3)),
                minutes=draw(st.sampled_from([60, 90, 120])),
                places=places,
                needed=draw(st.integers(0, places)),
                start=draw(_sometimes(st.integers(-2, 5).map(_day))),  # type: ignore[arg-type]
                due=draw(_sometimes(st.integers(-2, 6).map(_day))),  # type: ignore[arg-type]
                machine=draw(_sometimes(st.sampled_from(MACHINES))),  # type: ignore[arg-type]
            )
        )
    return Problem(workers=tuple(workers), jobs=tuple(jobs), start=days[0], end=days[-1])


SMALL = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SMALL
@given(problems())
def test_exact_reaches_the_brute_force_optimum_and_every_method_keeps_the_rules(
    problem: Problem,
) -> None:
    # The few problems with too many assignments to list in a test's time are left out.
    assume(math.prod(len(teams) for teams in team_options(problem)) <= BRUTE_FORCE_LEAVES)
    best = brute_force(problem)
    proven = exact(problem)
    assert proven.score.value == best
    assert proven.optimal and proven.bound == best and proven.gap == 0
    assert reference_value(problem, pairs_of(proven)) == proven.score.value
    for plan in (proven, heuristic(problem), naive(problem), solve(problem)):
        assert check(problem, plan) == [], plan.method
        assert_lawful(problem, plan)
        assert plan.score.value <= best
        assert plan.score == score(problem, plan.assignments)
        assert reference_value(problem, pairs_of(plan)) == plan.score.value
    assert solve(problem).score.value == best


@SMALL
@given(problems(max_workers=6, max_jobs=8))
def test_larger_random_problems_keep_the_rules(problem: Problem) -> None:
    for plan in (heuristic(problem), naive(problem), solve(problem, time_limit=2.0)):
        assert check(problem, plan) == [], plan.method
        assert_lawful(problem, plan)
        assert plan.bound is None or plan.bound >= plan.score.value
        # The local search ends by itself, far from its time limit (every move gains).
        if plan.method == "heuristic":
            assert plan.details["rounds"] < 50 and not plan.details["cut_short"]
        # What the assignments say they close adds up to the score's closed.
        urgency = {w.id: w.urgency for w in problem.workers}
        assert plan.score.closed == sum(urgency[a.worker] * len(a.closes) for a in plan.assignments)


# -- examples -------------------------------------------------------------------------------


def worker(id: int, minutes: int = 480, **kw: object) -> Worker:
    return Worker(
        id=id, name=f"Jeune {id}", minutes=minutes, needs=kw.pop("needs", {"C1": 1}), **kw
    )  # type: ignore[arg-type]


def job(id: str, **kw: object) -> Job:
    fields: dict[str, object] = {
        "order": "2026-001",
        "task": "t",
        "title": "tâche",
        "competencies": ("C1",),
        "minutes": 120,
    }
    fields.update(kw)
    return Job(id=id, **fields)  # type: ignore[arg-type]


def problem_of(workers: list[Worker], jobs: list[Job], days: int = 4) -> Problem:
    return Problem(workers=tuple(workers), jobs=tuple(jobs), start=START, end=_day(days))


def every_plan(problem: Problem) -> Iterator[Plan]:
    yield exact(problem)
    yield heuristic(problem)
    yield naive(problem)
    yield solve(problem)


def test_a_job_nobody_may_legally_do_is_unplaced_with_the_law_as_reason() -> None:
    problem = problem_of(
        [worker(1, machines=frozenset({"scie"})), worker(2)],
        [job("press", machine="presse"), job("saw", machine="scie")],
    )
    for plan in every_plan(problem):
        assert [a.job for a in plan.assignments if a.job == "press"] == []
        [unplaced] = plan.unplaced
        assert unplaced.job == "press" and unplaced.missing == 1
        assert "regulated work on presse: no trainee may legally do it" in unplaced.reason
        assert [(a.worker, a.job) for a in plan.assignments] == [(1, "saw")]


def test_too_few_licensed_trainees_is_said_with_their_number() -> None:
    problem = problem_of(
        [worker(1, machines=frozenset({"presse"})), worker(2)],
        [job("press", machine="presse", places=2, needed=2)],
    )
    [unplaced] = solve(problem).unplaced
    assert unplaced.missing == 1
    assert "only 1 trainee may legally do it, 2 needed" in unplaced.reason


def test_a_job_due_before_the_period_goes_to_nobody() -> None:
    problem = problem_of([worker(1)], [job("late", due=_day(-1)), job("ok", due=_day(2))])
    for plan in every_plan(problem):
        assert pairs_of(plan) == {(1, "ok")}
        [unplaced] = plan.unplaced
        assert unplaced.job == "late"
        assert unplaced.reason == "due 2026-03-01, before the period starts (2026-03-02)"


def test_availability_and_time_are_said_specifically() -> None:
    away = worker(1, days=frozenset({_day(3)}))
    problem = problem_of(
        [away, worker(2, minutes=60)],
        [job("early", due=_day(1)), job("long", minutes=600, start=_day(3))],
    )
    reasons = {u.job: u.reason for u in exact(problem).unplaced}
    assert reasons["early"] == (
        "not enough working time: it needs 120 min each, more than any trainee who may do it "
        "has in the period"
    )
    assert reasons["long"] == (
        "not enough working time: it needs 600 min each, more than any trainee who may do it "
        "has in the period"
    )
    problem = problem_of([away], [job("early", due=_day(1))])
    [unplaced] = exact(problem).unplaced
    assert unplaced.reason == (
        "no trainee who may do it is available between 2026-03-02 and 2026-03-03"
    )


def test_time_given_to_other_orders_is_the_reason_when_it_is() -> None:
    problem = problem_of([worker(1, minutes=120)], [job("a"), job("b", competencies=("C2",))])
    for plan in every_plan(problem):
        assert len(plan.assignments) == 1
        [unplaced] = plan.unplaced
        assert unplaced.reason.startswith("not enough working time left: it needs 120 min each")


def test_a_trainee_without_minutes_gets_nothing() -> None:
    problem = problem_of(
        [worker(1, minutes=0, needs={"C1": 2}, urgency=4), worker(2, needs={})],
        [job("a", places=2, needed=1)],
    )
    for plan in every_plan(problem):
        assert pairs_of(plan) == {(2, "a")}, plan.method


def test_the_job_goes_where_it_closes_most_weighted_by_urgency() -> None:
    problem = problem_of(
        [
            worker(1, needs={"C1": 1}, urgency=1),
            worker(2, needs={"C1": 1, "C2": 1}, urgency=1),
            worker(3, needs={"C1": 1}, urgency=3),
        ],
        [job("a", competencies=("C1", "C2"))],
    )
    # Trainee 2 would close two competencies (2 × 1), trainee 3 one of weight 3.
    for plan in (exact(problem), heuristic(problem), solve(problem)):
        assert pairs_of(plan) == {(3, "a")}
        assert plan.assignments[0].closes == ("C1",)


def test_staffing_an_order_comes_before_closing_gaps() -> None:
    # One trainee, time for one job: the one the order needs, not the one that teaches.
    problem = problem_of(
        [worker(1, minutes=120, needs={"C2": 2}, urgency=4)],
        [job("needed", competencies=()), job("extra", competencies=("C2",), needed=0)],
    )
    for plan in (exact(problem), heuristic(problem), solve(problem)):
        assert pairs_of(plan) == {(1, "needed")}


def test_ties_give_the_same_plan_every_time() -> None:
    twins = [worker(i, needs={"C1": 1, "C2": 1}) for i in (3, 1, 2)]
    jobs = [job(f"j{i}", competencies=("C1", "C2"), places=2) for i in range(3)]
    problem = problem_of(twins, jobs)
    for method in ("exact", "heuristic", "naive", "auto"):
        plans = [solve(problem, method=method) for _ in range(3)]
        assert len({p.assignments for p in plans}) == 1, method
        assert len({p.unplaced for p in plans}) == 1, method


def test_an_empty_problem_gives_an_empty_plan_with_reasons() -> None:
    nobody = problem_of([], [job("a"), job("b", needed=0)])
    for plan in every_plan(nobody):
        assert plan.assignments == ()
        assert [(u.job, u.missing, u.reason) for u in plan.unplaced] == [
            ("a", 1, "no trainee to plan")
        ]
    nothing = problem_of([worker(1)], [])
    plan = solve(nothing)
    assert plan.assignments == () and plan.unplaced == () and plan.optimal
    assert plan.score.value == 0 == plan.bound


def test_the_score_follows_its_definition() -> None:
    problem = problem_of(
        [worker(1, minutes=300, needs={"C1": 2, "C2": 1}, urgency=2), worker(2, minutes=60)],
        [job("a", competencies=("C1", "C1", "C2")), job("b", places=2, needed=2)],
    )
    found = score(problem, [Assignment(1, "a"), Assignment(1, "b")])
    # Demand 120 + 2 × 120 = 360 over two trainees: a share of 180 each, capped by minutes.
    shares = 180 + 60
    w2 = shares + 1
    w1 = (2 * 3 + 1 * 1) * w2 + w2
    assert (found.staffed, found.closed, found.spread) == (2, 2 * 3, 180)
    assert found.value == 2 * w1 + 6 * w2 + 180
    with pytest.raises(ValueError, match="unknown"):
        score(problem, [Assignment(9, "a")])


def test_check_finds_every_broken_rule() -> None:
    problem = problem_of(
        [worker(1, minutes=120), worker(2, days=frozenset({_day(4)}))],
        [job("press", machine="presse"), job("a", places=1, due=_day(1)), job("b")],
    )
    valid = exact(problem)
    bad = [Assignment(1, "press"), Assignment(1, "a"), Assignment(2, "a"), Assignment(1, "b")]
    wrong = (Unplaced("b", 1, "?"),)  # b is staffed
    broken = check(problem, Plan(bad, wrong, "x", valid.score, None, False, 0.0))
    text = "\n".join(broken)
    for rule in ("rule 1: job 'a' has 2", "rule 2: trainee 1", "rule 3: job 'press'", "rule 4"):
        assert rule in text
    assert "score" in text and "unplaced" in text
    assert check(problem, valid) == []


def test_invalid_values_are_refused_when_made() -> None:
    with pytest.raises(ValueError, match="needed"):
        job("a", places=1, needed=2)
    with pytest.raises(ValueError, match="unique"):
        problem_of([worker(1), worker(1)], [])
    with pytest.raises(ValueError, match="minutes"):
        worker(1, minutes=-5)
    with pytest.raises(ValueError, match="needs"):
        worker(1, needs={"C1": -1})
    with pytest.raises(ValueError, match="unknown planning method"):
        solve(problem_of([], []), method="magic")
    assert worker(1, needs={"C1": 0, "C2": 1}).needs == {"C2": 1}


def test_the_exact_solver_starts_from_a_plan_and_never_returns_worse() -> None:
    problem = problem_of(
        [worker(i, minutes=240, needs={"C1": 1, "C2": 2}) for i in range(1, 4)],
        [job(f"j{i}", competencies=("C1", "C2")[: 1 + i % 2], places=2) for i in range(6)],
    )
    start = heuristic(problem)
    plan = exact(problem, start=start)
    assert plan.score.value >= start.score.value and plan.optimal
    assert plan.score.value == brute_force(problem)
    unlawful = Plan(
        (Assignment(1, "j0"), Assignment(1, "j1"), Assignment(1, "j2")),
        (),
        "x",
        start.score,
        None,
        False,
        0.0,
    )
    with pytest.raises(ValueError, match="breaks the rules"):
        exact(problem, start=unlawful)


def test_importing_the_package_loads_no_solver_and_the_solver_prints_nothing() -> None:
    code = (
        "import sys, datetime as d\n"
        "import ep_skills.planning as p\n"
        "assert 'highspy' not in sys.modules and 'numpy' not in sys.modules\n"
        "w = p.Worker(id=1, name='a', minutes=60, needs={'C1': 1})\n"
        "j = p.Job(id='j', order='o', task='t', title='t', competencies=('C1',), minutes=60)\n"
        "day = d.date(2026, 1, 1)\n"
        "pb = p.Problem(workers=(w,), jobs=(j,), start=day, end=day)\n"
        "assert p.exact(pb).optimal\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
