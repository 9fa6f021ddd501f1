"""A plan for the workshop, from the journal (« qui fait quoi sur les commandes ouvertes »).

Reads what the journal holds — each trainee's gaps (:meth:`Journal.still_missing`), their exam
session, working time and the register of young workers, the open orders' tasks — makes the
:class:`~ep_skills.planning.model.Problem`, has it solved, and says the result in the
instructor's words: who does what, what it closes for them and how near their exam is, and
what could not be placed and why. An accepted plan is kept in the journal (append-only).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from ep_skills.errors import InvalidValueError
from ep_skills.i18n import _, ngettext
from ep_skills.planning.model import Job, Plan, Problem, Worker

if TYPE_CHECKING:
    from ep_skills.api import Journal
    from ep_skills.journal.model import Trainee

__all__ = [
    "DEFAULT_HOURS",
    "Line",
    "Proposal",
    "accept",
    "accepted_plans",
    "propose",
    "urgency",
    "write_xlsx",
]

DEFAULT_HOURS = 35
"""Hours a week assumed when a trainee's working time is not set: the most a young worker
may work (Code du travail L.3162-1), said as a warning on the plan."""

_ACCEPTED = "plan:accepted:"
_SEP = "|"  # a diploma and a code in the problem's competency keys


def urgency(weeks: int | None) -> int:
    """The weight of a trainee's gaps from the weeks left before their exam: 4 within two
    months, 3 within four, 2 within six, else (or no exam date) 1."""
    if weeks is None:
        return 1
    for limit, weight in ((8, 4), (16, 3), (26, 2)):
        if weeks <= limit:
            return weight
    return 1


@frozen
class Line:
    """One assignment said for the instructor."""

    trainee: str
    order: str
    task: str
    title: str
    minutes: int
    closes: tuple[str, ...]
    """Competency codes it counts toward for this trainee."""
    why: str
    """« C3.2 : 2 × V, 1 commande de plus ; examen dans 9 semaines »."""
    machine: str | None = None


@frozen
class Proposal:
    """A plan proposed for a period, with its explanation."""

    start: date
    end: date
    plan: Plan
    problem: Problem
    lines: tuple[Line, ...]
    unplaced: tuple[tuple[str, str, str, int, str], ...]
    """(order, task, title, places missing, reason) of each job short of trainees."""
    warnings: tuple[str, ...]
    """What the plan had to assume or leave aside (no exam date, no working time…)."""

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data: the period, the solver's figures, the lines, the unplaced."""
        score = self.plan.score
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "method": self.plan.method,
            "optimal": self.plan.optimal,
            "gap": self.plan.gap,
            "seconds": round(self.plan.seconds, 3),
            "score": {
                "staffed": score.staffed,
                "closed": score.closed,
                "spread": score.spread,
                "value": score.value,
                "bound": self.plan.bound,
            },
            "assignments": [
                {
                    "trainee": line.trainee,
                    "order": line.order,
                    "task": line.task,
                    "title": line.title,
                    "minutes": line.minutes,
                    "closes": list(line.closes),
                    "why": line.why,
                    "machine": line.machine,
                }
                for line in self.lines
            ],
            "unplaced": [
                {"order": o, "task": t, "title": title, "missing": n, "reason": reason}
                for o, t, title, n, reason in self.unplaced
            ],
            "warnings": list(self.warnings),
        }


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def propose(
    journal: Journal,
    start: date,
    end: date,
    *,
    cohort: str | None = None,
    method: str = "auto",
    time_limit: float = 10.0,
) -> Proposal:
    """Propose who does which task of the open orders between ``start`` and ``end``.

    :raises InvalidValueError: the period ends before it starts, or no trainee to plan for.
    """
    from ep_skills.journal.planning import availabilities, order_tasks, register
    from ep_skills.planning.solver import solve

    if end < start:
        raise InvalidValueError(
            _("the period ends ({end}) before it starts ({start})").format(
                end=end.isoformat(), start=start.isoformat()
            ),
            field="end",
        )
    people = journal.trainees(cohort)
    if not people:
        raise InvalidValueError(
            _("no trainee to plan for")
            + (_(" in cohort {cohort!r}").format(cohort=cohort) if cohort else ""),
            field="cohort",
        )
    warnings: list[str] = []
    times = availabilities(journal.storage)
    entries = register(journal.storage)
    orders = {o.ref: o for o in journal.orders()}
    tasks = [t for t in order_tasks(journal.storage) if t.order in orders]
    if not tasks:
        raise InvalidValueError(
            _("no task on the orders: say what each order asks for with ep-skills order task add"),
            field="orders",
        )
    machines = sorted({t.machine for t in tasks if t.machine})
    period = _days(start, end)

    workers = []
    weeks_left: dict[int, int | None] = {}
    missing_of: dict[int, dict[str, Any]] = {}
    for person in people:
        missing = journal.still_missing(person)
        missing_of[person.id] = missing
        needs = {
            f"{person.diploma}{_SEP}{code}": max(m.assessments, m.orders)
            for code, m in missing.items()
            if not m.acquired and m.reachable and max(m.assessments, m.orders) > 0
        }
        session = journal.exam_session(person)
        # Negative once the exam day is past (said so; as urgent as an exam this week).
        weeks = None if session is None else (session.day - start).days // 7
        weeks_left[person.id] = weeks
        if session is None:
            warnings.append(
                _(
                    "{name}: no exam date (ep-skills exam set): gaps weighed as if it were far"
                ).format(name=person.name)
            )
        time = times.get(person.id)
        if time is None:
            warnings.append(
                _(
                    "{name}: working time not set (ep-skills trainee availability): "
                    "{hours} h a week assumed"
                ).format(name=person.name, hours=DEFAULT_HOURS)
            )
            minutes = DEFAULT_HOURS * 60 * sum(1 for d in period if d.weekday() < 5) // 5
            days = frozenset(d for d in period if d.weekday() < 5)
        else:
            minutes, days = time.minutes(start, end), time.days(start, end)
        # The law on young workers: a machine only if allowed on every day of the period
        # (a dérogation, medical opinion or training that ends within it counts as none).
        allowed = frozenset(
            m for m in machines if all(entries.why_not(person.id, m, d) is None for d in period)
        )
        workers.append(
            Worker(
                id=person.id,
                name=person.name,
                minutes=minutes,
                needs=needs,
                urgency=urgency(weeks),
                machines=allowed,
                days=days,
            )
        )

    jobs = []
    diplomas = sorted({p.diploma for p in people})
    for entry in tasks:
        order = orders[entry.order]
        if order.due is not None and order.due < start:
            continue  # delivered (or late): not this period's work
        competencies = []
        title = entry.task
        for diploma in diplomas:
            found = journal.diploma(diploma).tasks.get(entry.task)
            if found is not None:
                title = found.title
                competencies += [f"{diploma}{_SEP}{link.code}" for link in found.competencies]
        for copy in range(entry.quantity):
            jobs.append(
                Job(
                    id=f"{entry.order}/{entry.task}#{copy + 1}",
                    order=entry.order,
                    task=entry.task,
                    title=title,
                    competencies=tuple(competencies),
                    minutes=entry.minutes,
                    places=entry.places,
                    needed=entry.needed,
                    start=entry.start,
                    due=order.due,
                    machine=entry.machine,
                )
            )
    problem = Problem(workers=tuple(workers), jobs=tuple(jobs), start=start, end=end)
    plan = solve(problem, method=method, time_limit=time_limit)
    by_id = {p.id: p for p in people}
    job_of = {j.id: j for j in jobs}
    lines = []
    for assignment in plan.assignments:
        job = job_of[assignment.job]
        person = by_id[assignment.worker]
        codes = tuple(c.partition(_SEP)[2] for c in assignment.closes)
        lines.append(
            Line(
                trainee=person.name,
                order=job.order,
                task=job.task,
                title=job.title,
                minutes=job.minutes,
                closes=codes,
                why=_why(person, codes, missing_of[person.id], weeks_left[person.id]),
                machine=job.machine,
            )
        )
    lines.sort(key=lambda line: (line.trainee, line.order, line.task))
    unplaced = tuple(
        (job_of[u.job].order, job_of[u.job].task, job_of[u.job].title, u.missing, u.reason)
        for u in plan.unplaced
    )
    return Proposal(start, end, plan, problem, tuple(lines), unplaced, tuple(warnings))


def _why(person: Trainee, codes: Sequence[str], missing: dict[str, Any], weeks: int | None) -> str:
    from ep_skills.engine.missing import missing_short

    parts = [f"{code} : {missing_short(missing[code])}" for code in codes if code in missing]
    if not parts:
        parts.append(_("practice, and the order made"))
    if weeks is None:
        exam = _("no exam date")
    elif weeks < 0:
        exam = _("exam day passed")
    elif weeks == 0:
        exam = _("exam within the week")
    else:
        exam = ngettext("exam in {n} week", "exam in {n} weeks", weeks).format(n=weeks)
    return "; ".join(parts) + f" — {exam}"


# -- accepting and exporting --------------------------------------------------------------------


def accept(journal: Journal, proposal: Proposal, *, by: str | None = None) -> int:
    """Keep ``proposal`` in the journal as the accepted plan of its period (append-only: a
    plan accepted again for the same period is a new version); returns its version."""
    from ep_skills.journal.versions import append_version

    data = {**proposal.to_dict(), "accepted_by": by}
    with journal.storage.transaction():
        version = append_version(
            journal.storage, _ACCEPTED, f"{proposal.start}{_SEP}{proposal.end}", data
        )
        journal.audit_write(
            "plan.accept",
            subject=f"{proposal.start}/{proposal.end}",
            version=version,
            lines=len(proposal.lines),
        )
        return version


def accepted_plans(journal: Journal) -> list[dict[str, Any]]:
    """The latest accepted plan of each period, the newest period first."""
    from ep_skills.journal.versions import latest_versions

    found = [data for _v, data in latest_versions(journal.storage, _ACCEPTED).values()]
    return sorted(found, key=lambda d: (d["start"], d["end"]), reverse=True)


def write_json(proposal: Proposal, path: Path) -> None:
    path.write_text(json.dumps(proposal.to_dict(), ensure_ascii=False, indent=2) + "\n")


def write_xlsx(proposal: Proposal, path: Path) -> None:
    """The plan as a workbook: the assignments, what could not be placed, the warnings."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Plan")[:31]
    headers = (_("trainee"), _("order"), _("task"), _("title"), _("minutes"), _("closes"), _("why"))
    sheet.append(headers)
    for line in proposal.lines:
        sheet.append(
            (
                line.trainee,
                line.order,
                line.task,
                line.title,
                line.minutes,
                " ".join(line.closes),
                line.why,
            )
        )
    short = book.create_sheet(_("Not placed")[:31])
    short.append((_("order"), _("task"), _("title"), _("places missing"), _("reason")))
    for row in proposal.unplaced:
        short.append(row)
    notes = book.create_sheet(_("Warnings")[:31])
    notes.append((_("warning"),))
    for warning in proposal.warnings:
        notes.append((warning,))
    for ws in (sheet, short, notes):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    book.save(path)
