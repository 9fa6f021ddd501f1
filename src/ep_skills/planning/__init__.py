"""Steering the next orders (« plan de charge »): who does which task so that gaps close."""

from __future__ import annotations

from ep_skills.planning.mip import exact
from ep_skills.planning.model import Assignment, Job, Plan, Problem, Score, Unplaced, Worker
from ep_skills.planning.rival import naive
from ep_skills.planning.rules import check, score
from ep_skills.planning.search import heuristic
from ep_skills.planning.solver import solve

__all__ = [
    "Assignment",
    "Job",
    "Plan",
    "Problem",
    "Score",
    "Unplaced",
    "Worker",
    "check",
    "exact",
    "heuristic",
    "naive",
    "score",
    "solve",
]
