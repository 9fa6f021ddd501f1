"""Settings resolved in layers: library default < diploma plugin < school configuration file.

Each layer is a :class:`CalculationSettings` whose ``None`` fields keep the lower layer's
value. The result, :class:`EffectiveSettings`, has every field set and is what the engine uses.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs
from attrs import frozen

from ep_skills.errors import EpSkillsError, ReferentialError
from ep_skills.i18n import _
from ep_skills.referential.defaults import DEFAULT_SETTINGS
from ep_skills.referential.settings import CalculationSettings, Coverage

__all__ = ["SCOPES", "EffectiveSettings", "SchoolConfig", "load_school_config", "resolve"]

SCOPES = ("all", "school-year")
ROLLUPS = ("all-children", "points")
MARK_CONVERSIONS = ("score", "states")


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


def resolve(
    layers: Iterable[CalculationSettings | None], methods: Iterable[str]
) -> EffectiveSettings:
    """Stack ``layers`` (lowest first) over the library defaults and check the result.

    :raises EpSkillsError: an unknown method, scope or roll-up, or a negative limit.
    """
    base = DEFAULT_SETTINGS
    assert base.coverage is not None
    assert base.role_weights is not None
    values: dict[str, object] = {
        "method": base.method,
        "limit": base.limit,
        "scope": base.scope,
        "rollup": base.rollup,
        "rollup_min_share": base.rollup_min_share,
        "rollup_required": (),
        "mark_conversion": base.mark_conversion,
    }
    coverage = base.coverage
    weights = dict(base.role_weights)
    points = dict(base.state_points or {})
    for layer in layers:
        if layer is None:
            continue
        for key in values:
            value = getattr(layer, key)
            if value is not None:
                values[key] = value
        coverage = _merge_coverage(coverage, layer.coverage)
        if layer.role_weights:
            weights.update(layer.role_weights)
        if layer.state_points:
            points.update(layer.state_points)
    known = set(methods)
    if values["method"] not in known:
        raise EpSkillsError(
            _("unknown calculation method {name!r} (known: {known})").format(
                name=values["method"], known=", ".join(sorted(known))
            )
        )
    if values["scope"] not in SCOPES:
        raise EpSkillsError(
            _("unknown scope {name!r} (known: {known})").format(
                name=values["scope"], known=", ".join(SCOPES)
            )
        )
    if values["rollup"] not in ROLLUPS:
        raise EpSkillsError(
            _("unknown roll-up {name!r} (known: {known})").format(
                name=values["rollup"], known=", ".join(ROLLUPS)
            )
        )
    if values["mark_conversion"] not in MARK_CONVERSIONS:
        raise EpSkillsError(
            _("unknown mark conversion {name!r} (known: {known})").format(
                name=values["mark_conversion"], known=", ".join(MARK_CONVERSIONS)
            )
        )
    limit = values["limit"]
    if not isinstance(limit, int) or limit < 0:
        raise EpSkillsError(_("the limit must be 0 (all) or a positive number"))
    share = values["rollup_min_share"]
    if not isinstance(share, int | float) or not 0 <= share <= 1:
        raise EpSkillsError(_("rollup_min_share must be between 0 and 1"))
    required = values["rollup_required"]
    assert isinstance(required, tuple | list)
    return EffectiveSettings(
        method=str(values["method"]),
        limit=limit,
        scope=str(values["scope"]),
        rollup=str(values["rollup"]),
        rollup_min_share=float(share),
        coverage=coverage,
        role_weights=weights,
        rollup_required=tuple(str(code) for code in required),
        mark_conversion=str(values["mark_conversion"]),
        state_points=points,
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
    """Read a school configuration TOML file (``[settings]`` and ``[diplomas.<id>]``)."""
    from ep_skills.referential.codec import parse_toml, structure_document

    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise EpSkillsError(
            _("cannot read the file {file}: {reason}").format(file=name, reason=exc.strerror or exc)
        ) from None
    data, text = parse_toml(raw, name)
    try:
        config = structure_document(data, SchoolConfig, file=name, text=text)
        base = Path(path).parent
        return attrs.evolve(config, overlays=tuple(str(base / o) for o in config.overlays))
    except ReferentialError:
        raise
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - parse_toml handles it
        raise EpSkillsError(str(exc)) from None
