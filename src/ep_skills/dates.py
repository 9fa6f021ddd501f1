"""Dates as people at the bench type them."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

__all__ = ["parse_day"]

_WORDS = {
    "today": 0,
    "aujourd'hui": 0,
    "aujourdhui": 0,
    "auj": 0,
    "yesterday": 1,
    "hier": 1,
}


def parse_day(text: str, today: date | None = None) -> date:
    """A date from ``2026-11-20``, ``20/11/2026``, ``20/11`` (this year), today or yesterday."""
    value = text.strip().lower()
    today = today or date.today()
    if value in _WORDS:
        return today - timedelta(days=_WORDS[value])
    if len(value) == 10 and value[4] == "-":
        try:
            return date.fromisoformat(value)  # the common case, and the fastest
        except ValueError:
            pass
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})", value)
    if match:
        try:
            return date(today.year, int(match[2]), int(match[1]))
        except ValueError:
            pass
    raise ValueError(text)
