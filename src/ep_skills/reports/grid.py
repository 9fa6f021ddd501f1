"""The CCF evaluation grid of one épreuve situation, with a proposed mark out of 20.

The mark is a proposal for the jury, computed from the states with a documented conversion
(the settings' ``mark_conversion``): ``score`` — the mean score of the situation's
competencies divided by 5 (0–100 → 0–20), to the nearest half point, as SACoche's
« conversion sur 20 » does with its percentage — or ``states`` — the mean of the points the
settings give each state (default: non acquis 0, en cours 10, acquis 20). A competency not
assessed yet counts 0 and is named, so a jury sees why.
"""

from __future__ import annotations

import math

from attrs import frozen

from ep_skills.api import Journal
from ep_skills.errors import EpSkillsError
from ep_skills.i18n import _
from ep_skills.journal.model import Trainee
from ep_skills.referential.model import Epreuve, Referential, Situation
from ep_skills.referential.settings import Scale
from ep_skills.reports.data import CompetencyLine, _lines

__all__ = ["Grid", "proposed_mark", "situation_grid"]


@frozen
class Grid:
    """What the grid shows."""

    trainee: Trainee
    referential: Referential
    scale: Scale
    epreuve: Epreuve
    situation: Situation | None
    competencies: tuple[CompetencyLine, ...]
    mark: float
    conversion: str
    points: tuple[tuple[str, float], ...]
    """(competency code, its points out of 20 in the conversion)."""
    not_assessed: tuple[str, ...]


def _half(value: float) -> float:
    return math.floor(value * 2 + 0.5) / 2


def proposed_mark(
    lines: list[CompetencyLine], conversion: str, state_points: dict[str, float]
) -> tuple[float, list[tuple[str, float]]]:
    """The mark out of 20 (to the half point) and each competency's points."""
    points = []
    for line in lines:
        if conversion == "states":
            points.append((line.code, float(state_points.get(line.state or "", 0.0))))
        else:
            points.append((line.code, (line.score or 0) / 5))
    mark = _half(sum(p for _c, p in points) / len(points)) if points else 0.0
    return mark, points


def situation_grid(journal: Journal, trainee: str | int | Trainee, situation: str) -> Grid:
    """The grid of ``EP1`` or ``EP1/S1`` for a trainee."""
    person = journal.trainee(trainee)
    info = journal.diploma(person.diploma)
    code, _sep, part = situation.partition("/")
    epreuve = next((e for e in info.referential.epreuves if e.code == code), None)
    if epreuve is None:
        known = ", ".join(e.code for e in info.referential.epreuves if e.competencies)
        raise EpSkillsError(
            _("unknown épreuve {code!r} (known: {known})").format(code=code, known=known)
        )
    chosen = None
    if part:
        chosen = next((s for s in epreuve.situations if s.code == part), None)
        if chosen is None:
            known = ", ".join(s.code for s in epreuve.situations) or "—"
            raise EpSkillsError(
                _("unknown situation {code!r} of {epreuve} (known: {known})").format(
                    code=part, epreuve=code, known=known
                )
            )
    codes = chosen.competencies if chosen and chosen.competencies else epreuve.competencies
    if not codes:
        raise EpSkillsError(_("{epreuve} assesses no tracked competency").format(epreuve=code))
    progress = journal.progress(person.id)
    nodes = [progress.node(c) for c in codes]
    top = _lines(journal, person, [n for n in nodes if n is not None], info.scale, info.referential)
    heads = [line for line in top if line.depth == 0]
    mark, points = proposed_mark(
        heads, info.settings.mark_conversion, dict(info.settings.state_points)
    )
    return Grid(
        trainee=person,
        referential=info.referential,
        scale=info.scale,
        epreuve=epreuve,
        situation=chosen,
        competencies=tuple(top),
        mark=mark,
        conversion=info.settings.mark_conversion,
        points=tuple(points),
        not_assessed=tuple(line.code for line in heads if line.state is None),
    )
