"""Benchmark of ``ep-skills plan``'s solvers on a synthetic workshop: exact, heuristic, naive.

    python benchmarks/planning.py                     # both presets, ~3.5 minutes
    python benchmarks/planning.py --preset workshop   # one preset
    python benchmarks/planning.py --quick             # a tiny instance: what the test suite runs

Each preset is one seeded instance (``--seed``): trainees still missing 10 to 40 competencies
each, with an urgency of 1 to 4, a fifth of them allowed on each of the regulated machines,
some with days off; jobs from a catalogue of 30 tasks mobilising 2 to 6 competencies, 60 to
480 minutes, 1 to 3 places, due over a 4-week period, a tenth of them regulated. The same
instance goes to every method:

* ``solve`` (auto: the heuristic, then HiGHS from its plan when the instance is small for
  the time given — neither preset is, at its time limit),
* ``exact`` alone (HiGHS from nothing), with the preset's time limit,
* ``heuristic`` and ``naive`` (the rival: each job to the trainees with the most needs),
* and, not a method but a yardstick, HiGHS for ``--reference`` seconds (60 by default)
  started from the best plan, for a tighter proven bound.

Plans compare by one lexicographic value (staffed, then closed, then spread), so the value
over its bound is always near 100 %: the table also gives the gaps closed over their own
proven bound (among the plans that staff the orders as well as can be). The ``strict``
column asks more than the target: the orders staffed as well as can be (the proven bound on
``staffed``), and the quality target met by that share.

Every plan is checked (:func:`ep_skills.planning.check`) and measured against the best proven
bound of the run. Targets, from issue 17: on ``workshop`` (30 × 200), a plan in ≤ 1 s at
≥ 95 % of the proven optimum; on ``school`` (150 × 1,000), a plan in ≤ 10 s. The raw figures
go to ``results/planning.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from attrs import frozen

from ep_skills.planning import Job, Plan, Problem, Worker, check, exact, heuristic, naive, solve

HERE = Path(__file__).resolve().parent
START = date(2026, 3, 2)  # a Monday: the period is four working weeks
MACHINES = ("presse-plieuse", "scie-a-ruban", "tour-conventionnel")


@frozen
class Preset:
    workers: int
    jobs: int
    time_limit: float
    """Given to ``solve`` and ``exact``: the time an instructor waits for a plan."""
    target_seconds: float
    target_ratio: float | None
    """The share of the proven optimum the plan must reach (None: no quality target)."""


PRESETS = {
    "quick": Preset(workers=8, jobs=30, time_limit=1.0, target_seconds=1.0, target_ratio=None),
    "workshop": Preset(workers=30, jobs=200, time_limit=1.0, target_seconds=1.0, target_ratio=0.95),
    "school": Preset(
        workers=150, jobs=1000, time_limit=10.0, target_seconds=10.0, target_ratio=None
    ),
}


def generate(preset: Preset, seed: int) -> Problem:
    """One synthetic, seeded instance of ``preset``'s size."""
    rng = random.Random(seed)
    days = [
        START + timedelta(days=d) for d in range(28) if (START + timedelta(days=d)).weekday() < 5
    ]
    end = days[-1]
    competencies = [f"C{bloc}.{k}" for bloc in range(1, 6) for k in range(1, 9)]
    machines = MACHINES[: rng.randint(2, 3)]
    # The catalogue: each task mobilises 2 to 6 competencies and takes about the same time
    # each time; three of them are regulated work, about a tenth of the jobs.
    catalogue = []
    for t in range(30):
        comps = tuple(sorted(rng.sample(competencies, rng.randint(2, 6))))
        machine = machines[t % len(machines)] if t < 3 else None
        catalogue.append((f"tache-{t + 1:02d}", comps, rng.randint(4, 32) * 15, machine))
    weights = [3.0 if t < 3 else 1.0 for t in range(30)]  # 3 × 3 / (3 × 3 + 27) ≈ 10 % regulated
    workers = []
    for w in range(preset.workers):
        needs = {c: rng.randint(1, 3) for c in rng.sample(competencies, rng.randint(10, 40))}
        off = set(rng.sample(days, rng.randint(1, 5))) if rng.random() < 0.3 else set()
        # Minutes for these orders: the workshop's share of the timetable, less other work
        # (40 to 80 hours over the four weeks), less the days off (7 hours each). The
        # workshop as a whole has about a fifth more time than its orders need.
        minutes = max(0, rng.randint(160, 320) * 15 - len(off) * 420)
        workers.append(
            Worker(
                id=w + 1,
                name=f"Jeune {w + 1:03d}",
                minutes=minutes,
                needs=needs,
                urgency=rng.randint(1, 4),
                machines=frozenset(m for m in machines if rng.random() < 0.2),
                days=None if not off else frozenset(d for d in days if d not in off),
            )
        )
    jobs: list[Job] = []
    order = 0
    while len(jobs) < preset.jobs:
        order += 1
        ref = f"2026-{order:03d}"
        # A few orders are late already (due before the period): nobody can do them now.
        due = START - timedelta(days=3) if rng.random() < 0.01 else rng.choice(days[2:])
        start = due - timedelta(days=rng.randint(3, 12)) if rng.random() < 0.3 else None
        for _task in range(min(rng.randint(1, 6), preset.jobs - len(jobs))):
            task, comps, base, machine = rng.choices(catalogue, weights)[0]
            places = rng.randint(1, 3)
            jobs.append(
                Job(
                    id=f"{ref}/{len(jobs) + 1}",
                    order=ref,
                    task=task,
                    title=task.replace("-", " "),
                    competencies=comps,
                    minutes=min(480, max(60, round(base * rng.uniform(0.75, 1.25) / 15) * 15)),
                    places=places,
                    needed=rng.randint(1, places),
                    start=start,
                    due=due,
                    machine=machine,
                )
            )
    return Problem(workers=tuple(workers), jobs=tuple(jobs), start=START, end=end)


def _run(name: str, plan: Callable[[], Plan], problem: Problem) -> dict[str, Any]:
    result = plan()
    broken = check(problem, result)
    if broken:
        raise SystemExit(f"{name} broke the rules: {broken[:5]}")
    return {
        "seconds": round(result.seconds, 3),
        "method": result.method,
        "staffed": result.score.staffed,
        "closed": result.score.closed,
        "spread": result.score.spread,
        "value": result.score.value,
        "bound": result.bound,
        "optimal": result.optimal,
        "unplaced": sum(u.missing for u in result.unplaced),
        "assignments": len(result.assignments),
        "details": dict(result.details),
    }


def measure(preset: Preset, seed: int, reference: float) -> dict[str, Any]:
    """Every method on one instance, and the ratios against the best proven bound."""
    problem = generate(preset, seed)
    methods: dict[str, dict[str, Any]] = {
        "solve": _run("solve", lambda: solve(problem, time_limit=preset.time_limit), problem),
        "exact": _run("exact", lambda: exact(problem, time_limit=preset.time_limit), problem),
        "heuristic": _run("heuristic", lambda: heuristic(problem), problem),
        "naive": _run("naive", lambda: naive(problem), problem),
    }
    runs = dict(methods)
    if reference > 0:
        # Not a method: HiGHS for much longer, from the best plan, for a tighter bound.
        best = max(methods.values(), key=lambda m: m["value"])["method"]
        start = {"exact": lambda: exact(problem, time_limit=preset.time_limit)}.get(
            best, lambda: solve(problem, time_limit=preset.time_limit)
        )()
        runs["reference"] = _run(
            "reference", lambda: exact(problem, time_limit=reference, start=start), problem
        )
    proven = [r for r in runs.values() if r["bound"] is not None]
    tightest = min(proven, key=lambda r: r["bound"])
    bound = tightest["bound"]
    parts = tightest["details"]["bounds"]
    for figures in runs.values():
        figures["of_bound"] = figures["value"] / bound if bound else None
        # The meaningful share: gaps closed against their proven bound, among the plans
        # that staff the orders as well as can be (else the value's weights hide it all).
        figures["closed_of_bound"] = (
            figures["closed"] / parts["closed"]
            if parts["closed"] and figures["staffed"] == parts["staffed"]
            else None
        )
        seconds_ok = figures["seconds"] <= preset.target_seconds
        figures["target_met"] = seconds_ok and (
            preset.target_ratio is None
            or (figures["of_bound"] is not None and figures["of_bound"] >= preset.target_ratio)
        )
        # Strict: the orders staffed as well as can be, and the quality target on the gaps
        # closed rather than on the value.
        figures["strict_target_met"] = (
            seconds_ok
            and figures["staffed"] == parts["staffed"]
            and (
                preset.target_ratio is None
                or (
                    figures["closed_of_bound"] is not None
                    and figures["closed_of_bound"] >= preset.target_ratio
                )
            )
        )
    naive_closed = methods["naive"]["closed"]
    return {
        "workers": preset.workers,
        "jobs": preset.jobs,
        "allowed_pairs": methods["exact"]["details"].get("pairs"),
        "needed_places": sum(j.needed for j in problem.jobs),
        "time_limit": preset.time_limit,
        "reference_seconds": reference,
        "target": {"seconds": preset.target_seconds, "of_bound": preset.target_ratio},
        "bound": bound,
        "part_bounds": parts,
        "methods": runs,
        "closed_heuristic_over_naive": methods["heuristic"]["closed"] / naive_closed
        if naive_closed
        else None,
        "closed_solve_over_naive": methods["solve"]["closed"] / naive_closed
        if naive_closed
        else None,
    }


def _ratio(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}%}"


def print_table(name: str, figures: dict[str, Any], machine: str) -> None:
    from rich.console import Console
    from rich.table import Table

    target, parts = figures["target"], figures["part_bounds"]
    wanted = f"≤ {target['seconds']:g} s" + (
        f" at ≥ {target['of_bound']:.0%} of the proven optimum" if target["of_bound"] else ""
    )
    table = Table(
        title=f"ep-skills plan — {name}: {figures['workers']} trainees × {figures['jobs']} jobs "
        f"({figures['needed_places']} places needed), {figures['allowed_pairs']:,} allowed "
        f"pairs — {machine}",
        title_justify="left",
        caption=f"target: {wanted}. Best proven bound: staffed {parts['staffed']}, closed "
        f"{parts['closed']}, spread {parts['spread']:,}. Closed, heuristic / naive: "
        f"{figures['closed_heuristic_over_naive']:.2f}×; solve / naive: "
        f"{figures['closed_solve_over_naive']:.2f}×.",
        caption_justify="left",
    )
    headers = ("method", "seconds", "staffed", "closed", "spread", "value / bound")
    for header in (*headers, "closed / bound", "optimal", "target", "strict"):
        table.add_column(header, justify="left" if header == "method" else "right")
    for method, m in figures["methods"].items():
        reference = method == "reference"
        table.add_row(
            f"({method}, {figures['reference_seconds']:g} s)" if reference else method,
            f"{m['seconds']:.2f}",
            str(m["staffed"]),
            str(m["closed"]),
            f"{m['spread']:,}",
            _ratio(m["of_bound"], 4),
            _ratio(m["closed_of_bound"], 1),
            "yes" if m["optimal"] else "no",
            "" if reference else "✓" if m["target_met"] else "✗",
            "" if reference else "✓" if m["strict_target_met"] else "✗",
        )
    Console(width=160).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=["workshop", "school", "all"], default="all")
    parser.add_argument("--quick", action="store_true", help="a tiny instance, nothing written")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reference",
        type=float,
        default=None,
        help="seconds of a longer exact run for a tighter bound (default: 60; quick: 2; 0: none)",
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON file for the figures")
    args = parser.parse_args(argv)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    if args.quick:
        names = ["quick"]
    else:
        names = ["workshop", "school"] if args.preset == "all" else [args.preset]
    reference = args.reference if args.reference is not None else 2.0 if args.quick else 60.0
    started = time.perf_counter()
    import highspy  # noqa: F401  (loaded once, before the runs, as in a long-lived process)
    import numpy  # noqa: F401

    loading = time.perf_counter() - started
    print(f"loading HiGHS and numpy (once per process, not in the times below): {loading:.2f} s")
    figures: dict[str, Any] = {
        "machine": machine,
        "date": date.today().isoformat(),
        "seed": args.seed,
        "solver_import_seconds": round(loading, 3),
    }
    for name in names:
        figures[name] = measure(PRESETS[name], args.seed, reference)
        print_table(name, figures[name], machine)
    out = args.out or (None if args.quick else HERE / "results" / "planning.json")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
        print(f"raw figures: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
