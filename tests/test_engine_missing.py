"""« Ce qui manque encore »: the smallest evidence that would make a competency acquired.

The property that matters: recording exactly what :func:`still_missing` says makes the
competency acquired, and one assessment fewer (even at the best level), or the same number at
the level below, does not — for any evidence, any built-in method and any coverage rules.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ep_skills.engine.compute import compute_state, summarise
from ep_skills.engine.layers import EffectiveSettings, resolve
from ep_skills.engine.methods import BUILTIN_METHODS
from ep_skills.engine.missing import StillMissing, still_missing
from ep_skills.journal.model import Assessment, Role
from ep_skills.referential.defaults import DEFAULT_SCALE
from ep_skills.referential.settings import CalculationSettings, Coverage

TODAY = date(2026, 11, 20)
SCORING = [lv.code for lv in DEFAULT_SCALE.levels if lv.value is not None]
BEST = max((lv for lv in DEFAULT_SCALE.levels if lv.value is not None), key=lambda lv: lv.value)


def rules(**coverage: int) -> EffectiveSettings:
    return resolve([CalculationSettings(coverage=Coverage(**coverage))], BUILTIN_METHODS)


def row(n: int, level: str, day: date, order: str, autonomy: int | None = None) -> Assessment:
    return Assessment(
        id=n,
        record=n,
        trainee=1,
        competency="C1",
        level=level,
        day=day,
        role=Role.MAITRE,
        order=order,
        autonomy=autonomy,
    )


def missing(rows: list[Assessment], s: EffectiveSettings) -> StillMissing:
    summary = summarise("C1", rows, scale=DEFAULT_SCALE, settings=s, today=TODAY)
    return still_missing(
        summary, scale=DEFAULT_SCALE, settings=s, methods=BUILTIN_METHODS, today=TODAY
    )


def acquired_after(
    rows: list[Assessment],
    s: EffectiveSettings,
    more: int,
    level: str,
    found: StillMissing,
) -> bool:
    """Whether ``more`` assessments at ``level``, as ``found`` says to record them, make it."""
    day = found.not_before or TODAY + timedelta(weeks=found.weeks or 0)
    added = []
    for i in range(more):
        # The first ``orders`` on orders never used, the others on one already used.
        order = f"new-{i}" if i < found.orders else (rows[0].order if rows else "new-0")
        # A span from nothing: the first today, the others once the span has passed.
        when = TODAY if (i == 0 and found.weeks) else day
        added.append(row(1000 + i, level, when, order or "x", found.autonomy))
    state = compute_state(
        "C1",
        rows + added,
        scale=DEFAULT_SCALE,
        settings=s,
        methods=BUILTIN_METHODS,
        today=day,
    )
    return state.acquired


def test_acquired_needs_nothing() -> None:
    rows = [row(i, "VV", TODAY - timedelta(days=i), f"o{i}") for i in range(1, 4)]
    assert missing(rows, rules()) == StillMissing("C1", acquired=True)


def test_never_assessed_needs_one_at_the_acquired_level() -> None:
    found = missing([], rules())
    assert (found.acquired, found.assessments, found.level) == (False, 1, "V")


def test_what_the_rules_ask_is_said() -> None:
    rows = [row(1, "VV", TODAY - timedelta(days=3), "o1", autonomy=2)]
    found = missing(
        rows, rules(min_assessments=3, min_contexts=2, min_span_weeks=4, min_autonomy=3)
    )
    assert found.assessments == 2  # three in all
    assert found.orders == 1  # two distinct orders in all
    assert found.autonomy == 3
    assert found.not_before == TODAY - timedelta(days=3) + timedelta(weeks=4)


def test_low_recent_levels_need_more_good_ones() -> None:
    rows = [row(i, "RR", TODAY - timedelta(days=10 - i), f"o{i}") for i in range(1, 5)]
    found = missing(rows, rules())
    assert found.assessments >= 2
    assert acquired_after(rows, rules(), found.assessments, found.level or "", found)


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Assessment], EffectiveSettings]:
    method = draw(st.sampled_from(sorted(BUILTIN_METHODS)))
    limit = draw(st.integers(0, 8))
    coverage = {
        name: draw(st.none() | st.integers(low, high))
        for name, low, high in (
            ("min_assessments", 1, 6),
            ("min_contexts", 1, 4),
            ("min_span_weeks", 1, 12),
            ("min_autonomy", 1, 4),
        )
    }
    s = resolve(
        [
            CalculationSettings(
                method=method,
                limit=limit,
                coverage=Coverage(**{k: v for k, v in coverage.items() if v is not None}),
            )
        ],
        BUILTIN_METHODS,
    )
    n = draw(st.integers(0, 8))
    rows = [
        row(
            i + 1,
            draw(st.sampled_from(SCORING)),
            TODAY - timedelta(days=draw(st.integers(0, 200))),
            f"o{draw(st.integers(1, 4))}",
            draw(st.none() | st.integers(1, 4)),
        )
        for i in range(n)
    ]
    return rows, s


@settings(max_examples=300, deadline=None)
@given(cases())
def test_recording_what_is_missing_makes_it_acquired_and_no_less_would(
    case: tuple[list[Assessment], EffectiveSettings],
) -> None:
    rows, s = case
    found = missing(rows, s)
    if found.acquired:
        return
    assert found.reachable  # the built-in methods can always be brought up by good levels
    level = found.level or ""
    assert acquired_after(rows, s, found.assessments, level, found)
    fewest = max(1, found.orders, (s.coverage.min_assessments or 0) - _count(rows))
    if found.assessments - 1 >= fewest and not (not rows and s.coverage.min_span_weeks):
        assert not acquired_after(rows, s, found.assessments - 1, BEST.code, found)
    lower = [code for code in SCORING if _value(code) < _value(level)]
    if lower:
        below = max(lower, key=_value)
        assert not acquired_after(rows, s, found.assessments, below, found)


def _value(code: str) -> int:
    level = DEFAULT_SCALE.level(code)
    assert level is not None and level.value is not None
    return level.value


def _count(rows: list[Assessment]) -> int:
    return len(rows)


@pytest.mark.parametrize("method", sorted(BUILTIN_METHODS))
def test_every_method_finds_a_way(method: str) -> None:
    s = resolve([CalculationSettings(method=method)], BUILTIN_METHODS)
    rows = [row(i, "RR", TODAY - timedelta(days=20 - i), "o1") for i in range(1, 8)]
    found = missing(rows, s)
    assert found.reachable and acquired_after(rows, s, found.assessments, found.level or "", found)
