"""Global ids of entries: unique across journals, ordered by time.

A row's number is its journal's (1, 2, 3… on a workshop PC and for each school on a server). An
entry that travels between journals (``ep-skills sync``) also gets a global id: a UUID of
version 7 (RFC 9562) — the time the entry was recorded, to the millisecond, then 74 random
bits. Sorted as text, global ids sort by time; two journals never make the same one.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

__all__ = ["new_uid", "uid_time"]


def new_uid(at: datetime | None = None) -> str:
    """A new global id, for an entry recorded at ``at`` (now, by default)."""
    when = at or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    millis = int(when.timestamp() * 1000) & ((1 << 48) - 1)
    random = int.from_bytes(os.urandom(10), "big")
    value = (millis << 80) | (0x7 << 76) | ((random >> 62) & 0xFFF) << 64
    value |= (0b10 << 62) | (random & ((1 << 62) - 1))
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def uid_time(uid: str) -> datetime:
    """When the entry of a global id was recorded (to the millisecond)."""
    millis = int(uid.replace("-", "")[:12], 16)
    return datetime.fromtimestamp(millis / 1000, UTC)
