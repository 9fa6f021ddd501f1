"""Views computed from progress, shared by the command line and the reports."""

from __future__ import annotations

from attrs import frozen

from ep_skills.api import Journal
from ep_skills.referential.model import CatalogueTask

__all__ = ["Gap", "cohort_gaps"]


@frozen
class Gap:
    """A leaf competency some trainees have not acquired, and the tasks that mobilise it."""

    diploma: str
    code: str
    title: str
    trainees: tuple[str, ...]
    """Names of the trainees who have not acquired it."""
    never_assessed: tuple[str, ...]
    """Those of them who were never assessed on it at all."""
    tasks: tuple[CatalogueTask, ...]


def cohort_gaps(journal: Journal, cohort: str | None = None) -> list[Gap]:
    """Every competency not acquired by someone of the cohort, the most missed first."""
    gaps = []
    rows = journal.cohort_progress(cohort)
    for diploma in sorted({person.diploma for person, _p in rows}):
        info = journal.diploma(diploma)
        group = [(person, progress) for person, progress in rows if person.diploma == diploma]
        order = list(info.leaves)
        for code in order:
            missing = []
            never = []
            for person, progress in group:
                node = progress.node(code)
                if node is None:
                    continue  # not in this trainee's option of the diploma
                if not node.acquired:
                    missing.append(person.name)
                    if node.state is None:
                        never.append(person.name)
            if not missing:
                continue
            tasks = tuple(
                t
                for t in info.referential.tasks
                if any(link.code == code for link in t.competencies)
            )
            gaps.append(
                Gap(diploma, code, info.leaves[code].title, tuple(missing), tuple(never), tasks)
            )
    return sorted(gaps, key=lambda g: (-len(g.trainees), g.diploma))
