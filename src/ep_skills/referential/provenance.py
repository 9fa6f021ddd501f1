"""Provenance of each item, inherited from the nearest parent that states one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from ep_skills.referential.model import (
    Competency,
    Provenance,
    ProvenanceStatus,
    Referential,
    Savoir,
)

__all__ = ["count_by_status", "effective_provenance_map"]


def _competencies(
    items: tuple[Competency, ...], prefix: str, inherited: Provenance
) -> Iterator[tuple[str, Provenance, bool]]:
    for i, competency in enumerate(items):
        here = f"{prefix}[{i}]"
        own = competency.provenance
        effective = own or inherited
        yield here, effective, own is not None
        yield from _competencies(competency.children, f"{here}.children", effective)


def _walk(ref: Referential) -> Iterator[tuple[str, Provenance, bool]]:
    """(key path, effective provenance, declared here?) for every item of ``ref``."""
    top = ref.provenance
    yield "", top, True
    for i, reg in enumerate(ref.rncp):
        yield f"rncp[{i}]", reg.provenance or top, reg.provenance is not None
    for a, activity in enumerate(ref.activities):
        act = activity.provenance or top
        yield f"activities[{a}]", act, activity.provenance is not None
        for t, task in enumerate(activity.tasks):
            yield f"activities[{a}].tasks[{t}]", task.provenance or act, task.provenance is not None
    for b, bloc in enumerate(ref.blocs):
        blc = bloc.provenance or top
        yield f"blocs[{b}]", blc, bloc.provenance is not None
        yield from _competencies(bloc.competencies, f"blocs[{b}].competencies", blc)

    def savoirs(
        items: tuple[Savoir, ...], prefix: str, inherited: Provenance
    ) -> Iterator[tuple[str, Provenance, bool]]:
        for i, savoir in enumerate(items):
            here = f"{prefix}[{i}]"
            eff = savoir.provenance or inherited
            yield here, eff, savoir.provenance is not None
            yield from savoirs(savoir.children, f"{here}.children", eff)

    yield from savoirs(ref.savoirs, "savoirs", top)
    for e, epreuve in enumerate(ref.epreuves):
        epr = epreuve.provenance or top
        yield f"epreuves[{e}]", epr, epreuve.provenance is not None
        for s, situation in enumerate(epreuve.situations):
            yield (
                f"epreuves[{e}].situations[{s}]",
                situation.provenance or epr,
                situation.provenance is not None,
            )
    for o, option in enumerate(ref.options):
        yield f"options[{o}]", option.provenance or top, option.provenance is not None
    for c, table in enumerate(ref.correspondences):
        yield f"correspondences[{c}]", table.provenance or top, table.provenance is not None
    for t, catalogue_task in enumerate(ref.tasks):
        # Catalogue tasks are the author's work unless they say otherwise.
        yield (
            f"tasks[{t}]",
            catalogue_task.provenance or Provenance(ProvenanceStatus.AUTHORED),
            catalogue_task.provenance is not None,
        )


def effective_provenance_map(
    ref: Referential, *, declared_only: bool = False
) -> dict[str, Provenance]:
    """Key path of each item → its provenance (only where declared, if ``declared_only``)."""
    return {path: prov for path, prov, declared in _walk(ref) if declared or not declared_only}


def count_by_status(ref: Referential) -> Counter[ProvenanceStatus]:
    """How many referential items (not catalogue tasks) stand at each provenance status."""
    return Counter(
        prov.status for path, prov, _declared in _walk(ref) if path and not path.startswith("tasks")
    )
