"""Rating scale and calculation settings, as a referential or a school file states them.

These are plain data. The engine (:mod:`ep_skills.engine`) resolves them in layers — library
default < diploma plugin < school file — and computes with the result. Every field of
:class:`CalculationSettings` is optional so that a layer states only what it changes.

:func:`settings_problems` says which values of a layer are invalid. Settings come from TOML
files, from the API and from plugin hooks, so it accepts any object and reports a value of the
wrong type as a problem, never as an exception; a referential's check, a school file's loading
and :func:`ep_skills.engine.layers.resolve` all use it, so that they agree on what is valid.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable, Mapping

from attrs import fields, frozen

from ep_skills.i18n import _

__all__ = [
    "AUTONOMY_LEVELS",
    "MARK_CONVERSIONS",
    "ROLES",
    "ROLLUPS",
    "SCOPES",
    "AcquisitionState",
    "CalculationSettings",
    "Coverage",
    "Level",
    "Scale",
    "code_problem",
    "known_methods",
    "path_key",
    "settings_problems",
]


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


# -- valid values ------------------------------------------------------------------------------

SCOPES = ("all", "school-year")
ROLLUPS = ("all-children", "points")
MARK_CONVERSIONS = ("score", "states")
ROLES = ("maitre", "enseignant", "tuteur", "auto")
"""The assessor roles (:class:`ep_skills.journal.model.Role`): the weights that can apply."""
AUTONOMY_LEVELS = (1, 4)
"""Autonomy runs from 1 (guided) to 4 (autonomous)."""

# Bounds beyond which a value means nothing more (and would overflow a date, a SQLite integer
# or a float sum): a limit of ten thousand assessments is "all of them", a rule about a
# century is no rule.
LIMIT_MAX = 10_000
COUNT_MAX = 10_000
MONTHS_MAX = 1_200
WEEKS_MAX = 5_200
# A role weight is a ratio: below 0.001 or above 1000 one role simply outweighs the others.
# It cannot be 0: an assessment by that role alone would leave the weighted mean 0 / 0.
WEIGHT_MIN = 0.001
WEIGHT_MAX = 1_000.0
POINTS_MAX = 20.0
"""State points are a mark out of 20."""


def _is_int(value: object) -> bool:
    # bool is an int in Python; a settings file or an API caller never means True as 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _int_in(value: object, low: int, high: int) -> bool:
    return _is_int(value) and low <= value <= high  # type: ignore[operator]


def _number_in(value: object, low: float, high: float) -> bool:
    # NaN fails both comparisons and ±inf one of them: no isfinite needed (nor safe on a
    # huge int).
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


def _whole(low: int, high: int) -> str:
    return _("must be a whole number from {low} to {high}").format(low=low, high=high)


def _number(low: float, high: float) -> str:
    return _("must be a number from {low:g} to {high:g}").format(low=low, high=high)


def _shown(value: object) -> str:
    """``repr(value)``, short, and never an exception (an int of 5000 digits has no repr)."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."


class _Shown:
    """A value to format with ``!r`` in a message: shown by :func:`_shown`."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __repr__(self) -> str:
        return _shown(self.value)


def path_key(key: object) -> str:
    """A key as a key path shows it: as written, or quoted when it is empty or unprintable
    (a problem is one printable line, whatever the file holds)."""
    return key if isinstance(key, str) and key and key.isprintable() else repr(key)


def code_problem(value: object) -> str | None:
    """Why ``value`` is not a valid code or id (``C1.2``, ``EP1``, ``cap-cip``), or None.

    Codes are typed at the bench, stored in the journal and shown in tables: an empty one, or
    one with a line break, a control character or an invisible space (two codes that look
    the same), cannot be told apart or typed back.
    """
    if not isinstance(value, str):
        return _("invalid value: expected {expected}").format(expected=_("text (str)"))
    if not value.strip():
        return _("cannot be empty")
    bad = next((c for c in value if not c.isprintable()), None)
    if bad is not None:
        name = unicodedata.name(bad, "")
        found = f"U+{ord(bad):04X}" + (f" {name}" if name else "")
        return _(
            "cannot contain control characters, line breaks or invisible spaces (found {char})"
        ).format(char=found)
    if value != value.strip():
        return _("cannot start or end with a space")
    return None


def known_methods(name: object) -> Collection[str]:
    """The calculation methods to check ``name`` against, outside any plugin manager.

    The built-ins, and only when ``name`` is not one of them, the methods the installed
    plugins register (looked up then, so that checking a file stays fast).
    """
    from ep_skills.engine.methods import BUILTIN_METHODS

    if not isinstance(name, str) or name in BUILTIN_METHODS:
        return BUILTIN_METHODS.keys()
    from ep_skills.errors import EpSkillsError
    from ep_skills.plugins.manager import make_plugin_manager
    from ep_skills.plugins.registry import Registry

    try:
        return Registry(make_plugin_manager()).methods().keys()
    except EpSkillsError:  # a broken plugin is reported where plugins are used
        return BUILTIN_METHODS.keys()


def _names(key: str, value: object, known: Iterable[str], message: str) -> list[tuple[str, str]]:
    listed = sorted(known)
    if value is None or (isinstance(value, str) and value in listed):
        return []
    return [(key, message.format(name=_Shown(value), known=", ".join(listed)))]


def _table(
    key: str, value: object, check: Mapping[str, tuple[float, float]], other: tuple[float, float]
) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [(key, _("must be a table of numbers, not {value}").format(value=_shown(value)))]
    problems = []
    for name, number in value.items():
        if not isinstance(name, str):
            problems.append((f"{key}.{path_key(name)}", code_problem(name) or ""))
            continue
        low, high = check.get(name, other)
        if not _number_in(number, low, high):
            problems.append((f"{key}.{path_key(name)}", _number(low, high)))
    return problems


def settings_problems(
    settings: object, *, methods: Collection[str] | None = None
) -> list[tuple[str, str]]:
    """Every invalid value of one settings layer, as ``(key path, message)``.

    ``None`` values are fine (the lower layer's value is kept). ``methods`` are the known
    calculation methods; None: the method name is not checked.
    """
    if settings is None:
        return []
    if not isinstance(settings, CalculationSettings):
        expected = "CalculationSettings"
        return [
            (
                "",
                _("expected {expected}, not {value}").format(
                    expected=expected, value=_shown(settings)
                ),
            )
        ]
    problems: list[tuple[str, str]] = []
    if methods is not None:
        problems += _names(
            "method",
            settings.method,
            methods,
            _("unknown calculation method {name!r} (known: {known})"),
        )
    problems += _names(
        "scope", settings.scope, SCOPES, _("unknown scope {name!r} (known: {known})")
    )
    problems += _names(
        "rollup", settings.rollup, ROLLUPS, _("unknown roll-up {name!r} (known: {known})")
    )
    problems += _names(
        "mark_conversion",
        settings.mark_conversion,
        MARK_CONVERSIONS,
        _("unknown mark conversion {name!r} (known: {known})"),
    )
    if settings.limit is not None and not _int_in(settings.limit, 0, LIMIT_MAX):
        problems.append(("limit", _whole(0, LIMIT_MAX)))
    share = settings.rollup_min_share
    if share is not None and not _number_in(share, 0, 1):
        problems.append(("rollup_min_share", _number(0, 1)))
    required = settings.rollup_required
    if required is not None:
        if not isinstance(required, list | tuple):
            problems.append(
                (
                    "rollup_required",
                    _("must be a list of codes, not {value}").format(value=_shown(required)),
                )
            )
        else:
            for i, code in enumerate(required):
                message = code_problem(code)
                if message:
                    problems.append((f"rollup_required[{i}]", message))
    problems += _coverage_problems(settings.coverage)
    problems += _table(
        "role_weights",
        settings.role_weights,
        dict.fromkeys(ROLES, (WEIGHT_MIN, WEIGHT_MAX)),
        # A role the journal does not know never applies: any sound number will do.
        (0.0, WEIGHT_MAX),
    )
    problems += _table("state_points", settings.state_points, {}, (0.0, POINTS_MAX))
    return problems


_COVERAGE_RANGES = {
    "min_assessments": (0, COUNT_MAX),
    "min_contexts": (0, COUNT_MAX),
    "max_age_months": (1, MONTHS_MAX),
    "min_span_weeks": (0, WEEKS_MAX),
    "min_autonomy": AUTONOMY_LEVELS,
}


def _coverage_problems(coverage: object) -> list[tuple[str, str]]:
    if coverage is None:
        return []
    if not isinstance(coverage, Coverage):
        message = _("expected {expected}, not {value}").format(
            expected="Coverage", value=_shown(coverage)
        )
        return [("coverage", message)]
    problems = []
    for field in fields(Coverage):
        value = getattr(coverage, field.name)
        low, high = _COVERAGE_RANGES[field.name]
        if value is not None and not _int_in(value, low, high):
            problems.append((f"coverage.{field.name}", _whole(low, high)))
    return problems
