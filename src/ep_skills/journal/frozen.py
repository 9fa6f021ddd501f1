"""The journal as it stood when a period was closed (« période arrêtée »): a read-only view.

A closed period keeps, for ever, what a jury or a periodic review saw: the evidence written
up to the moment it was closed (rows numbered up to the marks it keeps) about the days up to
its last day. Later entries — new work, and corrections of the period's own entries — apply
after it: this view leaves them out, so a livret printed "as of" the period is the same
whatever was written since. States are computed from the evidence (the view is read-only:
nothing stored is trusted, nothing is written).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from ep_skills.errors import JournalUnavailableError
from ep_skills.i18n import _
from ep_skills.journal.model import Assessment, Photo, TaskRecord
from ep_skills.journal.storage import StateRow, Storage

__all__ = ["FrozenStorage"]


class FrozenStorage:
    """A storage that shows only what was written before a period was closed."""

    read_only = True
    """The state keeper computes states from the evidence, never from stored ones."""

    def __init__(
        self,
        storage: Storage,
        *,
        end: date,
        assessments: int,
        records: int,
        closed_at: datetime,
        period: Any = None,
    ) -> None:
        self.period = period
        """The closed period this view shows (its name, last day and hash, for the reports)."""
        self._storage = storage
        self._end = end
        self._assessments = assessments
        self._records = records
        self._closed_at = closed_at

    def __getattr__(self, name: str) -> Any:
        # What is not about evidence (trainees, orders, diplomas' settings) reads through.
        return getattr(self._storage, name)

    def transaction(self) -> Any:
        raise JournalUnavailableError(_("a closed period is read only: nothing can be written"))

    def _row(self, row: Assessment) -> bool:
        return row.id <= self._assessments and row.day <= self._end

    def _record(self, record: TaskRecord) -> bool:
        return record.id <= self._records and record.day <= self._end

    def assessments(self, trainee: int, competency: str | None = None) -> list[Assessment]:
        return [r for r in self._storage.assessments(trainee, competency) if self._row(r)]

    def assessments_on(self, trainee: int, sources: Sequence[tuple[str, str]]) -> list[Assessment]:
        return [r for r in self._storage.assessments_on(trainee, sources) if self._row(r)]

    def iter_assessments(self, trainees: Sequence[int] | None = None) -> Iterator[Assessment]:
        return (r for r in self._storage.iter_assessments(trainees) if self._row(r))

    def assessment(self, assessment_id: int) -> Assessment | None:
        row = self._storage.assessment(assessment_id)
        return row if row is not None and self._row(row) else None

    def record(self, record_id: int) -> TaskRecord | None:
        record = self._storage.record(record_id)
        return record if record is not None and self._record(record) else None

    def record_rows(self, record_id: int) -> list[Assessment]:
        return [r for r in self._storage.record_rows(record_id) if self._row(r)]

    def records(self, trainee: int) -> list[TaskRecord]:
        return [r for r in self._storage.records(trainee) if self._record(r)]

    def records_between(self, first: date, last: date) -> list[tuple[TaskRecord, list[Assessment]]]:
        return [
            (record, [r for r in rows if self._row(r)])
            for record, rows in self._storage.records_between(first, min(last, self._end))
            if self._record(record)
        ]

    def _photo(self, photo: Photo) -> bool:
        return photo.recorded_at is None or photo.recorded_at <= self._closed_at

    def record_photos(self, record_id: int) -> list[Photo]:
        if record_id > self._records:
            return []
        return [p for p in self._storage.record_photos(record_id) if self._photo(p)]

    def trainee_photos(self, trainee: int) -> list[tuple[int, date, Photo]]:
        return [
            (record, day, photo)
            for record, day, photo in self._storage.trainee_photos(trainee)
            if record <= self._records and day <= self._end and self._photo(photo)
        ]

    def meta_items(self, prefix: str) -> dict[str, str]:
        # Versioned settings (exam sessions, working time…) as they stood at the close.
        return {
            key: value
            for key, value in self._storage.meta_items(prefix).items()
            if not _changed_after(value, self._closed_at)
        }

    def states(self, trainees: Sequence[int]) -> list[StateRow]:
        return []


def _changed_after(value: str, moment: datetime) -> bool:
    if '"changed_at"' not in value:
        return False
    try:
        changed = json.loads(value).get("changed_at")
        return changed is not None and datetime.fromisoformat(changed) > moment
    except (ValueError, AttributeError):
        return False
