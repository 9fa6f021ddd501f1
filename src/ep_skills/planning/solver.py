"""Planning with a chosen method (« plan de charge »): :func:`solve` and its dispatch.

**Methods**

* :func:`exact` (:mod:`ep_skills.planning.mip`) — a mixed-integer programme solved by HiGHS,
  in stages (staffed, then closed, then spread), each bound exact;
* :func:`heuristic` (:mod:`ep_skills.planning.search`) — greedy then local search, pure
  Python, for large instances;
* :func:`naive` — the rival the benchmark compares with: each job by due date to the allowed
  trainees with the most needs, whatever the job teaches them.
* :func:`solve` — the heuristic, then, when the instance is small enough for the time given,
  the exact solver started from its plan.

Measured on 2 cores (``benchmarks/planning.py``): 30 trainees × 200 jobs, the heuristic in
0.3 s at 96 % of the proven bound on ``closed``; 150 × 1,000, in 1.5 s at 94 % of it, where
HiGHS alone finds no plan in 10 s.
"""

from __future__ import annotations

import time

from ep_skills.planning.mip import _exact_plan
from ep_skills.planning.model import Plan, Problem
from ep_skills.planning.rival import naive
from ep_skills.planning.rules import _Instance, _plan
from ep_skills.planning.search import _heuristic_pairs, heuristic

__all__ = ["EXACT_PAIRS", "METHODS", "solve"]

METHODS = ("auto", "exact", "heuristic", "naive")

EXACT_PAIRS = 2_000
"""Allowed (trainee, job) pairs per second of time left up to which :func:`solve` runs the
exact solver after the heuristic. Measured on 2 cores with 10 s: at 4,600 pairs HiGHS
improves the plan and proves a close bound; at 18,500 it proves a bound only; at 30,000 and
116,000 it has not solved the root relaxation when time is up, so the heuristic's plan
stands alone."""


def solve(problem: Problem, *, method: str = "auto", time_limit: float = 10.0) -> Plan:
    """Plan with ``method``: ``exact``, ``heuristic``, ``naive``, or ``auto`` — the heuristic,
    then, when the instance is small enough for the time given (:data:`EXACT_PAIRS`), the
    exact solver started from its plan with the time left, which returns the better plan
    and its bound. A problem with nothing to decide gives its plan at once."""
    started = time.perf_counter()
    if method not in METHODS:
        raise ValueError(f"unknown planning method {method!r} (one of {', '.join(METHODS)})")
    if method == "naive":
        return naive(problem)
    if method == "heuristic":
        return heuristic(problem, time_limit=time_limit)
    inst = _Instance(problem)
    deadline = started + time_limit
    if method == "exact":
        return _exact_plan(inst, deadline, None, started)
    if inst.pairs == 0:  # nothing to decide: proven at once, every job unplaced and why
        return _exact_plan(inst, deadline, set(), started)
    worth_it = inst.pairs <= EXACT_PAIRS * time_limit
    pairs, found = _heuristic_pairs(inst, started + time_limit / 2 if worth_it else deadline)
    if worth_it and time.perf_counter() < deadline:
        plan = _exact_plan(inst, deadline, pairs, started)
        return Plan(
            assignments=plan.assignments,
            unplaced=plan.unplaced,
            method=plan.method,
            score=plan.score,
            bound=plan.bound,
            optimal=plan.optimal,
            seconds=time.perf_counter() - started,
            details={**plan.details, "start": "heuristic", "heuristic": found},
        )
    return _plan(inst, pairs, "heuristic", started, details=found)
