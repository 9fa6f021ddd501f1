"""From one trainee's assessments on one competency to its state: pure functions.

The steps, each visible in the result so that :mod:`ep_skills.engine.explain` can say them:

1. keep the effective assessments (a correction replaces what it supersedes; withdrawn rows
   and self-assessments are set aside, the latter computed on their own);
2. keep the scoring ones (non-scoring codes never count) within the time scope;
3. order them oldest first — by day, then by content, so that records of the same day give
   the same state whatever order they were typed in — and keep the last ``limit``;
4. combine their values with the method and the assessors' role weights, round, map to a
   state by the scale's thresholds;
5. apply the coverage rules: an "acquired" score that lacks count, diversity, recency or
   autonomy stays at the highest state below acquired.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from attrs import frozen

from ep_skills import forms
from ep_skills.engine.layers import EffectiveSettings
from ep_skills.engine.methods import Method, round_score
from ep_skills.errors import PluginError
from ep_skills.i18n import _
from ep_skills.journal.model import Assessment, Role, effective_assessments
from ep_skills.referential.settings import Scale

__all__ = [
    "CompetencyState",
    "CoverageCheck",
    "Summary",
    "UsedAssessment",
    "WindowRow",
    "compute_state",
    "coverage_checks",
    "effective_assessments",
    "school_year_start",
    "state_from_summary",
    "summarise",
]


@frozen
class UsedAssessment:
    """An assessment that entered the calculation, with the weight it was given."""

    id: int
    day: date
    level: str
    value: int
    role: str
    weight: float
    """The weight it had in the method (the method's weight × the role's weight)."""
    context: str
    via: str | None = None
    """The old diploma and code, when it counts through a correspondence table."""

    def to_dict(self) -> dict[str, Any]:
        """This assessment as JSON-ready data (:func:`ep_skills.forms.to_dict`)."""
        return forms.to_dict(self)


@frozen
class CoverageCheck:
    """One coverage rule and whether the evidence meets it."""

    rule: str
    required: int
    actual: int
    ok: bool

    def to_dict(self) -> dict[str, Any]:
        """This check as JSON-ready data (:func:`ep_skills.forms.to_dict`)."""
        return forms.to_dict(self)


@frozen
class CompetencyState:
    """Where a trainee stands on one competency, and everything needed to say why."""

    competency: str
    state: str | None
    """Code of the acquisition state; None while there is no scoring assessment."""
    score: int | None
    acquired: bool
    score_state: str | None
    """The state the score alone reaches, before coverage rules."""
    method: str
    limit: int
    used: tuple[UsedAssessment, ...] = ()
    count: int = 0
    """Scoring assessments in scope (before the limit)."""
    contexts: int = 0
    last_day: date | None = None
    max_autonomy: int | None = None
    coverage: tuple[CoverageCheck, ...] = ()
    first_day: date | None = None
    """The day of the first scoring assessment in scope (how long the evidence spans)."""
    non_scoring: int = 0
    self_score: int | None = None
    self_state: str | None = None
    history: int = 0
    """Every row considered, corrections and withdrawn ones included."""

    @property
    def assessed(self) -> bool:
        """Whether any scoring assessment exists."""
        return self.score is not None

    def to_dict(self) -> dict[str, Any]:
        """This state as JSON-ready data (:func:`ep_skills.forms.to_dict`)."""
        return forms.to_dict(self)


def school_year_start(today: date) -> date:
    """1 September of the school year ``today`` belongs to."""
    year = today.year if today.month >= 9 else today.year - 1
    return date(year, 9, 1)


def _whole_months(earlier: date, later: date) -> int:
    """Whole months from ``earlier`` to ``later`` (6 months and 19 days → 6)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (1 if later.day < earlier.day else 0)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
    return date(year, month, min(day.day, last))


@frozen
class WindowRow:
    """A scoring assessment inside the window, with its value and its role's weight.

    ``row`` is None when only the numbers were read (a full recompute stores states, not
    explanations); the explanation then lists no row.
    """

    row: Assessment | None
    value: int
    weight: float


@frozen
class Summary:
    """What a method needs from one trainee's rows on one competency.

    It can be built in Python from every row (:func:`summarise`), or by the storage in one
    query for many pairs at once (the fast path of a full recompute): both must agree.
    """

    competency: str
    window: tuple[WindowRow, ...]
    """Official scoring assessments in scope, oldest first, at most ``limit`` of them."""
    count: int
    """Official scoring assessments in scope (before the limit)."""
    contexts: int
    last_day: date | None
    max_autonomy: int | None
    non_scoring: int
    self_window: tuple[WindowRow, ...]
    history: int
    first_day: date | None = None
    """The day of the first official scoring assessment in scope."""


def window_key(row: Assessment, value: int, weight: float) -> tuple[date, int, float, str]:
    """Oldest first; same-day rows ordered by content, never by insertion."""
    return (row.day, value, weight, row.level)


def _window(
    rows: Sequence[Assessment], scale: Scale, settings: EffectiveSettings
) -> tuple[list[WindowRow], int]:
    scoring: list[tuple[Assessment, int, float]] = []
    for row in rows:
        level = scale.level(row.level)
        if level is not None and level.value is not None:
            scoring.append((row, level.value, settings.role_weights.get(str(row.role), 1.0)))
    scoring.sort(key=lambda item: window_key(*item))
    window = scoring[-settings.limit :] if settings.limit else scoring
    return [WindowRow(*item) for item in window], len(scoring)


def summarise(
    competency: str,
    rows: Iterable[Assessment],
    *,
    scale: Scale,
    settings: EffectiveSettings,
    today: date,
) -> Summary:
    """The :class:`Summary` of one trainee's rows on one competency."""
    all_rows = list(rows)
    effective = effective_assessments(all_rows)
    if settings.scope == "school-year":
        start = school_year_start(today)
        effective = [row for row in effective if row.day >= start]
    official = [row for row in effective if row.role != Role.AUTO]
    own = [row for row in effective if row.role == Role.AUTO]
    window, count = _window(official, scale, settings)
    self_window, _n = _window(own, scale, settings)
    scoring = [r for r in official if (lv := scale.level(r.level)) is not None and lv.scoring]
    autonomies = [row.autonomy for row in scoring if row.autonomy is not None]
    return Summary(
        competency=competency,
        window=tuple(window),
        count=count,
        contexts=len({row.context for row in scoring}),
        last_day=max((row.day for row in scoring), default=None),
        max_autonomy=max(autonomies) if autonomies else None,
        non_scoring=len(official) - len(scoring),
        self_window=tuple(self_window),
        history=len(all_rows),
        first_day=min((row.day for row in scoring), default=None),
    )


def _score(window: Sequence[WindowRow], method: Method, name: str) -> int | None:
    if not window:
        return None
    try:
        score = method([w.value for w in window], [w.weight for w in window])
    except Exception as exc:
        raise PluginError(
            _("the calculation method {name!r} failed: {error}").format(name=name, error=exc)
        ) from exc
    # A weighted mean of values within 0–100 may stray by a rounding error, never more.
    if not isinstance(score, int | float) or not -1e-6 <= score <= 100 + 1e-6:
        raise PluginError(
            _(
                "the calculation method {name!r} returned {value!r}: a score is a number "
                "from 0 to 100"
            ).format(name=name, value=score)
        )
    return round_score(min(max(score, 0.0), 100.0))


def _method_weights(method: str, n: int) -> list[float]:
    # For the explanation only: how much each position weighs in the built-in methods. With
    # no limit a long history would overflow 2**i as a float: past a thousand, the weights are
    # shown relative to the newest (1, ½, ¼… backwards), as the method computes them.
    if method == "geometrique":
        if n <= 1000:
            return [float(2**i) for i in range(n)]
        return [2.0 ** (i - n + 1) for i in range(n)]
    if method == "arithmetique":
        return [float(i + 1) for i in range(n)]
    return [1.0] * n


def state_from_summary(
    summary: Summary,
    *,
    scale: Scale,
    settings: EffectiveSettings,
    methods: Mapping[str, Method],
    today: date,
) -> CompetencyState:
    """The state a summary leads to: method, score, thresholds, then coverage rules."""
    method = methods[settings.method]
    score = _score(summary.window, method, settings.method)
    self_score = _score(summary.self_window, method, settings.method)
    self_state = scale.state_for(self_score).code if self_score is not None else None
    if score is None:
        return CompetencyState(
            competency=summary.competency,
            state=None,
            score=None,
            acquired=False,
            score_state=None,
            method=settings.method,
            limit=settings.limit,
            non_scoring=summary.non_scoring,
            self_score=self_score,
            self_state=self_state,
            history=summary.history,
        )
    weights = _method_weights(settings.method, len(summary.window))
    used = tuple(
        UsedAssessment(
            w.row.id,
            w.row.day,
            w.row.level,
            w.value,
            str(w.row.role),
            mw * w.weight,
            w.row.context,
            w.row.via,
        )
        for w, mw in zip(summary.window, weights, strict=True)
        if w.row is not None
    )
    reached = scale.state_for(score)
    checks = coverage_checks(
        settings,
        count=summary.count,
        contexts=summary.contexts,
        first_day=summary.first_day,
        last_day=summary.last_day,
        max_autonomy=summary.max_autonomy,
        today=today,
    )
    final = reached
    if reached.acquired and not all(check.ok for check in checks):
        final = scale.highest_not_acquired(reached)
    return CompetencyState(
        competency=summary.competency,
        state=final.code,
        score=score,
        acquired=final.acquired,
        score_state=reached.code,
        method=settings.method,
        limit=settings.limit,
        used=used,
        count=summary.count,
        contexts=summary.contexts,
        last_day=summary.last_day,
        max_autonomy=summary.max_autonomy,
        coverage=tuple(checks),
        first_day=summary.first_day,
        non_scoring=summary.non_scoring,
        self_score=self_score,
        self_state=self_state,
        history=summary.history,
    )


def compute_state(
    competency: str,
    rows: Iterable[Assessment],
    *,
    scale: Scale,
    settings: EffectiveSettings,
    methods: Mapping[str, Method],
    today: date,
) -> CompetencyState:
    """The state of one competency for one trainee, from all their rows on it."""
    summary = summarise(competency, rows, scale=scale, settings=settings, today=today)
    return state_from_summary(summary, scale=scale, settings=settings, methods=methods, today=today)


def coverage_checks(
    settings: EffectiveSettings,
    *,
    count: int,
    contexts: int,
    first_day: date | None,
    last_day: date | None,
    max_autonomy: int | None,
    today: date,
) -> list[CoverageCheck]:
    """Each coverage rule in force and how the evidence stands against it."""
    rules = settings.coverage
    checks = []
    if rules.min_assessments is not None:
        checks.append(
            CoverageCheck(
                "min_assessments", rules.min_assessments, count, count >= rules.min_assessments
            )
        )
    if rules.min_contexts is not None:
        checks.append(
            CoverageCheck(
                "min_contexts", rules.min_contexts, contexts, contexts >= rules.min_contexts
            )
        )
    if rules.max_age_months is not None:
        # Recent enough when the latest day plus N months has not passed yet: 2026-05-01 is
        # older than 6 months on 2026-11-20, although only 6 whole months have gone by.
        age = _whole_months(last_day, today) if last_day else 10**6
        recent = last_day is not None and _add_months(last_day, rules.max_age_months) >= today
        checks.append(CoverageCheck("max_age_months", rules.max_age_months, age, recent))
    if rules.min_span_weeks is not None:
        span = (last_day - first_day).days if first_day and last_day else 0
        checks.append(
            CoverageCheck(
                "min_span_weeks", rules.min_span_weeks, span // 7, span >= 7 * rules.min_span_weeks
            )
        )
    if rules.min_autonomy is not None:
        actual = max_autonomy or 0
        checks.append(
            CoverageCheck("min_autonomy", rules.min_autonomy, actual, actual >= rules.min_autonomy)
        )
    return checks
