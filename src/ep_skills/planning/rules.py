"""The rules every plan keeps and the objective plans are compared by, whatever the method
(:mod:`ep_skills.planning.solver` chooses the method).

**Rules** — hard in every method; :func:`check` lists the ones a plan breaks:

1. a trainee takes a job at most once, a job gets at most ``places`` trainees;
2. the minutes of a trainee's jobs add up to at most their ``minutes``;
3. the law on minors (« travaux réglementés »): a job on a regulated ``machine`` goes only to
   a trainee who has that machine in ``machines``;
4. availability: a trainee with ``days`` takes a job only if one of those days falls in the
   job's window, [max(period start, job start), min(period end, job due)]; a job whose window
   is empty goes to nobody.

Rules 3 and 4, and a job longer than a trainee's whole time, rule pairs out before any method
looks at them: a pair that is not *allowed* is never assigned.

**Objective** — :func:`score`, the one definition every method and test uses. In order of
importance: the orders get made (``staffed`` = Σ_jobs min(needed, assigned)), then the gaps
close, weighted by urgency (``closed`` = Σ_trainees urgency × Σ_c min(need_c, their jobs
mobilising c)), then the work is spread fairly (``spread`` = Σ_trainees min(assigned minutes,
share)). A trainee's fair ``share`` is min(minutes, S) with S = (Σ_jobs needed × minutes) //
max(1, trainees with minutes > 0). As one integer::

    value = staffed × W1 + closed × W2 + spread
    W2 = Σ share + 1                      (spread < W2)
    W1 = (max closed + 1) × W2            (closed × W2 + spread < W1)
    max closed = Σ_trainees urgency × Σ_c need_c

so a higher ``staffed`` always wins, then a higher ``closed``, then ``spread``.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from ep_skills.i18n import _, format_day, ngettext
from ep_skills.planning.model import Assignment, Job, Plan, Problem, Score, Unplaced, Worker

__all__ = ["check", "score"]

_LATE = date.max


# -- the rules ---------------------------------------------------------------------------------


def _window(problem: Problem, job: Job) -> tuple[date, date] | None:
    """The days the job can be done within the period, or None when there are none."""
    first = max(problem.start, job.start or problem.start)
    last = min(problem.end, job.due or problem.end)
    return (first, last) if first <= last else None


def _available(days: Sequence[date] | None, window: tuple[date, date]) -> bool:
    """Whether a trainee whose available days are ``days`` (sorted; None: all) has one in
    ``window``."""
    if days is None:
        return True
    at = bisect_left(days, window[0])
    return at < len(days) and days[at] <= window[1]


def _legal(worker: Worker, job: Job) -> bool:
    return job.machine is None or job.machine in worker.machines


def _weights(problem: Problem) -> tuple[list[int], int, int]:
    """Each trainee's fair share of minutes, W1 and W2 (see the module's docstring)."""
    demand = sum(job.needed * job.minutes for job in problem.jobs)
    working = sum(1 for worker in problem.workers if worker.minutes > 0)
    fair = demand // max(1, working)
    shares = [min(worker.minutes, fair) for worker in problem.workers]
    w2 = sum(shares) + 1
    max_closed = sum(w.urgency * sum(w.needs.values()) for w in problem.workers)
    return shares, (max_closed + 1) * w2, w2


class _Instance:
    """A problem indexed for the solvers: trainees and jobs by position, allowed pairs, and
    for each pair the competencies of the job the trainee still needs."""

    __slots__ = (
        "allowed",
        "comps",
        "ids",
        "jobs",
        "jobs_of",
        "minutes",
        "need",
        "pairs",
        "problem",
        "rel",
        "shares",
        "urgency",
        "w1",
        "w2",
        "windows",
        "workers",
    )

    def __init__(self, problem: Problem, pairs: bool = True) -> None:
        """``pairs``: find the allowed pairs (not needed to score a plan)."""
        self.problem = problem
        self.workers = problem.workers
        self.jobs = problem.jobs
        self.shares, self.w1, self.w2 = _weights(problem)
        self.minutes = [w.minutes for w in self.workers]
        self.urgency = [w.urgency for w in self.workers]
        self.ids = [w.id for w in self.workers]
        self.need: list[dict[str, int]] = [dict(w.needs) for w in self.workers]
        # A job listing a competency twice still counts once per trainee.
        self.comps = [tuple(dict.fromkeys(job.competencies)) for job in self.jobs]
        self.windows = [_window(problem, job) for job in self.jobs]
        self.allowed: list[list[int]] = [[] for _job in self.jobs]
        self.jobs_of: list[list[int]] = [[] for _worker in self.workers]
        self.rel: list[dict[int, tuple[str, ...]]] = [{} for _worker in self.workers]
        # Trainees with the same days take the same jobs: each window is tested once per set
        # of days (group -1: every day).
        groups: dict[frozenset[date], int] = {}
        group = [
            -1 if w.days is None else groups.setdefault(w.days, len(groups)) for w in self.workers
        ]
        days_of = [sorted(d) for d in groups]
        open_on: dict[tuple[date, date], list[bool]] = {}
        machines = [w.machines for w in self.workers]
        minutes, jobs_of, rel = self.minutes, self.jobs_of, self.rel
        needed_by = [need.__contains__ for need in self.need]
        everyone = range(len(self.workers))
        for j, job in enumerate(self.jobs if pairs else ()):
            window = self.windows[j]
            if window is None or job.places == 0:
                continue
            ok = open_on.get(window)
            if ok is None:
                ok = open_on[window] = [_available(days, window) for days in days_of]
            allowed, comps, m, machine = self.allowed[j], self.comps[j], job.minutes, job.machine
            for w in everyone:
                if minutes[w] < m or (machine is not None and machine not in machines[w]):
                    continue
                g = group[w]
                if g >= 0 and not ok[g]:
                    continue
                allowed.append(w)
                jobs_of[w].append(j)
                rel[w][j] = tuple(filter(needed_by[w], comps))
        self.pairs = sum(len(a) for a in self.allowed)

    # Trivial upper bounds on each part of the score: a stage whose start reaches one is
    # proven without running, and an unfinished stage still bounds what follows.
    def staffed_bound(self) -> int:
        return sum(min(job.needed, len(self.allowed[j])) for j, job in enumerate(self.jobs))

    def closed_bound(self) -> int:
        total = 0
        for w, need in enumerate(self.need):
            mobilised: dict[str, int] = {}
            for comps in self.rel[w].values():
                for c in comps:
                    mobilised[c] = mobilised.get(c, 0) + 1
            total += self.urgency[w] * sum(min(n, need[c]) for c, n in mobilised.items())
        return total

    def spread_bound(self) -> int:
        return sum(
            min(self.shares[w], sum(self.jobs[j].minutes for j in self.jobs_of[w]))
            for w in range(len(self.workers))
        )


# -- the objective -----------------------------------------------------------------------------


def _score_pairs(inst: _Instance, pairs: Iterable[tuple[int, int]]) -> Score:
    jobs, need = inst.jobs, inst.need
    team = [0] * len(jobs)
    load = [0] * len(inst.workers)
    count: list[dict[str, int]] = [{} for _worker in inst.workers]
    for w, j in pairs:
        team[j] += 1
        load[w] += jobs[j].minutes
        mine = count[w]
        for c in inst.comps[j]:
            if c in need[w]:
                mine[c] = mine.get(c, 0) + 1
    staffed = sum(min(job.needed, team[j]) for j, job in enumerate(jobs))
    closed = sum(
        inst.urgency[w] * sum(min(n, need[w][c]) for c, n in mine.items())
        for w, mine in enumerate(count)
    )
    spread = sum(min(load[w], share) for w, share in enumerate(inst.shares))
    return Score(
        staffed=staffed,
        closed=closed,
        spread=spread,
        value=staffed * inst.w1 + closed * inst.w2 + spread,
    )


def _indexed(inst: _Instance, assignments: Iterable[Assignment]) -> set[tuple[int, int]]:
    worker_at = {w.id: i for i, w in enumerate(inst.workers)}
    job_at = {j.id: i for i, j in enumerate(inst.jobs)}
    pairs = set()
    for a in assignments:
        if a.worker not in worker_at or a.job not in job_at:
            raise ValueError(f"unknown trainee {a.worker!r} or job {a.job!r}")
        pairs.add((worker_at[a.worker], job_at[a.job]))
    return pairs


def score(problem: Problem, assignments: Iterable[Assignment]) -> Score:
    """The objective of these assignments (module docstring), whether or not they keep the
    rules (:func:`check` says). A pair given twice counts once; an unknown id raises
    :class:`ValueError`."""
    inst = _Instance(problem, pairs=False)
    return _score_pairs(inst, _indexed(inst, assignments))


# -- a plan from pairs -------------------------------------------------------------------------


def _closes(inst: _Instance, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[str, ...]]:
    """What each assignment counts toward: for each trainee and competency, their earliest
    jobs (due date, then id) up to the number of assessments needed."""
    held: list[list[int]] = [[] for _worker in inst.workers]
    for w, j in pairs:
        held[w].append(j)
    found: dict[tuple[int, int], tuple[str, ...]] = {}
    for w, js in enumerate(held):
        need, used = inst.need[w], dict.fromkeys(inst.need[w], 0)
        for j in sorted(js, key=lambda j: (inst.jobs[j].due or _LATE, inst.jobs[j].id)):
            counted = []
            for c in inst.comps[j]:
                if c in need and used[c] < need[c]:
                    used[c] += 1
                    counted.append(c)
            found[w, j] = tuple(sorted(counted))
    return found


def _reason(inst: _Instance, j: int, team: list[int], left: list[int]) -> str:
    """Why job ``j`` is short of trainees: the most specific constraint first."""
    problem, job = inst.problem, inst.jobs[j]
    window = inst.windows[j]
    if window is None:
        if problem.start > problem.end:
            return _("the period planned is empty ({start} to {end})").format(
                start=format_day(problem.start), end=format_day(problem.end)
            )
        if job.due is not None and job.due < problem.start:
            return _("due {due}, before the period starts ({start})").format(
                due=format_day(job.due), start=format_day(problem.start)
            )
        if job.start is not None and job.start > problem.end:
            return _("can only start on {start}, after the period ends ({end})").format(
                start=format_day(job.start), end=format_day(problem.end)
            )
        return _("can only start on {start}, after it is due ({due})").format(
            start=format_day(job.start), due=format_day(job.due)
        )
    if not inst.workers:
        return _("no trainee to plan")
    needed = job.needed
    legal = [w for w, worker in enumerate(inst.workers) if _legal(worker, job)]
    if job.machine is not None and len(legal) < needed:
        if not legal:
            return _(
                "regulated work on {machine}: no trainee may legally do it (18 or over, or a "
                "valid dérogation for this machine)"
            ).format(machine=job.machine)
        return ngettext(
            "regulated work on {machine}: only {count} trainee may legally do it, {needed} needed",
            "regulated work on {machine}: only {count} trainees may legally do it, {needed} needed",
            len(legal),
        ).format(machine=job.machine, count=len(legal), needed=needed)
    days = {w: sorted(inst.workers[w].days or ()) for w in legal}
    present = [w for w in legal if inst.workers[w].days is None or _available(days[w], window)]
    if len(present) < needed:
        first, last = format_day(window[0]), format_day(window[1])
        if not present:
            return _("no trainee who may do it is available between {first} and {last}").format(
                first=first, last=last
            )
        return ngettext(
            "only {count} trainee who may do it is available between {first} and {last}, "
            "{needed} needed",
            "only {count} trainees who may do it are available between {first} and {last}, "
            "{needed} needed",
            len(present),
        ).format(count=len(present), first=first, last=last, needed=needed)
    able = [w for w in present if inst.workers[w].minutes >= job.minutes]
    if len(able) < needed:
        if not able:
            return _(
                "not enough working time: it needs {minutes} min each, more than any trainee "
                "who may do it has in the period"
            ).format(minutes=job.minutes)
        return ngettext(
            "not enough working time: it needs {minutes} min each, and only {count} trainee "
            "who may do it has that much in the period",
            "not enough working time: it needs {minutes} min each, and only {count} trainees "
            "who may do it have that much in the period",
            len(able),
        ).format(minutes=job.minutes, count=len(able))
    free = [w for w in able if w not in team and left[w] >= job.minutes]
    if len(team) + len(free) < needed:
        return _(
            "not enough working time left: it needs {minutes} min each, and the plan gave the "
            "time of the trainees who may do it to other orders"
        ).format(minutes=job.minutes)
    return _("left out by this plan: trainees who may do it still have time")


def _plan(
    inst: _Instance,
    pairs: set[tuple[int, int]],
    method: str,
    started: float,
    *,
    bound: int | None = None,
    optimal: bool = False,
    details: dict[str, Any] | None = None,
) -> Plan:
    jobs, workers = inst.jobs, inst.workers
    closes = _closes(inst, pairs)
    assignments = tuple(
        Assignment(worker=workers[w].id, job=jobs[j].id, closes=closes[w, j])
        for w, j in sorted(pairs, key=lambda p: (jobs[p[1]].id, workers[p[0]].id))
    )
    teams: list[list[int]] = [[] for _job in jobs]
    left = list(inst.minutes)
    for w, j in pairs:
        teams[j].append(w)
        left[w] -= jobs[j].minutes
    unplaced = tuple(
        Unplaced(
            job=job.id, missing=job.needed - len(teams[j]), reason=_reason(inst, j, teams[j], left)
        )
        for j, job in enumerate(jobs)
        if len(teams[j]) < job.needed
    )
    return Plan(
        assignments=assignments,
        unplaced=unplaced,
        method=method,
        score=_score_pairs(inst, pairs),
        bound=bound,
        optimal=optimal,
        seconds=time.perf_counter() - started,
        details=details or {},
    )


# -- checking a plan ---------------------------------------------------------------------------


def check(problem: Problem, plan: Plan) -> list[str]:
    """Every rule a plan breaks, and every way it disagrees with itself (its score, its
    unplaced jobs, what its assignments close): empty when the plan is valid.

    The messages are for developers and tests, in English.
    """
    inst = _Instance(problem)
    worker_at = {w.id: i for i, w in enumerate(problem.workers)}
    job_at = {j.id: i for i, j in enumerate(problem.jobs)}
    found: list[str] = []
    pairs: set[tuple[int, int]] = set()
    for a in plan.assignments:
        if a.worker not in worker_at or a.job not in job_at:
            found.append(f"assignment of unknown trainee {a.worker!r} or job {a.job!r}")
            continue
        w, j = worker_at[a.worker], job_at[a.job]
        worker, job = problem.workers[w], problem.jobs[j]
        if (w, j) in pairs:
            found.append(f"rule 1: trainee {worker.id} takes job {job.id!r} twice")
        pairs.add((w, j))
        if not _legal(worker, job):
            found.append(
                f"rule 3: job {job.id!r} on regulated machine {job.machine!r} given to trainee "
                f"{worker.id}, who may not legally work on it"
            )
        window = inst.windows[j]
        if window is None:
            found.append(f"rule 4: job {job.id!r} has no day in the period but is assigned")
        elif not _available(None if worker.days is None else sorted(worker.days), window):
            found.append(
                f"rule 4: trainee {worker.id} has no available day between {window[0]} and "
                f"{window[1]} for job {job.id!r}"
            )
    team = [0] * len(problem.jobs)
    load = [0] * len(problem.workers)
    for w, j in pairs:
        team[j] += 1
        load[w] += problem.jobs[j].minutes
    for j, job in enumerate(problem.jobs):
        if team[j] > job.places:
            found.append(f"rule 1: job {job.id!r} has {team[j]} trainees for {job.places} places")
    for w, worker in enumerate(problem.workers):
        if load[w] > worker.minutes:
            found.append(
                f"rule 2: trainee {worker.id} has {load[w]} min of jobs for {worker.minutes} min"
            )
    order = [(a.job, a.worker) for a in plan.assignments]
    if order != sorted(order):
        found.append("assignments are not sorted by (job, worker)")
    if len(pairs) == len(plan.assignments):
        expected = _score_pairs(inst, pairs)
        if plan.score != expected:
            found.append(f"score {plan.score} is not the plan's score {expected}")
        closes = _closes(inst, pairs)
        for a in plan.assignments:
            right = closes[worker_at[a.worker], job_at[a.job]]
            if a.closes != right:
                found.append(f"assignment {a.worker}/{a.job!r} closes {a.closes}, not {right}")
    short = {
        job.id: job.needed - team[j] for j, job in enumerate(problem.jobs) if team[j] < job.needed
    }
    told = {u.job: u.missing for u in plan.unplaced}
    if told != short or len(told) != len(plan.unplaced):
        found.append(f"unplaced jobs {told} are not the jobs short of trainees {short}")
    if plan.bound is not None and plan.bound < plan.score.value:
        found.append(f"bound {plan.bound} is below the plan's value {plan.score.value}")
    return found
