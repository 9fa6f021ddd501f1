"""What a plan is made of: trainees, the tasks of the open orders, and who does which.

Plain values in, a plan out: nothing here reads a journal. The rules every plan keeps and
the objective plans are compared by are in :mod:`ep_skills.planning.rules`.

Values that break the contract (a negative number of minutes, two jobs with one id, more
trainees needed than places) raise :class:`ValueError` when the value is made: they are a
caller's mistake, never a user's, so the message is not translated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from attrs import field, frozen
from attrs.validators import ge

__all__ = ["Assignment", "Job", "Plan", "Problem", "Score", "Unplaced", "Worker"]


def _needs(value: Mapping[str, int]) -> dict[str, int]:
    # The caller's dict stays theirs, and a need of 0 is no need: the solver then only meets
    # competencies that really count.
    found = {code: count for code, count in value.items() if count != 0}
    for code, count in found.items():
        if count < 0:
            raise ValueError(f"needs[{code!r}] must be ≥ 0, not {count}")
    return found


def _frozen_strings(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _frozen_days(value: Iterable[date] | None) -> frozenset[date] | None:
    return None if value is None else frozenset(value)


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _workers(value: Iterable[Worker]) -> tuple[Worker, ...]:
    return tuple(value)


def _jobs(value: Iterable[Job]) -> tuple[Job, ...]:
    return tuple(value)


@frozen
class Worker:
    """A trainee (« jeune ») as the plan sees them: their time, what they still miss, and
    what they may legally do."""

    id: int
    name: str
    minutes: int = field(validator=ge(0))
    """Working minutes available for the plan's tasks over the period."""
    needs: Mapping[str, int] = field(converter=_needs, hash=False)
    """Competency code → assessments still needed (« évaluations manquantes »); absent or 0:
    nothing needed."""
    urgency: int = field(default=1, validator=ge(1))
    """Weight of this trainee's gaps: the closer their exam, the larger."""
    machines: frozenset[str] = field(default=frozenset(), converter=_frozen_strings)
    """Regulated machines (« travaux réglementés ») this trainee may legally work on: a
    minor with a valid dérogation, medical opinion and safety training for it, or an adult."""
    days: frozenset[date] | None = field(default=None, converter=_frozen_days)
    """Days available in the period (None: every day of it)."""


@frozen
class Job:
    """One task of an open order (« tâche d'une commande ») to give to one or more trainees."""

    id: str
    """Unique in the problem."""
    order: str
    """The order's reference (« référence de la commande »)."""
    task: str
    """The catalogue task's id."""
    title: str
    competencies: tuple[str, ...] = field(converter=_strings)
    """The competencies it mobilises."""
    minutes: int = field(validator=ge(1))
    """Per trainee who takes it."""
    places: int = field(default=1, validator=ge(0))
    """At most this many trainees."""
    needed: int = field(default=1, validator=ge(0))
    """The order needs at least this many; short of it, the job is unplaced."""
    start: date | None = None
    """Earliest day it can be done."""
    due: date | None = None
    """The order's due date (« date de livraison »)."""
    machine: str | None = None
    """Regulated work on this dangerous machine (None: not regulated)."""

    def __attrs_post_init__(self) -> None:
        if self.needed > self.places:
            raise ValueError(f"job {self.id!r}: needed {self.needed} > places {self.places}")


@frozen
class Problem:
    """Who can work, what there is to do, and the period planned (both days included)."""

    workers: tuple[Worker, ...] = field(converter=_workers)
    jobs: tuple[Job, ...] = field(converter=_jobs)
    start: date
    end: date
    """The first and last days planned, both included."""

    def __attrs_post_init__(self) -> None:
        for kind, ids in (
            ("worker", Counter(str(w.id) for w in self.workers)),
            ("job", Counter(j.id for j in self.jobs)),
        ):
            twice = sorted(i for i, n in ids.items() if n > 1)
            if twice:
                raise ValueError(f"{kind} ids must be unique: {twice} appear more than once")


@frozen
class Assignment:
    """One trainee on one job (« affectation »)."""

    worker: int
    """:attr:`Worker.id`."""
    job: str
    """:attr:`Job.id`."""
    closes: tuple[str, ...] = ()
    """The competencies this assignment counts toward, within the trainee's needs, sorted.

    When more of a trainee's jobs mobilise a competency than they need, the earliest (by due
    date, then id) count: the others still give practice, not a needed assessment. So the
    score's ``closed`` is Σ urgency × len(closes) over the assignments."""


@frozen
class Unplaced:
    """A job the plan leaves short of the trainees its order needs (« non pourvue »)."""

    job: str
    missing: int
    """Places still needed (needed − assigned)."""
    reason: str
    """Why, for the instructor: the most specific constraint that blocks it."""


@frozen
class Score:
    """How good a plan is; plans compare by :attr:`value` (definition in
    :func:`ep_skills.planning.rules.score`)."""

    staffed: int
    """Σ over jobs of min(needed, assigned): the orders get made."""
    closed: int
    """Σ over trainees of urgency × Σ over competencies of min(need, their jobs that
    mobilise it): the gaps closed."""
    spread: int
    """Σ over trainees of min(assigned minutes, fair share): the work spread fairly."""
    value: int
    """The three as one integer, lexicographic: staffed, then closed, then spread."""


@frozen
class Plan:
    """Who does what (« plan de charge »), what stays unplaced and why, and how good it is."""

    assignments: tuple[Assignment, ...]
    """Sorted by (job, worker)."""
    unplaced: tuple[Unplaced, ...]
    method: str
    """``exact``, ``heuristic`` or ``naive``."""
    score: Score
    bound: int | None
    """Exact: the solver's proven upper bound on :attr:`Score.value` (None otherwise)."""
    optimal: bool
    """Proven optimal."""
    seconds: float
    details: Mapping[str, Any] = field(factory=dict, hash=False, eq=False)
    """What the solver did, for benchmarks and curious readers (stages, statuses, starts)."""

    @property
    def gap(self) -> float | None:
        """The optimality gap, (bound − value) / bound, when a bound is known."""
        if self.bound is None:
            return None
        return (self.bound - self.score.value) / max(self.bound, 1)
