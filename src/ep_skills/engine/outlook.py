"""On track or behind, épreuve by épreuve, against the weeks left before the exam.

What each épreuve still misses (:mod:`ep_skills.engine.missing`) is set against the trainee's
own pace on each of those competencies over the last :data:`PACE_WEEKS` weeks: at that pace,
how many weeks until the last of them is acquired? The competencies of an épreuve progress
side by side, so the slowest one sets the épreuve's date. Then:

- **ready**: every competency of the épreuve is acquired;
- **on track**: the slowest needs at most :data:`MARGIN` of the weeks left;
- **at risk**: it fits, with less margin than that;
- **at risk** too: a competency not practised lately (no pace to project), to plan;
- **behind**: it does not fit — a competency whose rule of a span of weeks ends after the
  exam, one out of reach, too slow a pace, or the exam's day passed.

Each verdict names the competency that sets it, what it misses, the weeks it needs at the
current pace and the weeks left: the instructor can act on it (the next orders).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from attrs import frozen

from ep_skills import forms
from ep_skills.engine.missing import StillMissing, missing_short
from ep_skills.engine.rollup import Progress
from ep_skills.i18n import N_, _, format_day, ngettext

__all__ = ["MARGIN", "PACE_WEEKS", "EpreuveOutlook", "Status", "outlook", "outlook_words"]

PACE_WEEKS = 12
"""The weeks a trainee's pace is measured over (a term of production)."""
MARGIN = 0.75
"""On track when the slowest competency needs at most this share of the weeks left."""


class Status(StrEnum):
    """Where a trainee stands on an épreuve against the exam's date."""

    READY = "ready"
    ON_TRACK = "on-track"
    AT_RISK = "at-risk"
    BEHIND = "behind"
    UNKNOWN = "unknown"
    """No exam date is known for the trainee."""


STATUS_WORDS = {
    Status.READY: N_("ready"),
    Status.ON_TRACK: N_("on track"),
    Status.AT_RISK: N_("at risk"),
    Status.BEHIND: N_("behind"),
    Status.UNKNOWN: N_("no exam date"),
}


@frozen
class EpreuveOutlook:
    """One épreuve against the weeks left, with the competency that decides it."""

    code: str
    title: str
    status: Status
    weeks_left: float | None
    """Weeks from today to the exam (None without an exam date)."""
    limiting: str | None = None
    """The competency that sets the verdict (the slowest, or one that cannot make it)."""
    weeks_needed: float | None = None
    """The weeks it needs at the current pace (None: never, at the current pace)."""
    missing: StillMissing | None = None
    """What it still misses."""
    pace: float = 0.0
    """Its official scoring assessments per week over the last :data:`PACE_WEEKS` weeks."""

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data (:func:`ep_skills.forms.to_dict`)."""
        return forms.to_dict(self)


def _weeks_needed(missing: StillMissing, pace: float, today: date) -> float:
    """Weeks until ``missing`` is recorded at ``pace`` (infinity when it never would be)."""
    if not missing.reachable:
        return math.inf
    needed = missing.assessments / pace if pace > 0 else math.inf
    if missing.weeks:
        needed = max(needed, float(missing.weeks))
    if missing.not_before is not None:
        needed = max(needed, (missing.not_before - today).days / 7)
    return needed


def outlook(
    progress: Progress,
    missing: Mapping[str, StillMissing],
    pace: Mapping[str, float],
    *,
    exam: date | None,
    today: date,
) -> tuple[EpreuveOutlook, ...]:
    """Each épreuve of ``progress`` against the weeks left before ``exam``."""
    weeks_left = (exam - today).days / 7 if exam is not None else None
    found = []
    for epreuve in progress.epreuves:
        if not epreuve.total:
            continue
        if epreuve.ready:
            found.append(EpreuveOutlook(epreuve.code, epreuve.title, Status.READY, weeks_left))
            continue
        slowest = max(
            epreuve.missing,
            key=lambda code: (_weeks_needed(missing[code], pace.get(code, 0.0), today), code),
        )
        needed = _weeks_needed(missing[slowest], pace.get(slowest, 0.0), today)
        # Not practised lately is no projection at all: at risk (to plan) while weeks are left,
        # unless the competency is out of reach or its span ends after the exam anyway.
        unplanned = (
            math.isinf(needed)
            and missing[slowest].reachable
            and _weeks_needed(missing[slowest], math.inf, today) <= (weeks_left or 0)
        )
        if weeks_left is None:
            status = Status.UNKNOWN
        elif weeks_left > 0 and unplanned:
            status = Status.AT_RISK
        elif weeks_left <= 0 or needed > weeks_left:
            status = Status.BEHIND
        elif needed <= MARGIN * weeks_left:
            status = Status.ON_TRACK
        else:
            status = Status.AT_RISK
        found.append(
            EpreuveOutlook(
                epreuve.code,
                epreuve.title,
                status,
                weeks_left,
                limiting=slowest,
                weeks_needed=None if math.isinf(needed) else round(needed, 1),
                missing=missing[slowest],
                pace=round(pace.get(slowest, 0.0), 2),
            )
        )
    return tuple(found)


def outlook_words(item: EpreuveOutlook, exam: date | None) -> str:
    """The verdict and its reason, in a sentence (« en retard : C3.2, 2 × V ; au rythme
    actuel jamais : pas pratiquée depuis 12 semaines ; examen dans 9 semaines »)."""
    verdict = _(STATUS_WORDS[item.status])
    if item.status is Status.READY or item.limiting is None or item.missing is None:
        return verdict
    parts = [f"{item.limiting} ({missing_short(item.missing)})"]
    if item.missing.not_before is not None and exam is not None and item.missing.not_before > exam:
        parts.append(
            _("its last assessment cannot come before {day}, after the exam").format(
                day=format_day(item.missing.not_before)
            )
        )
    elif item.weeks_needed is None:
        parts.append(
            _("not practised in the last {n} weeks: to plan").format(n=PACE_WEEKS)
            if item.missing.reachable
            else _("out of reach")
        )
    else:
        weeks = max(1, math.ceil(item.weeks_needed))
        parts.append(
            ngettext(
                "about {n} week at the current pace", "about {n} weeks at the current pace", weeks
            ).format(n=weeks)
        )
    if item.weeks_left is not None and exam is not None:
        left = math.floor(item.weeks_left)
        day = format_day(exam)
        if item.weeks_left < 0:
            parts.append(_("exam was on {day}").format(day=day))
        elif left == 0:  # « dans 0 semaine » says nothing: the exam is days away
            parts.append(_("exam on {day}, within the week").format(day=day))
        else:
            parts.append(
                ngettext("exam on {day}, in {n} week", "exam on {day}, in {n} weeks", left).format(
                    day=day, n=left
                )
            )
    return _("{verdict}: {reasons}").format(verdict=verdict, reasons=_("; ").join(parts))
