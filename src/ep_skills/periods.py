"""Closed periods (« période arrêtée »): what a jury or a periodic review saw, kept for ever.

Closing a period (the end of a semester, an exam session) keeps, in the journal, a snapshot of
each trainee's states and of the evidence they rest on, with a content hash (SHA-256), and the
marks of the journal at that moment. Later entries — new work, and corrections of the
period's own entries — apply after it: :func:`as_of` gives the journal as it stood, read-only,
and a livret or a grid printed from it is the same whatever was written since. The trainee and
the instructor sign the period off (each sign-off recorded, with who and when): the periodic
review (« bilan périodique »). :func:`check` recomputes each snapshot and says whether it still
matches its hash.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from attrs import evolve, frozen

from ep_skills.errors import AlreadyExistsError, InvalidValueError, NotFoundError
from ep_skills.i18n import _
from ep_skills.journal.audit import current_author, now
from ep_skills.journal.versions import append_version, latest_versions

if TYPE_CHECKING:
    from ep_skills.api import Journal
    from ep_skills.journal.model import Trainee

__all__ = [
    "Period",
    "SignOff",
    "Signer",
    "as_of",
    "check",
    "close_period",
    "get_period",
    "periods",
    "sign_off",
    "sign_offs",
]

_PERIOD = "period:"
_SNAPSHOT = "period-snapshot:"
_SIGN = "period-sign:"
_SEP = "\x1f"


class Signer(StrEnum):
    """Who signs a period off."""

    TRAINEE = "trainee"
    INSTRUCTOR = "instructor"


@frozen
class Period:
    """A closed period: its last day, when it was closed and by whom, the journal's marks at
    that moment, and the hash of every trainee's snapshot."""

    name: str
    end: date
    closed_at: datetime
    closed_by: str
    assessments: int
    """The last assessment row written when it was closed."""
    records: int
    """The last task record written when it was closed."""
    cohort: str | None
    digests: dict[int, str]
    """Each trainee's snapshot hash (SHA-256 of its canonical JSON)."""

    @property
    def digest(self) -> str:
        """The period's own hash: its marks and every trainee's."""
        return _hash({"end": self.end.isoformat(), "digests": _keys(self.digests)})

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "end": self.end.isoformat(),
            "closed_at": self.closed_at.isoformat(),
            "closed_by": self.closed_by,
            "assessments": self.assessments,
            "records": self.records,
            "cohort": self.cohort,
            "digests": _keys(self.digests),
            "digest": self.digest,
        }


@frozen
class SignOff:
    """A sign-off of a period for one trainee (« visa »)."""

    period: str
    trainee: int
    signer: Signer
    by: str
    at: datetime
    note: str | None = None


def _keys(digests: dict[int, str]) -> dict[str, str]:
    return {str(k): v for k, v in sorted(digests.items())}


def _hash(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def as_of(journal: Journal, period: str | Period) -> Journal:
    """The journal as it stood when ``period`` was closed: read-only, ``today`` its last day."""
    from ep_skills.api import Journal
    from ep_skills.journal.frozen import FrozenStorage

    found = period if isinstance(period, Period) else get_period(journal, period)
    storage = FrozenStorage(
        journal.storage,
        end=found.end,
        assessments=found.assessments,
        records=found.records,
        closed_at=found.closed_at,
        period=found,
    )
    return Journal(storage, journal.registry, school=journal.school, today=found.end)


def snapshot(frozen: Journal, person: Trainee) -> dict[str, Any]:
    """A trainee's leaf states and the evidence they rest on, in a journal as of a period
    (everything above the leaves — blocs, épreuves — is computed from these)."""
    leaves = frozen.leaf_states(person.id)
    return {
        "trainee": person.id,
        "diploma": person.diploma,
        "states": {
            code: [state.state, state.score, state.acquired]
            for code, state in sorted(leaves.items())
        },
        "evidence": sorted(r.id for r in frozen.storage.assessments(person.id)),
    }


def close_period(
    journal: Journal,
    name: str,
    end: date,
    *,
    cohort: str | None = None,
) -> Period:
    """Close a period: the snapshot of every trainee (of ``cohort``, if given) as of ``end``,
    kept with its hash. A period is closed once (a name is never reused)."""
    name = (name or "").strip()
    if not name or _SEP in name or ":" in name:
        raise InvalidValueError(_("a period needs a name (without « : »)"), field="period")
    if end > journal.today:
        raise InvalidValueError(_("a period cannot end after today"), field="end")
    with journal.storage.transaction():
        if name in latest_versions(journal.storage, _PERIOD):
            raise AlreadyExistsError(
                _("the period {name!r} is already closed").format(name=name), field="period"
            )
        people = journal.trainees(cohort) if cohort else journal.trainees()
        if not people:
            raise NotFoundError(_("no trainee to close the period for"), field="cohort")
        period = Period(
            name=name,
            end=end,
            closed_at=now(),
            closed_by=current_author(),
            assessments=journal.storage.last_assessment_id(),
            records=journal.storage.last_record_id(),
            cohort=cohort,
            digests={},
        )
        frozen = as_of(journal, period)
        digests = {}
        for person in people:
            taken = snapshot(frozen, person)
            digests[person.id] = _hash(taken)
            append_version(journal.storage, _SNAPSHOT, f"{name}{_SEP}{person.id}", taken)
        period = evolve(period, digests=digests)
        data = period.to_dict()
        append_version(journal.storage, _PERIOD, name, data)
        journal.audit_write(
            "period.close", [p.id for p in people], subject=name, digest=period.digest
        )
    return period


def _period(data: dict[str, Any]) -> Period:
    return Period(
        name=data["name"],
        end=date.fromisoformat(data["end"]),
        closed_at=datetime.fromisoformat(data["closed_at"]),
        closed_by=data["closed_by"],
        assessments=int(data["assessments"]),
        records=int(data["records"]),
        cohort=data.get("cohort"),
        digests={int(k): v for k, v in data["digests"].items()},
    )


def periods(journal: Journal) -> list[Period]:
    """Every closed period, the latest last day first."""
    found = [_period(data) for _v, data in latest_versions(journal.storage, _PERIOD).values()]
    return sorted(found, key=lambda p: (p.end, p.closed_at), reverse=True)


def get_period(journal: Journal, name: str) -> Period:
    """One closed period by name."""
    found = latest_versions(journal.storage, _PERIOD).get(name)
    if found is None:
        known = ", ".join(p.name for p in periods(journal)) or "—"
        raise NotFoundError(
            _("no closed period {name!r} (closed: {known})").format(name=name, known=known),
            field="period",
            value=name,
        )
    return _period(found[1])


def check(journal: Journal, name: str) -> list[int]:
    """The trainees whose snapshot no longer matches its hash (none: the period is intact).

    A snapshot can only change if the evidence it rests on was changed outside ep-skills, or
    the diploma's referential or settings changed since (the states are computed again)."""
    period = get_period(journal, name)
    frozen = as_of(journal, period)
    changed = []
    for trainee, digest in sorted(period.digests.items()):
        if _hash(snapshot(frozen, frozen.trainee(trainee))) != digest:
            changed.append(trainee)
    return changed


def sign_off(
    journal: Journal,
    name: str,
    trainee: str | int | Trainee,
    *,
    signer: Signer | str,
    by: str,
    note: str | None = None,
) -> SignOff:
    """Record that the trainee or their instructor signed the period off (recorded for good:
    a sign-off is never taken back, another one may follow)."""
    period = get_period(journal, name)
    person = journal.trainee(trainee)
    if person.id not in period.digests:
        raise NotFoundError(
            _("{name} is not in the period {period!r}").format(name=person.name, period=name),
            field="trainee",
        )
    try:
        role = Signer(signer)
    except ValueError:
        raise InvalidValueError(
            _("a period is signed by the trainee or the instructor, not {value!r}").format(
                value=signer
            ),
            field="signer",
        ) from None
    by = (by or "").strip()
    if not by:
        raise InvalidValueError(_("say who signs (--by)"), field="by")
    done = SignOff(name, person.id, role, by, now(), note)
    with journal.storage.transaction():
        append_version(
            journal.storage,
            _SIGN,
            f"{name}{_SEP}{person.id}{_SEP}{role}",
            {"by": by, "at": done.at.isoformat(), "note": note, "digest": period.digest},
        )
        journal.audit_write("period.sign", [person.id], subject=name, signer=str(role))
    return done


def sign_offs(journal: Journal, name: str) -> list[SignOff]:
    """The latest sign-off of each trainee and signer for a period."""
    found = []
    for key, (_v, data) in latest_versions(journal.storage, f"{_SIGN}{name}{_SEP}").items():
        trainee, _sep, role = key.partition(_SEP)
        found.append(
            SignOff(
                name,
                int(trainee),
                Signer(role),
                data["by"],
                datetime.fromisoformat(data["at"]),
                data.get("note"),
            )
        )
    return sorted(found, key=lambda s: (s.trainee, s.signer))
