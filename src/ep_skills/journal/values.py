"""What may be written in the journal: every text and number checked where it enters.

Names, references, notes and the rest are typed by people or come from their spreadsheets:
they are normalised (Unicode NFC, so « é » typed two ways is one letter), bounded in length,
and refused when they hold what no person types — control characters, and in names and
references the invisible format characters (zero-width spaces, direction overrides) that
would let « Léa Martin » and a look-alike coexist. Numbers must fit SQLite's 64-bit integers
and mean something (a task of 10,000 minutes is a typing mistake).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from ep_skills.errors import InvalidValueError
from ep_skills.i18n import _

__all__ = [
    "LIMITS",
    "check_day",
    "check_id",
    "check_mapping",
    "check_number",
    "check_text",
    "check_texts",
]

LIMITS: dict[str, int] = {
    "name": 120,
    "cohort": 60,
    "option": 20,
    "order": 60,
    "customer": 200,
    "title": 200,
    "description": 500,
    "assessor": 120,
    "note": 2000,
    "process": 120,
    "machine": 120,
    "material": 120,
    "external_id": 120,
    "metadata": 2000,
    "task": 120,
    "place": 200,
    "supervisor": 200,
}
"""The longest text each field takes, in characters."""

_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
MAX_ID = 2**63 - 1


def check_text(value: str | None, field: str, *, strict: bool = False) -> str | None:
    """``value`` normalised, or None when empty.

    :param strict: also refuse invisible format characters (names and references: what
        identifies something must look like what it is).
    :raises InvalidValueError: too long, or a character that has no place there.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidValueError(
            _("{field}: {value!r} is not text").format(field=field, value=value),
            field=field,
            value=value,
        )
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        return None
    limit = LIMITS[field]
    if len(text) > limit:
        raise InvalidValueError(
            _("{field}: {n} characters, at most {limit}").format(
                field=field, n=len(text), limit=limit
            ),
            field=field,
            value=value,
        )
    for char in text:
        category = unicodedata.category(char)
        bad = (category == "Cc" and not (char == "\n" and field == "note")) or char in _BIDI
        if bad or (strict and category in ("Cf", "Zl", "Zp")):
            raise InvalidValueError(
                _("{field}: the invisible character U+{code:04X} has no place in {value!r}").format(
                    field=field, code=ord(char), value=text.encode("unicode_escape").decode()
                ),
                field=field,
                value=value,
            )
    if strict and " " in text:
        text = " ".join(text.split())  # « Léa  Martin » is « Léa Martin »
    return text


def check_number(value: object, field: str, low: int, high: int) -> int | None:
    """``value`` as a whole number within [low, high], or None.

    :raises InvalidValueError: not a whole number (``4.9``, ``inf``, text) or out of range.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError(
            _("{field}: {value!r} is not a whole number").format(field=field, value=value),
            field=field,
            value=value,
        )
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise InvalidValueError(
            _("{field}: {value!r} is not a whole number").format(field=field, value=value),
            field=field,
            value=value,
        )
    number = int(value)
    if not low <= number <= high:
        raise InvalidValueError(
            _("{field}: {value} is not between {low} and {high}").format(
                field=field, value=number, low=low, high=high
            ),
            field=field,
            value=value,
        )
    return number


def check_id(value: object) -> int | None:
    """A number people typed to name an entry, or None when it cannot name one."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_ID else None


def check_day(value: object, field: str = "date") -> date | None:
    """``value`` if it is a calendar day (a ``datetime.date``), or None.

    :raises InvalidValueError: text such as ``"2026-10-01"``, or a date with a time of day —
        a program passing those means to give a day and must say which.
    """
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidValueError(
            _("{field}: {value!r} is not a day (give a datetime.date)").format(
                field=field, value=value
            ),
            field=field,
            value=value,
        )
    return value


def check_texts(value: object, field: str) -> tuple[str, ...]:
    """A list of short texts (machines, processes, materials): never one text taken as a list
    of its letters.

    :raises InvalidValueError: a text where a list was expected, or an item that is not text.
    """
    if value is None:
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise InvalidValueError(
            _("{field}: give a list of texts, not {value!r}").format(field=field, value=value),
            field=field,
            value=value,
        )
    items = []
    for item in value:
        checked = check_text(item, field)  # a process, a machine, a material
        if checked is not None:
            items.append(checked)
    return tuple(items)


def check_mapping(value: object, field: str) -> Mapping[str, object]:
    """``value`` if it is a mapping with text keys.

    :raises InvalidValueError: anything else.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InvalidValueError(
            _("{field}: {value!r} is not a mapping of names to values").format(
                field=field, value=value
            ),
            field=field,
            value=value,
        )
    return value
