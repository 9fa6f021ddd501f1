"""What a report shows, gathered from the journal as plain data (no formatting here).

The livret of a trainee, the workshop view of a cohort and the CCF grid of one épreuve
situation all read their numbers from these classes, so HTML, PDF and XLSX always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from attrs import field, frozen

from ep_skills.api import Journal
from ep_skills.engine.compute import CompetencyState, effective_assessments
from ep_skills.engine.explain import coverage_words
from ep_skills.engine.rollup import NodeState, Progress
from ep_skills.errors import NotFoundError
from ep_skills.i18n import N_, _
from ep_skills.journal.exams import ExamSession
from ep_skills.journal.model import Assessment, Role, Trainee, chain_roots
from ep_skills.referential.model import Referential
from ep_skills.referential.settings import Scale
from ep_skills.views import Gap, cohort_gaps

EVIDENCE_SHOWN = 6
"""How many of the latest entries a report lists for each competency (5 count by default)."""

__all__ = [
    "BlocSection",
    "Change",
    "CohortReport",
    "CompetencyLine",
    "EpreuveLine",
    "EvidenceLine",
    "TraineeReport",
    "cohort_report",
    "competency_line",
    "evidence_lines",
    "exam_outlook",
    "month_ends",
    "not_acquired_because",
    "trainee_report",
]

_ROLE_WORDS: dict[str, str] = {
    Role.MAITRE: N_("workshop instructor"),
    Role.ENSEIGNANT: N_("teacher"),
    Role.TUTEUR: N_("company tutor"),
    Role.AUTO: N_("self-assessment"),
}


def role_words(role: str) -> str:
    """The assessor's role in words (« maître professionnel », « auto-évaluation »…)."""
    words = _ROLE_WORDS.get(role)
    return _(words) if words else role


@frozen
class Change:
    """A later row of an entry: its correction to another level, or its withdrawal."""

    withdrawn: bool
    before: str
    """The level the entry had until then."""
    after: str | None
    """The new level; None for a withdrawal."""
    day: date | None
    """When the change was recorded."""
    assessor: str | None
    note: str | None


@frozen
class EvidenceLine:
    """One piece of evidence behind a competency — an entry with its corrections, shown once.

    Day, task, order, assessor, role, autonomy and note are the entry's as first recorded;
    ``level`` is the one that counts now (for a withdrawn entry: the last it had).
    """

    id: int
    """The id of the entry as first recorded."""
    day: date
    task: str
    order: str | None
    customer: str | None
    assessor: str | None
    role: str
    level: str
    counts: bool
    """False once the entry is withdrawn."""
    via: str | None = None
    note: str | None = None
    autonomy: int | None = None
    """1 guided … 4 autonomous, when the assessor gave it."""
    changes: tuple[Change, ...] = ()
    """Its corrections and withdrawal, oldest first."""
    self_assessment: bool = False
    """A trainee's own assessment: listed apart, never counted."""

    @property
    def role_label(self) -> str:
        """The assessor's role in words."""
        return role_words(self.role)

    @property
    def first_level(self) -> str:
        """The level as first recorded."""
        return self.changes[0].before if self.changes else self.level

    @property
    def corrected(self) -> bool:
        """Its level was corrected since it was recorded."""
        return any(not change.withdrawn for change in self.changes)


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
    """The state the trainee's self-assessments reach, shown beside the official one."""
    evidence: tuple[EvidenceLine, ...] = ()
    """The most recent official entries, each once (withdrawn ones shown struck through)."""
    older: int = 0
    """Official entries before those shown, still in the journal."""
    orders: tuple[str, ...] = ()
    """Every order the competency was assessed on (entries still counting)."""
    indicators: tuple[str, ...] = ()
    self_evidence: tuple[EvidenceLine, ...] = ()
    """The trainee's most recent self-assessments: listed apart, never counted."""
    self_older: int = 0
    """Self-assessments before those shown."""
    because: tuple[str, ...] = ()
    """For a leaf competency not acquired: why, in words (score, coverage rules)."""
    self_symbol: str | None = None
    """The symbol of the self-assessed state."""


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
    """(end of month, share of leaf competencies acquired), from the month of the first
    official entry; empty while there is none."""
    method: str
    limit: int
    photos: tuple[PhotoLine, ...] = ()
    """The newest photos of the trainee's work (at most :data:`PHOTOS_IN_LIVRET`)."""
    exam: ExamSession | None = None
    outlook: Mapping[str, tuple[str, str]] = field(factory=dict)
    """Épreuve code → (status, the verdict in words) against the exam's date."""


PHOTOS_IN_LIVRET = 12


@frozen
class PhotoLine:
    """A photo of the work as the livret shows it: a small copy, inline."""

    record: int
    day: date
    task: str
    data_uri: str
    """``data:image/jpeg;base64,…``: the livret is one self-contained file."""


def _photo_lines(
    journal: Journal, person: Trainee, tasks: Mapping[str, str]
) -> tuple[PhotoLine, ...]:
    import base64

    from ep_skills.photos import thumbnail

    lines = []
    for record_id, day, photo in journal.trainee_photos(person.id)[:PHOTOS_IN_LIVRET]:
        _kept, data = journal.photo(photo.sha256)
        record = journal.task_record(record_id)
        small = base64.b64encode(thumbnail(data)).decode("ascii")
        lines.append(
            PhotoLine(
                record_id,
                day,
                tasks.get(record.task or "", record.task or record.description or ""),
                f"data:image/jpeg;base64,{small}",
            )
        )
    return tuple(lines)


def _style(scale: Scale, code: str | None) -> tuple[str, str, str]:
    for state in scale.states:
        if state.code == code:
            return state.label, state.symbol or state.code, state.colour or "grey"
    return _("not assessed"), "·", "grey"


def _changed_on(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    return moment.astimezone().date() if moment.tzinfo else moment.date()


def evidence_lines(
    rows: Sequence[Assessment],
    tasks: Mapping[str, str] | None = None,
    customers: Mapping[str, str] | None = None,
    descriptions: Mapping[int, str] | None = None,
) -> list[EvidenceLine]:
    """Each entry of ``rows`` once, with its corrections and withdrawal, oldest first.

    A correction or a withdrawal is a row of its own in the journal (``supersedes`` names the
    row it replaces); here it is folded into the entry it changes, so that nothing is listed
    or counted twice. The newest row of a chain decides whether the entry counts, as in
    :func:`ep_skills.engine.compute.effective_assessments`. ``tasks`` gives the catalogue
    tasks' titles, ``customers`` each order's customer, ``descriptions`` what was done for a
    record that names no catalogue task (by record id).
    """
    tasks = tasks or {}
    customers = customers or {}
    descriptions = descriptions or {}
    by_id = {row.id: row for row in rows}
    roots = chain_roots(rows)
    chains: dict[int, list[Assessment]] = {}
    for row in rows:
        chains.setdefault(roots[row.id], []).append(row)
    counting = {row.id for row in effective_assessments(rows)}
    lines = []
    for key in sorted(chains, key=lambda k: (by_id[k].day, k)):
        chain = sorted(chains[key], key=lambda r: r.id)
        first, latest = chain[0], chain[-1]
        changes = []
        before = first.level
        for row in chain[1:]:
            changes.append(
                Change(
                    withdrawn=row.withdrawn,
                    before=before,
                    after=None if row.withdrawn else row.level,
                    day=_changed_on(row.recorded_at),
                    assessor=row.assessor,
                    note=row.note,
                )
            )
            before = before if row.withdrawn else row.level
        lines.append(
            EvidenceLine(
                id=first.id,
                day=first.day,
                task=(
                    tasks.get(first.task, first.task)
                    if first.task
                    else descriptions.get(first.record, "—")
                ),
                order=first.order,
                customer=customers.get(first.order or ""),
                assessor=first.assessor,
                role=str(first.role),
                level=before,
                counts=latest.id in counting,
                via=first.via,
                note=first.note,
                autonomy=first.autonomy,
                changes=tuple(changes),
                # As the engine counts it: by the newest row's role (a correction keeps it).
                self_assessment=latest.role == Role.AUTO,
            )
        )
    return lines


def not_acquired_because(scale: Scale, state: CompetencyState | None) -> tuple[str, ...]:
    """Why a leaf competency is not acquired: its score below the threshold, unmet rules."""
    if state is not None and state.acquired:
        return ()
    if state is None or state.score is None:
        return (_("no official assessment yet"),)
    reasons = []
    acquired = sorted((s for s in scale.states if s.acquired), key=lambda s: s.min_score)
    if acquired and state.score < acquired[0].min_score:
        reasons.append(
            _('score {score} below {threshold}, the threshold of "{label}"').format(
                score=state.score, threshold=acquired[0].min_score, label=acquired[0].label
            )
        )
    reasons += [coverage_words(check) for check in state.coverage if not check.ok]
    return tuple(reasons)


@frozen
class _Sources:
    """What a trainee's evidence lines are made of, read once for the whole report."""

    rows: Mapping[str, list[Assessment]]
    """Each leaf's rows (corrections and carried-over evidence included), oldest first."""
    customers: Mapping[str, str]
    described: Mapping[int, str]
    """What was done, for the records that name no catalogue task."""


def _sources(
    journal: Journal, person: Trainee, rows: Mapping[str, list[Assessment]] | None = None
) -> _Sources:
    # One read of the trainee's rows for every leaf, rather than one per leaf; the records
    # are read only for the few rows that name no catalogue task.
    if rows is None:
        rows = journal.evidence_by_competency(person.id)
    untitled = {row.record for found in rows.values() for row in found if not row.task}
    described = {}
    for record_id in sorted(untitled):
        record = journal.storage.record(record_id)
        if record is not None and record.description:
            described[record_id] = record.description
    refs = {row.order for found in rows.values() for row in found if row.order}
    if len(refs) <= 20:  # one competency's few orders: read those, not the school's thousands
        orders = [journal.storage.order(ref) for ref in sorted(refs)]
        customers = {o.ref: o.customer for o in orders if o is not None}
    else:
        customers = {o.ref: o.customer for o in journal.orders()}
    return _Sources(rows, customers, described)


def _lines(
    journal: Journal,
    person: Trainee,
    nodes: Iterable[NodeState],
    scale: Scale,
    referential: Referential,
    depth: int = 0,
    with_evidence: bool = True,
    sources: _Sources | None = None,
) -> list[CompetencyLine]:
    if with_evidence and sources is None:
        sources = _sources(journal, person)
    customers = sources.customers if sources else {}
    described = sources.described if sources else {}
    tasks = {t.id: t.title for t in referential.tasks}
    indicators = {c.code: c.indicators for c in referential.all_competencies()}

    def walk(nodes: Iterable[NodeState], depth: int) -> list[CompetencyLine]:
        lines = []
        for node in nodes:
            label, symbol, colour = _style(scale, node.state)
            leaf = node.leaf
            self_style = _style(scale, leaf.self_state) if leaf and leaf.self_state else None
            evidence: list[EvidenceLine] = []
            selves: list[EvidenceLine] = []
            older = self_older = 0
            on_orders: tuple[str, ...] = ()
            if sources is not None and not node.children:
                rows = sources.rows.get(node.code, [])
                for entry in evidence_lines(rows, tasks, customers, described):
                    (selves if entry.self_assessment else evidence).append(entry)
                on_orders = tuple(dict.fromkeys(e.order for e in evidence if e.order and e.counts))
                older = max(0, len(evidence) - EVIDENCE_SHOWN)
                self_older = max(0, len(selves) - EVIDENCE_SHOWN)
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
                    self_label=self_style[0] if self_style else None,
                    evidence=tuple(evidence[older:]),
                    older=older,
                    orders=on_orders,
                    indicators=indicators.get(node.code, ()),
                    self_evidence=tuple(selves[self_older:]),
                    self_older=self_older,
                    because=() if node.children else not_acquired_because(scale, leaf),
                    self_symbol=self_style[1] if self_style else None,
                )
            )
            lines += walk(node.children, depth + 1)
        return lines

    return walk(nodes, depth)


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


def competency_line(journal: Journal, trainee: str | int | Trainee, code: str) -> CompetencyLine:
    """One leaf competency of a trainee's livret, with its evidence (what a screen shows when
    the competency is opened)."""
    person = journal.trainee(trainee)
    info = journal.diploma(person.diploma)
    node = journal.progress(person.id).node(code)
    if node is None or node.children:
        raise NotFoundError(
            _("unknown competency {code!r} for {diploma}").format(
                code=code, diploma=info.referential.id
            ),
            field="competency",
            value=code,
        )
    sources = _sources(journal, person, {code: journal.evidence(person.id, code)})
    return _lines(journal, person, [node], info.scale, info.referential, sources=sources)[0]


def trainee_report(
    journal: Journal,
    trainee: str | int | Trainee,
    *,
    history: bool = True,
    evidence: bool = True,
) -> TraineeReport:
    """The livret's content for one trainee.

    ``history``: with the month-by-month chart's points (a progress computed per month);
    ``evidence``: with each competency's entries (a screen may show them on demand, with
    :func:`competency_line`).
    """
    person = journal.trainee(trainee)
    info = journal.diploma(person.diploma)
    progress = journal.progress(person.id)
    sources = _sources(journal, person) if evidence else None
    blocs = tuple(
        BlocSection(
            b.id,
            b.title,
            b.kind,
            b.acquired,
            b.total,
            tuple(
                _lines(
                    journal,
                    person,
                    b.competencies,
                    info.scale,
                    info.referential,
                    with_evidence=evidence,
                    sources=sources,
                )
            ),
        )
        for b in progress.blocs
        if b.total
    )
    session = journal.exam_session(person)
    points: tuple[tuple[date, float], ...] = ()
    if history:
        # The chart starts with the month of the first official entry that still counts: no
        # flat line over the months before anything was recorded (nor for a self-assessment
        # alone).
        counting = effective_assessments(journal.storage.assessments(person.id))
        first = min((r.day for r in counting if r.role != Role.AUTO), default=None)
        days = month_ends(first, journal.today) if first else []
        points = tuple(
            (day, _share(state))
            for day, state in zip(days, journal.progress_over_time(person.id, days), strict=True)
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
        history=points,
        method=info.settings.method,
        limit=info.settings.limit,
        photos=(
            _photo_lines(journal, person, {t.id: t.title for t in info.referential.tasks})
            if evidence
            else ()
        ),
        exam=session,
        outlook=exam_outlook(journal, person, session) if evidence else {},
    )


_SEVERITY = ("behind", "at-risk", "on-track", "ready", "unknown")


def _worst(journal: Journal, person: Trainee) -> tuple[str, str] | None:
    """The least favourable épreuve's verdict, for the workshop view's column."""
    found = exam_outlook(journal, person, journal.exam_session(person))
    if not found:
        return None
    return min(found.values(), key=lambda item: _SEVERITY.index(item[0]))


def exam_outlook(
    journal: Journal, person: Trainee, session: ExamSession | None
) -> dict[str, tuple[str, str]]:
    """Each épreuve's verdict against the exam (none without an exam session)."""
    from ep_skills.engine.outlook import outlook_words

    if session is None:
        return {}
    return {
        item.code: (str(item.status), outlook_words(item, session.day))
        for item in journal.outlook(person)
    }


@frozen
class CohortRow:
    """One trainee's line of the workshop matrix."""

    trainee: Trainee
    cells: tuple[CompetencyLine, ...]
    readiness: float
    outlook: tuple[str, str] | None = None
    """The least favourable épreuve's (status, verdict in words) against the exam's date;
    None without an exam session."""


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
    self_assessed: tuple[tuple[Trainee, CompetencyLine], ...] = ()
    """Each (trainee, competency) with self-assessments: shown apart, never counted."""


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
            rows.append(CohortRow(person, cells, progress.readiness, _worst(journal, person)))
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
                self_assessed=tuple(
                    (row.trainee, cell) for row in rows for cell in row.cells if cell.self_label
                ),
            )
        )
    return reports
