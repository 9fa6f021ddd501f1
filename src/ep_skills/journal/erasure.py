"""What an erasure changes (« droit à l'effacement », RGPD art. 17): the one exception to
append-only.

The plan is computed above (:mod:`ep_skills.erasure`); a backend applies it in one write
transaction: only the columns that hold personal data may change, only photos, their links
and settings may go. Levels, days, competencies, records and who assessed stay: the school's
statistics and every other trainee's states do not move.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from attrs import frozen

__all__ = ["ERASABLE", "REMOVABLE", "Erasing", "Rewrite"]

ERASABLE: Mapping[str, frozenset[str]] = {
    "trainee": frozenset({"name", "name_key", "external_id", "metadata"}),
    "trainee_event": frozenset({"name", "name_key", "external_id", "metadata", "note"}),
    "trainee_transfer": frozenset({"note"}),
    "task_record": frozenset({"description", "note"}),
    "assessment": frozenset({"note"}),
    "import_batch": frozenset({"file_name"}),
    "meta": frozenset({"value"}),
}
"""The columns an erasure may rewrite, by table: personal data, never evidence."""

REMOVABLE: Mapping[str, str] = {"record_photo": "record:sha256", "photo": "sha256", "meta": "key"}
"""The tables an erasure may remove rows of, with the key it names them by (a photo's link
by its record and the photo's hash, joined by a colon)."""

KEYS: Mapping[str, str] = {"meta": "key"}
"""The key column of a table whose key is not ``id``."""


@frozen
class Rewrite:
    """An erasure's changes: ``(table, key, column, new value)`` and ``(table, key)``."""

    updates: tuple[tuple[str, int | str, str, object], ...] = ()
    removals: tuple[tuple[str, int | str], ...] = ()

    def check(self) -> None:
        """Refuse anything but personal data (a programming error, not the user's)."""
        for table, _key, column, _value in self.updates:
            if column not in ERASABLE.get(table, ()):
                raise ValueError(f"an erasure may not change {table}.{column}")
        for table, _key in self.removals:
            if table not in REMOVABLE:
                raise ValueError(f"an erasure may not remove rows of {table}")


class Erasing(Protocol):
    """What a backend brings to erase (both of ep-skills' do: SQLite and PostgreSQL)."""

    def verify(self) -> list[str]:
        """Every sign of tampering: an erasure is refused while there is one."""

    def erase(self, rewrite: Rewrite) -> None:
        """Apply ``rewrite`` inside the caller's write transaction."""

    def forget_freed(self) -> None:
        """After the commit: what the rewrite freed out of the database's files."""
