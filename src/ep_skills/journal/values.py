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

from ep_skills.errors import EvidenceError
from ep_skills.i18n import _

__all__ = ["LIMITS", "check_id", "check_number", "check_text"]

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
}
"""The longest text each field takes, in characters."""

_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
MAX_ID = 2**63 - 1


def check_text(value: str | None, field: str, *, strict: bool = False) -> str | None:
    """``value`` normalised, or None when empty.

    :param strict: also refuse invisible format characters (names and references: what
        identifies something must look like what it is).
    :raises EvidenceError: too long, or a character that has no place there.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise EvidenceError(
            _("{field}: {value!r} is not text").format(field=field, value=value), field=field
        )
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        return None
    limit = LIMITS[field]
    if len(text) > limit:
        raise EvidenceError(
            _("{field}: {n} characters, at most {limit}").format(
                field=field, n=len(text), limit=limit
            ),
            field=field,
        )
    for char in text:
        category = unicodedata.category(char)
        bad = (category == "Cc" and not (char == "\n" and field == "note")) or char in _BIDI
        if bad or (strict and category in ("Cf", "Zl", "Zp")):
            raise EvidenceError(
                _("{field}: the invisible character U+{code:04X} has no place in {value!r}").format(
                    field=field, code=ord(char), value=text.encode("unicode_escape").decode()
                ),
                field=field,
            )
    if strict and " " in text:
        text = " ".join(text.split())  # « Léa  Martin » is « Léa Martin »
    return text


def check_number(value: object, field: str, low: int, high: int) -> int | None:
    """``value`` as a whole number within [low, high], or None.

    :raises EvidenceError: not a whole number (``4.9``, ``inf``, text) or out of range.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EvidenceError(
            _("{field}: {value!r} is not a whole number").format(field=field, value=value),
            field=field,
        )
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise EvidenceError(
            _("{field}: {value!r} is not a whole number").format(field=field, value=value),
            field=field,
        )
    number = int(value)
    if not low <= number <= high:
        raise EvidenceError(
            _("{field}: {value} is not between {low} and {high}").format(
                field=field, value=number, low=low, high=high
            ),
            field=field,
        )
    return number


def check_id(value: object) -> int | None:
    """A number people typed to name an entry, or None when it cannot name one."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_ID else None
