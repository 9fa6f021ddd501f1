"""Checks beyond types: unique codes, references that resolve, sound coefficients and scale.

Each check yields :class:`~ep_skills.errors.Problem` objects with the key path of the
offending value. The coverage checks (every competency assessed by an épreuve, reachable from
the catalogue) are errors for a referential in force and warnings for a draft or a draft item,
so that an honest, incomplete referential can still ship and be completed.
"""

from __future__ import annotations

from collections.abc import Iterator

from ep_skills.errors import Problem, Severity
from ep_skills.i18n import _
from ep_skills.referential.defaults import DEFAULT_SCALE
from ep_skills.referential.model import (
    Competency,
    ProvenanceStatus,
    Referential,
    ReferentialStatus,
    Savoir,
)
from ep_skills.referential.provenance import effective_provenance_map
from ep_skills.referential.settings import Scale

__all__ = ["check_referential", "iter_competencies"]


def iter_competencies(
    competencies: tuple[Competency, ...], path: str
) -> Iterator[tuple[Competency, str, tuple[str, ...]]]:
    """Every competency of a tree, depth first, with its key path and its ancestors' codes."""

    def walk(
        items: tuple[Competency, ...], prefix: str, ancestors: tuple[str, ...]
    ) -> Iterator[tuple[Competency, str, tuple[str, ...]]]:
        for i, competency in enumerate(items):
            here = f"{prefix}[{i}]"
            yield competency, here, ancestors
            yield from walk(competency.children, f"{here}.children", (*ancestors, competency.code))

    yield from walk(competencies, path, ())


def _iter_savoirs(savoirs: tuple[Savoir, ...], prefix: str) -> Iterator[tuple[Savoir, str]]:
    for i, savoir in enumerate(savoirs):
        here = f"{prefix}[{i}]"
        yield savoir, here
        yield from _iter_savoirs(savoir.children, f"{here}.children")


def _duplicates(items: list[tuple[str, str]], what: str) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for code, path in items:
        if code in seen:
            yield Problem(
                _("duplicate {what} {code!r} (first at {first})").format(
                    what=what, code=code, first=seen[code]
                ),
                path,
            )
        else:
            seen[code] = path


def check_referential(ref: Referential) -> list[Problem]:
    """Every problem of ``ref``, errors and warnings."""
    return [
        *_check_codes(ref),
        *_check_references(ref),
        *_check_exam(ref),
        *_check_correspondences(ref),
        *_check_options(ref),
        *_check_scale(ref.scale or DEFAULT_SCALE, "scale" if ref.scale else ""),
        *_check_coverage(ref),
    ]


def _all_competencies(ref: Referential) -> list[tuple[Competency, str, tuple[str, ...]]]:
    found: list[tuple[Competency, str, tuple[str, ...]]] = []
    for b, bloc in enumerate(ref.blocs):
        found.extend(iter_competencies(bloc.competencies, f"blocs[{b}].competencies"))
    return found


def _check_codes(ref: Referential) -> Iterator[Problem]:
    yield from _duplicates(
        [(s.id, f"sources[{i}].id") for i, s in enumerate(ref.sources)], _("source")
    )
    yield from _duplicates([(b.id, f"blocs[{i}].id") for i, b in enumerate(ref.blocs)], _("bloc"))
    yield from _duplicates(
        [(c.code, f"{p}.code") for c, p, _a in _all_competencies(ref)], _("competency")
    )
    activity_codes = []
    for a, activity in enumerate(ref.activities):
        activity_codes.append((activity.code, f"activities[{a}].code"))
        activity_codes += [
            (t.code, f"activities[{a}].tasks[{i}].code") for i, t in enumerate(activity.tasks)
        ]
    yield from _duplicates(activity_codes, _("activity"))
    yield from _duplicates(
        [(s.code, f"{p}.code") for s, p in _iter_savoirs(ref.savoirs, "savoirs")], _("savoir")
    )
    yield from _duplicates(
        [(e.code, f"epreuves[{i}].code") for i, e in enumerate(ref.epreuves)], _("épreuve")
    )
    for e, epreuve in enumerate(ref.epreuves):
        yield from _duplicates(
            [
                (s.code, f"epreuves[{e}].situations[{i}].code")
                for i, s in enumerate(epreuve.situations)
            ],
            _("situation"),
        )
    yield from _duplicates([(t.id, f"tasks[{i}].id") for i, t in enumerate(ref.tasks)], _("task"))
    for t, task in enumerate(ref.tasks):
        yield from _duplicates(
            [
                (c.code, f"tasks[{t}].competencies[{i}].code")
                for i, c in enumerate(task.competencies)
            ],
            _("competency"),
        )
        if not task.competencies:
            yield Problem(
                _("a task must mobilise at least one competency"), f"tasks[{t}].competencies"
            )
    if ref.id in ref.replaces:
        yield Problem(_("a referential cannot replace itself"), "replaces")


def _unknown(what: str, code: str, path: str) -> Problem:
    return Problem(_("unknown {what} {code!r}").format(what=what, code=code), path)


def _check_references(ref: Referential) -> Iterator[Problem]:
    sources = {s.id for s in ref.sources}
    for path, provenance in effective_provenance_map(ref, declared_only=True).items():
        if provenance.source is not None and provenance.source not in sources:
            yield _unknown(_("source"), provenance.source, f"{path}.provenance.source".lstrip("."))
    savoirs = {s.code for s, _p in _iter_savoirs(ref.savoirs, "savoirs")}
    activities = {a.code for a in ref.activities} | {
        t.code for a in ref.activities for t in a.tasks
    }
    for competency, path, _a in _all_competencies(ref):
        for i, code in enumerate(competency.savoirs):
            if code not in savoirs:
                yield _unknown(_("savoir"), code, f"{path}.savoirs[{i}]")
        for i, code in enumerate(competency.activities):
            if code not in activities:
                yield _unknown(_("activity"), code, f"{path}.activities[{i}]")
    competencies = {c.code: c for c, _p, _a in _all_competencies(ref)}
    blocs = {b.id for b in ref.blocs}
    for e, epreuve in enumerate(ref.epreuves):
        if epreuve.bloc is not None and epreuve.bloc not in blocs and not ref.include:
            yield _unknown(_("bloc"), epreuve.bloc, f"epreuves[{e}].bloc")
        for i, code in enumerate(epreuve.competencies):
            if code not in competencies:
                yield _unknown(_("competency"), code, f"epreuves[{e}].competencies[{i}]")
        for s, situation in enumerate(epreuve.situations):
            for i, code in enumerate(situation.competencies):
                if code not in competencies:
                    yield _unknown(
                        _("competency"), code, f"epreuves[{e}].situations[{s}].competencies[{i}]"
                    )
    scale = ref.scale or DEFAULT_SCALE
    for t, task in enumerate(ref.tasks):
        for i, link in enumerate(task.competencies):
            here = f"tasks[{t}].competencies[{i}]"
            target = competencies.get(link.code)
            if target is None:
                yield _unknown(_("competency"), link.code, f"{here}.code")
            elif target.children:
                yield Problem(
                    _("{code!r} has sub-competencies: map the task to them").format(code=link.code),
                    f"{here}.code",
                )
            if link.level is not None and scale.level(link.level) is None:
                yield _unknown(_("level"), link.level, f"{here}.level")
        for i, code in enumerate(task.activities):
            if code not in activities:
                yield _unknown(_("activity"), code, f"tasks[{t}].activities[{i}]")


def _check_correspondences(ref: Referential) -> Iterator[Problem]:
    units = {e.code for e in ref.epreuves} | {e.unit for e in ref.epreuves if e.unit}
    competencies = {c.code for c, _p, _a in _all_competencies(ref)}
    for t, table in enumerate(ref.correspondences):
        here = f"correspondences[{t}]"
        if table.old_referential == ref.id:
            yield Problem(_("a referential cannot correspond to itself"), f"{here}.old_referential")
        for kind, known in (("units", units), ("competencies", competencies)):
            for i, line in enumerate(getattr(table, kind)):
                if not line.old or not line.new:
                    yield Problem(
                        _("a correspondence needs old and new codes"), f"{here}.{kind}[{i}]"
                    )
                for j, code in enumerate(line.new):
                    if code not in known:
                        what = _("unit or épreuve") if kind == "units" else _("competency")
                        yield _unknown(what, code, f"{here}.{kind}[{i}].new[{j}]")


def _check_options(ref: Referential) -> Iterator[Problem]:
    yield from _duplicates(
        [(o.code, f"options[{i}].code") for i, o in enumerate(ref.options)], _("option")
    )
    known = {o.code for o in ref.options}
    for kind, options in (
        ("blocs", [b.option for b in ref.blocs]),
        ("epreuves", [e.option for e in ref.epreuves]),
    ):
        for i, option in enumerate(options):
            if option is not None and option not in known:
                yield _unknown(_("option"), option, f"{kind}[{i}].option")


def _check_exam(ref: Referential) -> Iterator[Problem]:
    for e, epreuve in enumerate(ref.epreuves):
        if epreuve.coefficient is None:
            if (epreuve.provenance or ref.provenance).status is not ProvenanceStatus.DRAFT:
                yield Problem(
                    _(
                        "the coefficient is missing (mark the épreuve as a draft if the "
                        "official one is not known)"
                    ),
                    f"epreuves[{e}].coefficient",
                )
        elif epreuve.coefficient <= 0:
            yield Problem(_("the coefficient must be positive"), f"epreuves[{e}].coefficient")
        for s, situation in enumerate(epreuve.situations):
            if situation.coefficient is not None and situation.coefficient <= 0:
                yield Problem(
                    _("the coefficient must be positive"),
                    f"epreuves[{e}].situations[{s}].coefficient",
                )


def _check_scale(scale: Scale, path: str) -> Iterator[Problem]:
    prefix = f"{path}." if path else "default scale: "
    yield from _duplicates(
        [(lv.code, f"{prefix}levels[{i}].code") for i, lv in enumerate(scale.levels)], _("level")
    )
    yield from _duplicates(
        [(st.code, f"{prefix}states[{i}].code") for i, st in enumerate(scale.states)], _("state")
    )
    if not any(level.scoring for level in scale.levels):
        yield Problem(_("the scale needs at least one level with a value"), f"{prefix}levels")
    for i, level in enumerate(scale.levels):
        if not level.code.isprintable():
            # Level codes are stored in the journal and packed by the recompute's queries.
            yield Problem(
                _("a level code cannot contain control characters"), f"{prefix}levels[{i}].code"
            )
        if level.value is not None and not 0 <= level.value <= 100:
            yield Problem(
                _("a level's value must be between 0 and 100"), f"{prefix}levels[{i}].value"
            )
    minimums = [s.min_score for s in scale.states]
    if not scale.states or min(minimums) != 0:
        yield Problem(_("the states must start at score 0"), f"{prefix}states")
    elif len(set(minimums)) != len(minimums):
        yield Problem(_("two states start at the same score"), f"{prefix}states")
    if scale.states and not any(s.acquired for s in scale.states):
        yield Problem(_("at least one state must count as acquired"), f"{prefix}states")
    if scale.default_level is not None and scale.level(scale.default_level) is None:
        yield _unknown(_("level"), scale.default_level, f"{prefix}default_level")


def _assessed_codes(ref: Referential) -> set[str]:
    """Competencies an épreuve assesses: those it names, their descendants, and any parent
    all of whose children are assessed (recursively)."""
    named: set[str] = set()
    for epreuve in ref.epreuves:
        named.update(epreuve.competencies)
        for situation in epreuve.situations:
            named.update(situation.competencies)
    covered: set[str] = set()

    def walk(items: tuple[Competency, ...], inherited: bool) -> None:
        for item in items:
            here = inherited or item.code in named
            walk(item.children, here)
            if here or (item.children and all(c.code in covered for c in item.children)):
                covered.add(item.code)

    for bloc in ref.blocs:
        walk(bloc.competencies, False)
    return covered


def _check_coverage(ref: Referential) -> Iterator[Problem]:
    provenance = effective_provenance_map(ref)
    assessed = _assessed_codes(ref)
    mapped = {link.code for task in ref.tasks for link in task.competencies}
    for competency, path, _ancestors in _all_competencies(ref):
        lenient = (
            ref.status is ReferentialStatus.DRAFT
            or provenance[path].status is ProvenanceStatus.DRAFT
        )
        severity = Severity.WARNING if lenient else Severity.ERROR
        if competency.code not in assessed:
            yield Problem(
                _("competency {code!r} is not assessed by any épreuve").format(
                    code=competency.code
                ),
                f"{path}.code",
                severity=severity,
            )
        if not competency.children and competency.code not in mapped:
            yield Problem(
                _("competency {code!r} is not reachable from any catalogue task").format(
                    code=competency.code
                ),
                f"{path}.code",
                severity=severity,
            )
