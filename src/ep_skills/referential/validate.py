"""Checks beyond types: unique codes, references that resolve, sound coefficients and scale.

Each check yields :class:`~ep_skills.errors.Problem` objects with the key path of the
offending value. The coverage checks (every competency assessed by an épreuve, reachable from
the catalogue) are errors for a referential in force and warnings for a draft or a draft item,
so that an honest, incomplete referential can still ship and be completed.

Every value is checked where it enters: codes and ids (never empty, no line break, control
character or invisible space), numbers (coefficients, level values, thresholds, the European
level: finite and within their range, never NaN), RNCP validity dates in order, and the
``[settings]`` table with the same rules as a school's file and
:func:`ep_skills.engine.layers.resolve`, so that a referential the check accepts can always
be computed with.

A referential that includes fragments (``include``) is checked as it will be used, with the
blocs and sources of those fragments appended, when the caller gives the fragments: its
épreuves, tasks and correspondences may then name a fragment's competencies. Without them, a
bloc an épreuve names may be a fragment's and is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

import attrs

from ep_skills.errors import Problem, Severity
from ep_skills.i18n import _
from ep_skills.referential.defaults import DEFAULT_SCALE
from ep_skills.referential.model import (
    AssessmentMode,
    Bloc,
    Competency,
    Epreuve,
    Fragment,
    ProvenanceStatus,
    Referential,
    ReferentialStatus,
    Savoir,
)
from ep_skills.referential.provenance import effective_provenance_map
from ep_skills.referential.settings import (
    Scale,
    code_problem,
    known_methods,
    path_key,
    settings_problems,
)

__all__ = [
    "COEFFICIENT_MAX",
    "MAX_TREE_DEPTH",
    "bloc_codes",
    "check_codes",
    "check_fragment",
    "check_referential",
    "competency_codes",
    "epreuve_problems",
    "fragment_path",
    "iter_competencies",
    "tree_depth_problem",
    "with_fragments",
]

MAX_TREE_DEPTH = 14
"""Levels of sub-competencies (or sub-savoirs) at most: what a TOML file within
:data:`ep_skills.referential.codec.MAX_DEPTH` can hold, far beyond any official text."""
COEFFICIENT_MAX = 1_000_000
"""Official coefficients are small numbers; a larger one is a typo, and readiness, a sum of
coefficients, must stay a finite number."""
LEVEL_RANGE = (0, 8)
"""The European qualification levels, 1 to 8; 0 when not known yet (a skeleton from
``ep-skills plugin new`` or an RNCP fiche that does not say)."""


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


def check_referential(
    ref: Referential,
    *,
    methods: Collection[str] | None = None,
    fragments: Mapping[str, Fragment] | None = None,
) -> list[Problem]:
    """Every problem of ``ref``, errors and warnings.

    :param methods: the calculation methods ``[settings] method`` may name. None: the
        built-in ones, and the installed plugins' when it names another one — a method a
        plugin adds is valid wherever that plugin is installed, and nowhere else could the
        referential be computed with.
    :param fragments: the fragments ``ref`` may include, by id: ``ref`` is then checked with
        their blocs and sources appended, as the registry serves it. A problem inside a
        fragment has the key path of the merged referential: :func:`fragment_path` tells
        which fragment and where. None: includes are not resolved (``ref`` may already have
        its fragments merged in).
    """
    if fragments is None or not ref.include:
        return _check_all(ref, methods, lenient_blocs=bool(ref.include))
    known = ", ".join(sorted(fragments)) or "—"
    missing = [
        Problem(
            _("unknown fragment {id!r} (known: {known})").format(id=fragment_id, known=known),
            "include",
        )
        for fragment_id in ref.include
        if fragment_id not in fragments
    ]
    merged = with_fragments(ref, fragments)
    # With a fragment missing, an épreuve's bloc may well be one of its blocs: say nothing.
    return [*missing, *_check_all(merged, methods, lenient_blocs=bool(missing))]


def _check_all(
    ref: Referential, methods: Collection[str] | None, *, lenient_blocs: bool
) -> list[Problem]:
    deep = [
        problem
        for items, prefix in (
            *((bloc.competencies, f"blocs[{b}].competencies") for b, bloc in enumerate(ref.blocs)),
            (ref.savoirs, "savoirs"),
        )
        if (problem := tree_depth_problem(items, prefix)) is not None
    ]
    if deep:  # every other check walks the trees recursively
        return deep
    return [
        *_check_identifiers(ref),
        *_check_codes(ref),
        *_check_references(ref, lenient_blocs=lenient_blocs),
        *_check_exam(ref),
        *_check_correspondences(ref),
        *_check_options(ref),
        *_check_scale(ref.scale or DEFAULT_SCALE, "scale" if ref.scale else ""),
        *_check_rncp(ref),
        *_check_settings(ref, methods),
        *_check_coverage(ref),
    ]


def _appended(
    ref: Referential, fragments: Mapping[str, Fragment]
) -> dict[str, list[tuple[Fragment, int]]]:
    """Where each bloc and source that the included fragments add comes from, in order.

    Blocs come in ``include`` order, each fragment once; a source whose id is known already
    (the referential's own, or an earlier fragment's) is not added again.
    """
    blocs: list[tuple[Fragment, int]] = []
    sources: list[tuple[Fragment, int]] = []
    known_sources = {s.id for s in ref.sources}
    for fragment_id in dict.fromkeys(ref.include):
        fragment = fragments.get(fragment_id)
        if fragment is None:
            continue
        blocs += [(fragment, i) for i in range(len(fragment.blocs))]
        for i, source in enumerate(fragment.sources):
            if source.id not in known_sources:
                sources.append((fragment, i))
                known_sources.add(source.id)
    return {"blocs": blocs, "sources": sources}


def with_fragments(ref: Referential, fragments: Mapping[str, Fragment]) -> Referential:
    """``ref`` with the blocs and sources of its included fragments appended after its own.

    A fragment's bloc without a provenance of its own takes the fragment's. Fragments that
    ``fragments`` does not hold are left out (:func:`check_referential` reports them).
    """
    if not ref.include:
        return ref
    origins = _appended(ref, fragments)
    blocs = [
        attrs.evolve(f.blocs[i], provenance=f.blocs[i].provenance or f.provenance)
        for f, i in origins["blocs"]
    ]
    sources = [f.sources[i] for f, i in origins["sources"]]
    return attrs.evolve(ref, blocs=(*ref.blocs, *blocs), sources=(*ref.sources, *sources))


_ITEM_PATH_RE = re.compile(r"^(blocs|sources)\[(\d+)\](.*)$", re.S)


def fragment_path(
    ref: Referential, fragments: Mapping[str, Fragment], path: str
) -> tuple[str, str] | None:
    """For a key path of ``with_fragments(ref, fragments)``: the fragment it lies in and the
    key path inside that fragment, or None when it is the referential's own."""
    match = _ITEM_PATH_RE.match(path)
    if match is None or not ref.include:
        return None
    kind, index, rest = match.group(1), int(match.group(2)), match.group(3)
    own = len(ref.blocs) if kind == "blocs" else len(ref.sources)
    origins = _appended(ref, fragments)[kind]
    if not 0 <= index - own < len(origins):
        return None
    fragment, inner = origins[index - own]
    return fragment.id, f"{kind}[{inner}]{rest}"


def tree_depth_problem(items: tuple[Any, ...], prefix: str) -> Problem | None:
    """A problem when a tree of competencies or savoirs is deeper than :data:`MAX_TREE_DEPTH`."""
    stack = [(item, f"{prefix}[{i}]", 1) for i, item in enumerate(items)]
    while stack:  # no recursion: the point is to survive any depth
        item, path, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            message = _("nested too deeply (more than {limit} levels)").format(limit=MAX_TREE_DEPTH)
            return Problem(message, path)
        stack += [(c, f"{path}.children[{i}]", depth + 1) for i, c in enumerate(item.children)]
    return None


def check_codes(pairs: Iterable[tuple[object, str]]) -> Iterator[Problem]:
    """A problem for each ``(code, key path)`` whose code is empty, has a line break…"""
    for code, path in pairs:
        message = code_problem(code)
        if message is not None:
            yield Problem(message, path)


def competency_codes(
    competencies: tuple[Competency, ...], prefix: str
) -> Iterator[tuple[str, str]]:
    """``(code, key path)`` of every competency of a tree."""
    for competency, path, _ancestors in iter_competencies(competencies, prefix):
        yield competency.code, f"{path}.code"


def bloc_codes(blocs: tuple[Bloc, ...], prefix: str = "blocs") -> Iterator[tuple[str, str]]:
    """``(code, key path)`` of the blocs' ids, RNCP codes and competency codes."""
    for b, bloc in enumerate(blocs):
        yield bloc.id, f"{prefix}[{b}].id"
        if bloc.rncp_code is not None:
            yield bloc.rncp_code, f"{prefix}[{b}].rncp_code"
        yield from competency_codes(bloc.competencies, f"{prefix}[{b}].competencies")


def epreuve_problems(epreuve: Epreuve, path: str) -> Iterator[Problem]:
    """The épreuve's codes and coefficients (a missing coefficient is judged by the caller)."""
    yield from check_codes([(epreuve.code, f"{path}.code")])
    if epreuve.unit is not None:
        yield from check_codes([(epreuve.unit, f"{path}.unit")])
    yield from _coefficient(epreuve.coefficient, f"{path}.coefficient")
    for s, situation in enumerate(epreuve.situations):
        here = f"{path}.situations[{s}]"
        yield from check_codes([(situation.code, f"{here}.code")])
        yield from _coefficient(situation.coefficient, f"{here}.coefficient")


def _coefficient(value: float | None, path: str) -> Iterator[Problem]:
    if value is None:
        return
    if value <= 0:
        yield Problem(_("the coefficient must be positive"), path)
    elif not value <= COEFFICIENT_MAX:  # NaN and infinities too
        message = _("must be a positive number, at most {high}").format(high=COEFFICIENT_MAX)
        yield Problem(message, path)


def check_fragment(fragment: Fragment) -> list[Problem]:
    """The problems of a shared bloc fragment: depth, ids and codes, source ids."""
    deep = [
        problem
        for b, bloc in enumerate(fragment.blocs)
        if (problem := tree_depth_problem(bloc.competencies, f"blocs[{b}].competencies"))
    ]
    if deep:
        return deep
    pairs = [
        (fragment.id, "id"),
        *((source.id, f"sources[{i}].id") for i, source in enumerate(fragment.sources)),
        *bloc_codes(fragment.blocs),
    ]
    return list(check_codes(pairs))


def _check_identifiers(ref: Referential) -> Iterator[Problem]:
    pairs: list[tuple[object, str]] = [(ref.id, "id")]
    pairs += [(code, f"replaces[{i}]") for i, code in enumerate(ref.replaces)]
    pairs += [(code, f"include[{i}]") for i, code in enumerate(ref.include)]
    pairs += [(s.id, f"sources[{i}].id") for i, s in enumerate(ref.sources)]
    pairs += [(r.number, f"rncp[{i}].number") for i, r in enumerate(ref.rncp)]
    pairs += [(o.code, f"options[{i}].code") for i, o in enumerate(ref.options)]
    for a, activity in enumerate(ref.activities):
        pairs.append((activity.code, f"activities[{a}].code"))
        pairs += [
            (t.code, f"activities[{a}].tasks[{i}].code") for i, t in enumerate(activity.tasks)
        ]
    pairs += bloc_codes(ref.blocs)
    pairs += [(s.code, f"{p}.code") for s, p in _iter_savoirs(ref.savoirs, "savoirs")]
    pairs += [(t.id, f"tasks[{i}].id") for i, t in enumerate(ref.tasks)]
    for c, table in enumerate(ref.correspondences):
        pairs.append((table.old_referential, f"correspondences[{c}].old_referential"))
        for kind in ("units", "competencies"):
            for i, line in enumerate(getattr(table, kind)):
                pairs += [
                    (code, f"correspondences[{c}].{kind}[{i}].old[{j}]")
                    for j, code in enumerate(line.old)
                ]
    yield from check_codes(pairs)
    low, high = LEVEL_RANGE
    if not low <= ref.level <= high:
        yield Problem(
            _("must be a whole number from {low} to {high}").format(low=low, high=high), "level"
        )


def _check_rncp(ref: Referential) -> Iterator[Problem]:
    for i, registration in enumerate(ref.rncp):
        start, end = registration.valid_from, registration.valid_until
        if start is not None and end is not None and end < start:
            yield Problem(
                _("the registration ends ({end}) before it starts ({start})").format(
                    end=end.isoformat(), start=start.isoformat()
                ),
                f"rncp[{i}].valid_until",
            )


def _check_settings(ref: Referential, methods: Collection[str] | None) -> Iterator[Problem]:
    settings = ref.settings
    if settings is None:
        return
    known = methods if methods is not None else known_methods(settings.method)
    for key, message in settings_problems(settings, methods=known):
        yield Problem(message, f"settings.{key}")
    states = {state.code for state in (ref.scale or DEFAULT_SCALE).states}
    for code in settings.state_points or {}:
        if code not in states:
            yield _unknown(_("state"), code, f"settings.state_points.{path_key(code)}")


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


def _check_references(ref: Referential, *, lenient_blocs: bool) -> Iterator[Problem]:
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
        if epreuve.bloc is not None and epreuve.bloc not in blocs and not lenient_blocs:
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
            elif link.level is None and scale.default_level is None:
                # Recording the task would stop at this competency: nothing to propose.
                yield Problem(
                    _("no level to propose: give one here, or a default_level to the scale"),
                    f"{here}.level",
                )
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
        draft = (epreuve.provenance or ref.provenance).status is ProvenanceStatus.DRAFT
        # A titre professionnel's CCP has no coefficient: the title needs every one of them.
        certificate = AssessmentMode.CCP in epreuve.modes
        if epreuve.coefficient is None and not draft and not certificate:
            yield Problem(
                _(
                    "the coefficient is missing (mark the épreuve as a draft if the "
                    "official one is not known)"
                ),
                f"epreuves[{e}].coefficient",
            )
        yield from epreuve_problems(epreuve, f"epreuves[{e}]")


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
    # Level codes are stored in the journal and packed by the recompute's queries.
    yield from check_codes(
        [(lv.code, f"{prefix}levels[{i}].code") for i, lv in enumerate(scale.levels)]
        + [(st.code, f"{prefix}states[{i}].code") for i, st in enumerate(scale.states)]
    )
    for i, level in enumerate(scale.levels):
        if level.value is not None and not 0 <= level.value <= 100:
            yield Problem(
                _("a level's value must be between 0 and 100"), f"{prefix}levels[{i}].value"
            )
    for i, state in enumerate(scale.states):
        if not 0 <= state.min_score <= 100:
            yield Problem(
                _("must be a whole number from {low} to {high}").format(low=0, high=100),
                f"{prefix}states[{i}].min_score",
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
