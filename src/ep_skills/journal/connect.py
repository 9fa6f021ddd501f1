"""Which backend a journal's address names: a file (SQLite) or a server (PostgreSQL).

``open_journal``, the command line's ``--db`` and ``EP_SKILLS_DB`` all take an address: a
path opens the embedded SQLite journal, ``postgresql://user@host:port/db?school=ID`` a
school's journal on a server. The server's driver is imported only for a server address, so
that the embedded default starts as fast as before.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ep_skills.journal.storage import Storage

__all__ = ["is_server_address", "journal_exists", "open_storage", "shown_address"]

SCHOOL_VARIABLE = "EP_SKILLS_SCHOOL"
"""The school of a server address that names none."""


def is_server_address(address: object) -> bool:
    """Whether ``address`` names a PostgreSQL server rather than a file."""
    return isinstance(address, str) and address.startswith(("postgresql://", "postgres://"))


def shown_address(address: str | Path) -> str:
    """The address as it may be printed: a server's without its password."""
    if is_server_address(address):
        from ep_skills.journal.postgres import parse_address

        return parse_address(str(address), os.environ.get(SCHOOL_VARIABLE)).shown
    return str(address)


def open_storage(
    address: str | Path,
    *,
    create: bool = False,
    on_upgrade: Callable[[int, int], None] | None = None,
    school: str | None = None,
) -> Storage:
    """The storage an address names (see the module's docstring).

    :param school: a server's school when the address names none (else ``EP_SKILLS_SCHOOL``).
    """
    if is_server_address(address):
        try:
            from ep_skills.journal.postgres import PostgresStorage
        except ImportError:  # the "server" extra is not installed
            from ep_skills.errors import JournalUnavailableError
            from ep_skills.i18n import _

            raise JournalUnavailableError(
                _(
                    "a journal on a PostgreSQL server needs the server extra: "
                    'pip install "ep-skills[server]"'
                )
            ) from None
        return PostgresStorage(
            str(address),
            school=school or os.environ.get(SCHOOL_VARIABLE),
            create=create,
            on_upgrade=on_upgrade,
        )
    from ep_skills.journal.sqlite import SqliteStorage

    return SqliteStorage(address, create=create, on_upgrade=on_upgrade)


def journal_exists(address: str | Path) -> bool:
    """Whether a journal is already at ``address`` (a file, or a school on a server)."""
    if not is_server_address(address):
        return Path(address).exists()
    from ep_skills.journal.postgres import NoSuchSchoolError

    try:
        open_storage(address).close()
    except NoSuchSchoolError:
        return False
    return True
