"""Journal files as older versions of ep-skills wrote them, for the migration tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ep_skills.journal.sqlite import MIGRATIONS, _split_sql


def write_old_journal(path: Path, version: int, *statements: str) -> None:
    """A journal at schema ``version``, with ``statements`` run after its migrations."""
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:version]:
        for statement in _split_sql(script):
            db.execute(statement)
    for statement in statements:
        db.execute(statement)
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()
