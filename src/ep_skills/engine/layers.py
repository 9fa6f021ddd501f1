"""Settings resolved in layers: library default < diploma plugin < school configuration file.

Each layer is a :class:`CalculationSettings` whose ``None`` fields keep the lower layer's
value. The result, :class:`EffectiveSettings`, has every field set and is what the engine uses.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

from ep_skills.errors import EpSkillsError, Problem, ReferentialError
from ep_skills.i18n import _
from ep_skills.referential.defaults import DEFAULT_SETTINGS
from ep_skills.referential.settings import (
    MARK_CONVERSIONS,
    ROLLUPS,
    SCOPES,
    CalculationSettings,
    Coverage,
    known_methods,
    settings_problems,
)

__all__ = [
    "MARK_CONVERSIONS",
    "ROLLUPS",
    "SCOPES",
    "EffectiveSettings",
    "SchoolConfig",
    "load_school_config",
    "resolve",
]


@frozen
class EffectiveSettings:
    """Calculation settings with every value decided."""

    method: str
    limit: int
    scope: str
    rollup: str
    rollup_min_share: float
    coverage: Coverage
    role_weights: Mapping[str, float]
    rollup_required: tuple[str, ...] = ()
    mark_conversion: str = "score"
    state_points: Mapping[str, float] = attrs.Factory(dict)

    @property
    def time_dependent(self) -> bool:
        """Whether states can change with the date alone (then they are computed on read)."""
        return self.scope == "school-year" or self.coverage.max_age_months is not None

    def fingerprint(self) -> str:
        """A short hash that changes whenever a setting does (to know stored states are stale)."""
        data = attrs.asdict(self, recurse=True)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _merge_coverage(lower: Coverage, upper: Coverage | None) -> Coverage:
    if upper is None:
        return lower
    changes = {k: v for k, v in attrs.asdict(upper).items() if v is not None}
    return attrs.evolve(lower, **changes)


def _refuse(problems: list[tuple[str, str]]) -> EpSkillsError:
    listed = "; ".join(f"{key}: {message}" if key else message for key, message in problems)
    return EpSkillsError(_("invalid calculation settings: {problems}").format(problems=listed))


def _shape_problems(layer: object) -> list[tuple[str, str]]:
    """What would make merging ``layer`` fail: settings, coverage or tables of another type."""
    problems = settings_problems(layer)
    if not isinstance(layer, CalculationSettings):
        return problems
    return [
        (key, message)
        for key, message in problems
        if key in ("coverage", "role_weights", "state_points", "rollup_required")
    ]


def resolve(
    layers: Iterable[CalculationSettings | None], methods: Iterable[str]
) -> EffectiveSettings:
    """Stack ``layers`` (lowest first) over the library defaults and check the result.

    Every layer passes here — the referential's, the plugins' hook answers, the school's
    file, an API caller's object — so the values in force are checked here whatever their
    origin: a value of the wrong type, out of its range, NaN or infinite is refused. A bad
    value of a lower layer that a higher one replaces is fine.

    :raises EpSkillsError: an invalid value in force (unknown method, scope, roll-up or mark
        conversion, a limit, share, coverage rule, role weight or state points out of range).
    """
    base = DEFAULT_SETTINGS
    assert base.coverage is not None
    assert base.role_weights is not None
    values: dict[str, Any] = {
        "method": base.method,
        "limit": base.limit,
        "scope": base.scope,
        "rollup": base.rollup,
        "rollup_min_share": base.rollup_min_share,
        "rollup_required": (),
        "mark_conversion": base.mark_conversion,
    }
    coverage = base.coverage
    weights: dict[Any, Any] = dict(base.role_weights)
    points: dict[Any, Any] = dict(base.state_points or {})
    for layer in layers:
        if layer is None:
            continue
        shape = _shape_problems(layer)
        if shape:
            raise _refuse(shape)
        assert isinstance(layer, CalculationSettings)
        for key in values:
            value = getattr(layer, key)
            if value is not None:
                values[key] = value
        coverage = _merge_coverage(coverage, layer.coverage)
        if layer.role_weights:
            weights.update(layer.role_weights)
        if layer.state_points:
            points.update(layer.state_points)
    merged = CalculationSettings(
        coverage=coverage, role_weights=weights, state_points=points, **values
    )
    problems = settings_problems(merged, methods=set(methods))
    if problems:
        raise _refuse(problems)
    # Every official role weighs at least WEIGHT_MIN: their sum, the weight of any window of
    # assessments, is positive.
    return EffectiveSettings(
        method=values["method"],
        limit=values["limit"],
        scope=values["scope"],
        rollup=values["rollup"],
        rollup_min_share=float(values["rollup_min_share"]),
        coverage=coverage,
        role_weights={str(role): float(weight) for role, weight in weights.items()},
        rollup_required=tuple(values["rollup_required"]),
        mark_conversion=values["mark_conversion"],
        state_points={str(code): float(p) for code, p in points.items()},
    )


@frozen
class SchoolConfig:
    """A school's configuration file: settings for every diploma, and per diploma."""

    settings: CalculationSettings | None = None
    diplomas: dict[str, CalculationSettings] = attrs.Factory(dict)
    overlays: tuple[str, ...] = ()
    """Overlay files completing or correcting referentials, relative to this file."""

    def layer_for(self, diploma_id: str) -> list[CalculationSettings]:
        """The school's layers for ``diploma_id``, lowest first."""
        return [s for s in (self.settings, self.diplomas.get(diploma_id)) if s is not None]


def load_school_config(path: str | Path) -> SchoolConfig:
    """Read a school configuration TOML file (``[settings]`` and ``[diplomas.<id>]``).

    Each settings table is checked as it is written (see
    :func:`~ep_skills.referential.settings.settings_problems`): an invalid value is refused
    with the file, its line and its key. A method that is neither built in nor registered by
    an installed plugin is refused too.

    :raises ReferentialError: the file is not valid.
    :raises EpSkillsError: the file cannot be read.
    """
    from ep_skills.referential.codec import parse_toml, structure_document
    from ep_skills.referential.locate import KeyLocator

    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = (exc.strerror if isinstance(exc, OSError) else None) or exc
        raise EpSkillsError(
            _("cannot read the file {file}: {reason}").format(file=name, reason=reason)
        ) from None
    data, text = parse_toml(raw, name)
    config = structure_document(data, SchoolConfig, file=name, text=text)
    tables = [("settings", config.settings)] + [
        (f"diplomas.{diploma}", layer) for diploma, layer in config.diplomas.items()
    ]
    problems = []
    locator = KeyLocator(text)
    for prefix, layer in tables:
        if layer is None:
            continue
        for key, message in settings_problems(layer, methods=known_methods(layer.method)):
            where = f"{prefix}.{key}"
            problems.append(Problem(message, where, name, locator.line_of(where)))
    if problems:
        raise ReferentialError(problems)
    base = Path(path).parent
    return attrs.evolve(config, overlays=tuple(str(base / o) for o in config.overlays))
