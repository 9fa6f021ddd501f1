"""The exam session of each cohort (« session d'examen »), overridable per trainee.

A school says when its cohorts sit their exam and how (CCF, or ponctuel: the écoles de
production outside a State contract mostly sit the ponctuel exams). Kept in the journal's
``meta`` table, append-only like everything there: each change is a new key
(``exam:cohort:<cohort>:<version>``, ``exam:trainee:<id>:<version>``), the latest wins, the
earlier ones stay as a history.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from enum import StrEnum

from attrs import frozen

from ep_skills.journal.storage import Storage

__all__ = ["ExamMode", "ExamSession", "exam_sessions", "save_exam_session"]

_PREFIX = "exam:"


class ExamMode(StrEnum):
    """How the épreuves are sat (« mode d'évaluation »)."""

    PONCTUEL = "ponctuel"
    """At the end, on the session's days (« épreuves ponctuelles »)."""
    CCF = "ccf"
    """In the course of training (« contrôle en cours de formation »)."""


@frozen
class ExamSession:
    """When and how a cohort, or one trainee, sits the exam."""

    day: date
    mode: ExamMode
    cohort: str | None = None
    """The cohort it was set for; None when set for the trainee alone."""
    trainee: int | None = None


def exam_sessions(storage: Storage) -> tuple[dict[str, ExamSession], dict[int, ExamSession]]:
    """The latest session of each cohort, and of each trainee who has their own."""
    latest: dict[tuple[str, str], tuple[int, ExamSession]] = {}
    for key, raw in storage.meta_items(_PREFIX).items():
        kind, _sep, rest = key.removeprefix(_PREFIX).partition(":")
        who, _sep, version = rest.rpartition(":")
        data = json.loads(raw)
        session = ExamSession(
            day=date.fromisoformat(data["day"]),
            mode=ExamMode(data["mode"]),
            cohort=who if kind == "cohort" else None,
            trainee=int(who) if kind == "trainee" else None,
        )
        if (kind, who) not in latest or int(version) > latest[(kind, who)][0]:
            latest[(kind, who)] = (int(version), session)
    cohorts = {who: s for (kind, who), (_v, s) in latest.items() if kind == "cohort"}
    trainees = {int(who): s for (kind, who), (_v, s) in latest.items() if kind == "trainee"}
    return cohorts, trainees


def save_exam_session(storage: Storage, session: ExamSession) -> None:
    """Write ``session`` as the newest version of its cohort's or trainee's (inside the
    caller's transaction)."""
    kind, who = (
        ("cohort", session.cohort) if session.cohort is not None else ("trainee", session.trainee)
    )
    prefix = f"{_PREFIX}{kind}:{who}:"
    versions = [int(key.rpartition(":")[2]) for key in storage.meta_items(prefix)]
    data = {
        "day": session.day.isoformat(),
        "mode": str(session.mode),
        "changed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    storage.set_meta(
        f"{prefix}{max(versions, default=0) + 1:06d}", json.dumps(data, sort_keys=True)
    )
