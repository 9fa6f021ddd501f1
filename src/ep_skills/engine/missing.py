"""What a competency still misses to be acquired, at the least (« ce qui manque encore »).

From a trainee's :class:`~ep_skills.engine.compute.Summary` on one competency and the settings
in force, the smallest evidence that would make it acquired if it were recorded now: how many
more official assessments, at which level, on how many orders not yet used for it, with what
autonomy, and not before which day. It is found by trying, not guessed: each candidate is the
same calculation as :func:`~ep_skills.engine.compute.state_from_summary` run on the window the
new assessments would make (fewest assessments first, then the lowest level), so that it can
never promise what the engine would not grant.

The new assessments are supposed recorded by the workshop instructor (role ``maitre``), on
the day given (today by default), recent by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from attrs import frozen

from ep_skills import forms
from ep_skills.engine.compute import Summary, state_from_summary
from ep_skills.engine.layers import EffectiveSettings
from ep_skills.engine.methods import Method, round_score
from ep_skills.i18n import _, format_day, ngettext
from ep_skills.journal.model import Role
from ep_skills.referential.settings import Scale

__all__ = ["MAX_MORE", "StillMissing", "missing_short", "missing_words", "still_missing"]

MAX_MORE = 40
"""The most assessments tried: past this many, the competency is said out of reach."""


@frozen
class StillMissing:
    """The smallest evidence that would make a competency acquired (« ce qui manque encore »)."""

    competency: str
    acquired: bool
    assessments: int = 0
    """More official scoring assessments needed (0 once acquired)."""
    level: str | None = None
    """The lowest level at which that many are enough (a higher one is too)."""
    orders: int = 0
    """How many of them must be on orders (or tasks) not yet used for this competency."""
    autonomy: int | None = None
    """The autonomy one of them must reach, when the rule's is not reached yet."""
    not_before: date | None = None
    """The last of them no earlier than this day (the rule of a span of weeks, counted from
    the first assessment already there)."""
    weeks: int | None = None
    """With no assessment yet: the new ones spread over at least this many weeks."""
    reachable: bool = True
    """False when no number of assessments (up to :data:`MAX_MORE`) at any level would do."""

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data (:func:`ep_skills.forms.to_dict`)."""
        return forms.to_dict(self)


def _score_with(
    summary: Summary,
    value: int,
    weight: float,
    more: int,
    day: date,
    level: str,
    settings: EffectiveSettings,
    method: Method,
) -> int:
    """The score if ``more`` assessments of ``value`` were recorded on ``day``."""
    # The same order as the engine's window: by day, then by content (compute.window_key).
    known = [
        ((w.row.day, w.value, w.weight, w.row.level) if w.row is not None else None, w)
        for w in summary.window
    ]
    items: list[tuple[tuple[date, int, float, str] | None, int, float]] = [
        (key, w.value, w.weight) for key, w in known
    ]
    items += [((day, value, weight, level), value, weight)] * more
    if all(key is not None for key, _v, _w in items):
        items.sort(key=lambda item: item[0])  # type: ignore[arg-type,return-value]
    # The window holds the last ``limit`` of every scoring assessment in scope, and the new
    # ones are the newest: the summary's window (already the last ``limit``) is enough.
    window = items[-settings.limit :] if settings.limit else items
    return round_score(method([v for _k, v, _w in window], [w for _k, _v, w in window]))


def still_missing(
    summary: Summary,
    *,
    scale: Scale,
    settings: EffectiveSettings,
    methods: Mapping[str, Method],
    today: date,
) -> StillMissing:
    """What the competency of ``summary`` still misses to be acquired, at the least."""
    state = state_from_summary(
        summary, scale=scale, settings=settings, methods=methods, today=today
    )
    code = summary.competency
    if state.acquired:
        return StillMissing(code, acquired=True)
    rules = settings.coverage
    orders = max(0, (rules.min_contexts or 0) - summary.contexts)
    fewest = max(1, orders, (rules.min_assessments or 0) - summary.count)
    autonomy = (
        rules.min_autonomy
        if rules.min_autonomy is not None and (summary.max_autonomy or 0) < rules.min_autonomy
        else None
    )
    not_before = None
    weeks = None
    if rules.min_span_weeks:
        span = timedelta(weeks=rules.min_span_weeks)
        first, last = summary.first_day, summary.last_day
        if first is None:
            # The first new assessment starts the span: another one must close it.
            fewest = max(fewest, 2)
            weeks = rules.min_span_weeks
        elif (last is None or last - first < span) and first + span > today:
            not_before = first + span  # one recorded today would not close the span yet
    day = not_before or (today + timedelta(weeks=weeks) if weeks else today)
    method = methods[settings.method]
    weight = settings.role_weights.get(str(Role.MAITRE), 1.0)
    levels = sorted(
        (lv for lv in scale.levels if lv.value is not None), key=lambda lv: lv.value or 0
    )
    threshold = min((s.min_score for s in scale.states if s.acquired), default=None)
    if threshold is None or not levels:
        return StillMissing(code, acquired=False, reachable=False)
    for more in range(fewest, MAX_MORE + 1):
        for level in levels:
            assert level.value is not None
            score = _score_with(
                summary, level.value, weight, more, day, level.code, settings, method
            )
            if scale.state_for(score).acquired:
                return StillMissing(
                    code,
                    acquired=False,
                    assessments=more,
                    level=level.code,
                    orders=orders,
                    autonomy=autonomy,
                    not_before=not_before,
                    weeks=weeks,
                )
    return StillMissing(code, acquired=False, reachable=False)


def missing_words(missing: StillMissing, scale: Scale) -> str:
    """What is still missing, said in a sentence (« 2 évaluations de plus, au niveau V au
    moins, dont 1 sur une commande pas encore utilisée… »)."""
    if missing.acquired:
        return _("nothing, it is acquired")
    if not missing.reachable:
        return _("no number of assessments would do with the method and rules in force")
    level = scale.level(missing.level or "")
    top = max((lv.value for lv in scale.levels if lv.value is not None), default=None)
    words = (
        ngettext(
            "{n} more assessment at {level} ({label})",
            "{n} more assessments at {level} ({label})",
            missing.assessments,
        )
        if level is not None and level.value == top
        else ngettext(
            "{n} more assessment at {level} ({label}) or better",
            "{n} more assessments at {level} ({label}) or better",
            missing.assessments,
        )
    )
    parts = [
        words.format(n=missing.assessments, level=missing.level, label=level.label if level else "")
    ]
    if missing.orders:
        parts.append(
            ngettext(
                "{n} of them on an order not used for it yet",
                "{n} of them on orders not used for it yet",
                missing.orders,
            ).format(n=missing.orders)
        )
    if missing.autonomy is not None:
        parts.append(_("one with an autonomy of {n}/4 or more").format(n=missing.autonomy))
    if missing.not_before is not None:
        parts.append(_("the last not before {day}").format(day=format_day(missing.not_before)))
    if missing.weeks is not None:
        parts.append(_("spread over {n} weeks at least").format(n=missing.weeks))
    return ", ".join(parts)


def missing_short(missing: StillMissing) -> str:
    """The same in a few characters, for a table (« 2 × V, 1 commande de plus »)."""
    if missing.acquired:
        return ""
    if not missing.reachable:
        return _("out of reach")
    parts = [f"{missing.assessments} × {missing.level}"]
    if missing.orders:
        parts.append(
            ngettext("{n} more order", "{n} more orders", missing.orders).format(n=missing.orders)
        )
    if missing.autonomy is not None:
        parts.append(_("autonomy {n}").format(n=missing.autonomy))
    if missing.not_before is not None:
        parts.append(_("not before {day}").format(day=format_day(missing.not_before)))
    if missing.weeks is not None:
        parts.append(_("over {n} weeks").format(n=missing.weeks))
    return ", ".join(parts)
