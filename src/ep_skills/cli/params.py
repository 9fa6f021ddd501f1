"""Parameter types of the command line: dates as people type them, CODE=LEVEL pairs, and
whole numbers within bounds described in the user's language."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from ep_skills.dates import parse_day
from ep_skills.i18n import _

__all__ = ["DATE", "LEVEL_PAIR", "IntRange", "parse_day"]


class DateType(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """A day: ISO (2026-11-20), French (20/11/2026 or 20/11), today/aujourd'hui, hier."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return parse_day(str(value))
        except ValueError:
            self.fail(
                _("{value!r} is not a date (write 2026-11-20 or 20/11/2026)").format(value=value),
                param,
                ctx,
            )


class LevelPair(click.ParamType):  # type: ignore[type-arg]
    """``CODE=LEVEL``, e.g. ``CP04=VV``."""

    name = "code=level"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, str]:
        if isinstance(value, tuple):
            return value
        code, sep, level = str(value).partition("=")
        if not sep or not code.strip() or not level.strip():
            self.fail(
                _("{value!r} is not CODE=LEVEL (for example CP04=VV)").format(value=value),
                param,
                ctx,
            )
        return code.strip(), level.strip()


DATE = DateType()
LEVEL_PAIR = LevelPair()


class IntRange(click.IntRange):
    """Click's ``IntRange``, its bounds said in words of the user's language in ``--help``
    and in errors: « de 1 à 4 », where click writes ``1<=x<=4`` in every language."""

    def _describe_range(self) -> str:
        # Click's own (private) hook for this text; open bounds are not used by ep-skills.
        if self.min_open or self.max_open:
            return super()._describe_range()
        if self.min is not None and self.max is not None:
            return _("{min}<=x<={max}").format(min=self.min, max=self.max)
        if self.min is not None:
            return _("x>={min}").format(min=self.min)
        return _("x<={max}").format(max=self.max)
