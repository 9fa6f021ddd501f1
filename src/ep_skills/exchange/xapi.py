"""xAPI statements (ADL Experience API 1.0.3) of the assessments, for a school's LRS.

One statement per assessment (« évaluation »): *the trainee scored a level on a competency*,
with the instructor, the production order and the task record as context, on the day it was
done. A correction voids the statement of the entry it corrects (and, unless it withdraws it,
says the new level in a statement of its own), so that an LRS that received the first export
ends up with what the journal counts.

Where each detail was read:

- The statement's properties, Agent ``account`` (``homePage`` IRL, ``name``), Score
  (``scaled`` between -1 and 1, ``raw``, ``min``, ``max``), Context (``registration`` UUID,
  ``instructor``, ``contextActivities`` ``grouping``: "an Activity with an indirect relation to
  the Activity which is the Object"), ``timestamp``, extensions keyed by IRIs, statement ids
  as UUIDs chosen by the Learning Record Provider, and voiding with the reserved verb
  ``http://adlnet.gov/expapi/verbs/voided`` and a ``StatementRef`` object: adlnet/xAPI-Spec,
  ``xAPI-Data.md`` at tag 1.0.3 (commit 0260d1c38721d952c74888fa91e6ea4c66a672de),
  sections 2.3.2, 2.4, 2.4.5.1, 2.4.6, 2.4.7 and 4.1.
- The verb ``http://adlnet.gov/expapi/verbs/scored`` — "Indicates a numerical value related
  to an actor's performance on an activity" — and the activity type
  ``http://adlnet.gov/expapi/activities/objective`` — "An objective determines whether
  competency has been achieved in a desired area": ADL's SCORM profile,
  adlnet/xapi-authored-profiles ``scorm/v1.0/scorm.jsonld`` (commit
  23819e200f4ed09ebe862334328e05e2cbab275c). *scored* rather than *completed*: an assessment
  gives a level on the scale, a number; it does not finish the competency, which the engine
  decides from many assessments.
- The statements are checked in the tests with ralph's pydantic models
  (``ralph.models.xapi.base.statements.BaseXapiStatement``, ralph-malph).

**Identities.** The trainee is an Agent with an ``account`` on the school's home page whose
name is an opaque UUID (:func:`ep_skills.exchange.badges.trainee_ref`, the same as in the
school's badges): never their name. The instructor is named as the journal records the
assessor: the staff member who vouches for the level. The competency's activity id is
``urn:uuid:`` + its CASE item id, the same in every school, so that a network's LRS sees one
activity per competency.

**Ids.** A statement's id is a UUID derived from the school's home page and the assessment's
number in the journal: exporting again gives the same ids, and an LRS keeps each once. The
numbers are those of the journal exported: a workshop PC's journal and the school's server
number the same entry differently, so export from one of them only.

Self-assessments (role ``auto``) and non-scoring levels (absent, not assessed…) are not
exported: the first are never mixed with the official state, the second are no score.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ep_skills.errors import InvalidValueError
from ep_skills.exchange.badges import NAMESPACE, case_item_id, trainee_ref
from ep_skills.i18n import _

if TYPE_CHECKING:
    from ep_skills.api import Journal
    from ep_skills.journal.model import Assessment, Trainee

__all__ = [
    "ACTIVITY_TYPE",
    "VERB_SCORED",
    "VERB_VOIDED",
    "VERSION",
    "statement_id",
    "statements",
    "write_statements",
]

VERSION = "1.0.3"
"""The xAPI version the statements follow; not written in them: a Learning Record Provider
"SHOULD NOT set" it, and if it does "MUST set it to 1.0.0" (xAPI-Data.md §2.4.10)."""
VERB_SCORED = "http://adlnet.gov/expapi/verbs/scored"
VERB_VOIDED = "http://adlnet.gov/expapi/verbs/voided"
ACTIVITY_TYPE = "http://adlnet.gov/expapi/activities/objective"


def statement_id(home: str, assessment_id: int) -> uuid.UUID:
    """The id of the statement of an assessment (stable: the same at every export)."""
    return uuid.uuid5(NAMESPACE, f"{home}/assessment/{assessment_id}")


def _void_id(home: str, assessment_id: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{home}/assessment/{assessment_id}/voided")


def _extension(home: str, name: str) -> str:
    # Extension keys must be IRIs; their controller is the school that publishes them.
    return f"{home}/xapi/extensions/{name}"


def _check_home(home: str) -> str:
    if not isinstance(home, str) or not home.startswith(("https://", "http://")):
        raise InvalidValueError(
            _("the school's address must be a web address (https://…), not {value!r}").format(
                value=home
            ),
            field="home",
            value=home,
        )
    return home.rstrip("/")


def _timestamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _actor(home: str, person: Trainee) -> dict[str, Any]:
    return {
        "objectType": "Agent",
        "account": {"homePage": home, "name": str(trainee_ref(home, person.id))},
    }


def _scored(home: str, person: Trainee, row: Assessment, title: str, value: int) -> dict[str, Any]:
    context: dict[str, Any] = {
        "registration": str(uuid.uuid5(NAMESPACE, f"{home}/record/{row.record}")),
        "extensions": {_extension(home, "assessor-role"): str(row.role)},
    }
    if row.assessor:
        context["instructor"] = {
            "objectType": "Agent",
            "account": {"homePage": home, "name": row.assessor},
        }
    if row.order:
        context["contextActivities"] = {
            "grouping": [
                {"objectType": "Activity", "id": f"{home}/orders/{quote(row.order, safe='')}"}
            ]
        }
    result: dict[str, Any] = {
        "score": {"scaled": round(value / 100, 2), "raw": value, "min": 0, "max": 100},
        "extensions": {_extension(home, "level"): row.level},
    }
    if row.autonomy is not None:
        result["extensions"][_extension(home, "autonomy")] = row.autonomy
    return {
        "id": str(statement_id(home, row.id)),
        "actor": _actor(home, person),
        "verb": {"id": VERB_SCORED, "display": {"en-US": "scored", "fr": "a obtenu"}},
        "object": {
            "objectType": "Activity",
            "id": f"urn:uuid:{case_item_id(row.diploma, row.competency)}",
            "definition": {
                "type": ACTIVITY_TYPE,
                "name": {"fr": f"{row.competency} {title}".strip()},
            },
        },
        "result": result,
        "context": context,
        "timestamp": _timestamp(row.day),
    }


def _voiding(home: str, row: Assessment, voided: int) -> dict[str, Any]:
    # The school voids: the voiding statement's actor is the school's own account.
    return {
        "id": str(_void_id(home, voided)),
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": "ep-skills"}},
        "verb": {"id": VERB_VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": str(statement_id(home, voided))},
        "timestamp": _timestamp(row.day),
    }


def _recorded_on(row: Assessment) -> date:
    return row.recorded_at.date() if row.recorded_at is not None else row.day


def statements(
    journal: Journal,
    home: str,
    trainee: str | int | Trainee | None = None,
    since: date | None = None,
) -> Iterator[dict[str, Any]]:
    """The xAPI statements of the assessments of a trainee (or of every trainee, archived
    ones included), oldest first.

    :param home: the school's web address: the account home page of trainees and
        instructors, and the base of the ids (the same as the badges' issuer address).
    :param since: only entries written to the journal on that day or later (a correction
        written today of an old entry is one of them), for an export each week.
    """
    from ep_skills.journal.model import Role

    home = _check_home(home)
    people = (
        [journal.trainee(trainee)]
        if trainee is not None
        else journal.trainees(archived=True)  # everyone, those who left included
    )
    titles: dict[str, dict[str, str]] = {}
    for person in people:
        rows = sorted(journal.storage.assessments(person.id), key=lambda r: r.id)
        for row in rows:
            if since is not None and _recorded_on(row) < since:
                continue
            if row.supersedes is not None:
                yield _voiding(home, row, row.supersedes)
            if row.withdrawn or row.role == Role.AUTO:
                continue
            info = journal.diploma(row.diploma or person.diploma)
            level = info.scale.level(row.level)
            if level is None or level.value is None:
                continue
            if info.referential.id not in titles:  # read once per diploma
                titles[info.referential.id] = {
                    c.code: c.title for c in info.referential.all_competencies()
                }
            yield _scored(
                home, person, row, titles[info.referential.id].get(row.competency, ""), level.value
            )


def write_statements(
    path: str | Path,
    journal: Journal,
    home: str,
    trainee: str | int | Trainee | None = None,
    since: date | None = None,
    *,
    force: bool = False,
) -> int:
    """Write the statements as JSON Lines (one statement a line) to ``path``; returns how many.

    The file is written whole or not at all, readable by its owner only, and an existing file
    is replaced only with ``force``.
    """
    from ep_skills.outputs import check_target, replacing

    check_target(path, force=force)  # before the work, not only at the end
    found = list(statements(journal, home, trainee, since))
    with replacing(path, force=force) as scratch, scratch.open("w", encoding="utf-8") as out:
        for statement in found:
            out.write(json.dumps(statement, ensure_ascii=False, sort_keys=True) + "\n")
    return len(found)
