"""School overlays: a school completes or corrects a shipped referential without forking it.

An overlay is a small TOML file naming the diploma it applies to. It can add blocs, add
competencies (under a bloc or as sub-competencies of another), correct a label, add or replace
an épreuve (to give a draft's missing coefficient), and add the school's own catalogue tasks for
its machines. Every item it brings is marked with the school's provenance, so ``ep-skills
diplomas`` and ``referential show`` say what comes from the school. The result is checked like
any referential; a broken overlay is refused with its file and key path.

Example::

    diploma = "cap-rics"
    school = "École de production de Saint-Exemple"

    [[relabels]]
    code = "C1"
    title = "Identifier, décoder et interpréter les données de définition"

    [[tasks]]
    id = "plieuse-cn-ecole"
    title = "Plier sur la presse plieuse CN de l'atelier"
    competencies = [{ code = "C2", level = "V" }]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from attrs import frozen

from ep_skills.errors import Problem, ReferentialError
from ep_skills.i18n import _
from ep_skills.referential.locate import KeyLocator
from ep_skills.referential.model import (
    Bloc,
    CatalogueTask,
    Competency,
    Epreuve,
    Provenance,
    ProvenanceStatus,
    Referential,
    Source,
)

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = [
    "AddedCompetency",
    "Overlay",
    "Relabel",
    "apply_overlay",
    "check_overlay",
    "load_overlay",
]


@frozen
class AddedCompetency:
    """A competency the school adds: in a bloc, or as a sub-competency of ``parent``."""

    competency: Competency
    bloc: str | None = None
    parent: str | None = None


@frozen
class Relabel:
    """A corrected label of a competency, bloc or épreuve (by code or id)."""

    code: str
    title: str
    note: str | None = None


@frozen
class Overlay:
    """A school's additions and corrections to one diploma's referential."""

    diploma: str
    school: str
    note: str | None = None
    sources: tuple[Source, ...] = ()
    blocs: tuple[Bloc, ...] = ()
    competencies: tuple[AddedCompetency, ...] = ()
    relabels: tuple[Relabel, ...] = ()
    epreuves: tuple[Epreuve, ...] = ()
    """Épreuves to add, or to replace when the code exists (e.g. to give a coefficient)."""
    tasks: tuple[CatalogueTask, ...] = ()


def load_overlay(source: str | Path | Traversable) -> tuple[Overlay, str]:
    """Read an overlay file; returns it with its text (for locating problems).

    What can be judged without the referential is checked here, with the file's lines: codes
    and ids (never empty, no line break, control character or invisible space), épreuve
    coefficients, the depth of competency trees. :func:`apply_overlay` checks the rest.

    :raises ReferentialError: the file is not a valid overlay.
    """
    from ep_skills.referential.codec import located, parse_toml, structure_document
    from ep_skills.referential.source import read_source

    name = str(source)
    data, text = parse_toml(read_source(source), name)
    overlay = structure_document(data, Overlay, file=name, text=text)
    problems = check_overlay(overlay)
    if problems:
        raise ReferentialError(located(problems, name, text))
    return overlay, text


def check_overlay(overlay: Overlay) -> list[Problem]:
    """The problems of an overlay on its own (see :func:`load_overlay`)."""
    from ep_skills.referential.validate import (
        bloc_codes,
        check_codes,
        competency_codes,
        epreuve_problems,
        tree_depth_problem,
    )

    trees = [(b.competencies, f"blocs[{i}].competencies") for i, b in enumerate(overlay.blocs)]
    trees += [
        (a.competency.children, f"competencies[{i}].competency.children")
        for i, a in enumerate(overlay.competencies)
    ]
    deep = [p for items, prefix in trees if (p := tree_depth_problem(items, prefix))]
    if deep:
        return deep
    pairs: list[tuple[object, str]] = [(overlay.diploma, "diploma")]
    pairs += [(source.id, f"sources[{i}].id") for i, source in enumerate(overlay.sources)]
    pairs += bloc_codes(overlay.blocs)
    for i, added in enumerate(overlay.competencies):
        pairs.append((added.competency.code, f"competencies[{i}].competency.code"))
        pairs += competency_codes(
            added.competency.children, f"competencies[{i}].competency.children"
        )
    pairs += [(task.id, f"tasks[{i}].id") for i, task in enumerate(overlay.tasks)]
    problems = list(check_codes(pairs))
    for e, epreuve in enumerate(overlay.epreuves):
        problems += epreuve_problems(epreuve, f"epreuves[{e}]")
    return problems


def _school(overlay: Overlay, item_note: str | None = None) -> Provenance:
    source = overlay.sources[0].id if overlay.sources else None
    return Provenance(ProvenanceStatus.SCHOOL, source, item_note or overlay.school)


def _mark(competency: Competency, provenance: Provenance) -> Competency:
    children = tuple(_mark(c, provenance) for c in competency.children)
    return attrs.evolve(
        competency, provenance=competency.provenance or provenance, children=children
    )


def _add_under(
    items: tuple[Competency, ...], parent: str, child: Competency
) -> tuple[tuple[Competency, ...], bool]:
    result, done = [], False
    for item in items:
        if item.code == parent:
            item = attrs.evolve(item, children=(*item.children, child))
            done = True
        elif not done:
            children, done = _add_under(item.children, parent, child)
            item = attrs.evolve(item, children=children)
        result.append(item)
    return tuple(result), done


def _pin(children: tuple[Competency, ...], provenance: Provenance) -> tuple[Competency, ...]:
    """Children keep the provenance they inherited: only the relabelled item is the school's."""
    return tuple(attrs.evolve(c, provenance=c.provenance or provenance) for c in children)


def _relabel(
    items: tuple[Competency, ...], fix: Relabel, provenance: Provenance, inherited: Provenance
) -> tuple[tuple[Competency, ...], bool]:
    result, done = [], False
    for item in items:
        own = item.provenance or inherited
        if item.code == fix.code:
            item = attrs.evolve(
                item,
                title=fix.title,
                alt_titles=(*item.alt_titles, item.title),
                provenance=provenance,
                children=_pin(item.children, own),
            )
            done = True
        else:
            children, found = _relabel(item.children, fix, provenance, own)
            item = attrs.evolve(item, children=children)
            done = done or found
        result.append(item)
    return tuple(result), done


def _locator(file: str, text: str | None) -> KeyLocator | None:
    """Lines of the overlay's keys; only asked for when it is refused (the text is read then)."""
    if text is None and file:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, ValueError):
            return None
    return KeyLocator(text) if text is not None else None


def _located(problems: list[Problem], file: str, text: str | None) -> list[Problem]:
    locator = _locator(file, text)
    if locator is None:
        return problems
    return [attrs.evolve(p, line=locator.line_of(p.path)) for p in problems]


def apply_overlay(
    referential: Referential, overlay: Overlay, *, file: str = "", text: str | None = None
) -> Referential:
    """The referential with the overlay applied, checked.

    :param file: the overlay's file, named in problems.
    :param text: its text, to give each problem its line (default: read from ``file`` when
        the overlay is refused).
    :raises ReferentialError: the overlay targets another diploma, names something that does
        not exist, or leaves the referential invalid.
    """
    from ep_skills.referential.validate import check_referential

    where = file or overlay.school
    if overlay.diploma != referential.id:
        raise ReferentialError(
            _located(
                [
                    Problem(
                        _("this overlay is for {diploma!r}, not {other!r}").format(
                            diploma=overlay.diploma, other=referential.id
                        ),
                        "diploma",
                        where,
                    )
                ],
                file,
                text,
            )
        )
    own = check_overlay(overlay)  # already done by load_overlay, not for an API caller's
    if own:
        raise ReferentialError(_located([attrs.evolve(p, file=where) for p in own], file, text))
    problems: list[Problem] = []
    school = _school(overlay)
    blocs = [
        attrs.evolve(
            b,
            provenance=b.provenance or school,
            competencies=tuple(_mark(c, school) for c in b.competencies),
        )
        for b in overlay.blocs
    ]
    merged = list(referential.blocs) + blocs
    for i, added in enumerate(overlay.competencies):
        competency = _mark(added.competency, school)
        if added.parent is not None:
            for b, bloc in enumerate(merged):
                items, done = _add_under(bloc.competencies, added.parent, competency)
                if done:
                    merged[b] = attrs.evolve(bloc, competencies=items)
                    break
            else:
                problems.append(
                    Problem(
                        _("unknown {what} {code!r}").format(
                            what=_("competency"), code=added.parent
                        ),
                        f"competencies[{i}].parent",
                        where,
                    )
                )
        else:
            targets = [b for b, bloc in enumerate(merged) if bloc.id == added.bloc]
            if not targets:
                problems.append(
                    Problem(
                        _("unknown {what} {code!r}").format(what=_("bloc"), code=added.bloc),
                        f"competencies[{i}].bloc",
                        where,
                    )
                )
                continue
            bloc = merged[targets[0]]
            merged[targets[0]] = attrs.evolve(bloc, competencies=(*bloc.competencies, competency))
    epreuves = list(referential.epreuves)
    for fix_index, fix in enumerate(overlay.relabels):
        provenance = _school(overlay, fix.note)
        done = False
        for b, bloc in enumerate(merged):
            inherited = bloc.provenance or referential.provenance
            if bloc.id == fix.code:
                merged[b] = attrs.evolve(
                    bloc,
                    title=fix.title,
                    provenance=provenance,
                    competencies=_pin(bloc.competencies, inherited),
                )
                done = True
                break
            items, found = _relabel(bloc.competencies, fix, provenance, inherited)
            if found:
                merged[b] = attrs.evolve(bloc, competencies=items)
                done = True
                break
        for e, epreuve in enumerate(epreuves):
            if not done and epreuve.code == fix.code:
                old = epreuve.provenance or referential.provenance
                situations = tuple(
                    attrs.evolve(s, provenance=s.provenance or old) for s in epreuve.situations
                )
                epreuves[e] = attrs.evolve(
                    epreuve, title=fix.title, provenance=provenance, situations=situations
                )
                done = True
        if not done:
            problems.append(
                Problem(
                    _("nothing has the code {code!r}").format(code=fix.code),
                    f"relabels[{fix_index}].code",
                    where,
                )
            )
    for epreuve in overlay.epreuves:
        marked = attrs.evolve(epreuve, provenance=epreuve.provenance or school)
        codes = [e.code for e in epreuves]
        if epreuve.code in codes:
            epreuves[codes.index(epreuve.code)] = marked
        else:
            epreuves.append(marked)
    known_tasks = {t.id for t in referential.tasks}
    for t, task in enumerate(overlay.tasks):
        if task.id in known_tasks:
            problems.append(
                Problem(
                    _("duplicate {what} {code!r} (first at {first})").format(
                        what=_("task"), code=task.id, first=referential.id
                    ),
                    f"tasks[{t}].id",
                    where,
                )
            )
    tasks = (
        *referential.tasks,
        *(attrs.evolve(t, provenance=t.provenance or school) for t in overlay.tasks),
    )
    if problems:
        raise ReferentialError(_located(problems, file, text))
    known_sources = {s.id for s in referential.sources}
    result = attrs.evolve(
        referential,
        blocs=tuple(merged),
        epreuves=tuple(epreuves),
        tasks=tasks,
        sources=(*referential.sources, *(s for s in overlay.sources if s.id not in known_sources)),
    )
    errors = [p for p in check_referential(result) if p.severity == "error"]
    if errors:
        locator = _locator(file, text)
        raise ReferentialError(
            [_in_overlay(p, referential, overlay, where, locator) for p in errors]
        )
    return result


def _in_overlay(
    problem: Problem,
    referential: Referential,
    overlay: Overlay,
    where: str,
    locator: KeyLocator | None = None,
) -> Problem:
    """Point a problem of the merged referential at the overlay item that caused it."""
    path = problem.path

    def moved(to: str) -> Problem:
        line = locator.line_of(to) if locator is not None else None
        return attrs.evolve(problem, file=where, path=to, line=line)

    for key, before in (("tasks", len(referential.tasks)), ("blocs", len(referential.blocs))):
        match = re.match(rf"{key}\[(\d+)\](.*)", path)
        if match and int(match[1]) >= before:
            index = int(match[1]) - before
            return moved(f"{key}[{index}]{match[2]}")
    match = re.match(r"epreuves\[(\d+)\](.*)", path)
    if match:
        position = int(match[1])
        code = referential.epreuves[position].code if position < len(referential.epreuves) else None
        added = [e.code for e in overlay.epreuves]
        if code in added:
            return moved(f"epreuves[{added.index(code)}]{match[2]}")
        if code is None:
            index = position - len(referential.epreuves)
            return moved(f"epreuves[{index}]{match[2]}")
    # Something of the referential itself that the overlay made invalid.
    message = _("{message} (in {diploma}, once this overlay is applied)").format(
        message=problem.message, diploma=referential.id
    )
    return attrs.evolve(problem, file=where, message=message)


def apply_overlays(
    referential: Referential, overlays: Sequence[tuple[Overlay, str]]
) -> Referential:
    """Apply, in order, the overlays that target this referential."""
    for overlay, file in overlays:
        if overlay.diploma == referential.id:
            referential = apply_overlay(referential, overlay, file=file)
    return referential
