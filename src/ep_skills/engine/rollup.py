"""From leaf competency states to parents, blocs, épreuves and the whole diploma.

Parents follow the roll-up rule of the settings (Moodle's two rules): ``all-children`` — a
parent is acquired when every child is — or ``points`` — when the share of acquired children
reaches ``rollup_min_share`` and every required child is acquired. A parent's score is the
mean of its assessed children's scores, shown for information.

Readiness for an épreuve is the share of the competencies it assesses that are acquired; for
the diploma, the mean of the épreuves' readiness weighted by their coefficients.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from attrs import field, frozen

from ep_skills import forms
from ep_skills.engine.compute import CompetencyState
from ep_skills.engine.layers import EffectiveSettings
from ep_skills.engine.methods import round_score
from ep_skills.journal.model import Trainee
from ep_skills.referential.model import Competency, Referential
from ep_skills.referential.settings import Scale

__all__ = [
    "BlocProgress",
    "EpreuveReadiness",
    "NodeState",
    "Progress",
    "build_progress",
]


@frozen
class NodeState:
    """The state of a competency of any depth: a leaf's own, or rolled up from children."""

    code: str
    title: str
    state: str | None
    score: int | None
    acquired: bool
    leaf: CompetencyState | None = None
    children: tuple[NodeState, ...] = ()
    rule: str | None = None
    """For a parent: the roll-up rule applied."""

    def leaves(self) -> list[NodeState]:
        """This node's leaves (itself if it is one)."""
        if not self.children:
            return [self]
        return [leaf for child in self.children for leaf in child.leaves()]

    def to_dict(self) -> dict[str, Any]:
        """This node as JSON-ready data (:func:`ep_skills.forms.to_dict`)."""
        return forms.to_dict(self)


@frozen
class BlocProgress:
    """Progress on one bloc de compétences."""

    id: str
    title: str
    kind: str
    competencies: tuple[NodeState, ...]
    acquired: int
    total: int

    __form_properties__: ClassVar[tuple[str, ...]] = ("share",)

    @property
    def share(self) -> float:
        """The share of its competencies (top level) acquired, 0–1."""
        return self.acquired / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        """This bloc's progress as JSON-ready data (:func:`ep_skills.forms.to_dict`)."""
        return forms.to_dict(self)


@frozen
class EpreuveReadiness:
    """Whether a trainee is ready for an épreuve, and what is missing."""

    code: str
    title: str
    coefficient: float | None
    acquired: int
    total: int
    missing: tuple[str, ...]
    """Leaf competencies not yet acquired (those an order can still give)."""

    __form_properties__: ClassVar[tuple[str, ...]] = ("share", "ready")

    @property
    def share(self) -> float:
        """The share of the épreuve's competencies acquired, 0–1."""
        return self.acquired / self.total if self.total else 0.0

    @property
    def ready(self) -> bool:
        """Every competency the épreuve assesses is acquired."""
        return self.total > 0 and self.acquired == self.total

    def to_dict(self) -> dict[str, Any]:
        """This épreuve's readiness as JSON-ready data (:func:`ep_skills.forms.to_dict`)."""
        return forms.to_dict(self)


@frozen
class Progress:
    """A trainee's whole progress on their diploma."""

    trainee: Trainee | None = field(default=None, kw_only=True)
    """The trainee whose progress it is (None when built from leaf states alone)."""
    diploma: str
    blocs: tuple[BlocProgress, ...]
    epreuves: tuple[EpreuveReadiness, ...]
    readiness: float
    """Coefficient-weighted readiness over the épreuves that assess competencies, 0–1."""

    __form_properties__: ClassVar[tuple[str, ...]] = ("ready",)

    def to_dict(self) -> dict[str, Any]:
        """This progress as JSON-ready data (:func:`ep_skills.forms.to_dict`): the trainee,
        the diploma by id, every bloc with its competencies and their states, every épreuve."""
        return forms.to_dict(self)

    @property
    def ready(self) -> bool:
        """Every épreuve that assesses competencies is ready."""
        assessed = [e for e in self.epreuves if e.total]
        return bool(assessed) and all(e.ready for e in assessed)

    def node(self, code: str) -> NodeState | None:
        """The state of the competency ``code``, at any depth."""

        def find(nodes: tuple[NodeState, ...]) -> NodeState | None:
            for node in nodes:
                if node.code == code:
                    return node
                found = find(node.children)
                if found:
                    return found
            return None

        for bloc in self.blocs:
            found = find(bloc.competencies)
            if found:
                return found
        return None

    def missing(self) -> list[str]:
        """Every leaf competency not acquired yet, in referential order."""
        return [
            leaf.code
            for bloc in self.blocs
            for node in bloc.competencies
            for leaf in node.leaves()
            if not leaf.acquired
        ]


def _parent_state(scale: Scale, score: int | None, acquired: bool) -> str | None:
    """The state shown for a parent: its children's mean score, bounded by the roll-up rule."""
    if score is None:
        return None
    reached = scale.state_for(score)
    if acquired and not reached.acquired:
        return min((s for s in scale.states if s.acquired), key=lambda s: s.min_score).code
    if not acquired and reached.acquired:
        return scale.highest_not_acquired(reached).code
    return reached.code


def _node(
    competency: Competency,
    leaves: Mapping[str, CompetencyState],
    scale: Scale,
    settings: EffectiveSettings,
) -> NodeState:
    if not competency.children:
        leaf = leaves.get(competency.code)
        if leaf is None:
            return NodeState(competency.code, competency.title, None, None, False)
        return NodeState(
            competency.code, competency.title, leaf.state, leaf.score, leaf.acquired, leaf=leaf
        )
    children = tuple(_node(c, leaves, scale, settings) for c in competency.children)
    scores = [c.score for c in children if c.score is not None]
    score = round_score(sum(scores) / len(scores)) if scores else None
    acquired_children = sum(1 for c in children if c.acquired)
    if settings.rollup == "points":
        required = set(settings.rollup_required)
        acquired = (
            all(c.acquired for c in children if c.code in required)
            and acquired_children / len(children) >= settings.rollup_min_share
        )
    else:
        acquired = acquired_children == len(children)
    state = _parent_state(scale, score, acquired)
    return NodeState(
        competency.code,
        competency.title,
        state,
        score,
        acquired,
        children=children,
        rule=settings.rollup,
    )


def build_progress(
    referential: Referential,
    leaves: Mapping[str, CompetencyState],
    *,
    scale: Scale,
    settings: EffectiveSettings,
    trainee: Trainee | None = None,
) -> Progress:
    """Roll leaf states up to parents, blocs, épreuves and the diploma (of ``trainee``)."""
    blocs = []
    nodes: dict[str, NodeState] = {}
    for bloc in referential.blocs:
        states = tuple(_node(c, leaves, scale, settings) for c in bloc.competencies)

        def index(items: tuple[NodeState, ...]) -> None:
            for item in items:
                nodes[item.code] = item
                index(item.children)

        index(states)
        blocs.append(
            BlocProgress(
                id=bloc.id,
                title=bloc.title,
                kind=str(bloc.kind),
                competencies=states,
                acquired=sum(1 for s in states if s.acquired),
                total=len(states),
            )
        )
    epreuves = []
    for epreuve in referential.epreuves:
        assessed = [nodes[c] for c in epreuve.competencies if c in nodes]
        missing = tuple(
            leaf.code for node in assessed for leaf in node.leaves() if not leaf.acquired
        )
        epreuves.append(
            EpreuveReadiness(
                code=epreuve.code,
                title=epreuve.title,
                coefficient=epreuve.coefficient,
                acquired=sum(1 for n in assessed if n.acquired),
                total=len(assessed),
                missing=missing,
            )
        )
    weighted = [(e.share, e.coefficient or 1.0) for e in epreuves if e.total]
    total_weight = sum(w for _s, w in weighted)
    readiness = sum(s * w for s, w in weighted) / total_weight if total_weight else 0.0
    return Progress(referential.id, tuple(blocs), tuple(epreuves), readiness, trainee=trainee)
