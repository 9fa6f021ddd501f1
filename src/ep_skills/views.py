"""Views computed from progress, shared by the command line and the reports."""

from __future__ import annotations

from datetime import date
from typing import Any

from attrs import frozen

from ep_skills import forms
from ep_skills.api import Journal
from ep_skills.engine.missing import StillMissing
from ep_skills.referential.model import CatalogueTask

__all__ = ["Gap", "GapTrainee", "TaskChance", "cohort_gaps", "trainee_gaps"]


@frozen
class GapTrainee:
    """A trainee who has not acquired a competency yet."""

    id: int
    name: str
    never_assessed: bool
    """Whether they were never assessed on it at all."""
    missing: StillMissing | None = None
    """What they still miss to acquire it, at the least (when asked for)."""


@frozen
class Gap:
    """A leaf competency some trainees have not acquired, and the tasks that mobilise it."""

    diploma: str
    code: str
    title: str
    missing: tuple[GapTrainee, ...]
    """The trainees who have not acquired it (ids and names), in the order of the cohort."""
    tasks: tuple[CatalogueTask, ...]
    """The catalogue tasks that mobilise it (by id and title in the form)."""

    @property
    def trainees(self) -> tuple[str, ...]:
        """Names of the trainees who have not acquired it."""
        return tuple(t.name for t in self.missing)

    @property
    def never_assessed(self) -> tuple[str, ...]:
        """Names of those of them who were never assessed on it at all."""
        return tuple(t.name for t in self.missing if t.never_assessed)

    @property
    def trainee_ids(self) -> tuple[int, ...]:
        """Ids of the trainees who have not acquired it."""
        return tuple(t.id for t in self.missing)

    def to_dict(self) -> dict[str, Any]:
        """This gap as JSON-ready data (:func:`ep_skills.forms.to_dict`)."""
        return forms.to_dict(self)


def cohort_gaps(journal: Journal, cohort: str | None = None, *, missing: bool = False) -> list[Gap]:
    """Every competency not acquired by someone of the cohort, the most missed first.

    ``missing``: with what each trainee still misses on it, at the least
    (:meth:`Journal.still_missing`: one read of each trainee's evidence).
    """
    gaps = []
    rows = journal.cohort_progress(cohort)
    still = {person.id: journal.still_missing(person) for person, _p in rows} if missing else {}
    for diploma in sorted({person.diploma for person, _p in rows}):
        info = journal.diploma(diploma)
        group = [(person, progress) for person, progress in rows if person.diploma == diploma]
        order = list(info.leaves)
        for code in order:
            lacking: list[GapTrainee] = []
            for person, progress in group:
                node = progress.node(code)
                if node is None:
                    continue  # not in this trainee's option of the diploma
                if not node.acquired:
                    lacking.append(
                        GapTrainee(
                            person.id,
                            person.name,
                            node.state is None,
                            still.get(person.id, {}).get(code),
                        )
                    )
            if not lacking:
                continue
            tasks = tuple(
                t
                for t in info.referential.tasks
                if any(link.code == code for link in t.competencies)
            )
            gaps.append(Gap(diploma, code, info.leaves[code].title, tuple(lacking), tasks))
    return sorted(gaps, key=lambda g: (-len(g.missing), g.diploma))


@frozen
class TaskChance:
    """A task that would close some of a trainee's gaps (« tâche qui en donne l'occasion »)."""

    task: str
    title: str
    closes: tuple[str, ...]
    """The trainee's competencies not yet acquired that it mobilises."""
    weight: int
    """How much of what they still miss it meets: Σ over ``closes`` of the assessments
    still needed (at least 1 each)."""
    orders: tuple[str, ...] = ()
    """The open orders that ask for it, the soonest due first (empty: catalogue only)."""
    due: date | None = None
    """The soonest of their due dates."""

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data (:func:`ep_skills.forms.to_dict`)."""
        return forms.to_dict(self)


def trainee_gaps(journal: Journal, trainee: str | int) -> list[TaskChance]:
    """The tasks that would close a trainee's gaps, best first: those the open orders ask
    for (``ep-skills order task add``) before those of the catalogue only; within each,
    the most of what they still miss first, then the soonest due, then by id."""
    person = journal.trainee(trainee)
    info = journal.diploma(person.diploma)
    missing = {code: m for code, m in journal.still_missing(person).items() if not m.acquired}
    today = journal.today
    due_of = {o.ref: o.due for o in journal.orders()}
    asked: dict[str, list[tuple[date | None, str]]] = {}
    for entry in journal.order_tasks():
        due = due_of.get(entry.order)
        if due is None or due >= today:
            asked.setdefault(entry.task, []).append((due, entry.order))
    found = []
    for task in info.referential.tasks:
        closes = tuple(
            dict.fromkeys(link.code for link in task.competencies if link.code in missing)
        )
        if not closes:
            continue
        weight = sum(max(1, missing[c].assessments, missing[c].orders) for c in closes)
        open_orders = sorted(asked.get(task.id, []), key=lambda d: (d[0] is None, d[0], d[1]))
        found.append(
            TaskChance(
                task=task.id,
                title=task.title,
                closes=closes,
                weight=weight,
                orders=tuple(ref for _due, ref in open_orders),
                due=open_orders[0][0] if open_orders else None,
            )
        )
    return sorted(
        found,
        key=lambda t: (not t.orders, -t.weight, t.due is None, t.due or today, t.task),
    )
