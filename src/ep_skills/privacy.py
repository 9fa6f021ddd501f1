"""Everything a journal holds about one trainee, for them or their parents (RGPD, right of
access: « droit d'accès », article 15).

:func:`trainee_data` gathers it — identity and its history, every task record they are on
with every entry about them (corrections and withdrawals included, who and when), their
self-assessments, the photos of their work, their states and progress, what they still miss
and how their exam looks, their exam session, working time, what the register of young
workers holds, the plans that name them, the imports that brought their evidence, and their
bench-page account (never its password hash). :func:`export_trainee` writes it as one ZIP:
the data as JSON, the same as a readable PDF, their livret, and the photos.
"""

from __future__ import annotations

import json
import zipfile
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from ep_skills.errors import InvalidValueError
from ep_skills.forms import to_dict
from ep_skills.i18n import _

if TYPE_CHECKING:
    from ep_skills.api import Journal
    from ep_skills.journal.model import Trainee

__all__ = [
    "Retention",
    "export_trainee",
    "past_retention",
    "retention",
    "set_retention",
    "trainee_data",
]

_RETENTION = "privacy:retention:"


def _plain(value: Any) -> Any:
    """attrs objects, dates and tuples as JSON-ready data."""
    if hasattr(value, "__attrs_attrs__"):
        return to_dict(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def trainee_data(journal: Journal, who: str | int | Trainee) -> dict[str, Any]:
    """Everything the journal holds about a trainee, as JSON-ready data."""
    from ep_skills.journal.planning import availabilities, register
    from ep_skills.periods import periods, sign_offs
    from ep_skills.planning.proposal import accepted_plans
    from ep_skills.web.accounts import accounts

    person = journal.trainee(who)
    records = []
    for record in journal.storage.records(person.id):
        rows = [r for r in journal.storage.record_rows(record.id) if r.trainee == person.id]
        shown = _plain(record)
        # Team work: the others on the record are their own business (their ids included).
        shown["trainees"] = [person.id]
        shown["assessment_ids"] = [r.id for r in rows]
        records.append(
            {
                "record": shown,
                "entries": _plain(rows),
                "photos": [p.sha256 for p in journal.record_photos(record.id)],
                "import": journal.storage.import_of(record.id),
            }
        )
    batches = {r["import"] for r in records} - {None}
    entries = register(journal.storage)
    young = entries.people.get(person.id)
    plans = [
        {
            "start": plan["start"],
            "end": plan["end"],
            "accepted_at": plan.get("changed_at"),
            "assignments": [a for a in plan["assignments"] if a["trainee"] == person.name],
        }
        for plan in accepted_plans(journal)
        if any(a["trainee"] == person.name for a in plan["assignments"])
    ]
    session = journal.exam_session(person)
    time = availabilities(journal.storage).get(person.id)
    return {
        "trainee": _plain(person),
        "changes": _plain(journal.trainee_changes(person)),
        "records": records,
        "photos": _plain([photo for _record, _day, photo in journal.trainee_photos(person)]),
        "progress": journal.progress(person).to_dict(),
        "still_missing": _plain(journal.still_missing(person)),
        "outlook": _plain(journal.outlook(person)) if session is not None else None,
        "exam_session": _plain(session),
        "availability": _plain(time),
        "register": _plain(young),
        "plans": plans,
        "imports": [_plain(b) for b in journal.imports() if b.id in batches],
        "accounts": [
            {"login": a.login, "name": a.name, "kind": str(a.kind), "disabled": a.disabled}
            for a in accounts(journal)
            if a.trainee == person.id
        ],
        "periods": [
            {
                "period": p.name,
                "end": p.end.isoformat(),
                "digest": p.digests[person.id],
                "signed": [
                    {"by": s.by, "as": str(s.signer), "at": s.at.isoformat(), "note": s.note}
                    for s in sign_offs(journal, p.name)
                    if s.trainee == person.id
                ],
            }
            for p in periods(journal)
            if person.id in p.digests
        ],
        "audit": [entry.to_dict() for entry in journal.audit(person)],
    }


def _html(journal: Journal, person: Trainee, data: dict[str, Any]) -> str:
    from ep_skills.referential.model import local_codes
    from ep_skills.reports import template_environment

    info = journal.diploma(person.diploma)
    return str(
        template_environment()
        .get_template("data.html.j2")
        .render(
            data=data,
            entries=[
                {
                    **entry,
                    "description": item["record"]["description"],
                    # The record's note is about the whole task: shown on each of its lines.
                    "note": entry["note"] or item["record"]["note"],
                }
                for item in data["records"]
                for entry in item["entries"]
            ],
            title=_("Data held"),
            scale=info.scale,  # the levels' legend at the foot, as in the livret
            local=local_codes(info.referential),
            generated=journal.today,
        )
    )


def export_trainee(journal: Journal, who: str | int | Trainee, target: Path) -> Path:
    """Write everything held about a trainee to the ZIP ``target``: ``data.json``, the same
    readable in ``data.pdf``, their ``livret.pdf``, and ``photos/<sha256>.jpg``.

    :raises OutputError: ``target`` exists or cannot be written.
    """
    from ep_skills.outputs import replacing
    from ep_skills.reports import livret_pdf, write_pdf

    person = journal.trainee(who)
    data = trainee_data(journal, person)
    with replacing(target) as scratch:
        folder = scratch.parent
        pdf = folder / f".{scratch.name}.data.pdf"
        livret = folder / f".{scratch.name}.livret.pdf"
        try:
            write_pdf(_html(journal, person, data), pdf)
            livret_pdf(journal, person, livret)
            with zipfile.ZipFile(scratch, "w", zipfile.ZIP_DEFLATED) as bundle:
                bundle.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
                bundle.write(pdf, "data.pdf")
                bundle.write(livret, "livret.pdf")
                for photo in data["photos"]:
                    _meta, content = journal.photo(photo["sha256"])
                    bundle.writestr(f"photos/{photo['sha256']}.jpg", content)
        finally:
            pdf.unlink(missing_ok=True)
            livret.unlink(missing_ok=True)
    return target


# -- keeping period (« durée de conservation ») ---------------------------------------------------


class Since(StrEnum):
    """What a trainee's keeping period is counted from."""

    LEAVING = "leaving"
    """The day they left the school (``ep-skills trainee archive``)."""
    EXAM = "exam"
    """Their exam session (their own, else their cohort's)."""


@frozen
class Retention:
    """How long the school keeps a trainee's data, and from when (its decision, written in
    its register of processing; ep-skills only lists who is past it)."""

    months: int
    since: Since


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day (31 August + 6: 28/29 Feb)."""
    import calendar

    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retention(journal: Journal) -> Retention | None:
    """The keeping period set for the journal, or None."""
    from ep_skills.journal.versions import latest_versions

    found = latest_versions(journal.storage, _RETENTION).get("journal")
    if found is None:
        return None
    data = found[1]
    return Retention(int(data["months"]), Since(data["since"]))


def set_retention(journal: Journal, months: int, since: Since | str = Since.LEAVING) -> Retention:
    """Set the keeping period (a new version; the earlier ones stay).

    :raises InvalidValueError: not 1 to 1,200 months, or an unknown starting point.
    """
    from ep_skills.journal.versions import append_version

    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 1200:
        raise InvalidValueError(
            _("a keeping period is 1 to 1,200 months, not {value!r}").format(value=months),
            field="months",
        )
    try:
        start = Since(since)
    except ValueError:
        raise InvalidValueError(
            _("a keeping period counts from {known}, not {value!r}").format(
                known=" or ".join(s.value for s in Since), value=since
            ),
            field="since",
        ) from None
    with journal.storage.transaction():
        append_version(
            journal.storage, _RETENTION, "journal", {"months": months, "since": str(start)}
        )
        journal.audit_write("setting", subject="retention", months=months, since=str(start))
    return Retention(months, start)


def past_retention(journal: Journal, today: date | None = None) -> list[tuple[Trainee, date, date]]:
    """The trainees whose keeping period is over on ``today`` (the journal's by default):
    ``(trainee, counted from, over since)``, the longest over first. Empty when no period is
    set. A trainee still at school is never listed under « leaving »; one with no exam date
    never under « exam »."""
    period = retention(journal)
    if period is None:
        return []
    day = today or journal.today
    found = []
    for person in journal.trainees(archived=True):
        if period.since is Since.LEAVING:
            start = person.archived
        else:
            session = journal.exam_session(person)
            start = session.day if session is not None else None
        if start is None:
            continue
        over = _add_months(start, period.months)
        if over <= day:
            found.append((person, start, over))
    return sorted(found, key=lambda item: (item[2], item[0].name))
