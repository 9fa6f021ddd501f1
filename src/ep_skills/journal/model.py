"""What the journal records: trainees, production orders, task records and assessments.

Evidence is append-only. A correction is a new :class:`Assessment` whose ``supersedes``
names the one it replaces (``withdrawn`` for one that should not have been recorded); the
replaced row stays in the journal and in every explanation's history.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from attrs import field, frozen

__all__ = [
    "TRAINEE_FIELDS",
    "Assessment",
    "AssessmentInput",
    "Correction",
    "ImportBatch",
    "Order",
    "Photo",
    "Role",
    "TaskRecord",
    "Trainee",
    "TraineeChange",
    "chain_roots",
    "effective_assessments",
    "name_key",
]


@lru_cache(maxsize=4096)  # an import looks the same names up for every row
def name_key(name: str) -> str:
    """How two spellings of a name are recognised as the same: case, accents and spaces aside.

    « Élodie  Durand » and « elodie durand » are one trainee.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


class Role(StrEnum):
    """The assessor's role (« rôle de l'évaluateur »)."""

    MAITRE = "maitre"
    """Maître professionnel: the workshop instructor."""
    ENSEIGNANT = "enseignant"
    """Teacher of general or technical subjects."""
    TUTEUR = "tuteur"
    """Company tutor during a PFMP."""
    AUTO = "auto"
    """Self-assessment by the trainee: shown beside the official state, never mixed in."""


def _own_copy(value: Mapping[str, str]) -> dict[str, str]:
    # A trainee's metadata is theirs: changing the caller's dict later must not change it.
    return dict(value)


@frozen
class Trainee:
    """A trainee (« jeune », « apprenant ») preparing one diploma."""

    id: int
    name: str
    diploma: str
    cohort: str | None = None
    start_date: date | None = None
    option: str | None = None
    """The diploma option the trainee prepares (« option A »), when the diploma has options."""
    external_id: str | None = None
    """The trainee's id in the school's other software (unique in a journal): how that
    software finds them again, and tells two trainees of the same name apart."""
    metadata: Mapping[str, str] = field(factory=dict, converter=_own_copy, hash=False)
    """Free information the school's software keeps with the trainee (never evidence)."""
    archived: date | None = None
    """The day the trainee left (« sorti »): out of lists and matrices, evidence kept."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (:func:`ep_skills.forms.to_dict`, schema in docs/schema/)."""
        from ep_skills.forms import to_dict

        return to_dict(self)


TRAINEE_FIELDS = ("name", "cohort", "start_date", "option", "external_id", "metadata", "archived")
"""What a trainee change (:class:`TraineeChange`) may change; the diploma changes by a
transfer, and the id never."""


@frozen
class TraineeChange:
    """One change of a trainee (« modification de la fiche »): a rename, an update, leaving
    (archive) or coming back (restore). Kept for ever, like evidence."""

    id: int
    trainee: int
    kind: str
    """``update``, ``archive`` or ``restore``."""
    changes: tuple[tuple[str, str | None, str | None], ...]
    """``(field, before, after)`` for each field changed, values as text (dates ISO,
    metadata JSON)."""
    author: str | None
    note: str | None
    recorded_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (:func:`ep_skills.forms.to_dict`, schema in docs/schema/)."""
        from ep_skills.forms import to_dict

        return to_dict(self)


@frozen
class Order:
    """A production order from a real customer (« commande », « ordre de fabrication »)."""

    ref: str
    customer: str
    title: str
    quantity: int | None = None
    received: date | None = None
    due: date | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (:func:`ep_skills.forms.to_dict`, schema in docs/schema/)."""
        from ep_skills.forms import to_dict

        return to_dict(self)


@frozen
class AssessmentInput:
    """One assessment to record: a competency, a level, optionally who and how autonomous."""

    competency: str
    level: str
    autonomy: int | None = None
    """1 guided … 4 autonomous (« niveau d'autonomie »)."""
    note: str | None = None


@frozen
class TaskRecord:
    """A task done on a day by one or more trainees, possibly on an order, with assessments.

    ``assessments`` apply to each trainee of ``trainees`` alike; ``id`` is 0 until written.
    """

    trainees: tuple[int, ...]
    day: date
    assessments: tuple[AssessmentInput, ...]
    diploma: str = ""
    """The diploma the assessments are recorded under (the trainees' diploma at the time)."""
    task: str | None = None
    """Id of the catalogue task, when the record is one."""
    description: str | None = None
    order: str | None = None
    minutes: int | None = None
    process: tuple[str, ...] = ()
    machine: tuple[str, ...] = ()
    material: tuple[str, ...] = ()
    assessor: str | None = None
    role: Role = Role.MAITRE
    note: str | None = None
    id: int = 0
    assessment_ids: tuple[int, ...] = ()
    """Once written: the ids of its assessments, trainee by trainee in the order of
    ``trainees``, then in the order of ``assessments`` (« évaluations n° … »)."""
    recorded_at: datetime | None = None
    """When it was written (set on records read back from the journal)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (:func:`ep_skills.forms.to_dict`, schema in docs/schema/)."""
        from ep_skills.forms import to_dict

        return to_dict(self)


@frozen
class ImportBatch:
    """One import of a file (« import n° 3 »): which file, by content, and what it added."""

    id: int
    file_name: str
    file_sha256: str
    rows: int
    new_records: int
    existing_records: int
    recorded_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (:func:`ep_skills.forms.to_dict`, schema in docs/schema/)."""
        from ep_skills.forms import to_dict

        return to_dict(self)


@frozen
class Photo:
    """A photo of the work (« photo de la pièce »), kept once by the SHA-256 of its content,
    its metadata (place, device, date) stripped before it is stored."""

    sha256: str
    mime: str
    width: int
    height: int
    size: int
    """Bytes."""
    recorded_at: datetime | None = None


@frozen
class Correction:
    """A correction or withdrawal about to be written, as plugins that check evidence see it."""

    original: Assessment
    """The entry as it stands now (the latest of its chain)."""
    level: str | None
    """The new level; None for a withdrawal."""

    @property
    def withdraw(self) -> bool:
        """Whether the entry is withdrawn rather than given a new level."""
        return self.level is None


@frozen
class Assessment:
    """One assessment as stored: a trainee's level on a competency, on a given day."""

    id: int
    record: int
    trainee: int
    competency: str
    level: str
    day: date
    role: Role
    assessor: str | None = None
    autonomy: int | None = None
    note: str | None = None
    order: str | None = None
    task: str | None = None
    supersedes: int | None = None
    withdrawn: bool = False
    recorded_at: datetime | None = None
    diploma: str = ""
    """The diploma it was recorded under; evidence of a replaced diploma keeps its own."""
    via: str | None = None
    """Set when the row counts through a correspondence table: the old diploma and code."""

    @property
    def context(self) -> str:
        """What makes two assessments different situations: the order, else the task."""
        if self.order:
            return f"order:{self.order}"
        return f"task:{self.task or self.record}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (:func:`ep_skills.forms.to_dict`, schema in docs/schema/)."""
        from ep_skills.forms import to_dict

        return to_dict(self)


def effective_assessments(rows: Iterable[Assessment]) -> list[Assessment]:
    """The rows that still count: for each original assessment, its latest correction.

    Corrections form chains (a correction may itself be corrected); only the newest row of a
    chain counts, and not at all if it withdraws the assessment.
    """
    rows = list(rows)
    roots = chain_roots(rows)
    latest: dict[int, Assessment] = {}
    for row in rows:
        key = roots[row.id]
        if key not in latest or row.id > latest[key].id:
            latest[key] = row
    keep = {row.id for row in latest.values() if not row.withdrawn}
    return [row for row in rows if row.id in keep]


def chain_roots(rows: Iterable[Assessment]) -> dict[int, int]:
    """For each row, the id of the original assessment its chain of corrections starts from
    (the row's own id when it corrects nothing among ``rows``)."""
    by_id = {row.id: row for row in rows}
    roots = {}
    for start in by_id.values():
        row, seen = start, set()
        while row.supersedes is not None and row.supersedes in by_id and row.id not in seen:
            seen.add(row.id)
            row = by_id[row.supersedes]
        roots[start.id] = row.id
    return roots
