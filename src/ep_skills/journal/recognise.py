"""Recognising task records already in the journal, so that an import never writes twice.

A record's identity is its content, not the file it came from: the day, the trainees, the
task, the order, the description, the assessor and role, the time spent (its *situation*),
then what was assessed (its *content*: each competency's level, the autonomy, the note).

- A row whose situation and content match a record of the journal is already there.
- A row whose situation matches but whose content differs (another level, another note) is a
  conflict: it is reported with both values, never written silently as a second entry.
- Identical rows inside one file are as many records (the same task done twice a day): the
  k-th such row matches the k-th such record of the journal, so importing a file again, or a
  file that overlaps an earlier one, writes only what is new.

Records that were withdrawn as a whole no longer count as being there: a file imported after
its earlier import was undone is written again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from attrs import evolve, frozen

from ep_skills.journal.model import Assessment, AssessmentInput, TaskRecord, effective_assessments

__all__ = ["Recognition", "content", "recognise", "situation"]

Situation = tuple[object, ...]
Content = tuple[object, ...]


def situation(record: TaskRecord) -> Situation:
    """What makes two records the same piece of work, levels and notes aside."""
    return (
        record.day,
        tuple(sorted(record.trainees)),
        record.task or None,
        record.order or None,
        record.description or None,
        str(record.role),
        record.assessor or None,
        record.minutes,
    )


def content(record: TaskRecord) -> Content:
    """What was assessed: each competency's level and autonomy, and the note."""
    return (
        tuple(sorted((a.competency, a.level, a.autonomy) for a in record.assessments)),
        record.note or None,
    )


def _effective(record: TaskRecord, rows: Sequence[Assessment]) -> TaskRecord | None:
    """The record as it stands after corrections, or None when it was withdrawn as a whole."""
    first = min(record.trainees, default=None)
    kept = [row for row in effective_assessments(rows) if row.trainee == first]
    if not kept:
        return None
    return evolve(
        record,
        assessments=tuple(AssessmentInput(r.competency, r.level, r.autonomy) for r in kept),
    )


@frozen
class Recognition:
    """How the records of a file stand against the journal (indexes into the file's list)."""

    new: tuple[int, ...]
    """Records to write."""
    existing: tuple[tuple[int, TaskRecord], ...]
    """Records already in the journal, with the journal's record."""
    conflicts: tuple[tuple[int, TaskRecord], ...]
    """Records whose situation is in the journal with another content, with that record."""
    repeated: int
    """Records to write identical to an earlier one to write (each a record of its own)."""


def recognise(
    incoming: Sequence[TaskRecord], journal: Iterable[tuple[TaskRecord, Sequence[Assessment]]]
) -> Recognition:
    """Match a file's records against the journal's records of the same days."""
    present: dict[Situation, list[tuple[TaskRecord, set[Content]]]] = defaultdict(list)
    for record, rows in journal:
        current = _effective(record, rows)
        if current is None:
            continue  # withdrawn as a whole: no longer there
        # The file may hold the level as first recorded, or as corrected since.
        present[situation(record)].append((record, {content(record), content(current)}))
    keys = [situation(record) for record in incoming]
    contents = [content(record) for record in incoming]
    groups: dict[Situation, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        groups[key].append(index)
    new: list[int] = []
    existing: list[tuple[int, TaskRecord]] = []
    conflicts: list[tuple[int, TaskRecord]] = []
    for key, indexes in groups.items():
        available = list(present.get(key, ()))
        unmatched: list[int] = []
        for index in indexes:
            wanted = contents[index]
            if not available:  # the usual case of new work: nothing to compare with
                unmatched.append(index)
                continue
            match = next((i for i, (_r, c) in enumerate(available) if wanted in c), None)
            if match is None:
                unmatched.append(index)
            else:
                existing.append((index, available.pop(match)[0]))
        # What is left on both sides is the same work with another content: a conflict.
        for index in unmatched:
            if available:
                conflicts.append((index, available.pop(0)[0]))
            else:
                new.append(index)
    # Rows to write that repeat an earlier row to write: the same task done again that day.
    written: set[tuple[Situation, Content]] = set()
    repeated = 0
    for index in sorted(new):
        item = (keys[index], contents[index])
        repeated += item in written
        written.add(item)
    return Recognition(
        new=tuple(sorted(new)),
        existing=tuple(sorted(existing, key=lambda item: item[0])),
        conflicts=tuple(sorted(conflicts, key=lambda item: item[0])),
        repeated=repeated,
    )
