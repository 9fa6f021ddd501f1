"""The exam session of each cohort (« session d'examen »), overridable per trainee.

A school says when its cohorts sit their exam and how (CCF, or ponctuel: the écoles de
production outside a State contract mostly sit the ponctuel exams). Kept in the journal's
``meta`` table, append-only like everything there: each change is a new key
(``exam:cohort:<cohort>:<version>``, ``exam:trainee:<id>:<version>``), the latest wins, the
earlier ones stay as a history.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from attrs import frozen

from ep_skills.journal.storage import Storage
from ep_skills.journal.versions import append_version, latest_versions

__all__ = ["ExamMode", "ExamSession", "exam_sessions", "save_exam_session"]

_COHORT = "exam:cohort:"
_TRAINEE = "exam:trainee:"


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
    cohorts = {
        cohort: ExamSession(date.fromisoformat(data["day"]), ExamMode(data["mode"]), cohort=cohort)
        for cohort, (_v, data) in latest_versions(storage, _COHORT).items()
    }
    trainees = {
        int(who): ExamSession(
            date.fromisoformat(data["day"]), ExamMode(data["mode"]), trainee=int(who)
        )
        for who, (_v, data) in latest_versions(storage, _TRAINEE).items()
    }
    return cohorts, trainees


def save_exam_session(storage: Storage, session: ExamSession) -> None:
    """Write ``session`` as the newest version of its cohort's or trainee's (inside the
    caller's transaction)."""
    prefix, who = (
        (_COHORT, session.cohort)
        if session.cohort is not None
        else (_TRAINEE, str(session.trainee))
    )
    append_version(
        storage, prefix, who, {"day": session.day.isoformat(), "mode": str(session.mode)}
    )
