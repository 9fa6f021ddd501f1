"""Rating scale and calculation settings, as a referential or a school file states them.

These are plain data. The engine (:mod:`ep_skills.engine`) resolves them in layers — library
default < diploma plugin < school file — and computes with the result. Every field of
:class:`CalculationSettings` is optional so that a layer states only what it changes.
"""

from __future__ import annotations

from attrs import frozen

__all__ = ["AcquisitionState", "CalculationSettings", "Coverage", "Level", "Scale"]


@frozen
class Level:
    """A level code of the rating scale (« code de notation »), e.g. ``V`` = 67.

    A level without a value is non-scoring (absent, non évalué, dispensé, demande
    d'évaluation): it is recorded but never enters a calculation.
    """

    code: str
    label: str
    value: int | None = None
    symbol: str | None = None

    @property
    def scoring(self) -> bool:
        """Whether this level enters calculations."""
        return self.value is not None


@frozen
class AcquisitionState:
    """An acquisition state (« état d'acquisition ») reached from ``min_score`` upwards."""

    code: str
    label: str
    min_score: int
    acquired: bool = False
    """Whether a competency in this state counts as acquired in roll-ups and readiness."""
    symbol: str | None = None
    colour: str | None = None


@frozen
class Scale:
    """The rating scale of a diploma: level codes and acquisition states."""

    levels: tuple[Level, ...]
    states: tuple[AcquisitionState, ...]
    default_level: str | None = None
    """Level proposed for a catalogue task that does not name one."""

    def level(self, code: str) -> Level | None:
        """The level with this code, or None."""
        for level in self.levels:
            if level.code == code:
                return level
        return None

    def highest_not_acquired(self, at_most: AcquisitionState) -> AcquisitionState:
        """The highest state below acquired that starts no higher than ``at_most``."""
        below = [s for s in self.states if not s.acquired and s.min_score <= at_most.min_score]
        return max(below, key=lambda s: s.min_score) if below else at_most

    def state_for(self, score: int) -> AcquisitionState:
        """The state whose range holds ``score`` (states sorted by ``min_score``)."""
        chosen = self.states[0]
        for state in sorted(self.states, key=lambda s: s.min_score):
            if score >= state.min_score:
                chosen = state
        return chosen


@frozen
class Coverage:
    """Coverage rules: what a competency needs, beyond its score, to count as acquired.

    Each rule is optional. They are what no other tool combines: how often, in how many
    different orders or contexts, how recently, and with how much autonomy.
    """

    min_assessments: int | None = None
    """At least this many scoring assessments."""
    min_contexts: int | None = None
    """On at least this many distinct production orders or contexts."""
    max_age_months: int | None = None
    """The latest scoring assessment no older than this many months."""
    min_span_weeks: int | None = None
    """The scoring assessments spread over at least this many weeks, from the first to the
    latest: a fortnight of routine tasks, however many, is not yet stable mastery."""
    min_autonomy: int | None = None
    """At least one assessment at this autonomy level or above (1 guided … 4 autonomous)."""


@frozen
class CalculationSettings:
    """How assessments combine into a state. ``None`` means: keep the lower layer's value."""

    method: str | None = None
    """``geometrique`` (default), ``arithmetique``, ``classique``, ``bestof1/2/3``,
    ``frequencemin``, ``frequencemax``, or a method added by a plugin."""
    limit: int | None = None
    """Only the last N scoring assessments count (0: all)."""
    scope: str | None = None
    """``all`` or ``school-year`` (only the current school year, from 1 September)."""
    rollup: str | None = None
    """How a parent competency is reached from its children: ``all-children`` or ``points``."""
    rollup_min_share: float | None = None
    """For ``points``: the share of children that must be acquired (0–1)."""
    rollup_required: tuple[str, ...] | None = None
    """For ``points``: sub-competencies that must be acquired whatever the share (Moodle's
    "points with required children")."""
    coverage: Coverage | None = None
    role_weights: dict[str, float] | None = None
    """Weight of each assessor role in weighted methods (self-assessment never counts)."""
    mark_conversion: str | None = None
    """How a CCF grid proposes a mark out of 20: ``score`` (the mean score of the situation's
    competencies ÷ 5, to the half point) or ``states`` (the mean of ``state_points``)."""
    state_points: dict[str, float] | None = None
    """For ``states``: the points out of 20 of each state code, e.g. NA 0, VA 10, A 20."""
