"""The rival the benchmark compares with: each job by due date to the allowed trainees with
the most needs, whatever the job teaches them."""

from __future__ import annotations

import time

from ep_skills.planning.model import Plan, Problem
from ep_skills.planning.rules import _LATE, _Instance, _plan

__all__ = ["naive"]


def naive(problem: Problem) -> Plan:
    """The rival a busy instructor would apply: each job, by due date, to the allowed trainees
    with the most needs in all (Σ needs), whatever the job teaches them, up to ``needed``."""
    started = time.perf_counter()
    inst = _Instance(problem)
    left = list(inst.minutes)
    behind = [-sum(need.values()) for need in inst.need]
    pairs: set[tuple[int, int]] = set()
    for j in sorted(range(len(inst.jobs)), key=lambda j: (inst.jobs[j].due or _LATE, j)):
        job = inst.jobs[j]
        taken = 0
        for w in sorted(inst.allowed[j], key=lambda w: (behind[w], inst.workers[w].id)):
            if taken == job.needed:
                break
            if left[w] >= job.minutes:
                left[w] -= job.minutes
                pairs.add((w, j))
                taken += 1
    return _plan(inst, pairs, "naive", started)
