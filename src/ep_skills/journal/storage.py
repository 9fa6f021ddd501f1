"""The storage interface every journal backend implements (SQLite, PostgreSQL).

It speaks in journal model objects and plain values; SQL of one database stays inside its
backend. Every method that writes must be called inside :meth:`Storage.transaction`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import NamedTuple, Protocol

from attrs import frozen

from ep_skills.journal.audit import AuditEntry
from ep_skills.journal.model import (
    Assessment,
    ImportBatch,
    Order,
    Photo,
    Role,
    TaskRecord,
    Trainee,
    TraineeChange,
)

__all__ = ["PairSummary", "StateRow", "Storage"]


class StateRow(NamedTuple):
    """A stored leaf state: what progress views read without touching the evidence.

    A named tuple, not an attrs class: a school's progress view reads thousands of them.
    """

    trainee: int
    competency: str
    state: str | None
    score: int | None
    acquired: bool
    score_state: str | None
    assessments: int
    contexts: int
    last_day: str | None
    max_autonomy: int | None
    non_scoring: int
    self_score: int | None
    self_state: str | None
    history: int
    first_day: str | None = None


@frozen
class PairSummary:
    """Aggregates of one (trainee, competency), as a storage computes them for a recompute.

    Windows hold ``(assessment or None, value, role weight)``, oldest first: a full recompute
    reads only the numbers.
    """

    trainee: int
    competency: str
    window: tuple[tuple[Assessment | None, int, float], ...]
    count: int
    contexts: int
    last_day: date | None
    max_autonomy: int | None
    non_scoring: int
    self_window: tuple[tuple[Assessment | None, int, float], ...]
    history: int
    first_day: date | None = None


class Storage(Protocol):
    """What the journal needs from a database."""

    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside commit together or not at all."""

    def close(self) -> None:
        """Release the database."""

    # meta
    def get_meta(self, key: str) -> str | None:
        """A value of the journal's own settings (school name, schema…)."""

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the journal's own settings."""

    def meta_items(self, prefix: str) -> dict[str, str]:
        """Every key of the journal's own settings that begins with ``prefix``, with its value."""

    # people and orders
    def add_trainee(self, trainee: Trainee) -> Trainee:
        """Insert a trainee (``id`` 0 means: allocate one); returns it with its id."""

    def trainees(self, cohort: str | None = None, *, archived: bool = False) -> list[Trainee]:
        """Trainees as they are now, by name, optionally of one cohort; archived ones only
        with ``archived``."""

    def trainee_by_id(self, trainee_id: int) -> Trainee | None:
        """One trainee by id, as they are now."""

    def trainees_named(self, name: str) -> list[Trainee]:
        """The trainees whose name now is ``name`` (case, accents and spaces aside): one, or
        homonyms, or none."""

    def trainee_by_external_id(self, external_id: str) -> Trainee | None:
        """The trainee whose external id now is ``external_id``."""

    def add_trainee_change(
        self,
        trainee: Trainee,
        kind: str,
        changed: Sequence[str],
        author: str | None,
        note: str | None,
    ) -> TraineeChange:
        """Record a change of a trainee: ``trainee`` as they are after it, the fields it
        changed; returns the change with its before and after values."""

    def trainee_changes(self, trainee_id: int) -> list[TraineeChange]:
        """Every change of a trainee, oldest first."""

    def trainee_mark(self) -> tuple[int, ...]:
        """A mark that changes whenever a trainee is added, changed or transferred (by anyone:
        another thread, another process), so that trainees kept in memory can be trusted."""

    def shared_names(self) -> set[str]:
        """The names (as :func:`~ep_skills.journal.model.name_key` gives them) that several
        trainees have now."""

    def add_order(self, order: Order) -> Order:
        """Insert a production order."""

    def order(self, ref: str) -> Order | None:
        """One order by reference."""

    def orders(self) -> list[Order]:
        """Every order, newest first."""

    # evidence
    def add_records(self, records: Sequence[TaskRecord]) -> list[TaskRecord]:
        """Insert many task records with their assessments; returns them with their ids."""

    def add_correction(
        self,
        original: Assessment,
        level: str | None,
        *,
        assessor: str | None,
        role: Role,
        note: str | None,
    ) -> Assessment:
        """Append a row superseding ``original`` (``level`` None withdraws it)."""

    def add_import(self, batch: ImportBatch, records: Sequence[tuple[int, int]]) -> ImportBatch:
        """Record an import (``id`` 0: allocate one) and link the records it wrote, given as
        ``(record id, row of the file)``; returns it with its id."""

    def add_photo(self, photo: Photo, data: bytes) -> bool:
        """Keep a photo's bytes under its hash, unless they are there already; returns
        whether they were new. Inside ``transaction()``."""

    def attach_photo(self, record_id: int, sha256: str) -> None:
        """Attach a kept photo to a task record (once). Inside ``transaction()``."""

    def photo(self, sha256: str) -> tuple[Photo, bytes] | None:
        """A kept photo and its bytes, or None."""

    def record_photos(self, record_id: int) -> list[Photo]:
        """The photos attached to a task record, in the order they were attached."""

    def trainee_photos(self, trainee: int) -> list[tuple[int, date, Photo]]:
        """``(record id, day, photo)`` of every photo attached to a record naming the
        trainee, the newest day first."""

    def imports(self) -> list[ImportBatch]:
        """Every import, oldest first."""

    def import_batch(self, batch_id: int) -> ImportBatch | None:
        """One import by number."""

    def import_of(self, record_id: int) -> int | None:
        """The number of the import that wrote a record, if one did."""

    def imported_records(self, batch_id: int) -> list[int]:
        """The ids of the records an import wrote."""

    def record(self, record_id: int) -> TaskRecord | None:
        """One task record, with its trainees, original assessments and ``assessment_ids``."""

    def record_rows(self, record_id: int) -> list[Assessment]:
        """Every assessment row written under a record (originals and corrections), by id."""

    def records_between(self, first: date, last: date) -> list[tuple[TaskRecord, list[Assessment]]]:
        """The records of the days from ``first`` to ``last``, each with its rows."""

    def add_transfer(
        self, trainee: int, from_diploma: str, to_diploma: str, note: str | None
    ) -> None:
        """Record that a trainee now prepares another diploma, and switch them to it."""

    def assessments_on(self, trainee: int, sources: Sequence[tuple[str, str]]) -> list[Assessment]:
        """A trainee's rows recorded under any of these (diploma, competency) pairs."""

    def assessment(self, assessment_id: int) -> Assessment | None:
        """One assessment row by id."""

    def assessments(self, trainee: int, competency: str | None = None) -> list[Assessment]:
        """A trainee's rows (on one competency, if given), oldest first."""

    def iter_assessments(self, trainees: Sequence[int] | None = None) -> Iterator[Assessment]:
        """Every row, grouped by trainee then competency, streamed (never all in memory)."""

    def records(self, trainee: int) -> list[TaskRecord]:
        """A trainee's task records, oldest first."""

    def pair_summaries(
        self,
        diploma: str,
        *,
        values: Mapping[str, int],
        weights: Mapping[str, float],
        limit: int,
        since: date | None = None,
        trainees: Sequence[int] | None = None,
        pairs: Sequence[tuple[int, str]] | None = None,
    ) -> Iterator[PairSummary]:
        """Per pair recorded under ``diploma``: aggregates and the last ``limit`` scoring rows,
        computed in the database (see :func:`ep_skills.engine.compute.summarise`)."""

    def recent_window(
        self,
        trainee: int,
        competency: str,
        diploma: str,
        *,
        values: Mapping[str, int],
        weights: Mapping[str, float],
        limit: int,
        own: bool,
    ) -> list[tuple[Assessment, int, float]]:
        """At least the last ``limit`` effective scoring rows of a pair (official, or the
        self-assessments with ``own``), newest first, reading no more than that."""

    def contexts_seen(
        self,
        trainee: int,
        competency: str,
        diploma: str,
        contexts: Sequence[str],
        *,
        levels: Sequence[str],
        before: int,
    ) -> set[str]:
        """Which of ``contexts`` an earlier (id < ``before``) official scoring row has."""

    def write_mark(self) -> tuple[int, ...]:
        """A value that changes with every committed write (to tell, after an interruption,
        whether a write reached the database)."""

    def last_assessment_id(self) -> int:
        """The highest assessment id so far (0 for an empty journal)."""

    def last_record_id(self) -> int:
        """The highest task record id so far (0 for an empty journal)."""

    def count_assessments(self) -> int:
        """How many assessment rows the journal holds."""

    # who wrote what
    def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append lines to the audit (inside ``transaction()``, with the write they tell of)."""

    def audit(
        self,
        *,
        trainee: int | None = None,
        author: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """The audit's lines, oldest first (the newest ``limit`` of them, if given)."""

    # derived states (a cache of the engine's results, rebuilt by a full recompute)
    def save_states(self, rows: Iterable[StateRow]) -> None:
        """Insert or replace stored leaf states."""

    def states(self, trainees: Sequence[int]) -> list[StateRow]:
        """The stored leaf states of these trainees."""

    def fresh_states(
        self, trainees: Sequence[int], fingerprints: Mapping[str, str]
    ) -> list[StateRow] | None:
        """The stored leaf states of these trainees if every key of ``fingerprints`` holds
        its value in ``meta`` (the states were stored under these settings), else None."""

    def clear_states(self, trainees: Sequence[int] | None = None) -> None:
        """Forget stored states (of these trainees, or all)."""
