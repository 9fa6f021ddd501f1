"""Explanations: why a competency is in its state, in words an instructor understands.

Every entry of the journal on the competency is shown for what it is: the assessments that
count (with their weight, assessor, autonomy, order, task and note), the older ones outside the
window, the non-scoring entries, each correction and withdrawal once — the original kept beside
it —, and the self-assessments apart. :meth:`Explanation.to_dict` gives the same as plain data
(:class:`ExplanationForm`); :meth:`Explanation.lines` says it in French or English, whatever
the language of the process.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Literal, get_args

import attrs
from attrs import frozen

from ep_skills import forms
from ep_skills.engine.compute import CompetencyState, CoverageCheck, effective_assessments
from ep_skills.engine.layers import EffectiveSettings
from ep_skills.engine.missing import StillMissing, missing_words
from ep_skills.engine.rollup import NodeState
from ep_skills.i18n import N_, _, format_day, ngettext, using_language
from ep_skills.journal.model import Assessment, Role, TaskRecord, Trainee, chain_roots
from ep_skills.referential.model import Referential
from ep_skills.referential.settings import Scale

__all__ = [
    "CompetencyRef",
    "Entry",
    "ExplainedChild",
    "ExplainedLeaf",
    "ExplainedParent",
    "ExplainedRow",
    "Explanation",
    "ExplanationForm",
    "coverage_words",
]

_METHOD_WORDS = {
    "geometrique": N_("weights 1, 2, 4, 8, 16… from the oldest to the newest"),
    "arithmetique": N_("weights 1, 2, 3, 4… from the oldest to the newest"),
    "classique": N_("the plain mean"),
    "bestof1": N_("the best value"),
    "bestof2": N_("the mean of the 2 best values"),
    "bestof3": N_("the mean of the 3 best values"),
    "frequencemin": N_("the most frequent value, a tie going to the lower one"),
    "frequencemax": N_("the most frequent value, a tie going to the higher one"),
}

_RULE_WORDS = {
    "min_assessments": N_("at least {required} assessments (has {actual})"),
    "min_contexts": N_("on at least {required} different orders or tasks (has {actual})"),
    "max_age_months": N_("the latest no older than {required} months (is {actual})"),
    "min_autonomy": N_("at least once at autonomy level {required} (best: {actual})"),
    "min_span_weeks": N_("spread over at least {required} weeks (spans {actual})"),
}

_ROLE_WORDS = {
    "maitre": N_("workshop instructor"),
    "enseignant": N_("teacher"),
    "tuteur": N_("company tutor"),
    "auto": N_("self-assessment"),
}

EntryKind = Literal["official", "self-assessment", "non-scoring"]
EntryStatus = Literal[
    "counts", "outside-window", "corrected", "withdrawn", "correction", "withdrawal"
]

KINDS: tuple[str, ...] = get_args(EntryKind)
"""What an entry is: an official scoring assessment, a self-assessment (never counted), or a
non-scoring entry (absent, not assessed…: recorded, never counted)."""

STATUSES: tuple[str, ...] = get_args(EntryStatus)
"""Where an entry stands: ``counts`` — in effect (the current version of what was recorded),
inside the window; ``correction`` — the same, for a correction of an earlier entry;
``outside-window`` — an official scoring entry in effect but older than the window (or before
the school year); ``corrected`` / ``withdrawn`` — replaced by a later correction / withdrawn
(``superseded_by`` names the row that did it); ``withdrawal`` — the row that withdraws the one
named by ``supersedes``. Whether an entry entered the official score is ``counted``."""


def coverage_words(check: CoverageCheck) -> str:
    """A coverage rule and how the evidence stands against it, in the current language."""
    words = _RULE_WORDS.get(check.rule)
    if words is None:  # a rule this version does not know the words of
        return f"{check.rule} ≥ {check.required} ({check.actual})"
    return _(words).format(required=check.required, actual=check.actual)


def _role_words(role: str) -> str:
    words = _ROLE_WORDS.get(role)
    return _(words) if words is not None else role


def _weight_text(weight: float) -> str:
    # A geometric weight past 2**1000 (a history of more than a thousand) cannot be a float.
    return "∞" if math.isinf(weight) else f"{weight:g}"


def _noun(row: Assessment) -> str:
    """« évaluation n° 59 » or « auto-évaluation n° 59 »: what the entry is, and its number."""
    if row.role == Role.AUTO:
        return _("self-assessment #{id}").format(id=row.id)
    return _("assessment #{id}").format(id=row.id)


@frozen
class Entry:
    """One row of the journal on the competency, with what it is and where it stands."""

    row: Assessment
    kind: EntryKind
    """One of :data:`KINDS`."""
    status: EntryStatus
    """One of :data:`STATUSES`."""
    value: int | None
    """The level's value, None for a non-scoring level."""
    counted: bool
    """Whether it entered the official score."""
    weight: float | None = None
    """Its weight in the method (the method's weight × the role's weight), when counted."""
    superseded_by: int | None = None
    """The correction or withdrawal that replaced it."""
    note: str | None = None
    """The note typed with it: the row's own, else its task record's (not for a correction,
    whose note says why it was made)."""
    description: str | None = None
    """What the task record says was done, when it names no catalogue task."""
    root: int = 0
    """The first row of its chain of corrections (its own id when it was never corrected)."""


@frozen
class Explanation:
    """The evidence, method, weights, score, threshold and coverage behind one state.

    For a leaf competency ``state`` and ``rows`` are set; for a parent ``node`` holds the
    rolled-up children. ``records`` are the trainee's task records, for the notes and
    descriptions typed with them (:meth:`with_records`).
    """

    trainee: Trainee
    referential: Referential
    scale: Scale
    settings: EffectiveSettings
    state: CompetencyState | None
    rows: tuple[Assessment, ...]
    node: NodeState | None
    records: tuple[TaskRecord, ...] = ()
    missing: StillMissing | None = None
    """For a leaf not acquired yet: the smallest evidence that would make it acquired."""

    def with_records(self, records: Iterable[TaskRecord]) -> Explanation:
        """The same explanation, showing the notes and descriptions of these task records."""
        return attrs.evolve(self, records=tuple(records))

    @property
    def code(self) -> str:
        """The competency explained."""
        if self.node is not None:
            return self.node.code
        assert self.state is not None
        return self.state.competency

    @property
    def title(self) -> str:
        """The competency's title in the referential ('' if none)."""
        code = self.code
        return next((c.title for c in self.referential.all_competencies() if c.code == code), "")

    def _state_label(self, code: str | None) -> str:
        if code is None:
            return _("not assessed yet")
        for state in self.scale.states:
            if state.code == code:
                return state.label
        return code

    # -- the entries -------------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        """Every row, oldest first, with what it is and where it stands."""
        rows = self.rows
        by_id = {row.id: row for row in rows}
        superseded_by: dict[int, int] = {}
        for row in rows:
            if row.supersedes is not None and row.supersedes in by_id:
                before = superseded_by.get(row.supersedes)
                superseded_by[row.supersedes] = max(row.id, before or 0)
        effective = {row.id for row in effective_assessments(rows)}
        state = self.state
        used = {u.id: u.weight for u in state.used} if state is not None else {}
        records = {record.id: record for record in self.records}
        roots = chain_roots(rows)

        found = []
        for row in rows:
            level = self.scale.level(row.level)
            value = level.value if level is not None else None
            kind: EntryKind
            status: EntryStatus
            if row.role == Role.AUTO:
                kind = "self-assessment"
            elif value is None:
                kind = "non-scoring"
            else:
                kind = "official"
            later = superseded_by.get(row.id)
            if row.withdrawn:
                status = "withdrawal"
            elif row.id not in effective:
                status = (
                    "withdrawn" if later is not None and by_id[later].withdrawn else "corrected"
                )
            elif kind == "official" and row.id not in used:
                status = "outside-window"
            else:
                status = "correction" if row.supersedes is not None else "counts"
            record = records.get(row.record)
            note = row.note
            if note is None and row.supersedes is None and record is not None:
                note = record.note
            weight = used.get(row.id)
            found.append(
                Entry(
                    row=row,
                    kind=kind,
                    status=status,
                    value=value,
                    counted=row.id in used,
                    weight=weight,
                    superseded_by=later,
                    note=note,
                    description=record.description if record is not None else None,
                    root=roots[row.id],
                )
            )
        return found

    def _details(self, entry: Entry, *, role: bool = True) -> str:
        """« — par X (maître professionnel), autonomie 3/4, commande …, tâche … — note : « … » »."""
        row = entry.row
        parts = []
        if role:
            words = _role_words(str(row.role))
            parts.append(
                _("by {assessor} ({role})").format(assessor=row.assessor, role=words)
                if row.assessor
                else words
            )
        elif row.assessor:
            parts.append(_("by {assessor}").format(assessor=row.assessor))
        if row.autonomy is not None:
            parts.append(_("autonomy {level}/4").format(level=row.autonomy))
        if row.order:
            parts.append(_("order {ref}").format(ref=row.order))
        if row.task:
            parts.append(_("task {id}").format(id=row.task))
        elif entry.description:
            parts.append(_("“{text}”").format(text=entry.description))
        text = " — " + ", ".join(parts) if parts else ""
        if entry.note:
            text += " — " + _("note: “{text}”").format(text=entry.note)
        if row.via and row.via.split(" ", 1)[0] == self.referential.id:
            text += " " + _("— recorded under the former code {code}").format(
                code=row.via.split(" ", 1)[1]
            )
        elif row.via:
            text += " " + _(
                "— recorded under {origin}, counted through the correspondence table"
            ).format(origin=row.via)
        return text

    def _level_text(self, entry: Entry) -> str:
        if entry.value is None:
            level = self.scale.level(entry.row.level)
            label = level.label if level is not None else ""
            return f"{entry.row.level} ({label})" if label else entry.row.level
        return f"{entry.row.level} = {entry.value}"

    def _entry_line(self, entry: Entry, by_id: dict[int, Assessment], *, indent: str = "  ") -> str:
        """An entry as recorded: number, day, level, who, autonomy, order, task, note."""
        row = entry.row
        if entry.weight is not None:
            head = _("{entry} on {day}: {level} = {value}, weight {weight}").format(
                entry=_noun(row),
                day=format_day(row.day),
                level=row.level,
                value=entry.value,
                weight=_weight_text(entry.weight),
            )
        else:
            head = _("{entry} on {day}: {level}").format(
                entry=_noun(row), day=format_day(row.day), level=self._level_text(entry)
            )
        text = indent + head + self._details(entry, role=row.role != Role.AUTO)
        previous = by_id.get(row.supersedes) if row.supersedes is not None else None
        if entry.status in ("counts", "correction", "outside-window") and previous is not None:
            text += " — " + _("correction of {entry}").format(entry=_noun(previous))
        return text

    def _change_line(self, entry: Entry, by_id: dict[int, Assessment], indent: str) -> str:
        """One correction or withdrawal, said once: what it replaced, when, by whom, why."""
        row = entry.row
        previous = by_id.get(row.supersedes) if row.supersedes is not None else None
        day = format_day(row.recorded_at.date() if row.recorded_at else row.day)
        by = _(" by {assessor}").format(assessor=row.assessor) if row.assessor else ""
        note = _(": “{text}”").format(text=row.note) if row.note else ""
        target = _noun(previous) if previous is not None else f"#{row.supersedes}"
        if row.withdrawn:
            line = _("{entry} withdrawn on {day}{by}{note}").format(
                entry=target, day=day, by=by, note=note
            )
        else:
            line = _("{entry} corrected on {day}{by}: {old} → {new} ({correction}){note}").format(
                entry=target,
                day=day,
                by=by,
                old=previous.level if previous is not None else "?",
                new=row.level,
                correction=_noun(row),
                note=note,
            )
        return indent + line

    def _chain_lines(
        self, chains: dict[int, list[Entry]], by_id: dict[int, Assessment], indent: str = "  "
    ) -> list[str]:
        lines = []
        for _root, chain in sorted(chains.items()):
            first, *changes = chain
            lines.append(self._entry_line(first, by_id, indent=indent))
            lines.extend(self._change_line(change, by_id, indent + "  ") for change in changes)
        return lines

    # -- the sentences -----------------------------------------------------------------------

    def lines(self, lang: str | None = None) -> list[str]:
        """The explanation as sentences, in ``lang`` (``"fr"`` or ``"en"``) — by default the
        current language. Asking a language changes nothing for other threads or later calls."""
        with using_language(lang):
            return self._lines()

    def _lines(self) -> list[str]:
        if self.node is not None:
            return self._parent_lines(self.node)
        assert self.state is not None
        state = self.state
        entries = self.entries()
        by_id = {row.id: row for row in self.rows}
        lines = []
        if state.score is None:
            lines.append(
                _("No scoring assessment yet: {code} is not assessed.").format(
                    code=state.competency
                )
            )
        else:
            method = _(_METHOD_WORDS.get(state.method, state.method))
            window = (
                _("the last {n} scoring assessments").format(n=state.limit)
                if state.limit
                else _("all scoring assessments")
            )
            lines.append(
                _("Method {method} ({words}) over {window}.").format(
                    method=state.method, words=method, window=window
                )
            )
            counted = {e.row.id: e for e in entries if e.counted}
            for used in state.used:
                entry = counted.get(used.id)
                if entry is not None:
                    lines.append(self._entry_line(entry, by_id))
                else:  # a row the explanation was not given: say what the state knows
                    line = _("  #{id} {day}: {level} = {value}, weight {weight:g} ({role})")
                    lines.append(
                        line.format(
                            id=used.id,
                            day=format_day(used.day),
                            level=used.level,
                            value=used.value,
                            weight=used.weight,
                            role=_role_words(used.role),
                        )
                    )
            reached = next(s for s in self.scale.states if s.code == state.score_state)
            lines.append(
                _("Score {score}/100: from {min} upwards the state is « {label} ».").format(
                    score=state.score, min=reached.min_score, label=reached.label
                )
            )
        for check in state.coverage:
            words = coverage_words(check)
            mark = "✓" if check.ok else "✗"
            lines.append(_("Coverage rule {mark} {words}").format(mark=mark, words=words))
        if state.score_state and state.state != state.score_state:
            lines.append(
                _(
                    "The score alone reaches « {reached} », but a coverage rule is not met: "
                    "the state stays « {final} »."
                ).format(
                    reached=self._state_label(state.score_state),
                    final=self._state_label(state.state),
                )
            )
        lines.append(_("State: {label}.").format(label=self._state_label(state.state)))
        why = self._why_not_acquired(state)
        if why:
            lines.append(why)
        if self.missing is not None and not self.missing.acquired:
            lines.append(
                _("Still missing: {what}.").format(what=missing_words(self.missing, self.scale))
            )
        lines.extend(self._other_lines(entries, by_id))
        return lines

    def _why_not_acquired(self, state: CompetencyState) -> str | None:
        """One sentence: the score below the threshold, and each coverage rule not met."""
        if state.acquired or state.score is None:
            return None
        acquired = [s for s in self.scale.states if s.acquired]
        if not acquired:
            return None
        threshold = min(acquired, key=lambda s: s.min_score)
        reasons = []
        if state.score < threshold.min_score:
            reasons.append(
                _("the score {score} is below the threshold of {min}").format(
                    score=state.score, min=threshold.min_score
                )
            )
        unmet = [coverage_words(check) for check in state.coverage if not check.ok]
        if unmet:
            reasons.append(
                ngettext("rule not met: {rules}", "rules not met: {rules}", len(unmet)).format(
                    rules=", ".join(unmet)
                )
            )
        if not reasons:
            return None
        return _("Why not « {label} » yet: {reasons}.").format(
            label=threshold.label, reasons=_("; ").join(reasons)
        )

    def _other_lines(self, entries: list[Entry], by_id: dict[int, Assessment]) -> list[str]:
        """The rest of the history: entries outside the window, non-scoring entries,
        corrections and withdrawals, then the self-assessments."""
        lines = []
        # A chain (an entry, its corrections, its withdrawal) is said once, in one place:
        # with the self-assessments when its last version is one, else with the corrections.
        chains: dict[int, list[Entry]] = {}
        for entry in sorted(entries, key=lambda e: e.row.id):
            chains.setdefault(entry.root, []).append(entry)
        own_chains = {
            root: chain for root, chain in chains.items() if chain[-1].row.role == Role.AUTO
        }
        changed = {
            root: chain
            for root, chain in chains.items()
            if len(chain) > 1 and root not in own_chains
        }
        non_scoring = [
            e for e in entries if e.kind == "non-scoring" and e.status in ("counts", "correction")
        ]
        older = [e for e in entries if e.status == "outside-window"]
        if older:
            lines.append(
                ngettext(
                    "{n} older scoring assessment, kept in the journal, is outside the "
                    "window (not counted):",
                    "{n} older scoring assessments, kept in the journal, are outside the "
                    "window (not counted):",
                    len(older),
                ).format(n=len(older))
            )
            lines.extend(self._entry_line(e, by_id) for e in older)
        if non_scoring:
            lines.append(
                ngettext(
                    "{n} non-scoring entry (absent, not assessed…), never counted:",
                    "{n} non-scoring entries (absent, not assessed…), never counted:",
                    len(non_scoring),
                ).format(n=len(non_scoring))
            )
            lines.extend(self._entry_line(e, by_id) for e in non_scoring)
        if changed:
            lines.append(
                ngettext(
                    "{n} entry corrected or withdrawn (the journal keeps every version):",
                    "{n} entries corrected or withdrawn (the journal keeps every version):",
                    len(changed),
                ).format(n=len(changed))
            )
            lines.extend(self._chain_lines(changed, by_id))
        if own_chains:
            lines.append(_("Self-assessments (shown apart, never counted):"))
            lines.extend(self._chain_lines(own_chains, by_id))
            state = self.state
            if state is not None and state.self_score is not None:
                lines.append(
                    "  "
                    + _("Self-assessed score: {score}/100, « {label} ».").format(
                        score=state.self_score, label=self._state_label(state.self_state)
                    )
                )
        return lines

    def _parent_lines(self, node: NodeState) -> list[str]:
        if node.rule == "points":
            rule = _(
                "acquired when at least {share:.0%} of its sub-competencies are, every "
                "required one included"
            ).format(share=self.settings.rollup_min_share)
        else:
            rule = _("acquired when all its sub-competencies are")
        lines = [
            _("{code} is rolled up from its sub-competencies: {rule}.").format(
                code=node.code, rule=rule
            )
        ]
        for child in node.children:
            mark = "✓" if child.acquired else "·"
            score = "—" if child.score is None else str(child.score)
            lines.append(f"  {mark} {child.code} {self._state_label(child.state)} ({score})")
        lines.append(_("State: {label}.").format(label=self._state_label(node.state)))
        return lines

    def text(self, lang: str | None = None) -> str:
        """The explanation as one block of text, in ``lang`` (see :meth:`lines`)."""
        return "\n".join(self.lines(lang))

    # -- as data ---------------------------------------------------------------------------

    def to_form(self) -> ExplanationForm:
        """What :meth:`to_dict` gives, as objects: the trainee, the diploma by reference, the
        state and every row with its ``kind`` (:data:`KINDS`) and ``status`` (:data:`STATUSES`).
        """
        trainee, diploma = self.trainee, self.referential
        competency = CompetencyRef(self.code, self.title)
        if self.node is not None:
            node = self.node
            parent = ExplainedParent(
                kind="parent",
                code=node.state,
                label=self._label(node.state),
                score=node.score,
                acquired=node.acquired,
                rollup=node.rule,
                children=tuple(
                    ExplainedChild(
                        code=child.code,
                        state=child.state,
                        label=self._label(child.state),
                        score=child.score,
                        acquired=child.acquired,
                    )
                    for child in node.children
                ),
            )
            return ExplanationForm(trainee, diploma, competency, parent, ())
        assert self.state is not None
        state = self.state
        acquired = [s.min_score for s in self.scale.states if s.acquired]
        leaf = ExplainedLeaf(
            kind="leaf",
            code=state.state,
            label=self._label(state.state),
            score=state.score,
            acquired=state.acquired,
            acquired_from=min(acquired) if acquired else None,
            score_state=state.score_state,
            coverage=state.coverage,
            method=state.method,
            limit=state.limit,
            count=state.count,
            contexts=state.contexts,
            first_day=state.first_day,
            last_day=state.last_day,
            max_autonomy=state.max_autonomy,
            non_scoring=state.non_scoring,
            self_score=state.self_score,
            self_state=state.self_state,
            history=state.history,
            missing=self.missing,
        )
        rows = tuple(self._row_form(entry) for entry in self.entries())
        return ExplanationForm(trainee, diploma, competency, leaf, rows)

    def _label(self, code: str | None) -> str | None:
        return self._state_label(code) if code else None

    @staticmethod
    def _row_form(entry: Entry) -> ExplainedRow:
        row = entry.row
        weight = entry.weight
        return ExplainedRow(
            id=row.id,
            record=row.record,
            day=row.day,
            level=row.level,
            value=entry.value,
            role=row.role,
            assessor=row.assessor,
            autonomy=row.autonomy,
            note=entry.note,
            order=row.order,
            task=row.task,
            description=entry.description,
            kind=entry.kind,
            status=entry.status,
            counted=entry.counted,
            # JSON has no infinity: a weight past 2**1000 is given as null.
            weight=weight if weight is not None and math.isfinite(weight) else None,
            supersedes=row.supersedes,
            superseded_by=entry.superseded_by,
            withdrawn=row.withdrawn,
            root=entry.root,
            recorded_at=row.recorded_at,
            diploma=row.diploma,
            via=row.via,
        )

    def to_dict(self) -> dict[str, Any]:
        """The explanation as JSON-ready data (``ep-skills explain --format json``): the form
        of :meth:`to_form`, dates as ISO text (:func:`ep_skills.forms.to_dict`)."""
        return forms.to_dict(self)

    def data(self) -> dict[str, Any]:
        """The same as :meth:`to_dict` (its former name)."""
        return self.to_dict()


# -- the form -----------------------------------------------------------------------------------


@frozen
class CompetencyRef:
    """A competency of the referential, by code and title."""

    code: str
    title: str


@frozen
class ExplainedRow:
    """One row of the journal on the competency: what was recorded, what it is, where it
    stands."""

    id: int
    """The assessment's number (« évaluation n° »)."""
    record: int
    """The task record it was written with (« enregistrement n° »)."""
    day: date
    level: str
    value: int | None
    """The level's value, null for a non-scoring level."""
    role: Role
    """The assessor's role; ``auto`` for a self-assessment."""
    assessor: str | None
    autonomy: int | None
    note: str | None
    """The note typed with it: the row's own, else its task record's (not for a correction,
    whose note says why it was made)."""
    order: str | None
    task: str | None
    description: str | None
    """What the task record says was done, when it names no catalogue task."""
    kind: EntryKind
    """What the row is: an official scoring assessment, a self-assessment (never counted), or a
    non-scoring entry (absent, not assessed…: recorded, never counted)."""
    status: EntryStatus
    """Where it stands: ``counts``; ``correction`` (the same, for a correction);
    ``outside-window`` (older than the window); ``corrected`` / ``withdrawn`` (replaced by the
    row ``superseded_by``); ``withdrawal`` (the row that withdraws ``supersedes``)."""
    counted: bool
    """Whether it entered the official score."""
    weight: float | None
    """Its weight in the method (the method's × the role's), when counted."""
    supersedes: int | None
    """The row this one corrects or withdraws."""
    superseded_by: int | None
    """The correction or withdrawal that replaced this row."""
    withdrawn: bool
    """Whether this row is a withdrawal."""
    root: int
    """The first row of its chain of corrections (its own id when never corrected)."""
    recorded_at: datetime | None
    diploma: str
    """The diploma it was recorded under."""
    via: str | None
    """The old diploma and code, when it counts through a correspondence table."""


@frozen
class ExplainedLeaf:
    """The state of a leaf competency and everything that led to it."""

    kind: Literal["leaf"]
    code: str | None
    """The state's code; null while there is no scoring assessment."""
    label: str | None
    """The state's label in the referential."""
    score: int | None
    acquired: bool
    acquired_from: int | None
    """The lowest score of an acquired state."""
    score_state: str | None
    """The state the score alone reaches, before coverage rules."""
    coverage: tuple[CoverageCheck, ...]
    method: str
    limit: int
    """How many of the latest scoring assessments count (0: all)."""
    count: int
    """Scoring assessments in scope (before the limit)."""
    contexts: int
    """Different orders or tasks among them."""
    first_day: date | None
    last_day: date | None
    max_autonomy: int | None
    non_scoring: int
    self_score: int | None
    """The score of the self-assessments, never mixed into the official one."""
    self_state: str | None
    history: int
    """Every row considered, corrections and withdrawn ones included."""
    missing: StillMissing | None = None
    """The smallest evidence that would make it acquired (« ce qui manque encore »)."""


@frozen
class ExplainedChild:
    """A sub-competency of a parent, with its state."""

    code: str
    state: str | None
    label: str | None
    score: int | None
    acquired: bool


@frozen
class ExplainedParent:
    """The state of a parent competency, rolled up from its sub-competencies."""

    kind: Literal["parent"]
    code: str | None
    """The state's code; null while no sub-competency is assessed."""
    label: str | None
    score: int | None
    """The mean of its assessed children's scores, for information."""
    acquired: bool
    rollup: str | None
    """The roll-up rule applied: ``all-children`` or ``points``."""
    children: tuple[ExplainedChild, ...]


@frozen
class ExplanationForm:
    """Why a trainee's competency is in its state, as data: the form of
    :meth:`Explanation.to_dict`."""

    trainee: Trainee
    diploma: Referential
    """The diploma's referential, by id and version."""
    competency: CompetencyRef
    state: ExplainedLeaf | ExplainedParent
    """A leaf's state with its method and coverage, or a parent's with its children."""
    rows: tuple[ExplainedRow, ...]
    """Every row of the journal on the competency, oldest first (none for a parent)."""
