"""Keeping each trainee's leaf states up to date as evidence arrives (« états »).

The stage between the journal and the engine: a write recomputes only the (trainee,
competency) pairs it touched, inside the same transaction, so that reading progress never
re-reads the evidence; :meth:`StateKeeper.recompute` rebuilds every state from the evidence
and must give the same result. A storage backend gives the rows and summaries
(:class:`~ep_skills.journal.storage.Storage`); the engine's pure functions compute the states;
the keeper decides what to read and what to store, the same for every backend.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from attrs import evolve, frozen

from ep_skills.engine.compute import (
    CompetencyState,
    CoverageCheck,
    Summary,
    WindowRow,
    compute_state,
    coverage_checks,
    school_year_start,
    state_from_summary,
    window_key,
)
from ep_skills.engine.layers import EffectiveSettings
from ep_skills.errors import InvalidValueError
from ep_skills.i18n import _
from ep_skills.journal.model import Assessment, AssessmentInput, Role, TaskRecord, Trainee
from ep_skills.journal.storage import StateRow, Storage
from ep_skills.referential.model import CatalogueTask, Competency, Referential
from ep_skills.referential.settings import Scale

__all__ = ["DiplomaInfo", "StateKeeper", "check_usable", "diploma_info"]

# How many trainees' leaf states a journal keeps built in memory (a school is ~150; a
# network's server, thousands: past this, the memory is emptied and filled again).
_LEAVES_KEPT = 5_000


def _by_competency(row: StateRow) -> str:
    return row.competency


def _leaf_state(
    saved: StateRow, settings: EffectiveSettings, method: str, limit: int, today: date
) -> CompetencyState:
    """A stored state as the engine's :class:`CompetencyState`."""
    fromisoformat = date.fromisoformat
    first_day = fromisoformat(saved.first_day) if saved.first_day else None
    last_day = fromisoformat(saved.last_day) if saved.last_day else None
    checks: tuple[CoverageCheck, ...] = ()
    if saved.state != saved.score_state:
        # The score reaches acquired but a rule is not met: say which. (A score below the
        # threshold is its own reason; explain lists every rule.) Only these few states pay
        # for it: a school's progress reads thousands.
        checks = tuple(
            coverage_checks(
                settings,
                count=saved.assessments,
                contexts=saved.contexts,
                first_day=first_day,
                last_day=last_day,
                max_autonomy=saved.max_autonomy,
                today=today,
            )
        )
    return CompetencyState(
        competency=saved.competency,
        state=saved.state,
        score=saved.score,
        acquired=bool(saved.acquired),
        score_state=saved.score_state,
        method=method,
        limit=limit,
        count=saved.assessments,
        contexts=saved.contexts,
        last_day=last_day,
        max_autonomy=saved.max_autonomy,
        non_scoring=saved.non_scoring,
        self_score=saved.self_score,
        self_state=saved.self_state,
        history=saved.history,
        first_day=first_day,
        coverage=checks,
    )


_BATCH_ROWS = 2000
"""Above this many new assessments (and four per touched pair), recording summarises the
touched pairs again instead of updating their states row by row."""


@frozen
class DiplomaInfo:
    """A diploma as a journal uses it (:meth:`Journal.diploma`), computed once per journal:
    its referential, the scale of levels, the calculation settings in force (every layer
    resolved), the leaf competencies assessments are recorded on, the catalogue of tasks."""

    referential: Referential
    scale: Scale
    settings: EffectiveSettings
    leaves: Mapping[str, Competency]
    tasks: Mapping[str, CatalogueTask]
    targets: Mapping[tuple[str, str], tuple[str, ...]]
    """(diploma recorded under, code) → the leaf codes of this diploma the evidence counts for."""
    carries_evidence: bool = False
    """Whether evidence recorded under other codes counts here (old diplomas, former codes)."""

    def sources(self, code: str) -> list[tuple[str, str]]:
        """Every (diploma, code) whose evidence counts for the leaf ``code``."""
        return [key for key, codes in self.targets.items() if code in codes]

    def remap(self, rows: Iterable[Assessment]) -> dict[str, list[Assessment]]:
        """Rows grouped by the leaf of this diploma they count for (old evidence carried over)."""
        grouped: dict[str, list[Assessment]] = defaultdict(list)
        own = self.referential.id
        for row in rows:
            for code in self.targets.get((row.diploma, row.competency), ()):
                if row.diploma == own and row.competency == code:
                    grouped[code].append(row)
                elif row.diploma == own:  # recorded under a code corrected since
                    via = f"{own} {row.competency}"
                    grouped[code].append(evolve(row, competency=code, via=via))
                else:
                    via = f"{row.diploma} {row.competency}"
                    grouped[code].append(evolve(row, competency=code, via=via))
        return grouped


def _targets(
    referential: Referential, leaves: Mapping[str, Competency]
) -> dict[tuple[str, str], tuple[str, ...]]:
    """Where evidence counts: own leaves, and old codes through the correspondence tables."""
    targets: dict[tuple[str, str], tuple[str, ...]] = {
        (referential.id, code): (code,) for code in leaves
    }
    for code, leaf in leaves.items():
        for former in leaf.former_codes:  # a code corrected since: its evidence still counts
            targets[(referential.id, former)] = (code,)
    below = {
        node.code: [leaf.code for leaf in _leaves_of(node)]
        for node in referential.all_competencies()
    }
    for table in referential.correspondences:
        for line in table.competencies:
            new = tuple(dict.fromkeys(leaf for code in line.new for leaf in below.get(code, [])))
            for old in line.old:
                key = (table.old_referential, old)
                targets[key] = tuple(dict.fromkeys((*targets.get(key, ()), *new)))
    return targets


def check_usable(referential: Referential) -> None:
    """Refuse a referential that is a draft with no competency yet (a plugin waiting for its
    official text): nothing can be recorded against it, and a progress of 0 % or « no gap »
    would be a lie.

    :raises InvalidValueError: naming the diploma, what to do, and the note of the plugin.
    """
    if any(not c.children for c in referential.all_competencies()):
        return
    message = _(
        "{diploma} is a draft referential with no competency yet: complete it with an "
        "overlay or « ep-skills referential import-rncp » (see docs/plugins/tutorial.md)"
    ).format(diploma=referential.id)
    if referential.meanwhile:
        message += _("; meanwhile use {id}, the nearest verified referential of the trade").format(
            id=referential.meanwhile
        )
    raise InvalidValueError(message, field="diploma", value=referential.id)


def _leaves_of(node: Competency) -> list[Competency]:
    if not node.children:
        return [node]
    return [leaf for child in node.children for leaf in _leaves_of(child)]


def _leaves(referential: Referential) -> dict[str, Competency]:
    """The competencies assessments are recorded on: those without sub-competencies."""
    return {c.code: c for c in referential.all_competencies() if not c.children}


def diploma_info(
    referential: Referential, scale: Scale, settings: EffectiveSettings
) -> DiplomaInfo:
    """What the journal needs of a diploma, from its referential and its settings in force."""
    check_usable(referential)
    leaves = _leaves(referential)
    return DiplomaInfo(
        referential=referential,
        scale=scale,
        settings=settings,
        leaves=leaves,
        tasks={t.id: t for t in referential.tasks},
        targets=_targets(referential, leaves),
        carries_evidence=any(t.competencies for t in referential.correspondences)
        or any(leaf.former_codes for leaf in leaves.values()),
    )


class StateKeeper:
    """Each trainee's stored leaf states, kept up to date with the evidence (one per journal).

    :param diploma: a diploma's :class:`DiplomaInfo` by id (cached by the journal).
    :param trainee: a trainee by id, as they are now.
    :param methods: the calculation methods the plugins registered.
    :param today: the date used for recency rules.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        diploma: Callable[[str], DiplomaInfo],
        trainee: Callable[[int], Trainee],
        methods: Callable[[], Mapping[str, Any]],
        today: Callable[[], date],
    ) -> None:
        self.storage = storage
        self._diploma = diploma
        self._trainee = trainee
        self._methods = methods
        self._today = today
        self._fingerprints: dict[str, str] = {}
        self._deferred = False
        # The leaf states last built for each trainee, with what they were built from; shared
        # by the callers of leaf_states, who only read them.
        self._leaves: dict[int, tuple[tuple[Any, ...], dict[str, CompetencyState]]] = {}

    @property
    def deferring(self) -> bool:
        """Whether writes are inside :meth:`deferred` (states recomputed at the end)."""
        return self._deferred

    def write(self, records: Sequence[TaskRecord]) -> list[TaskRecord]:
        """Write already-checked records in one transaction and update the states they touch:
        only those pairs, from their windows (or, for an import, summarised again)."""
        touched = {(t, a.competency) for r in records for t in r.trainees for a in r.assessments}
        rows = sum(len(r.trainees) * len(r.assessments) for r in records)
        with self.storage.transaction():
            if self._deferred:
                # Marked again with each write: a reader that recomputed meanwhile must not
                # leave these rows behind states that say they are fresh.
                self.mark_stale({r.diploma for r in records if r.diploma})
                return self.storage.add_records(records)
            people = {t: self._trainee(t) for t, _c in touched}
            self.ensure_fresh({p.diploma for p in people.values()})
            if rows > _BATCH_ROWS and rows > 4 * len(touched):
                # An import: many rows on few pairs. Summarising those pairs again from the
                # index costs less than reading back each pair's window as it grows.
                written = self.storage.add_records(records)
                self.refresh(touched)
                return written
            stored = {
                (s.trainee, s.competency): s
                for s in self.storage.states(sorted(people))
                if (s.trainee, s.competency) in touched
            }
            before = self.storage.last_assessment_id()
            written = self.storage.add_records(records)
            self._update_states(written, stored, before)
        return written

    def _update_states(
        self,
        records: Sequence[TaskRecord],
        stored: Mapping[tuple[int, str], StateRow],
        before: int,
    ) -> None:
        """Update the states a few new records touch, reading no more than their windows.

        What a state keeps (counts, distinct orders, latest day…) is updated from the new rows;
        the window of the last assessments is read back through the index. So recording a task
        costs the same in a journal of ten thousand assessments or of a million. A pair without
        a stored state, a diploma that counts other diplomas' evidence, or a school-year scope
        takes the general path (:meth:`_refresh`).
        """
        new: dict[tuple[int, str], list[tuple[AssessmentInput, TaskRecord]]] = defaultdict(list)
        for record in records:
            for trainee in record.trainees:
                for item in record.assessments:
                    new[(trainee, item.competency)].append((item, record))
        rows: list[StateRow] = []
        general: set[tuple[int, str]] = set()
        for (trainee_id, code), items in sorted(new.items()):
            person = self._trainee(trainee_id)
            info = self._diploma(person.diploma)
            old = stored.get((trainee_id, code))
            settings = info.settings
            if old is None or settings.scope != "all" or self.carries_evidence(person.diploma):
                general.add((trainee_id, code))
                continue
            values = {lv.code: lv.value for lv in info.scale.levels if lv.value is not None}
            official = [(a, r) for a, r in items if r.role != Role.AUTO]
            scoring = [(a, r) for a, r in official if a.level in values]
            contexts = {
                f"order:{r.order}" if r.order else f"task:{r.task or r.id}" for _a, r in scoring
            }
            seen = self.storage.contexts_seen(
                trainee_id,
                code,
                person.diploma,
                sorted(contexts),
                levels=list(values),
                before=before + 1,
            )
            days = [r.day for _a, r in scoring]
            autonomies = [a.autonomy for a, _r in scoring if a.autonomy is not None]
            if old.max_autonomy is not None:
                autonomies.append(old.max_autonomy)
            last = max(
                [*days, *([date.fromisoformat(old.last_day)] if old.last_day else [])], default=None
            )
            first = min(
                [*days, *([date.fromisoformat(old.first_day)] if old.first_day else [])],
                default=None,
            )
            windows: list[list[WindowRow]] = []
            # No scoring self-assessment before (no self score) and none now: the trainee's
            # own window is empty without asking the storage (a round trip per pair saved).
            no_self = old.self_score is None and not any(
                r.role == Role.AUTO and a.level in values for a, r in items
            )
            for own in (False, True):
                if own and no_self:
                    windows.append([])
                    continue
                found = self.storage.recent_window(
                    trainee_id,
                    code,
                    person.diploma,
                    values=values,
                    weights=dict(settings.role_weights),
                    limit=settings.limit,
                    own=own,
                )
                ordered = [WindowRow(*item) for item in sorted(found, key=lambda i: window_key(*i))]
                windows.append(ordered[-settings.limit :] if settings.limit else ordered)
            summary = Summary(
                competency=code,
                window=tuple(windows[0]),
                count=old.assessments + len(scoring),
                contexts=old.contexts + len(contexts - seen),
                last_day=last,
                max_autonomy=max(autonomies) if autonomies else None,
                non_scoring=old.non_scoring + len(official) - len(scoring),
                self_window=tuple(windows[1]),
                history=old.history + len(items),
                first_day=first,
            )
            state = state_from_summary(
                summary,
                scale=info.scale,
                settings=settings,
                methods=self._methods(),
                today=self._today(),
            )
            rows.append(self.row(trainee_id, state))
        self.storage.save_states(rows)
        if general:
            self.refresh(general)

    def mark_stale(self, diplomas: Iterable[str]) -> None:
        # No fingerprint matches this: the next reader recomputes these diplomas' states.
        for diploma in diplomas:
            self.storage.set_meta(f"states:{diploma}", "deferred")

    def compute(
        self, trainee: Trainee, competency: str, rows: Iterable[Assessment]
    ) -> CompetencyState:
        info = self._diploma(trainee.diploma)
        return compute_state(
            competency,
            rows,
            scale=info.scale,
            settings=info.settings,
            methods=self._methods(),
            today=self._today(),
        )

    @staticmethod
    def row(trainee: int, state: CompetencyState) -> StateRow:
        return StateRow(
            trainee=trainee,
            competency=state.competency,
            state=state.state,
            score=state.score,
            acquired=state.acquired,
            score_state=state.score_state,
            assessments=state.count,
            contexts=state.contexts,
            last_day=state.last_day.isoformat() if state.last_day else None,
            max_autonomy=state.max_autonomy,
            non_scoring=state.non_scoring,
            self_score=state.self_score,
            self_state=state.self_state,
            history=state.history,
            first_day=state.first_day.isoformat() if state.first_day else None,
        )

    def rows_for(self, trainee: Trainee, code: str) -> list[Assessment]:
        """A trainee's rows that count for a leaf: its own, and old evidence carried over."""
        info = self._diploma(trainee.diploma)
        rows = self.storage.assessments_on(trainee.id, info.sources(code))
        return info.remap(rows).get(code, [])

    def _summarised(
        self,
        diploma: str,
        *,
        trainees: Sequence[int] | None = None,
        pairs: Sequence[tuple[int, str]] | None = None,
    ) -> Iterator[StateRow]:
        """States computed from the storage's per-pair summaries (one pass in the database)."""
        info = self._diploma(diploma)
        values = {lv.code: lv.value for lv in info.scale.levels if lv.value is not None}
        settings = info.settings
        since = school_year_start(self._today()) if settings.scope == "school-year" else None
        methods = self._methods()
        for pair in self.storage.pair_summaries(
            diploma,
            values=values,
            weights=dict(settings.role_weights),
            limit=settings.limit,
            since=since,
            trainees=trainees,
            pairs=pairs,
        ):
            if pair.competency not in info.leaves:
                continue  # a code no longer in the referential: the Python path drops it too
            summary = Summary(
                competency=pair.competency,
                window=tuple(WindowRow(r, v, w) for r, v, w in pair.window),
                count=pair.count,
                contexts=pair.contexts,
                last_day=pair.last_day,
                max_autonomy=pair.max_autonomy,
                non_scoring=pair.non_scoring,
                self_window=tuple(WindowRow(r, v, w) for r, v, w in pair.self_window),
                history=pair.history,
                first_day=pair.first_day,
            )
            state = state_from_summary(
                summary, scale=info.scale, settings=settings, methods=methods, today=self._today()
            )
            yield self.row(pair.trainee, state)

    def iter_states(self) -> Iterator[StateRow]:
        """Every trainee's leaf states computed afresh from the evidence (nothing written).

        Diplomas whose trainees' evidence is all their own are summarised by the storage in
        one pass (the fast path); the others are streamed one trainee at a time. The whole
        journal is never held in memory.
        """
        # Archived trainees too: their evidence stays, and so must the states a full
        # recompute rebuilds (it clears every stored one first).
        trainees = {t.id: t for t in self.storage.trainees(archived=True)}
        by_diploma: dict[str, list[int]] = defaultdict(list)
        for trainee in trainees.values():
            by_diploma[trainee.diploma].append(trainee.id)
        slow = {d for d in by_diploma if self.carries_evidence(d)}
        for diploma in sorted(set(by_diploma) - slow):
            yield from self._summarised(diploma, trainees=by_diploma[diploma])
        slow_ids = [t for d in sorted(slow) for t in by_diploma[d]]
        current: int | None = None
        rows: list[Assessment] = []
        for row in self.storage.iter_assessments(slow_ids) if slow_ids else ():
            if row.trainee != current and current is not None:
                yield from self.trainee_rows(trainees[current], rows)
                rows = []
            current = row.trainee
            rows.append(row)
        if current is not None:
            yield from self.trainee_rows(trainees[current], rows)

    def carries_evidence(self, diploma: str) -> bool:
        """Whether evidence recorded under other codes counts here — other diplomas' through
        correspondence tables, or codes corrected since (then states are built in Python)."""
        return self._diploma(diploma).carries_evidence

    def refresh(self, pairs: Iterable[tuple[int, str]]) -> None:
        pairs = sorted(pairs)
        people = {t: self._trainee(t) for t in {trainee for trainee, _c in pairs}}
        self.ensure_fresh({p.diploma for p in people.values()})
        rows: list[StateRow] = []
        by_diploma: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for trainee_id, competency in pairs:
            by_diploma[people[trainee_id].diploma].append((trainee_id, competency))
        for diploma, group in by_diploma.items():
            if self.carries_evidence(diploma):
                for trainee_id, competency in group:
                    trainee = people[trainee_id]
                    state = self.compute(trainee, competency, self.rows_for(trainee, competency))
                    rows.append(self.row(trainee_id, state))
                continue
            if len(group) > 64:
                # Many pairs (an import, a busy day): one pass over these trainees is cheaper
                # than a long OR of pairs.
                wanted = set(group)
                trainees = sorted({t for t, _c in group})
                rows += [
                    r
                    for r in self._summarised(diploma, trainees=trainees)
                    if (r.trainee, r.competency) in wanted
                ]
            else:
                rows += self._summarised(diploma, pairs=group)
        self.storage.save_states(rows)

    def trainee_rows(self, trainee: Trainee, rows: list[Assessment]) -> list[StateRow]:
        grouped = self._diploma(trainee.diploma).remap(rows)
        return [
            self.row(trainee.id, self.compute(trainee, code, items))
            for code, items in sorted(grouped.items())
        ]

    def recompute(self) -> int:
        """Rebuild every stored state from the evidence; returns how many were computed."""
        count = 0
        with self.storage.transaction():
            self.storage.clear_states()
            batch: list[StateRow] = []
            for state in self.iter_states():
                batch.append(state)
                if len(batch) >= 5000:
                    self.storage.save_states(batch)
                    count += len(batch)
                    batch = []
            self.storage.save_states(batch)
            count += len(batch)
            for diploma in {t.diploma for t in self.storage.trainees(archived=True)}:
                self.storage.set_meta(f"states:{diploma}", self._fingerprint(diploma))
        return count

    def _fingerprint(self, diploma_id: str) -> str:
        if diploma_id not in self._fingerprints:
            info = self._diploma(diploma_id)
            fingerprint = f"{info.referential.version}:{info.settings.fingerprint()}"
            self._fingerprints[diploma_id] = fingerprint
        return self._fingerprints[diploma_id]

    def ensure_fresh(self, diplomas: Iterable[str]) -> None:
        """Recompute everything if the settings or referential changed since states were stored."""
        wanted = self._fresh_marks(diplomas)
        if wanted and self.storage.fresh_states([], wanted) is None:
            self.recompute()

    def _fresh_marks(self, diplomas: Iterable[str]) -> dict[str, str]:
        """What ``meta`` holds for the states of these diplomas when they are fresh."""
        return {f"states:{d}": self._fingerprint(d) for d in sorted(set(diplomas))}

    def leaf_states(self, people: Sequence[Trainee]) -> dict[int, dict[str, CompetencyState]]:
        result: dict[int, dict[str, CompetencyState]] = {p.id: {} for p in people}
        # A read-only journal cannot refresh stale states: compute them from the evidence.
        computed = getattr(self.storage, "read_only", False)
        live = [p for p in people if computed or self._diploma(p.diploma).settings.time_dependent]
        live_ids = {p.id for p in live}
        stored = [p for p in people if p.id not in live_ids]
        for person in live:
            # Recency and school-year rules depend on today's date: compute on read.
            grouped = self._diploma(person.diploma).remap(self.storage.assessments(person.id))
            result[person.id] = {c: self.compute(person, c, rows) for c, rows in grouped.items()}
        # A school's progress reads thousands of rows: the method of each trainee's diploma
        # is looked up once per trainee, not once per row.
        settings_of = {d: self._diploma(d).settings for d in {p.diploma for p in stored}}
        method_of = {
            p.id: (settings_of[p.diploma].method, settings_of[p.diploma].limit) for p in stored
        }
        people_by_id = {p.id: p for p in stored}
        today = self._today()
        by_trainee: dict[int, list[StateRow]] = {p.id: [] for p in stored}
        # The states, if they were stored under the settings in force (checked in the same
        # read: one exchange with a server); else recomputed first.
        saved_rows = self.storage.fresh_states(list(method_of), self._fresh_marks(settings_of))
        if saved_rows is None:
            self.recompute()
            saved_rows = self.storage.states(list(method_of))
        for saved in saved_rows:
            by_trainee[saved.trainee].append(saved)
        for trainee_id, rows in by_trainee.items():
            # A school's progress reads thousands of states and, between two reads, a few
            # trainees' change: the states of the others are those built last time. The key
            # is what they are built from (the stored rows, the settings, today's date).
            rows.sort(key=_by_competency)
            settings = settings_of[people_by_id[trainee_id].diploma]
            key = (tuple(rows), settings, today)
            cached = self._leaves.get(trainee_id)
            if cached is not None and cached[0] == key:
                result[trainee_id] = cached[1]
                continue
            method, limit = method_of[trainee_id]
            built = {r.competency: _leaf_state(r, settings, method, limit, today) for r in rows}
            if len(self._leaves) >= _LEAVES_KEPT:
                self._leaves.clear()  # a network's server: keep memory bounded
            self._leaves[trainee_id] = (key, built)
            result[trainee_id] = built
        return result

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Record many tasks without updating states as you go; they are recomputed at the end.

        For loading years of history at once (from another tool, or the benchmarks'
        generator): each write stays a transaction, but none reads or updates a state. The
        stored states are marked stale first, so that if the load stops half-way, the next
        reader recomputes them before trusting them. Nested use joins the outer one.
        """
        if self._deferred:
            yield
            return
        with self.storage.transaction():
            self.mark_stale({t.diploma for t in self.storage.trainees()})
        self._deferred = True
        try:
            yield
        finally:
            self._deferred = False
        self.recompute()

    def settle(self, diplomas: Iterable[str]) -> None:
        """Say that the stored states of these diplomas are up to date again, after every
        state a bulk write touched was rebuilt (``ep_skills.sync``); in a transaction."""
        for diploma in diplomas:
            self.storage.set_meta(f"states:{diploma}", self._fingerprint(diploma))

    def corrected(self, touched: Iterable[tuple[int, str]], diplomas: Iterable[str]) -> None:
        """Corrections were written: update the states of the pairs they touch."""
        if self._deferred:
            self.mark_stale(diplomas)
        else:
            self.refresh(touched)

    def transferred(self, moved: Trainee) -> None:
        """A trainee now prepares another diploma: their states, from all their evidence."""
        self.storage.clear_states([moved.id])
        self.storage.save_states(self.trainee_rows(moved, self.storage.assessments(moved.id)))
