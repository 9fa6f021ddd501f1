"""What a report shows, gathered from the journal as plain data (no formatting here).

The livret of a trainee, the workshop view of a cohort and the CCF grid of one épreuve
situation all read their numbers from these classes, so HTML, PDF and XLSX always agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from attrs import frozen

from ep_skills.api import Journal
from ep_skills.engine.compute import effective_assessments
from ep_skills.engine.rollup import NodeState, Progress
from ep_skills.i18n import _
from ep_skills.journal.model import Trainee
from ep_skills.referential.model import Referential
from ep_skills.referential.settings import Scale
from ep_skills.views import Gap, cohort_gaps

EVIDENCE_SHOWN = 6
"""How many of the latest entries a report lists for each competency (5 count by default)."""

__all__ = [
    "BlocSection",
    "CohortReport",
    "CompetencyLine",
    "EpreuveLine",
    "EvidenceLine",
    "TraineeReport",
    "cohort_report",
    "month_ends",
    "trainee_report",
]


@frozen
class EvidenceLine:
    """One assessment behind a competency: when, on what, by whom."""

    id: int
    day: date
    task: str
    order: str | None
    customer: str | None
    assessor: str | None
    role: str
    level: str
    counts: bool
    """False for an entry corrected or withdrawn since."""
    via: str | None = None
    note: str | None = None


@frozen
class CompetencyLine:
    """A competency of any depth with its state, ready to print."""

    code: str
    title: str
    depth: int
    state: str | None
    label: str
    symbol: str
    colour: str
    score: int | None
    acquired: bool
    count: int
    contexts: int
    flagged: bool
    """The score reaches acquired but a coverage rule is not met."""
    self_label: str | None
    evidence: tuple[EvidenceLine, ...] = ()
    """The most recent entries (corrected ones shown struck through)."""
    older: int = 0
    """Entries before those shown, still in the journal."""
    orders: tuple[str, ...] = ()
    """Every order the competency was assessed on."""
    indicators: tuple[str, ...] = ()


@frozen
class BlocSection:
    """A bloc and its competencies."""

    id: str
    title: str
    kind: str
    acquired: int
    total: int
    competencies: tuple[CompetencyLine, ...]

    @property
    def share(self) -> float:
        """Acquired share of the bloc's competencies, 0–1."""
        return self.acquired / self.total if self.total else 0.0


@frozen
class EpreuveLine:
    """An épreuve, its readiness and what is missing."""

    code: str
    title: str
    coefficient: float | None
    share: float
    ready: bool
    missing: tuple[tuple[str, str], ...]
    """(code, title) of each missing leaf competency."""


@frozen
class TraineeReport:
    """Everything the livret of one trainee shows."""

    school: str | None
    trainee: Trainee
    referential: Referential
    scale: Scale
    generated: date
    readiness: float
    blocs: tuple[BlocSection, ...]
    epreuves: tuple[EpreuveLine, ...]
    history: tuple[tuple[date, float], ...]
    """(end of month, share of leaf competencies acquired)."""
    method: str
    limit: int


def _style(scale: Scale, code: str | None) -> tuple[str, str, str]:
    for state in scale.states:
        if state.code == code:
            return state.label, state.symbol or state.code, state.colour or "grey"
    return _("not assessed"), "·", "grey"


def _lines(
    journal: Journal,
    person: Trainee,
    nodes: Iterable[NodeState],
    scale: Scale,
    referential: Referential,
    depth: int = 0,
    with_evidence: bool = True,
) -> list[CompetencyLine]:
    orders = {o.ref: o for o in journal.orders()} if with_evidence else {}
    tasks = {t.id: t.title for t in referential.tasks}
    indicators = {c.code: c.indicators for c in referential.all_competencies()}
    lines = []
    for node in nodes:
        label, symbol, colour = _style(scale, node.state)
        leaf = node.leaf
        evidence: tuple[EvidenceLine, ...] = ()
        older = 0
        on_orders: tuple[str, ...] = ()
        if with_evidence and not node.children:
            rows = journal.evidence(person.id, node.code)
            counting = {r.id for r in effective_assessments(rows)}
            evidence = tuple(
                EvidenceLine(
                    id=r.id,
                    day=r.day,
                    task=tasks.get(r.task or "", r.task or "—"),
                    order=r.order,
                    customer=orders[r.order].customer if r.order in orders else None,
                    assessor=r.assessor,
                    role=str(r.role),
                    level=r.level,
                    counts=r.id in counting,
                    via=r.via,
                    note=r.note,
                )
                for r in rows
            )
            on_orders = tuple(dict.fromkeys(r.order for r in rows if r.order))
            older = max(0, len(evidence) - EVIDENCE_SHOWN)
            evidence = evidence[older:]
        lines.append(
            CompetencyLine(
                code=node.code,
                title=node.title,
                depth=depth,
                state=node.state,
                label=label,
                symbol=symbol,
                colour=colour,
                score=node.score,
                acquired=node.acquired,
                count=leaf.count if leaf else 0,
                contexts=leaf.contexts if leaf else 0,
                flagged=bool(leaf and leaf.score_state and leaf.score_state != leaf.state),
                self_label=_style(scale, leaf.self_state)[0] if leaf and leaf.self_state else None,
                evidence=evidence,
                older=older,
                orders=on_orders,
                indicators=indicators.get(node.code, ()),
            )
        )
        lines += _lines(
            journal, person, node.children, scale, referential, depth + 1, with_evidence
        )
    return lines


def month_ends(start: date, end: date) -> list[date]:
    """The last day of each month from ``start``'s month to ``end``'s (``end`` itself last)."""
    days = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        following = date(year + month // 12, month % 12 + 1, 1)
        last = date.fromordinal(following.toordinal() - 1)
        days.append(min(last, end))
        year, month = following.year, following.month
    return days


def _share(progress: Progress) -> float:
    leaves = [
        leaf for bloc in progress.blocs for node in bloc.competencies for leaf in node.leaves()
    ]
    return sum(1 for leaf in leaves if leaf.acquired) / len(leaves) if leaves else 0.0


def _epreuves(progress: Progress, titles: dict[str, str]) -> tuple[EpreuveLine, ...]:
    return tuple(
        EpreuveLine(
            e.code,
            e.title,
            e.coefficient,
            e.share,
            e.ready,
            tuple((code, titles.get(code, "")) for code in e.missing),
        )
        for e in progress.epreuves
        if e.total
    )


def trainee_report(journal: Journal, trainee: str | int) -> TraineeReport:
    """The livret's content for one trainee."""
    person = journal.trainee(trainee)
    info = journal.diploma(person.diploma)
    progress = journal.progress(person.id)
    blocs = tuple(
        BlocSection(
            b.id,
            b.title,
            b.kind,
            b.acquired,
            b.total,
            tuple(_lines(journal, person, b.competencies, info.scale, info.referential)),
        )
        for b in progress.blocs
        if b.total
    )
    rows = journal.storage.assessments(person.id)
    first = min((r.day for r in rows), default=journal.today)
    start = min(person.start_date or first, first)
    history = tuple(
        (day, _share(journal.progress(person.id, as_of=day)))
        for day in month_ends(start, journal.today)
    )
    return TraineeReport(
        school=journal.storage.get_meta("school"),
        trainee=person,
        referential=info.referential,
        scale=info.scale,
        generated=journal.today,
        readiness=progress.readiness,
        blocs=blocs,
        epreuves=_epreuves(
            progress, {c.code: c.title for c in info.referential.all_competencies()}
        ),
        history=history,
        method=info.settings.method,
        limit=info.settings.limit,
    )


@frozen
class CohortRow:
    """One trainee's line of the workshop matrix."""

    trainee: Trainee
    cells: tuple[CompetencyLine, ...]
    readiness: float


@frozen
class CohortReport:
    """The workshop view: matrix, gaps and the tasks that would close them, per diploma."""

    school: str | None
    cohort: str | None
    generated: date
    diploma: Referential
    scale: Scale
    columns: tuple[tuple[str, str], ...]
    """(code, title) of each column: the leaf competencies."""
    rows: tuple[CohortRow, ...]
    gaps: tuple[Gap, ...]


def cohort_report(journal: Journal, cohort: str | None = None) -> list[CohortReport]:
    """The workshop view of a cohort (one report per diploma in it)."""
    people = journal.cohort_progress(cohort)
    gaps = cohort_gaps(journal, cohort)
    reports = []
    for diploma in sorted({p.diploma for p, _progress in people}):
        info = journal.diploma(diploma)
        group = [(p, pr) for p, pr in people if p.diploma == diploma]
        columns = tuple((code, leaf.title) for code, leaf in info.leaves.items())
        rows = []
        for person, progress in group:
            leaves = {
                leaf.code: leaf
                for bloc in progress.blocs
                for node in bloc.competencies
                for leaf in node.leaves()
            }
            cells = tuple(
                _lines(
                    journal,
                    person,
                    [leaves[code]],
                    info.scale,
                    info.referential,
                    with_evidence=False,
                )[0]
                for code, _title in columns
            )
            rows.append(CohortRow(person, cells, progress.readiness))
        reports.append(
            CohortReport(
                school=journal.storage.get_meta("school"),
                cohort=cohort,
                generated=journal.today,
                diploma=info.referential,
                scale=info.scale,
                columns=columns,
                rows=tuple(rows),
                gaps=tuple(g for g in gaps if g.diploma == diploma),
            )
        )
    return reports
