"""A school's software embedding ep-skills, written against the public API only.

The test suite type-checks this file with ``mypy --strict`` and runs it (tests/test_public_api.py):
it is what a developer of a school's web application writes, from docs/api.md alone.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import ep_skills
from ep_skills import (
    AlreadyExistsError,
    ConflictError,
    EpSkillsError,
    InvalidValueError,
    Journal,
    NotFoundError,
    Trainee,
    open_journal,
)


def http_status(error: EpSkillsError) -> int:
    """What a web API answers, chosen by the error's class, never by its message."""
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, AlreadyExistsError | ConflictError):
        return 409
    if isinstance(error, InvalidValueError):
        return 422
    return 500


def sync_students(journal: Journal, students: list[dict[str, str]]) -> list[Trainee]:
    """Bring the school's students into the journal: create, or update who changed."""
    synced = []
    for student in students:
        try:
            known = journal.trainee(external_id=student["id"])
        except NotFoundError:
            synced.append(
                journal.add_trainee(
                    student["name"],
                    diploma="cap-cip",
                    cohort=student["cohort"],
                    external_id=student["id"],
                    metadata={"classe": student["cohort"]},
                )
            )
            continue
        if known.name != student["name"]:
            known = journal.rename_trainee(known, student["name"], author="sync", note="SIS")
        synced.append(known)
    return synced


def main(folder: Path) -> None:
    journal = open_journal(folder / "school.db", create=True, today=date(2026, 11, 20))
    first = sync_students(
        journal,
        [
            {"id": "S-001", "name": "Léa Martin", "cohort": "2026"},
            {"id": "S-002", "name": "Léa Martin", "cohort": "2026"},  # a homonym
            {"id": "S-003", "name": "Hugo Bernard", "cohort": "2026"},
        ],
    )
    assert [t.external_id for t in first] == ["S-001", "S-002", "S-003"]
    # The school's software renamed S-003; syncing again updates, never duplicates.
    again = sync_students(
        journal, [{"id": "S-003", "name": "Hugo Bernard-Petit", "cohort": "2026"}]
    )
    assert again[0].id == first[2].id and again[0].name == "Hugo Bernard-Petit"
    assert len(journal.trainees()) == 3

    # Homonyms: a name alone does not say who; an id or an external id does.
    refused: EpSkillsError | None = None
    try:
        journal.record(["Léa Martin"], task="conduire-ligne-mode-normal")
    except ConflictError as error:
        refused = error
    assert refused is not None and http_status(refused) == 409 and refused.field == "trainee"
    lea = journal.trainee(external_id="S-001")
    record = journal.record(
        [lea, first[2].id],
        task="conduire-ligne-mode-normal",
        day=date(2026, 11, 16),
        context={"machine": ["presse"]},
    )
    assert record.machine == ("presse",) and record.id > 0

    # Errors a program branches on, each with the field and the value at fault.
    cases: list[tuple[str, int]] = []
    for attempt in (
        lambda: journal.trainee(external_id="S-999"),
        lambda: journal.add_trainee("Zoé", diploma="cap-cip", external_id="S-001"),
        lambda: journal.record([lea], task="conduire-ligne-mode-normal", autonomy=9),
        lambda: journal.record([lea], task="pas-une-tache"),
    ):
        try:
            attempt()
        except EpSkillsError as error:
            cases.append((str(error.field), http_status(error)))
    assert cases == [("external_id", 404), ("external_id", 409), ("autonomy", 422), ("task", 404)]

    # A trainee who leaves: out of lists, evidence kept, history of the change kept.
    left = journal.archive_trainee(first[1], day=date(2026, 11, 18), note="fin de contrat")
    assert left.archived == date(2026, 11, 18)
    assert [t.external_id for t in journal.trainees()] == ["S-003", "S-001"]
    assert len(journal.trainees(archived=True)) == 3
    changes = journal.trainee_changes(left)
    assert [c.kind for c in changes] == ["archive"]

    # Data out: JSON-ready forms with ids and names.
    progress = journal.progress(lea)
    data = progress.to_dict()
    json.dumps(data)
    explanation = journal.explain(lea, "CP04")
    json.dumps(explanation.to_dict())
    json.dumps(ep_skills.to_dict(journal.trainee(lea.id)))
    assert data["trainee"]["id"] == lea.id
    journal.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
