"""The exact solver: a mixed-integer programme solved by HiGHS, *lexicographically in
stages*.

Maximise staffed; fix it; maximise closed; fix it; maximise spread. Each stage has small
integer costs (1 or the urgency), so every bound is exact in floating point whatever the
size of W1 and W2 (which pass 2^53 on large instances), and each stage stops only when its
dual bound is less than 1 above its best solution. A stage whose start already reaches a
trivial upper bound is proven without running. Proving ``spread`` is the slowest part
(filling each share to the minute is a subset-sum), so a plan can be proven for staffed
and closed and not for spread: ``bound`` says how far it can be.

highspy and numpy are imported inside the functions that solve, never at module level,
so that importing :mod:`ep_skills.planning` loads neither.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ep_skills.planning.model import Plan, Problem
from ep_skills.planning.rules import _indexed, _Instance, _plan, _score_pairs

if TYPE_CHECKING:
    import highspy

__all__ = ["exact"]

# Past this many allowed pairs, HiGHS solves the MIP's relaxations by interior point: on the
# school preset (116,000 pairs) the first takes 18 s so, and over 60 s by simplex.
_IPM_PAIRS = 20_000
# The share of the time left each stage may use: staffing, then closing gaps, then spread.
_STAGE_TIME = (0.4, 0.8, 1.0)


class _Model:
    """The MIP's columns and rows, built once; the stages change only the costs and add one
    row each."""

    def __init__(self, inst: _Instance) -> None:
        import numpy as np

        self.inst = inst
        jobs = inst.jobs
        pw: list[int] = []
        pj: list[int] = []
        for j, allowed in enumerate(inst.allowed):
            pw.extend(allowed)
            pj.extend([j] * len(allowed))
        self.pw, self.pj = pw, pj
        n = len(pw)
        of_worker: list[list[int]] = [[] for _worker in inst.workers]
        of_job: list[list[int]] = [[] for _job in jobs]
        for p in range(n):
            of_worker[pw[p]].append(p)
            of_job[pj[p]].append(p)
        minutes = [jobs[j].minutes for j in pj]

        lower: list[float] = [0.0] * n
        upper: list[float] = [1.0] * n
        integer: list[int] = [1] * n
        starts: list[int] = [0]
        index: list[int] = []
        value: list[float] = []
        row_lower: list[float] = []
        row_upper: list[float] = []
        inf = float("inf")

        def row(cols: list[int], coefs: list[float], low: float, high: float) -> None:
            index.extend(cols)
            value.extend(coefs)
            starts.append(len(index))
            row_lower.append(low)
            row_upper.append(high)

        def column(high: float) -> int:
            lower.append(0.0)
            upper.append(high)
            integer.append(0)
            return len(lower) - 1

        self.s: list[int] = []  # staffed, one per job that can be staffed
        for j, ps in enumerate(of_job):
            job = jobs[j]
            if len(ps) > job.places:
                row(ps, [1.0] * len(ps), -inf, job.places)
            if ps and job.needed:
                s = column(job.needed)
                self.s.append(s)
                row([s, *ps], [1.0] + [-1.0] * len(ps), -inf, 0.0)
        self.y: list[int] = []  # closed, one per (trainee, competency) some job mobilises
        self.y_weight: list[float] = []
        self.z: list[int] = []  # spread, one per trainee with a share
        for w, ps in enumerate(of_worker):
            if not ps:
                continue
            capacity = inst.minutes[w]
            if sum(minutes[p] for p in ps) > capacity:
                row(ps, [float(minutes[p]) for p in ps], -inf, capacity)
            by_comp: dict[str, list[int]] = {}
            rel = inst.rel[w]
            for p in ps:
                for c in rel[pj[p]]:
                    by_comp.setdefault(c, []).append(p)
            need = inst.need[w]
            for c in sorted(by_comp):
                cols = by_comp[c]
                y = column(min(need[c], len(cols)))
                self.y.append(y)
                self.y_weight.append(float(inst.urgency[w]))
                row([y, *cols], [1.0] + [-1.0] * len(cols), -inf, 0.0)
            if inst.shares[w] > 0:
                z = column(inst.shares[w])
                self.z.append(z)
                row([z, *ps], [1.0] + [-float(minutes[p]) for p in ps], -inf, 0.0)
        self.columns = len(lower)
        self.arrays = (
            np.array(lower),
            np.array(upper),
            np.array(row_lower),
            np.array(row_upper),
            np.array(starts, dtype=np.int32),
            np.array(index, dtype=np.int32),
            np.array(value),
            np.array(integer, dtype=np.int32),
        )

    def highs(self) -> highspy.Highs:
        import highspy
        import numpy as np

        lower, upper, row_lower, row_upper, starts, index, value, integer = self.arrays
        lp = highspy.HighsLp()
        lp.num_col_ = self.columns
        lp.num_row_ = len(row_lower)
        lp.col_cost_ = np.zeros(self.columns)
        lp.col_lower_ = lower
        lp.col_upper_ = upper
        lp.row_lower_ = row_lower
        lp.row_upper_ = row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = self.columns
        lp.a_matrix_.num_row_ = len(row_lower)
        lp.a_matrix_.start_ = starts
        lp.a_matrix_.index_ = index
        lp.a_matrix_.value_ = value
        binary, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
        lp.integrality_ = [binary if k else continuous for k in integer.tolist()]
        lp.sense_ = highspy.ObjSense.kMaximize
        h = _quiet_highs()
        h.passModel(lp)
        return h

    def solution(self, pairs: set[tuple[int, int]]) -> list[float]:
        """The column values of a plan: its pairs, and the best staffed, closed and spread
        variables they allow."""
        inst = self.inst
        values = [0.0] * self.columns
        for p, (w, j) in enumerate(zip(self.pw, self.pj, strict=True)):
            if (w, j) in pairs:
                values[p] = 1.0
        score_parts = _parts(inst, pairs)
        for col, v in zip(self.s + self.y + self.z, score_parts, strict=True):
            values[col] = float(v)
        return values


def _parts(inst: _Instance, pairs: set[tuple[int, int]]) -> list[int]:
    """The values of the model's s, y and z columns for a plan, in the model's order."""
    team = [0] * len(inst.jobs)
    load = [0] * len(inst.workers)
    count: list[dict[str, int]] = [{} for _worker in inst.workers]
    for w, j in pairs:
        team[j] += 1
        load[w] += inst.jobs[j].minutes
        for c in inst.rel[w][j]:
            count[w][c] = count[w].get(c, 0) + 1
    s = [
        min(job.needed, team[j])
        for j, job in enumerate(inst.jobs)
        if inst.allowed[j] and job.needed and job.places
    ]
    y: list[int] = []
    z: list[int] = []
    for w in range(len(inst.workers)):
        if not inst.jobs_of[w]:
            continue
        mobilised = {c for j in inst.jobs_of[w] for c in inst.rel[w][j]}
        y.extend(min(inst.need[w][c], count[w].get(c, 0)) for c in sorted(mobilised))
        if inst.shares[w] > 0:
            z.append(min(inst.shares[w], load[w]))
    return s + y + z


def _quiet_highs() -> highspy.Highs:
    """A HiGHS instance that prints nothing.

    ``highspy.Highs()`` writes its banner to the process's standard output before any option
    can be set (HiGHS issues #1702, #2749): the command line's output would carry it. The
    core class under it has the same methods and no banner, and nothing of the Python
    wrapper (callbacks, expressions) is used here.
    """
    import highspy

    core: Any = getattr(highspy, "_Highs", None) or highspy.Highs
    h: highspy.Highs = core()
    h.setOptionValue("output_flag", False)
    return h


def _exact_pairs(
    inst: _Instance, deadline: float, start: set[tuple[int, int]] | None
) -> tuple[set[tuple[int, int]], int, bool, dict[str, Any]]:
    """Lexicographic stages; the best pairs found, the bound on the value, whether proven."""
    import highspy
    import numpy as np

    building = time.perf_counter()
    model = _Model(inst)
    details: dict[str, Any] = {
        "pairs": len(model.pw),
        "columns": model.columns,
        "build_seconds": round(time.perf_counter() - building, 3),
        "stages": [],
    }
    best = set(start) if start is not None else set()
    current = _score_pairs(inst, best)
    bounds = [inst.staffed_bound(), inst.closed_bound(), inst.spread_bound()]
    reached = [current.staffed, current.closed, current.spread]
    stages = [
        ("staffed", model.s, [1.0] * len(model.s)),
        ("closed", model.y, model.y_weight),
        ("spread", model.z, [1.0] * len(model.z)),
    ]
    h: highspy.Highs | None = None
    values = model.solution(best) if start is not None else None
    fixed: list[tuple[list[int], list[float], int]] = []  # Σ costs × cols ≥ reached, per stage
    proven = 0  # how many stages, from the first, are proven optimal
    for stage, (name, cols, costs) in enumerate(stages):
        if reached[stage] < bounds[stage]:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            if h is None:
                h = model.highs()
                h.setOptionValue("mip_rel_gap", 0.0)
                # Every solution's stage objective is an integer: a bound less than 1 above
                # the best solution proves it.
                h.setOptionValue("mip_abs_gap", 0.999)
                if len(model.pw) > _IPM_PAIRS:
                    h.setOptionValue("mip_lp_solver", "ipm")
                for row in fixed:
                    _fix(h, *row)
            # A stage that cannot be proven in its share of the time still leaves the next
            # ones time to improve the plan (then only the first stages' bounds are proven).
            # Less what reading the solution and making the plan take afterwards.
            wrap_up = 0.05 + 3e-6 * len(model.pw)
            h.setOptionValue("time_limit", max(left * _STAGE_TIME[stage] - wrap_up, 0.01))
            cost = np.zeros(model.columns)
            cost[np.array(cols, dtype=np.int64)] = costs
            h.changeColsCost(model.columns, np.arange(model.columns, dtype=np.int32), cost)
            if values is not None:
                solution = highspy.HighsSolution()
                solution.col_value = values
                solution.value_valid = True
                h.setSolution(solution)
            ran = time.perf_counter()
            h.run()
            info = h.getInfo()
            if info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible:
                col_value = h.getSolution().col_value
                pairs = {
                    (model.pw[p], model.pj[p]) for p in range(len(model.pw)) if col_value[p] > 0.5
                }
                got = _score_pairs(inst, pairs)
                if _feasible(inst, pairs) and got.value >= current.value:
                    best, current = pairs, got
                    values = model.solution(best)
            reached = [current.staffed, current.closed, current.spread]
            # The stage's dual bound holds for the whole problem only when the stages before
            # it were fixed at their proven optimum.
            if proven == stage and np.isfinite(info.mip_dual_bound):
                dual = int(np.floor(info.mip_dual_bound + 1e-6))
                bounds[stage] = max(min(bounds[stage], dual), reached[stage])
            details["stages"].append(
                {
                    "stage": name,
                    "status": h.modelStatusToString(h.getModelStatus()),
                    "seconds": round(time.perf_counter() - ran, 3),
                    "reached": reached[stage],
                    "bound": bounds[stage] if proven == stage else None,
                }
            )
        else:
            details["stages"].append({"stage": name, "skipped": "the start reaches the bound"})
        if proven == stage and reached[stage] >= bounds[stage]:
            proven += 1
        if cols:
            fixed.append((cols, costs, reached[stage]))
            if h is not None:
                _fix(h, *fixed[-1])
    optimal = proven == len(stages)
    # The bound on the value: the parts proven, the first unproven part's bound, and the
    # trivial bounds of the parts after it (the weights make this an upper bound).
    parts = reached[:proven] + bounds[proven:]
    bound = parts[0] * inst.w1 + parts[1] * inst.w2 + parts[2]
    # Each part's bound holds among the plans whose earlier parts are at their bound.
    details["bounds"] = {name: part for (name, _c, _w), part in zip(stages, parts, strict=True)}
    details["proven"] = [name for name, _c, _w in stages[:proven]]
    return best, max(bound, current.value), optimal, details


def _fix(h: highspy.Highs, cols: list[int], costs: list[float], reached: int) -> None:
    """Keep a stage's objective at least where it reached."""
    import highspy
    import numpy as np

    h.addRow(
        float(reached), highspy.kHighsInf, len(cols), np.array(cols, np.int32), np.array(costs)
    )


def _feasible(inst: _Instance, pairs: set[tuple[int, int]]) -> bool:
    """Rules 1 and 2 on pairs from the solver (its tolerances are not ours); 3 and 4 hold,
    since only allowed pairs have a column."""
    team = [0] * len(inst.jobs)
    load = [0] * len(inst.workers)
    for w, j in pairs:
        team[j] += 1
        load[w] += inst.jobs[j].minutes
    return all(t <= job.places for t, job in zip(team, inst.jobs, strict=True)) and all(
        used <= have for used, have in zip(load, inst.minutes, strict=True)
    )


def exact(problem: Problem, *, time_limit: float = 10.0, start: Plan | None = None) -> Plan:
    """The best plan HiGHS finds in ``time_limit`` seconds (building the model included),
    solved lexicographically in stages (module docstring), with its proven bound.

    ``start``: a plan to start from (a heuristic's): HiGHS's first solution, and the plan
    returned if nothing better is found in time; :class:`ValueError` if it breaks a rule.
    """
    started = time.perf_counter()
    inst = _Instance(problem)
    pairs = None if start is None else _indexed(inst, start.assignments)
    if pairs is not None and not (
        all(j in inst.rel[w] for w, j in pairs) and _feasible(inst, pairs)
    ):
        raise ValueError("the start plan breaks the rules: see check(problem, plan)")
    return _exact_plan(inst, started + time_limit, pairs, started)


def _exact_plan(
    inst: _Instance, deadline: float, start: set[tuple[int, int]] | None, started: float
) -> Plan:
    best, bound, optimal, details = _exact_pairs(inst, deadline, start)
    return _plan(inst, best, "exact", started, bound=bound, optimal=optimal, details=details)
