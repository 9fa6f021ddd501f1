"""Who wrote what, and when (« journal d'audit »).

Every write of the journal adds, in its own transaction, one audit row per trainee it
touched (one row without a trainee when it touched none): when, who, which action, on what.
The audit is append-only like the evidence (triggers on SQLite, the same guards and grants as
the evidence on the server), and it never holds a name or a note: only ids, codes and counts,
so that erasing a trainee (:mod:`ep_skills.erasure`) leaves it whole and still readable.

**Who.** The author of a write is whoever the code runs for: the bench page's signed-in
account (``account:<login>``), set around each request with :func:`acting_as`; otherwise the
operating system's user of the process (``os:<user>``), which is who typed a command.
A context variable, not a setting of the journal: one journal shared by many threads writes
each request under its own author.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache
from typing import Any

from attrs import field, frozen

from ep_skills.i18n import N_

__all__ = ["ACTIONS", "AuditEntry", "acting_as", "current_author", "now"]

_AUTHOR: ContextVar[str | None] = ContextVar("ep_skills_author", default=None)

ACTIONS: Mapping[str, str] = {
    "trainee.add": N_("trainee added"),
    "trainee.change": N_("trainee changed"),
    "trainee.transfer": N_("diploma changed"),
    "trainee.erase": N_("trainee's personal data erased"),
    "order.add": N_("order added"),
    "order.task": N_("order's tasks changed"),
    "record": N_("work recorded"),
    "photo": N_("photo attached"),
    "import": N_("file imported"),
    "import.withdraw": N_("import withdrawn"),
    "correct": N_("entry corrected"),
    "withdraw": N_("entry withdrawn"),
    "availability": N_("working time set"),
    "register": N_("register of young workers changed"),
    "exam": N_("exam session set"),
    "plan.accept": N_("plan accepted"),
    "setting": N_("setting changed"),
    "account": N_("bench account changed"),
    "sync": N_("entries received from another journal"),
    "period.close": N_("period closed"),
    "period.sign": N_("period signed off"),
}
"""Every action the audit names, with the words it is shown with."""


@cache  # the process's user does not change; every write asks
def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container's user): its number
        import os

        return str(os.getuid()) if hasattr(os, "getuid") else "?"


def current_author() -> str:
    """Who the writes of this thread (or task) are made by now."""
    return _AUTHOR.get() or f"os:{_os_user()}"


@contextmanager
def acting_as(author: str) -> Iterator[None]:
    """Writes made inside are recorded as made by ``author`` (e.g. ``account:marie``)."""
    token = _AUTHOR.set(author)
    try:
        yield
    finally:
        _AUTHOR.reset(token)


def now() -> datetime:
    """The time a write is stamped with: UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


@frozen
class AuditEntry:
    """One line of the audit: a write, by whom, when, about which trainee."""

    id: int
    at: datetime
    author: str
    action: str
    trainee: int | None = None
    subject: str | None = None
    """What the write was about: a record's, an entry's or an import's number, an order's
    reference, a setting's name."""
    detail: Mapping[str, Any] = field(factory=dict)
    """Counts and codes (never a name or a note)."""

    def detail_json(self) -> str:
        return json.dumps(dict(self.detail), sort_keys=True, ensure_ascii=False, default=str)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "author": self.author,
            "action": self.action,
            "trainee": self.trainee,
            "subject": self.subject,
            "detail": dict(self.detail),
        }
