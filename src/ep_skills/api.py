"""The Python API for school software: open a journal, record work, read progress.

:class:`Journal` ties the stages together — the registry's referentials, the journal's
storage, the engine's pure functions — and keeps each trainee's leaf states up to date as
evidence arrives: a write recomputes only the (trainee, competency) pairs it touched, inside
the same transaction, so that reading progress never re-reads the evidence.
:meth:`Journal.recompute` rebuilds every state from the evidence and must give the same result.

Example::

    from ep_skills import open_journal

    with open_journal("atelier.db", create=True) as journal:
        journal.add_trainee("Léa Martin", diploma="cap-cip", cohort="2026")
        journal.record(["Léa Martin"], task="conduire-ligne-mode-normal")
        print(journal.progress("Léa Martin").readiness)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import date, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from attrs import evolve, frozen

from ep_skills.engine.compute import (
    CompetencyState,
    compute_state,
)
from ep_skills.engine.layers import EffectiveSettings, SchoolConfig, resolve
from ep_skills.engine.rollup import Progress, build_progress
from ep_skills.errors import (
    AlreadyExistsError,
    ConflictError,
    EvidenceError,
    InvalidValueError,
    NotFoundError,
)
from ep_skills.i18n import _, format_day
from ep_skills.journal.audit import AuditEntry, acting_as, current_author, now
from ep_skills.journal.identity import (
    KEEP,
    Keep,
    changed_fields,
    check_metadata,
    check_name_free,
    pick_named,
    updated,
)
from ep_skills.journal.model import (
    Assessment,
    AssessmentInput,
    Correction,
    ImportBatch,
    Order,
    Photo,
    Role,
    TaskRecord,
    Trainee,
    TraineeChange,
    effective_assessments,
    name_key,
)
from ep_skills.journal.storage import StateRow, Storage
from ep_skills.journal.values import (
    check_day,
    check_id,
    check_mapping,
    check_number,
    check_text,
    check_texts,
)
from ep_skills.plugins.registry import Registry
from ep_skills.referential.defaults import DEFAULT_SCALE
from ep_skills.referential.model import CatalogueTask, Referential
from ep_skills.states import DiplomaInfo, StateKeeper, check_usable, diploma_info

if TYPE_CHECKING:
    from ep_skills.engine.explain import Explanation
    from ep_skills.engine.missing import StillMissing
    from ep_skills.engine.outlook import EpreuveOutlook
    from ep_skills.journal.exams import ExamMode, ExamSession
    from ep_skills.journal.planning import (
        Availability,
        Away,
        Derogation,
        OrderTask,
        Register,
    )

__all__ = [
    "KEEP",
    "DiplomaInfo",
    "EvidenceError",
    "ImportConflicts",
    "ImportResult",
    "Journal",
    "Keep",
    "check_usable",
    "open_journal",
]


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidValueError(
            _("unknown role {role!r} (known: {known})").format(
                role=value, known=", ".join(r.value for r in Role)
            ),
            field="role",
            value=value,
        ) from None


def _one_change(level: bool, withdraw: bool) -> None:
    if level and withdraw:
        raise InvalidValueError(_("give either a new level or withdraw, not both"), field="level")
    if not level and not withdraw:
        raise InvalidValueError(_("give the right level (--level) or withdraw it"), field="level")


def _check_word(value: object, field: str) -> str | None:
    """A code (task, level): text, or None."""
    if value is not None and not isinstance(value, str):
        raise InvalidValueError(
            _("{field}: {value!r} is not text").format(field=field, value=value),
            field=field,
            value=value,
        )
    return value


def _check_levels(value: object) -> dict[str, str]:
    """Competency codes to levels, both text."""
    levels = check_mapping(value, "competencies")
    for level in levels.values():
        _check_word(level, "level")
    return {code: str(level) for code, level in levels.items()}


_CONTEXT_KEYS = ("process", "machine", "material")
# How many trainees' progress a journal keeps built (see StateKeeper's own bound).
_PROGRESS_KEPT = 5_000


def _check_context(value: object) -> dict[str, tuple[str, ...]]:
    """Where the work was done (« procédé », « machine », « matière »): lists of texts."""
    context = check_mapping(value, "context")
    unknown = sorted(set(context) - set(_CONTEXT_KEYS))
    if unknown:
        raise InvalidValueError(
            _("context: unknown {names} (known: {known})").format(
                names=", ".join(unknown), known=", ".join(_CONTEXT_KEYS)
            ),
            field="context",
            value=value,
        )
    return {key: check_texts(items, key) for key, items in context.items()}


def _required(field: str) -> Any:
    raise InvalidValueError(_("{field} is required").format(field=field), field=field)


def _suggest(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.5)
    return _(" (did you mean: {names}?)").format(names=", ".join(close)) if close else ""


def _unknown_competency(
    code: str, diploma: str, known: Iterable[str], field: str = "competency"
) -> NotFoundError:
    return NotFoundError(
        _("unknown competency {code!r} for {diploma}").format(code=code, diploma=diploma)
        + _suggest(code, known),
        field=field,
        value=code,
    )


@frozen
class ImportResult:
    """What an import wrote, and what it found already in the journal."""

    batch: ImportBatch | None
    """The import as recorded (« import n° … »); None when nothing was new, or a dry run."""
    written: tuple[TaskRecord, ...]
    """The records written (or that would be, in a dry run)."""
    existing: tuple[tuple[int, TaskRecord], ...]
    """(row of the file, the journal's record) for each row already in the journal."""
    repeated: int
    """Rows identical to an earlier row of the file, written as records of their own (the
    same task done twice a day)."""


class ImportConflicts(ConflictError):
    """Rows whose work is already in the journal with another level or note.

    ``conflicts`` lists ``(row of the file, the file's record, the journal's record)``.
    """

    def __init__(self, conflicts: Sequence[tuple[int, TaskRecord, TaskRecord]]) -> None:
        self.conflicts = tuple(conflicts)
        super().__init__(
            _("{n} row(s) already in the journal with another level or note").format(
                n=len(self.conflicts)
            ),
            field="competencies",
        )


_UPDATABLE = ("name", "cohort", "start_date", "option", "external_id", "metadata")
"""What :meth:`Journal.update_trainee` changes (leaving is :meth:`Journal.archive_trainee`)."""

_SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_MINUTES = 10_000
"""The longest time a task record takes (a week of work is ~2,100 minutes): more is a typo."""


class Journal:
    """A journal of evidence with the diplomas of its trainees: the library's main object."""

    def __init__(
        self,
        storage: Storage,
        registry: Registry,
        *,
        school: SchoolConfig | None = None,
        today: date | None = None,
    ) -> None:
        self.storage = storage
        self.registry = registry
        self.school = school or SchoolConfig()
        self._today = today
        self._diplomas: dict[str, DiplomaInfo] = {}
        self._trainees: dict[int, Trainee] = {}
        self._trainees_by_name: dict[str, Trainee] = {}
        self._homonyms: set[str] = set()
        self._trainee_mark: tuple[int, ...] | None = None
        self._orders: set[str] = set()
        # Each trainee's progress last built, with what it was built from (_progress_of).
        self._progress: dict[int, tuple[Trainee, object, DiplomaInfo, Progress]] = {}
        self.states = StateKeeper(
            storage,
            diploma=self.diploma,
            trainee=self.trainee,
            methods=self.registry.methods,
            today=lambda: self.today,
        )
        """The stage that keeps each trainee's leaf states up to date (:mod:`ep_skills.states`)."""
        self._assessment_cache: dict[
            tuple[Any, ...], tuple[tuple[AssessmentInput, ...], CatalogueTask | None]
        ] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the storage."""
        self.storage.close()

    @property
    def today(self) -> date:
        """The date used for "in the future" checks and recency rules."""
        return self._today or date.today()

    # -- who wrote what ------------------------------------------------------------------------

    def acting_as(self, author: str) -> AbstractContextManager[None]:
        """Writes made inside (by this thread or task) are recorded in the audit as made by
        ``author`` — the bench page wraps each request of a signed-in account in it. Outside,
        the author is the operating system's user (``os:<user>``)."""
        return acting_as(author)

    def audit(
        self,
        trainee: str | int | Trainee | None = None,
        *,
        author: str | None = None,
        since: date | None = None,
        until: date | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Who wrote what, and when (« journal d'audit »), oldest first: about one trainee,
        by one author, over the days ``since`` … ``until`` (both included)."""
        from datetime import UTC, datetime, time

        return self.storage.audit(
            trainee=None if trainee is None else self.trainee(trainee).id,
            author=author,
            since=None if since is None else datetime.combine(since, time.min, UTC),
            until=None if until is None else datetime.combine(until, time.max, UTC),
            limit=limit,
        )

    def audit_write(
        self,
        action: str,
        trainees: Iterable[int] = (),
        *,
        subject: str | None = None,
        **detail: Any,
    ) -> None:
        """Tell a write in the audit, one line per trainee it touched, inside the write's
        transaction (both commit together or neither). The journal's own writes do it; code
        that writes through ``storage`` itself (the bench page's accounts, a plugin) calls it.
        ``detail``: ids, codes and counts only, never a name or a note (an erasure leaves the
        audit as it is)."""
        at, author = now(), current_author()
        people: list[int | None] = list(dict.fromkeys(trainees)) or [None]
        self.storage.add_audit(
            [AuditEntry(0, at, author, action, who, subject, detail) for who in people]
        )

    # -- diplomas ----------------------------------------------------------------------------

    def diploma(self, diploma_id: str) -> DiplomaInfo:
        """The referential, scale, settings, leaves and tasks of a diploma (cached).

        :raises InvalidValueError: the diploma's referential is a draft with no competency
            yet: nothing can be recorded or shown against it.
        """
        if diploma_id not in self._diplomas:
            referential = self.registry.get(diploma_id)
            layers = [
                *self.registry.settings_layers(diploma_id),
                *self.school.layer_for(diploma_id),
            ]
            settings = resolve(layers, self.registry.methods())
            self._diplomas[diploma_id] = diploma_info(
                referential, referential.scale or DEFAULT_SCALE, settings
            )
        return self._diplomas[diploma_id]

    def settings(self, diploma_id: str) -> EffectiveSettings:
        """The calculation settings in force for a diploma, all layers resolved."""
        return self.diploma(diploma_id).settings

    # -- trainees and orders -----------------------------------------------------------------

    def add_trainee(
        self,
        name: str,
        *,
        diploma: str,
        cohort: str | None = None,
        start_date: date | None = None,
        option: str | None = None,
        external_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Trainee:
        """Add a trainee preparing ``diploma`` (and one of its options, if it has them).

        :param external_id: the trainee's id in the school's other software (unique in the
            journal); two trainees may share a name when each has one.
        :param metadata: free information kept with the trainee (names to texts).
        :raises AlreadyExistsError: the name or the external id is taken.
        """
        checked = check_text(name, "name", strict=True)
        if checked is None:
            raise InvalidValueError(_("a trainee needs a name"), field="name", value=name)
        name = checked
        cohort = check_text(cohort, "cohort", strict=True)
        external_id = check_text(external_id, "external_id", strict=True)
        found = {} if metadata is None else check_metadata(metadata)
        start_date = check_day(start_date, "start_date")
        if not isinstance(diploma, str):
            raise InvalidValueError(
                _("diploma: {value!r} is not a diploma id").format(value=diploma),
                field="diploma",
                value=diploma,
            )
        referential = self.registry.get(diploma)
        check_usable(referential)
        option = self._check_option(referential, check_text(option, "option", strict=True))
        if start_date is not None and start_date > self.today:
            raise InvalidValueError(
                _("start date {day} is in the future").format(day=format_day(start_date)),
                field="start_date",
                value=start_date,
            )
        # Checked inside the write transaction: two adds of one name at once take turns, and
        # the second gets the same clear message as when they come one after the other.
        with self.storage.transaction():
            check_name_free(
                name,
                external_id,
                self.storage.trainees_named(name),
                self.storage.trainee_by_external_id(external_id) if external_id else None,
            )
            added = self.storage.add_trainee(
                Trainee(0, name, referential.id, cohort, start_date, option, external_id, found)
            )
            self.audit_write("trainee.add", [added.id], diploma=referential.id)
            return added

    @staticmethod
    def _check_option(referential: Referential, option: str | None) -> str | None:
        options = [o.code for o in referential.options]
        if option is not None and option not in options:
            known = ", ".join(options) or "—"
            raise InvalidValueError(
                _("unknown option {option!r} for {diploma} (known: {known})").format(
                    option=option, diploma=referential.id, known=known
                ),
                field="option",
                value=option,
            )
        return option

    def trainee(
        self, who: str | int | Trainee | None = None, *, external_id: str | None = None
    ) -> Trainee:
        """A trainee by number, by name (case, accents and spaces aside), or by the id the
        school's other software gives them; as they are now.

        :raises NotFoundError: no such trainee; the message suggests close names.
        :raises ConflictError: several trainees have that name (homonyms): give the number or
            the external id.
        """
        self._check_trainee_cache()
        if external_id is not None:
            wanted = check_text(external_id, "external_id", strict=True) or ""
            found = self.storage.trainee_by_external_id(wanted)
            if found is None:
                raise NotFoundError(
                    _("no trainee has the external id {id!r}").format(id=external_id),
                    field="external_id",
                    value=external_id,
                )
            return self._cache_trainee(found)
        if isinstance(who, Trainee):
            who = who.id
        if isinstance(who, bool) or not isinstance(who, str | int):
            raise InvalidValueError(
                _("trainee: give a number, a name or a Trainee, not {value!r}").format(value=who),
                field="trainee",
                value=who,
            )
        found = None
        if isinstance(who, int) or who.isdigit():
            number = check_id(int(who))
            if number is not None:
                found = self._trainees.get(number) or self.storage.trainee_by_id(number)
        if found is None and isinstance(who, str):
            found = self._trainees_by_name.get(name_key(who))
            if found is None:
                found = pick_named(who, self.storage.trainees_named(who.strip()))
        if found is None:
            names = [t.name for t in self.storage.trainees(archived=True)]
            raise NotFoundError(
                _("unknown trainee {name!r}").format(name=str(who)) + _suggest(str(who), names),
                field="trainee",
                value=who,
            )
        return self._cache_trainee(found)

    def _cache_trainee(self, trainee: Trainee) -> Trainee:
        # Trainees are looked up for every row of an import. A homonym is never cached by
        # name: the name alone does not say who.
        self._trainees[trainee.id] = trainee
        key = name_key(trainee.name)
        if key not in self._homonyms:
            self._trainees_by_name[key] = trainee
        return trainee

    def _check_trainee_cache(self) -> None:
        """Forget the trainees kept in memory when anyone (another thread or process) added,
        changed or transferred one since: one indexed read, far cheaper than a lookup."""
        mark = self.storage.trainee_mark()
        if mark != self._trainee_mark:
            self._trainees.clear()
            self._trainees_by_name.clear()
            self._homonyms = self.storage.shared_names()
            self._trainee_mark = mark

    def trainees(self, cohort: str | None = None, *, archived: bool = False) -> list[Trainee]:
        """Trainees by name, of one cohort if given; those who left (archived) only with
        ``archived``."""
        return self.storage.trainees(cohort, archived=archived)

    def update_trainee(
        self,
        who: str | int | Trainee,
        *,
        name: str | Keep = KEEP,
        cohort: str | Keep | None = KEEP,
        start_date: date | Keep | None = KEEP,
        option: str | Keep | None = KEEP,
        external_id: str | Keep | None = KEEP,
        metadata: Mapping[str, str] | Keep | None = KEEP,
        author: str | None = None,
        note: str | None = None,
    ) -> Trainee:
        """Change what the journal knows of a trainee; the fields not given keep their value
        (``None`` clears one). The change is kept for ever with who made it and why
        (:meth:`trainee_changes`); evidence is untouched. Returns the trainee as changed.

        :raises AlreadyExistsError: the new name or external id is another trainee's.
        :raises InvalidValueError: nothing would change, or a value is not allowed.
        """
        return self._change_trainee(
            who,
            "update",
            author=author,
            note=note,
            name=name,
            cohort=cohort,
            start_date=start_date,
            option=option,
            external_id=external_id,
            metadata=metadata,
        )

    def rename_trainee(
        self,
        who: str | int | Trainee,
        new_name: str,
        *,
        author: str | None = None,
        note: str | None = None,
    ) -> Trainee:
        """Give a trainee another name (a typing mistake, a change of name); their evidence
        stays theirs."""
        return self.update_trainee(who, name=new_name, author=author, note=note)

    def archive_trainee(
        self,
        who: str | int | Trainee,
        *,
        day: date | None = None,
        author: str | None = None,
        note: str | None = None,
    ) -> Trainee:
        """A trainee left (« sortie »): out of lists, matrices and gaps from now on; their
        evidence is kept and still shown by number. Recording new work for them is refused
        until :meth:`restore_trainee`."""
        day = check_day(day) or self.today
        return self._change_trainee(who, "archive", author=author, note=note, archived=day)

    def restore_trainee(
        self, who: str | int | Trainee, *, author: str | None = None, note: str | None = None
    ) -> Trainee:
        """A trainee who left comes back: in lists again, and new work can be recorded."""
        return self._change_trainee(who, "restore", author=author, note=note, archived=None)

    def trainee_changes(self, who: str | int | Trainee) -> list[TraineeChange]:
        """Every change of a trainee (renames, updates, leaving, coming back), oldest first."""
        return self.storage.trainee_changes(self.trainee(who).id)

    def _change_trainee(
        self,
        who: str | int | Trainee,
        kind: str,
        *,
        author: str | None,
        note: str | None,
        archived: date | Keep | None = KEEP,
        **fields: Any,
    ) -> Trainee:
        author = check_text(author, "assessor")
        note = check_text(note, "note")
        with self.storage.transaction():
            # Read inside the write transaction: two changes at once take turns, the second
            # changing what the first left.
            self._trainee_mark = None
            person = self.trainee(who)
            changed = updated(person, **{f: fields.get(f, KEEP) for f in _UPDATABLE})
            if "option" in fields and not isinstance(fields["option"], Keep):
                self._check_option(self.diploma(person.diploma).referential, changed.option)
            if not isinstance(archived, Keep):
                if archived is None and person.archived is None:
                    raise ConflictError(
                        _("{name} is not archived").format(name=person.name),
                        field="archived",
                        value=archived,
                    )
                if archived is not None and person.archived is not None:
                    raise ConflictError(
                        _("{name} was already archived on {day}").format(
                            name=person.name, day=format_day(person.archived)
                        ),
                        field="archived",
                        value=archived,
                    )
                changed = evolve(changed, archived=archived)
            fields_changed = changed_fields(person, changed)
            if not fields_changed:
                raise InvalidValueError(
                    _("nothing to change for {name}").format(name=person.name), field="trainee"
                )
            if {"name", "external_id"} & set(fields_changed):
                check_name_free(
                    changed.name,
                    changed.external_id,
                    self.storage.trainees_named(changed.name),
                    self.storage.trainee_by_external_id(changed.external_id)
                    if changed.external_id
                    else None,
                    itself=person.id,
                )
            self.storage.add_trainee_change(changed, kind, fields_changed, author, note)
            self.audit_write("trainee.change", [person.id], kind=kind, fields=list(fields_changed))
        self._trainee_mark = None
        return self.trainee(person.id)

    def add_order(
        self,
        ref: str,
        *,
        customer: str,
        title: str,
        quantity: int | None = None,
        received: date | None = None,
        due: date | None = None,
    ) -> Order:
        """Add a production order from a customer."""
        # Typed by people, never a control character: the SQLite recompute tells orders from
        # tasks by such a prefix (journal/sqlite.py, SqliteStorage._summaries).
        checked_ref = check_text(ref, "order", strict=True)
        checked_customer = check_text(customer, "customer")
        checked_title = check_text(title, "title")
        if checked_ref is None or checked_customer is None or checked_title is None:
            raise InvalidValueError(_("an order needs a reference, a customer and a title"))
        ref, customer, title = checked_ref, checked_customer, checked_title
        quantity = check_number(quantity, "quantity", 1, 10**9)
        received = check_day(received, "received")
        due = check_day(due, "due")
        with self.storage.transaction():
            if self.storage.order(ref) is not None:
                raise AlreadyExistsError(
                    _("order {ref!r} already exists").format(ref=ref), field="order", value=ref
                )
            added = self.storage.add_order(Order(ref, customer, title, quantity, received, due))
            self.audit_write("order.add", subject=ref)
            return added

    def orders(self) -> list[Order]:
        """Every order, newest first."""
        return self.storage.orders()

    # -- what the planner needs (ep_skills.journal.planning) ---------------------------------

    def add_order_task(
        self,
        order: str,
        task: str,
        *,
        minutes: int,
        places: int = 1,
        needed: int = 1,
        quantity: int = 1,
        start: date | None = None,
        machine: str | None = None,
    ) -> OrderTask:
        """Say that an order asks for a catalogue task (« tâche de la commande »): how long
        it takes each trainee, how many it takes (``places``) and needs (``needed``), how
        many times, from which day, and whether it is regulated work on a dangerous
        ``machine``. Given again, it replaces the earlier version (kept in the journal)."""
        from ep_skills.journal.planning import OrderTask, save_order_task

        ref = check_text(order, "order", strict=True) or ""
        found = self.storage.order(ref)
        if found is None:
            raise NotFoundError(_("no order {ref!r}").format(ref=ref), field="order", value=order)
        task_id = check_text(task, "task", strict=True) or ""
        catalogues = {d: self.diploma(d).tasks for d in self._diplomas_in_use()}
        if not any(task_id in tasks for tasks in catalogues.values()):
            known = sorted({t for tasks in catalogues.values() for t in tasks})
            raise NotFoundError(
                _("no catalogue task {task!r} in the diplomas of this journal{hint}").format(
                    task=task_id, hint=_suggest(task_id, known)
                ),
                field="task",
                value=task,
            )
        capacity = check_number(places, "places", 1, 100) or 1
        least = check_number(needed, "needed", 0, capacity)
        entry = OrderTask(
            order=ref,
            task=task_id,
            minutes=check_number(minutes, "minutes", 1, 60 * 24 * 30) or _required("minutes"),
            places=capacity,
            needed=1 if least is None else least,
            quantity=check_number(quantity, "quantity", 1, 1000) or 1,
            start=check_day(start, "start"),
            machine=check_text(machine, "machine", strict=True) if machine else None,
        )
        with self.storage.transaction():
            save_order_task(self.storage, entry)
            self.audit_write("order.task", subject=order, task=entry.task)
        return entry

    def withdraw_order_task(self, order: str, task: str) -> OrderTask:
        """Take a task off an order (its earlier versions stay in the journal)."""
        from ep_skills.journal.planning import save_order_task

        with self.storage.transaction():
            for entry in self.order_tasks():
                if entry.order == order and entry.task == task:
                    withdrawn = evolve(entry, withdrawn=True)
                    save_order_task(self.storage, withdrawn)
                    self.audit_write("order.task", subject=order, task=task, withdrawn=True)
                    return withdrawn
        raise NotFoundError(
            _("order {ref!r} has no task {task!r}").format(ref=order, task=task), field="task"
        )

    def order_tasks(self, order: str | None = None) -> list[OrderTask]:
        """The tasks the orders ask for (of one order if given), by order then task."""
        from ep_skills.journal.planning import order_tasks

        return [t for t in order_tasks(self.storage) if order is None or t.order == order]

    def set_availability(
        self,
        trainee: str | int | Trainee,
        *,
        hours_per_week: float,
        away: Sequence[Away] = (),
    ) -> Availability:
        """A trainee's working time at the workshop: hours per week, and the periods away
        (PFMP, absences). Replaces the earlier setting (kept in the journal)."""
        from ep_skills.journal.planning import Availability, save_availability

        person = self.trainee(trainee)
        if (
            isinstance(hours_per_week, bool)
            or not isinstance(hours_per_week, int | float)
            or not 0 <= hours_per_week <= 60  # NaN fails this too
        ):
            raise InvalidValueError(
                _("hours_per_week: {value!r} is not a number of hours between 0 and 60").format(
                    value=hours_per_week
                ),
                field="hours_per_week",
                value=hours_per_week,
            )
        for period in away:
            if period.end < period.start:
                raise InvalidValueError(
                    _("a period away ends ({end}) before it starts ({start})").format(
                        end=period.end.isoformat(), start=period.start.isoformat()
                    ),
                    field="away",
                )
        entry = Availability(person.id, round(hours_per_week * 60), tuple(away))
        with self.storage.transaction():
            save_availability(self.storage, entry)
            self.audit_write("availability", [person.id])
        return entry

    def availability(self, trainee: str | int | Trainee) -> Availability | None:
        """A trainee's working time, or None when never set."""
        from ep_skills.journal.planning import availabilities

        return availabilities(self.storage).get(self.trainee(trainee).id)

    def set_birth_date(self, trainee: str | int | Trainee, day: date) -> None:
        """A trainee's birth date, for the law on young workers (the register)."""
        from ep_skills.journal.planning import save_birth_date

        person = self.trainee(trainee)
        checked = check_day(day, "birth_date")
        if checked is None or checked > self.today:
            raise InvalidValueError(_("a birth date must be a past day"), field="birth_date")
        with self.storage.transaction():
            save_birth_date(self.storage, person.id, checked)
            self.audit_write("register", [person.id], entry="birth")

    def record_medical_opinion(
        self, trainee: str | int | Trainee, given: date, *, until: date | None = None
    ) -> None:
        """A minor's medical opinion on their fitness for the regulated work (« avis
        médical »), valid until ``until`` (by default a year after it was given)."""
        from ep_skills.journal.planning import add_years, save_medical_opinion

        person = self.trainee(trainee)
        day = check_day(given, "given") or self.today
        last = check_day(until, "until") or add_years(day, 1) - timedelta(days=1)
        if last < day:
            raise InvalidValueError(_("the medical opinion ends before it is given"), field="until")
        with self.storage.transaction():
            save_medical_opinion(self.storage, person.id, day, last)
            self.audit_write("register", [person.id], entry="medical")

    def record_safety_training(
        self, trainee: str | int | Trainee, machine: str, day: date | None = None
    ) -> None:
        """The safety training a trainee received for a machine (« formation à la
        sécurité »), on ``day`` (today by default)."""
        from ep_skills.journal.planning import save_safety_training

        person = self.trainee(trainee)
        name = check_text(machine, "machine", strict=True) or ""
        with self.storage.transaction():
            save_safety_training(self.storage, person.id, name, check_day(day, "day") or self.today)
            self.audit_write("register", [person.id], entry="training")

    def declare_derogation(
        self,
        machine: str,
        declared: date,
        *,
        place: str | None = None,
        supervisor: str | None = None,
    ) -> Derogation:
        """The school's declaration of dérogation for regulated work on ``machine``, sent
        to the labour inspectorate on ``declared`` (valid three years, R.4153-40), for the
        places of training ``place``, the young people supervised by ``supervisor`` (their
        quality or function)."""
        from ep_skills.journal.planning import Derogation, save_derogation

        entry = Derogation(
            machine=check_text(machine, "machine", strict=True) or "",
            declared=check_day(declared, "declared") or self.today,
            place=check_text(place, "place") if place else None,
            supervisor=check_text(supervisor, "supervisor") if supervisor else None,
        )
        with self.storage.transaction():
            save_derogation(self.storage, entry)
            self.audit_write("register", entry="derogation")
        return entry

    def register(self) -> Register:
        """The register of young workers: birth dates, medical opinions, safety training,
        and the school's declarations of dérogation."""
        from ep_skills.journal.planning import register

        return register(self.storage)

    def regulated_work(self, record: TaskRecord) -> list[str]:
        """What the law on young workers says against a record, one sentence per trainee who
        may not do it (empty when none): regulated work on a dangerous machine — the
        order's task says so, or the machine named is one the school declared a dérogation
        for — by a minor the register does not cover on that day. The work was done: the
        record stands, and this is said to the instructor."""
        machines = set(record.machine)
        tasks = self.order_tasks()  # one read for both uses below
        flagged = {
            t.machine
            for t in tasks
            if t.machine and t.order == record.order and t.task == record.task
        }
        entries = self.register()
        known = {t.machine for t in tasks if t.machine} | set(entries.derogations)
        regulated = sorted(flagged | (machines & known))
        said = []
        for machine in regulated:
            for trainee_id in record.trainees:
                why = entries.why_not(trainee_id, machine, record.day)
                if why is not None:
                    said.append(
                        _("{name}: regulated work on {machine} — {why}").format(
                            name=self.trainee(trainee_id).name, machine=machine, why=why
                        )
                    )
        return said

    def _diplomas_in_use(self) -> list[str]:
        return sorted({t.diploma for t in self.storage.trainees()})

    # -- recording ---------------------------------------------------------------------------

    def build_record(
        self,
        trainees: Sequence[str | int | Trainee],
        *,
        task: str | None = None,
        description: str | None = None,
        day: date | None = None,
        order: str | None = None,
        level: str | None = None,
        levels: Mapping[str, str] | None = None,
        autonomy: int | None = None,
        assessor: str | None = None,
        role: Role | str = Role.MAITRE,
        note: str | None = None,
        minutes: int | None = None,
        context: Mapping[str, Sequence[str]] | None = None,
    ) -> TaskRecord:
        """Check and assemble a task record without writing it (what ``--dry-run`` shows).

        The catalogue task proposes its default levels; ``level`` replaces them all and
        ``levels`` (competency → level) replaces or adds single ones.
        """
        if isinstance(trainees, str | bytes) or not isinstance(trainees, Sequence):
            # A name alone would be taken letter by letter.
            raise InvalidValueError(
                _("trainees: give a list of trainees, not {value!r}").format(value=trainees),
                field="trainee",
                value=trainees,
            )
        if not trainees:
            raise InvalidValueError(_("name at least one trainee"), field="trainee")
        people = [self.trainee(t) for t in trainees]
        for person in people:
            if person.archived is not None:
                raise ConflictError(
                    _("{name} left on {day} (archived): restore them to record new work").format(
                        name=person.name, day=format_day(person.archived)
                    ),
                    field="trainee",
                    value=person.id,
                )
        seen: set[int] = set()
        for person in people:
            if person.id in seen:
                raise InvalidValueError(
                    _("{name} is named twice in one record").format(name=person.name),
                    field="trainee",
                )
            seen.add(person.id)
        diplomas = {p.diploma for p in people}
        if len(diplomas) > 1:
            raise InvalidValueError(
                _("trainees of different diplomas cannot share one record: {ids}").format(
                    ids=", ".join(sorted(diplomas))
                ),
                field="trainee",
            )
        info = self.diploma(people[0].diploma)
        role = _role(role)
        today = self.today
        day = check_day(day) or today
        task = _check_word(task, "task")
        level = _check_word(level, "level")
        levels = _check_levels(levels)
        if order is not None:
            order = check_text(order, "order", strict=True)
        context = _check_context(context)
        if day > today:
            raise InvalidValueError(
                _("date {day} is in the future").format(day=format_day(day)),
                field="date",
                value=day,
            )
        for person in people:
            if person.start_date and day < person.start_date:
                raise InvalidValueError(
                    _("date {day} is before {name} started ({start})").format(
                        day=format_day(day), name=person.name, start=format_day(person.start_date)
                    ),
                    field="date",
                )
        if order is not None and order not in self._orders and self.storage.order(order) is None:
            raise NotFoundError(
                _("unknown order {ref!r}").format(ref=order)
                + _suggest(order, [o.ref for o in self.storage.orders()]),
                field="order",
                value=order,
            )
        autonomy = check_number(autonomy, "autonomy", 1, 4)
        if order is not None:
            self._orders.add(order)  # orders are never removed: remember the ones seen
        minutes = check_number(minutes, "minutes", 1, MAX_MINUTES)
        description = check_text(description, "description")
        assessor = check_text(assessor, "assessor")
        note = check_text(note, "note")

        assessments, catalogue = self._assessments(info, task, description, level, levels, autonomy)
        if catalogue is not None:
            context = {
                "process": context.get("process") or catalogue.context.process,
                "machine": context.get("machine") or catalogue.context.machine,
                "material": context.get("material") or catalogue.context.material,
            }
        record = TaskRecord(
            trainees=tuple(p.id for p in people),
            diploma=info.referential.id,
            day=day,
            assessments=assessments,
            task=task,
            description=description,
            order=order,
            minutes=minutes,
            process=tuple(context.get("process", ())),
            machine=tuple(context.get("machine", ())),
            material=tuple(context.get("material", ())),
            assessor=assessor,
            role=role,
            note=note,
        )
        problems = self.registry.check_evidence(record, info.referential, None)
        if problems:
            raise InvalidValueError("; ".join(problems))
        return record

    def _assessments(
        self,
        info: DiplomaInfo,
        task: str | None,
        description: str | None,
        level: str | None,
        levels: Mapping[str, str] | None,
        autonomy: int | None,
    ) -> tuple[tuple[AssessmentInput, ...], CatalogueTask | None]:
        """The checked assessments of a record: the task's proposals, then the given levels.

        Kept by their inputs: an import asks the same few combinations for every row.
        """
        key = (
            info.referential.id,
            task,
            task is None and not description,
            level,
            tuple((levels or {}).items()),
            autonomy,
        )
        if key in self._assessment_cache:
            return self._assessment_cache[key]
        chosen: dict[str, str] = {}
        catalogue = None
        if task is not None:
            catalogue = info.tasks.get(task)
            if catalogue is None:
                raise NotFoundError(
                    _("unknown task {task!r} for {diploma}").format(
                        task=task, diploma=info.referential.id
                    )
                    + _suggest(task, info.tasks),
                    field="task",
                    value=task,
                )
            default = info.scale.default_level
            for link in catalogue.competencies:
                proposed = link.level or default
                if proposed is None:
                    raise InvalidValueError(
                        _("task {task!r} proposes no level for {code}; give one").format(
                            task=task, code=link.code
                        ),
                        field="level",
                    )
                chosen[link.code] = proposed
        elif not description:
            raise InvalidValueError(
                _("give a catalogue task or a description of the work"), field="task"
            )
        if level is not None:
            chosen = dict.fromkeys(chosen, level)
        for code, value in (levels or {}).items():
            chosen[code] = value
        if not chosen:
            raise InvalidValueError(_("the record assesses no competency"), field="competencies")
        for code, value in chosen.items():
            if code not in info.leaves:
                raise _unknown_competency(code, info.referential.id, info.leaves, "competencies")
            if info.scale.level(value) is None:
                known = ", ".join(lv.code for lv in info.scale.levels)
                raise InvalidValueError(
                    _(
                        "unknown level {level!r} for {code} (the scale of {diploma} has: {known})"
                    ).format(level=value, code=code, diploma=info.referential.id, known=known),
                    field="competencies" if code in (levels or {}) else "level",
                    value=value,
                )
        result = (
            tuple(AssessmentInput(code, value, autonomy) for code, value in chosen.items()),
            catalogue,
        )
        if len(self._assessment_cache) > 4096:
            self._assessment_cache.clear()
        self._assessment_cache[key] = result
        return result

    def record(
        self,
        trainees: Sequence[str | int | Trainee],
        *,
        task: str | None = None,
        description: str | None = None,
        day: date | None = None,
        order: str | None = None,
        level: str | None = None,
        levels: Mapping[str, str] | None = None,
        autonomy: int | None = None,
        assessor: str | None = None,
        role: Role | str = Role.MAITRE,
        note: str | None = None,
        minutes: int | None = None,
        context: Mapping[str, Sequence[str]] | None = None,
        photo: bytes | None = None,
    ) -> TaskRecord:
        """Record a task done by one or more trainees (« enregistrement »).

        :param trainees: who did it: numbers, names, or :class:`Trainee` objects.
        :param task: a task of the diploma's catalogue; it proposes the competencies and
            their levels. Without one, ``description`` says what was done and ``levels``
            which competencies it shows.
        :param day: the day the work was done (today by default; never in the future).
        :param order: the production order (« commande ») it was done for.
        :param level: one level for every competency of the task; ``levels`` (competency →
            level) replaces or adds single ones.
        :param autonomy: 1 to 4, how autonomous the trainee was.
        :param assessor: who assessed; ``role`` in what capacity (``auto`` for a
            self-assessment, which is shown apart and never counts towards acquired).
        :param context: ``process``, ``machine`` and ``material``: lists of texts.
        :param photo: a photo of the piece (the file's bytes): checked, stripped of its
            metadata and kept with the record (:mod:`ep_skills.photos`).

        Everything is checked first (:meth:`build_record`, the plugins' checks, the photo);
        then the record, its assessments, its photo and the updated states are written in one
        transaction.

        :raises NotFoundError: an unknown trainee, task, order or competency.
        :raises InvalidValueError: a value of the wrong type, out of range or not allowed.
        :raises ConflictError: a trainee who left (archived), or homonyms named by name.
        """
        record = self.build_record(
            trainees,
            task=task,
            description=description,
            day=day,
            order=order,
            level=level,
            levels=levels,
            autonomy=autonomy,
            assessor=assessor,
            role=role,
            note=note,
            minutes=minutes,
            context=context,
        )
        if photo is None:
            return self.write_records([record])[0]
        from ep_skills.photos import clean_photo

        cleaned = clean_photo(photo)
        with self.storage.transaction():
            written = self.write_records([record])[0]
            self._keep_photo(written.id, *cleaned)
            self.audit_write("photo", written.trainees, subject=str(written.id))
        return written

    def _keep_photo(self, record_id: int, photo: Photo, data: bytes) -> None:
        self.storage.add_photo(photo, data)
        if photo.sha256 not in {p.sha256 for p in self.storage.record_photos(record_id)}:
            self.storage.attach_photo(record_id, photo.sha256)

    def attach_photo(self, record_id: int, photo: bytes) -> Photo:
        """Add a photo of the piece to a task record already written (« enregistrement n° … »);
        the same photo twice is kept and attached once."""
        from ep_skills.photos import clean_photo

        kept, data = clean_photo(photo)
        with self.storage.transaction():
            record = self.task_record(record_id)  # an unknown record is said, nothing written
            self._keep_photo(record_id, kept, data)
            self.audit_write("photo", record.trainees, subject=str(record_id))
        return self.photo(kept.sha256)[0]

    def photo(self, sha256: str) -> tuple[Photo, bytes]:
        """A kept photo and its bytes, by its hash.

        :raises NotFoundError: no photo has that hash in this journal.
        """
        found = (
            self.storage.photo(sha256)
            if isinstance(sha256, str) and _SHA256.fullmatch(sha256)
            else None
        )
        if found is None:
            raise NotFoundError(_("no photo {sha256}").format(sha256=sha256), field="photo")
        return found

    def record_photos(self, record_id: int) -> list[Photo]:
        """The photos of a task record."""
        return self.storage.record_photos(record_id)

    def trainee_photos(self, trainee: str | int | Trainee) -> list[tuple[int, date, Photo]]:
        """``(record number, day, photo)`` of every photo of the trainee's work, newest first."""
        return self.storage.trainee_photos(self.trainee(trainee).id)

    def import_records(
        self,
        records: Sequence[TaskRecord],
        *,
        file_name: str = "",
        file_sha256: str = "",
        rows: Sequence[int] | None = None,
        again: bool = False,
        dry_run: bool = False,
    ) -> ImportResult:
        """Write the records of a file that are not in the journal yet, as one import.

        Each record is recognised by its content (:mod:`ep_skills.journal.recognise`): one
        already in the journal is not written again, so importing a file twice, or a file
        that overlaps an earlier one, changes nothing but what is new. With ``again`` every
        record is written, even those already there. The import and the records it wrote
        are kept together (« import n° … ») so that it can be withdrawn as a whole.

        :param rows: the row of the file of each record (for messages); 1, 2… by default.
        :raises ImportConflicts: records whose work is in the journal with another level or
            note; nothing is written.
        """
        from ep_skills.journal.recognise import recognise

        lines = list(rows) if rows is not None else list(range(1, len(records) + 1))
        with self.storage.transaction() if not dry_run else nullcontext():
            # Read inside the write transaction: two imports of one file at once take turns,
            # and the second finds the first's records.
            days = [r.day for r in records]
            found = self.storage.records_between(min(days), max(days)) if days else []
            seen = recognise(records, found)
            if again:
                seen = evolve(seen, new=tuple(range(len(records))), existing=(), conflicts=())
            if seen.conflicts:
                raise ImportConflicts(
                    [(lines[i], records[i], there) for i, there in seen.conflicts]
                )
            fresh = [records[i] for i in seen.new]
            batch = None
            if dry_run or not fresh:
                written = fresh
            else:
                written = self.write_records(fresh, audit=False)
                batch = self.storage.add_import(
                    ImportBatch(
                        id=0,
                        file_name=file_name,
                        file_sha256=file_sha256,
                        rows=len(records),
                        new_records=len(written),
                        existing_records=len(seen.existing),
                    ),
                    [(r.id, lines[i]) for r, i in zip(written, seen.new, strict=True)],
                )
                self.audit_write(
                    "import",
                    sorted({t for r in written for t in r.trainees}),
                    subject=str(batch.id),
                    records=len(written),
                )
        return ImportResult(
            batch=batch,
            written=tuple(written),
            existing=tuple((lines[i], there) for i, there in seen.existing),
            repeated=seen.repeated,
        )

    def write_records(
        self, records: Sequence[TaskRecord], *, audit: bool = True
    ) -> list[TaskRecord]:
        """Write already-checked records in one transaction (all or nothing), and update the
        states they touch in the same transaction; each record is told in the audit (unless
        the caller tells the whole write itself, as an import does)."""
        with self.storage.transaction():
            written = self.states.write(records)
            if audit:
                for record in written:
                    self.audit_write("record", record.trainees, subject=str(record.id))
        return written

    def correct(
        self,
        assessment_id: int,
        *,
        level: str | None = None,
        withdraw: bool = False,
        assessor: str | None = None,
        role: Role | str | None = None,
        note: str | None = None,
    ) -> Assessment:
        """Correct an assessment (« évaluation n° … ») with a new level, or withdraw it; the
        original stays.

        Correcting an entry that was already corrected corrects its latest version. The
        correction keeps the original's role (a self-assessment stays one) unless ``role``
        says otherwise. The entry as it stood is ``storage.assessment(result.supersedes)``.
        """
        _one_change(level is not None, withdraw)
        level = _check_word(level, "level")
        # The chain is read inside the write transaction: two corrections of the same entry
        # at once take turns, the second correcting the first, never both the original.
        with self.storage.transaction():
            current = self._latest(assessment_id)
            if current.withdrawn:
                raise ConflictError(
                    _("assessment #{id} was withdrawn: record it again instead").format(
                        id=assessment_id
                    ),
                    field="assessment",
                )
            return self._supersede(
                [current], lambda _row: level, assessor=assessor, role=role, note=note
            )[0]

    def correct_record(
        self,
        record_id: int,
        *,
        level: str | None = None,
        levels: Mapping[str, str] | None = None,
        withdraw: bool = False,
        assessor: str | None = None,
        note: str | None = None,
    ) -> list[Assessment]:
        """Correct or withdraw a whole task record (« enregistrement n° … ») at once: every
        assessment of every trainee named in it.

        ``level`` gives every competency of the record a new level, ``levels`` (competency →
        level) only some; ``withdraw`` withdraws them all. Entries already withdrawn stay so.
        Returns the correction rows written.
        """
        level = _check_word(level, "level")
        levels = _check_levels(levels) if levels is not None else None
        _one_change(level is not None or bool(levels), withdraw)
        with self.storage.transaction():
            current = self._record_entries(record_id)
            if levels:
                unknown = sorted(set(levels) - {row.competency for row in current})
                if unknown:
                    raise InvalidValueError(
                        _("record #{id} does not assess {codes}").format(
                            id=record_id, codes=", ".join(unknown)
                        ),
                        field="competencies",
                    )
                current = [row for row in current if row.competency in levels]

            def new_level(row: Assessment) -> str | None:
                return None if withdraw else (levels or {}).get(row.competency, level)

            return self._supersede(current, new_level, assessor=assessor, note=note)

    def withdraw_record(
        self, record_id: int, *, assessor: str | None = None, note: str | None = None
    ) -> list[Assessment]:
        """Withdraw a whole task record (« enregistrement n° … »); the originals stay."""
        return self.correct_record(record_id, withdraw=True, assessor=assessor, note=note)

    def withdraw_import(
        self, import_id: int, *, assessor: str | None = None, note: str | None = None
    ) -> list[Assessment]:
        """Withdraw every record an import wrote (« import n° … »); the originals stay."""
        with self.storage.transaction():
            if check_id(import_id) is None or self.storage.import_batch(import_id) is None:
                raise NotFoundError(
                    _("no import #{id}").format(id=import_id), field="import", value=import_id
                )
            current: list[Assessment] = []
            for record_id in self.storage.imported_records(import_id):
                current += self._record_entries(record_id, quiet=True)
            if not current:
                raise ConflictError(
                    _("import #{id} was already withdrawn").format(id=import_id),
                    field="import",
                )
            return self._supersede(current, lambda _row: None, assessor=assessor, note=note)

    def task_record(self, record_id: int) -> TaskRecord:
        """One task record by number, with its trainees and assessments as first recorded."""
        record = self.storage.record(record_id) if check_id(record_id) else None
        if record is None:
            raise NotFoundError(self._no_record(record_id), field="record", value=record_id)
        return record

    def imports(self) -> list[ImportBatch]:
        """Every import so far, oldest first (« import n° … »)."""
        return self.storage.imports()

    def _no_record(self, record_id: int) -> str:
        message = _("no task record #{id}").format(id=record_id)
        if check_id(record_id) and self.storage.assessment(record_id) is not None:
            # People mix up the two numbers: say the other one exists.
            message += _(" (#{id} is an assessment number: use --assessment {id})").format(
                id=record_id
            )
        return message

    def _latest(self, assessment_id: int) -> Assessment:
        """The latest version of an assessment's chain of corrections."""
        original = self.storage.assessment(assessment_id) if check_id(assessment_id) else None
        if original is None:
            message = _("no assessment #{id}").format(id=assessment_id)
            if check_id(assessment_id) and self.storage.record(assessment_id) is not None:
                message += _(" (#{id} is a task record number: use --record {id})").format(
                    id=assessment_id
                )
            raise NotFoundError(message, field="assessment", value=assessment_id)
        chain = self.storage.assessments_on(
            original.trainee, [(original.diploma, original.competency)]
        )
        newer = {row.supersedes: row for row in chain if row.supersedes is not None}
        while original.id in newer:
            original = newer[original.id]
        return original

    def _record_entries(self, record_id: int, *, quiet: bool = False) -> list[Assessment]:
        """The entries of a record as they stand now, withdrawn ones left out."""
        if check_id(record_id) is None or self.storage.record(record_id) is None:
            raise NotFoundError(self._no_record(record_id), field="record", value=record_id)
        rows = self.storage.record_rows(record_id)
        newer = {row.supersedes: row for row in rows if row.supersedes is not None}
        current = []
        for row in rows:
            if row.supersedes is not None:
                continue
            while row.id in newer:
                row = newer[row.id]
            if not row.withdrawn:
                current.append(row)
        if not current and not quiet:
            raise ConflictError(
                _("record #{id} was already withdrawn").format(id=record_id), field="record"
            )
        return current

    def _supersede(
        self,
        current: Sequence[Assessment],
        new_level: Callable[[Assessment], str | None],
        *,
        assessor: str | None,
        note: str | None,
        role: Role | str | None = None,
    ) -> list[Assessment]:
        """Write one correction per entry (``new_level`` None withdraws it), checked by the
        plugins like new evidence, then update the states they touch. Inside a transaction.
        """
        if role is not None:
            role = _role(role)
        assessor = check_text(assessor, "assessor")
        note = check_text(note, "note")
        written: list[Assessment] = []
        touched: set[tuple[int, str]] = set()
        for row in current:
            level = new_level(row)
            trainee = self.trainee(row.trainee)
            info = self.diploma(trainee.diploma)
            if level is not None and info.scale.level(level) is None:
                known = ", ".join(lv.code for lv in info.scale.levels)
                raise InvalidValueError(
                    _("unknown level {level!r} (the scale of {diploma} has: {known})").format(
                        level=level, diploma=info.referential.id, known=known
                    ),
                    field="level",
                )
            stands = TaskRecord(
                trainees=(row.trainee,),
                day=row.day,
                assessments=(AssessmentInput(row.competency, level or row.level, row.autonomy),),
                diploma=row.diploma,
                task=row.task,
                order=row.order,
                assessor=assessor or row.assessor,
                role=Role(role) if role is not None else row.role,
                note=note,
                id=row.record,
            )
            problems = self.registry.check_evidence(
                stands, info.referential, Correction(original=row, level=level)
            )
            if problems:
                raise InvalidValueError("; ".join(problems))
            written.append(
                self.storage.add_correction(
                    row,
                    level,
                    assessor=assessor,
                    role=Role(role) if role is not None else row.role,
                    note=note,
                )
            )
            codes = info.targets.get((row.diploma, row.competency), ())
            touched |= {(row.trainee, code) for code in codes}
            self.audit_write(
                "correct" if level is not None else "withdraw",
                [row.trainee],
                subject=str(row.id),
                entry=written[-1].id,
                competency=row.competency,
            )
        self.states.corrected(touched, {row.diploma for row in written})
        return written

    def transfer(
        self, trainee: str | int | Trainee, to_diploma: str, *, note: str | None = None
    ) -> Trainee:
        """Move a trainee to another diploma (a reform, a change of course).

        Evidence stays as it was recorded; what the new referential's correspondence tables
        map from the old diploma counts under the new one, and ``explain`` shows it.
        """
        to_diploma = _check_word(to_diploma, "diploma") or ""
        person = self.trainee(trainee)
        note = check_text(note, "note")
        self.registry.get(to_diploma)
        if person.diploma == to_diploma:
            raise ConflictError(
                _("{name} already prepares {diploma}").format(name=person.name, diploma=to_diploma)
            )
        with self.storage.transaction():
            self.storage.add_transfer(person.id, person.diploma, to_diploma, note)
            self.audit_write(
                "trainee.transfer", [person.id], to=to_diploma, previous=person.diploma
            )
            moved = evolve(person, diploma=to_diploma)
            self._cache_trainee(moved)
            self.states.transferred(moved)
        return moved

    def recompute(self) -> int:
        """Rebuild every stored state from the evidence; returns how many were computed."""
        return self.states.recompute()

    def iter_states(self) -> Iterator[StateRow]:
        """Every trainee's leaf states computed afresh from the evidence (nothing written)."""
        return self.states.iter_states()

    def deferred_states(self) -> AbstractContextManager[None]:
        """Record many tasks without updating states as you go; they are recomputed at the end.

        For loading years of history at once (from another tool, or the benchmarks'
        generator): each write stays a transaction, but none reads or updates a state. The
        stored states are marked stale first, so that if the load stops half-way, the next
        reader recomputes them before trusting them. Nested use joins the outer one.
        """
        return self.states.deferred()

    def leaf_states(self, trainee: str | int | Trainee) -> dict[str, CompetencyState]:
        """The state of each assessed leaf competency of a trainee."""
        person = self.trainee(trainee)
        return dict(self.states.leaf_states([person])[person.id])  # theirs to change

    def progress(self, trainee: str | int | Trainee, *, as_of: date | None = None) -> Progress:
        """A trainee's progress: competencies, blocs, épreuve readiness.

        :param as_of: the progress as it stood at the end of that day (evidence recorded for
            later days left out), e.g. to draw progress month by month.
        """
        as_of = check_day(as_of, "as_of")
        person = self.trainee(trainee)
        if as_of is not None:
            return self.progress_over_time(person, [as_of])[0]
        return self._progress_of(person, self.states.leaf_states([person])[person.id])

    def _progress_of(self, person: Trainee, leaves: dict[str, CompetencyState]) -> Progress:
        """A trainee's progress from their leaf states, built again only when those states,
        the trainee or the diploma's settings changed since it was last built (the leaf
        states are kept by the state keeper: the same object while they stay the same)."""
        info = self.diploma(person.diploma)
        cached = self._progress.get(person.id)
        if cached is not None:
            kept_person, kept_leaves, kept_info, progress = cached
            if kept_leaves is leaves and kept_info is info and kept_person == person:
                return progress
        progress = build_progress(
            info.referential.for_option(person.option),
            leaves,
            scale=info.scale,
            settings=info.settings,
            trainee=person,
        )
        if len(self._progress) >= _PROGRESS_KEPT:
            self._progress.clear()  # a network's server: keep memory bounded
        self._progress[person.id] = (person, leaves, info, progress)
        return progress

    def progress_over_time(
        self, trainee: str | int | Trainee, days: Sequence[date]
    ) -> list[Progress]:
        """A trainee's progress as it stood at the end of each of ``days`` (the livret's
        month-by-month chart), the evidence read once for all of them."""
        person = self.trainee(trainee)
        info = self.diploma(person.diploma)
        every = self.storage.assessments(person.id)
        result = []
        for day in (check_day(d, "as_of") or self.today for d in days):
            rows = [r for r in every if r.day <= day]
            leaves = {
                code: compute_state(
                    code,
                    items,
                    scale=info.scale,
                    settings=info.settings,
                    methods=self.registry.methods(),
                    today=day,
                )
                for code, items in info.remap(rows).items()
            }
            result.append(
                build_progress(
                    info.referential.for_option(person.option),
                    leaves,
                    scale=info.scale,
                    settings=info.settings,
                    trainee=person,
                )
            )
        return result

    def evidence(self, trainee: str | int | Trainee, competency: str) -> list[Assessment]:
        """Every row behind a trainee's leaf competency, oldest first (corrections included)."""
        competency = _check_word(competency, "competency") or ""
        person = self.trainee(trainee)
        return sorted(self.states.rows_for(person, competency), key=lambda r: (r.day, r.id))

    def evidence_by_competency(self, trainee: str | int | Trainee) -> dict[str, list[Assessment]]:
        """:meth:`evidence` of every leaf competency of a trainee at once, in one read."""
        person = self.trainee(trainee)
        grouped = self.diploma(person.diploma).remap(self.storage.assessments(person.id))
        return {code: sorted(rows, key=lambda r: (r.day, r.id)) for code, rows in grouped.items()}

    def cohort_progress(
        self, cohort: str | None = None, *, diploma: str | None = None
    ) -> list[tuple[Trainee, Progress]]:
        """Progress of every trainee of a cohort (or all), by name."""
        people = [
            p for p in self.storage.trainees(cohort) if diploma is None or p.diploma == diploma
        ]
        states = self.states.leaf_states(people)
        return [(person, self._progress_of(person, states[person.id])) for person in people]

    def explain(self, trainee: str | int | Trainee, competency: str) -> Explanation:
        """Everything behind a trainee's state on one competency."""
        from ep_skills.engine.explain import Explanation  # not needed to start the CLI

        competency = _check_word(competency, "competency") or ""
        person = self.trainee(trainee)
        info = self.diploma(person.diploma)
        referential = info.referential
        codes = set(info.leaves)
        parents = {node.code for node in referential.all_competencies()}
        if competency not in codes and competency not in parents:
            raise _unknown_competency(competency, referential.id, parents)
        if competency not in codes:
            progress = self.progress(person.id)
            node = progress.node(competency)
            assert node is not None
            return Explanation(person, referential, info.scale, info.settings, None, (), node)
        rows = self.states.rows_for(person, competency)
        state = self.states.compute(person, competency, rows)
        # The task records say what was done when no catalogue task was named.
        wanted = {row.record for row in rows}
        records = [r for r in self.storage.records(person.id) if r.id in wanted]
        return Explanation(
            person,
            referential,
            info.scale,
            info.settings,
            state,
            tuple(rows),
            None,
            tuple(records),
            missing=self._still_missing(info, competency, rows),
        )

    def still_missing(
        self, trainee: str | int | Trainee, competency: str | None = None
    ) -> dict[str, StillMissing]:
        """What each leaf competency of a trainee still misses to be acquired, at the least
        (« ce qui manque encore »): how many more assessments, at which level, on how many
        orders not used for it yet, with what autonomy, not before which day — under the
        settings in force, if recorded today (:mod:`ep_skills.engine.missing`). Acquired
        ones are included, saying so; ``competency`` keeps one leaf.
        """
        person = self.trainee(trainee)
        info = self.diploma(person.diploma)
        own = {c.code for c in info.referential.for_option(person.option).all_competencies()}
        codes = [
            code
            for code in info.leaves
            if code in own and (competency is None or code == competency)
        ]
        if competency is not None and not codes:
            raise _unknown_competency(competency, info.referential.id, info.leaves)
        from ep_skills.engine.missing import StillMissing

        # An acquired competency misses nothing: only the others' evidence is read (a
        # trainee in their third year has thousands of rows, most behind acquired ones).
        leaves = self.states.leaf_states([person])[person.id]
        done = {code for code in codes if code in leaves and leaves[code].acquired}
        sources = sorted({s for code in codes if code not in done for s in info.sources(code)})
        rows = info.remap(self.storage.assessments_on(person.id, sources))
        return {
            code: StillMissing(code, acquired=True)
            if code in done
            else self._still_missing(
                info, code, sorted(rows.get(code, []), key=lambda r: (r.day, r.id))
            )
            for code in codes
        }

    def set_exam_session(
        self,
        day: date,
        *,
        mode: ExamMode | str = "ponctuel",
        cohort: str | None = None,
        trainee: str | int | Trainee | None = None,
    ) -> ExamSession:
        """When and how a cohort sits the exam (« session d'examen »), or one trainee when
        theirs differs. The latest setting wins; earlier ones stay in the journal."""
        from ep_skills.journal.exams import ExamMode, ExamSession, save_exam_session

        if (cohort is None) == (trainee is None):
            raise InvalidValueError(
                _("give either a cohort or a trainee for the exam session"), field="cohort"
            )
        try:
            chosen = ExamMode(mode)
        except ValueError:
            raise InvalidValueError(
                _("unknown exam mode {mode!r} (known: {known})").format(
                    mode=mode, known=", ".join(m.value for m in ExamMode)
                ),
                field="mode",
                value=mode,
            ) from None
        session = ExamSession(
            day=check_day(day, "date") or self.today,
            mode=chosen,
            cohort=check_text(cohort, "cohort", strict=True) if cohort is not None else None,
            trainee=self.trainee(trainee).id if trainee is not None else None,
        )
        if session.cohort is not None and not self.storage.trainees(session.cohort):
            raise NotFoundError(
                _("no trainee in cohort {cohort!r}").format(cohort=session.cohort),
                field="cohort",
                value=session.cohort,
            )
        with self.storage.transaction():
            save_exam_session(self.storage, session)
            self.audit_write(
                "exam", [session.trainee] if session.trainee else [], cohort=session.cohort
            )
        return session

    def exam_session(self, trainee: str | int | Trainee) -> ExamSession | None:
        """The trainee's exam session: their own, else their cohort's, else None."""
        from ep_skills.journal.exams import exam_sessions

        person = self.trainee(trainee)
        cohorts, own = exam_sessions(self.storage)
        return own.get(person.id) or (cohorts.get(person.cohort) if person.cohort else None)

    def outlook(self, trainee: str | int | Trainee) -> tuple[EpreuveOutlook, ...]:
        """Each épreuve on track, at risk or behind against the weeks left before the
        trainee's exam, with the competency that decides it and why
        (:mod:`ep_skills.engine.outlook`)."""
        from ep_skills.engine.outlook import PACE_WEEKS, outlook

        person = self.trainee(trainee)
        info = self.diploma(person.diploma)
        rows = self.evidence_by_competency(person)
        missing = {code: self._still_missing(info, code, found) for code, found in rows.items()}
        for code in info.leaves:
            missing.setdefault(code, self._still_missing(info, code, []))
        since = self.today - timedelta(weeks=PACE_WEEKS)
        pace = {
            code: sum(
                1
                for row in effective_assessments(found)
                if row.role != Role.AUTO
                and since < row.day <= self.today
                and (level := info.scale.level(row.level)) is not None
                and level.scoring
            )
            / PACE_WEEKS
            for code, found in rows.items()
        }
        session = self.exam_session(person)
        return outlook(
            self.progress(person.id),
            missing,
            pace,
            exam=session.day if session else None,
            today=self.today,
        )

    def _still_missing(
        self, info: DiplomaInfo, code: str, rows: Sequence[Assessment]
    ) -> StillMissing:
        from ep_skills.engine.compute import summarise
        from ep_skills.engine.missing import still_missing

        today = self.today
        summary = summarise(code, rows, scale=info.scale, settings=info.settings, today=today)
        return still_missing(
            summary,
            scale=info.scale,
            settings=info.settings,
            methods=self.registry.methods(),
            today=today,
        )


def open_journal(
    path: str | Path,
    *,
    create: bool = False,
    registry: Registry | None = None,
    school: SchoolConfig | None = None,
    today: date | None = None,
    on_upgrade: Callable[[int, int], None] | None = None,
) -> Journal:
    """Open (or with ``create``, create) a journal: a SQLite file, or a school's journal on a
    PostgreSQL server.

    :param path: a file's path, or ``postgresql://user@host:port/database?school=ID`` (the
        school may also come from ``EP_SKILLS_SCHOOL``; see docs/network.md). With
        ``create``, a server's school is registered if it is not there yet.
    :param registry: the diplomas to use; by default every installed plugin.
    :param school: the school's calculation settings, if it has a configuration file.
    :param today: the date to use as today (tests, or replaying a past day).
    :param on_upgrade: called with the found and the new schema versions before a journal
        written by an older ep-skills is upgraded (once; a large journal takes seconds).
    """
    from ep_skills.journal.connect import open_storage

    if registry is None:
        from ep_skills.plugins.manager import make_plugin_manager

        registry = Registry(make_plugin_manager())
    storage = open_storage(path, create=create, on_upgrade=on_upgrade)
    journal = Journal(storage, registry, school=school, today=today)
    if create and storage.get_meta("created") is None:
        with storage.transaction():
            storage.set_meta("created", date.today().isoformat())
    return journal
