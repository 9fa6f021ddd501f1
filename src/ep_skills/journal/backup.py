"""Backups of a journal file, and restoring one (« sauvegarde », « restauration »).

A backup is made with SQLite's online backup API: a consistent copy of the journal as it
stands, while others keep reading and writing it. It is written next to its target, checked
(SQLite's integrity check, the journal's protections and its chain of seals, all as
``ep-skills verify`` does) and only then moved into place, readable by its owner only (it
holds trainees' data). A copy that does not pass is never left behind.

Restoring is the one operation that puts a journal back to an earlier state: the backup is
checked first; the journal as it was is kept beside it (``…before-restore-….db``), so that
nothing is lost even then; the copy goes into the journal through the same backup API,
under SQLite's own locks (another process that has the journal open sees the restored one
at its next read, never a half-copied file). On a server, the server's own tools apply
(``pg_dump``, see docs/network.md).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from attrs import frozen

from ep_skills.errors import EpSkillsError
from ep_skills.i18n import _
from ep_skills.outputs import replacing

__all__ = ["BackupError", "Copy", "backup", "check_copy", "inspect", "restore"]


class BackupError(EpSkillsError):
    """A backup could not be made, or a file is not a sound journal to restore."""


@frozen
class Copy:
    """What a checked copy holds."""

    path: Path
    records: int
    assessments: int
    seals: int


def _copy(
    source: Path,
    target: Path,
    *,
    timeout: float = 5.0,
    live: bool = True,
    single_file: bool = True,
) -> None:
    """SQLite's online backup of ``source`` into ``target`` (both files; ``target`` may be
    an empty file, or a journal in use: the copy is made under its own locks).

    :param live: ``source`` may be written meanwhile (a journal); False for a backup file,
        read as it is without leaving lock files beside it.
    :param single_file: leave ``target`` as one self-contained file (no write-ahead log
        beside it): a backup; not the journal itself, whose mode ep-skills sets.
    """
    mode = "ro" if live else "ro&immutable=1"
    try:
        src = sqlite3.connect(f"file:{source}?mode={mode}", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(
            _("cannot read {file}: {reason}").format(file=source, reason=exc)
        ) from None
    try:
        dst = sqlite3.connect(target, timeout=timeout)
        try:
            src.backup(dst)  # in one step: a consistent snapshot of the source
            if single_file:
                dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(
            _("{file} is not a journal ep-skills can read: {reason}").format(
                file=source, reason=exc
            )
        ) from None
    finally:
        src.close()


def check_copy(path: Path) -> Copy:
    """Check a journal file as ``ep-skills verify`` does; what it holds.

    :raises BackupError: not a journal, or a journal that does not pass the checks.
    """
    from ep_skills.journal.sqlite import SqliteStorage

    try:
        storage = SqliteStorage(path, check=False)
    except EpSkillsError as exc:
        raise BackupError(
            _("{file} is not a journal ep-skills can read: {reason}").format(file=path, reason=exc)
        ) from None
    try:
        problems = storage.verify()
        db = storage.connection
        counts = [
            int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("task_record", "assessment", "seal")
        ]
    except (EpSkillsError, sqlite3.Error) as exc:
        raise BackupError(
            _("{file} is not a journal ep-skills can read: {reason}").format(file=path, reason=exc)
        ) from None
    finally:
        storage.close()
    if problems:
        raise BackupError(
            _("{file} does not pass the journal's checks: {problem}").format(
                file=path, problem=problems[0]
            )
        )
    return Copy(path, counts[0], counts[1], counts[2])


def inspect(copy: Path) -> Copy:
    """Check a backup as ``restore`` would and say what it holds, on a scratch copy (the
    backup itself is never changed, even an older one that needs its schema brought up).

    :raises BackupError: missing, or not a sound journal.
    """
    import tempfile

    if not copy.exists():
        raise BackupError(_("no backup at {path}").format(path=copy))
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder) / "check.db"
        _copy(copy, scratch, live=False)
        found = check_copy(scratch)
    return Copy(copy, found.records, found.assessments, found.seals)


def default_name(journal: Path, now: datetime | None = None) -> Path:
    """``atelier.db`` → ``atelier-2026-12-01-183000.db`` beside it."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%d-%H%M%S")
    return journal.with_name(f"{journal.stem}-{stamp}{journal.suffix or '.db'}")


def backup(journal: Path, target: Path | None = None) -> Copy:
    """Copy ``journal`` to ``target`` (by default beside it, with the date and time in its
    name), check the copy, then move it into place; returns what it holds.

    :raises BackupError: no journal there, or the copy does not pass the checks.
    :raises OutputError: ``target`` exists or cannot be written.
    """
    if not journal.exists():
        raise BackupError(_("no journal at {path}").format(path=journal))
    target = target or default_name(journal)
    with replacing(target) as scratch:  # an empty file, its owner's only: SQLite fills it
        _copy(journal, scratch)
        checked = check_copy(scratch)
    return Copy(target, checked.records, checked.assessments, checked.seals)


def restore(copy: Path, journal: Path, *, now: datetime | None = None) -> tuple[Copy, Path | None]:
    """Put ``journal`` back to the state of the backup ``copy``; returns what the restored
    journal holds and where the journal as it was is kept (None when there was none).

    The backup is copied first and the copy checked (an older backup is brought to the
    current schema there, never in the user's file); then the journal is backed up beside
    itself; then the checked copy goes into it.

    :raises BackupError: the backup is missing, or does not pass the checks.
    """
    if not copy.exists():
        raise BackupError(_("no backup at {path}").format(path=copy))
    if journal.exists() and copy.resolve() == journal.resolve():
        raise BackupError(_("the backup and the journal are the same file"))
    stamp = (now or datetime.now()).strftime("%Y-%m-%d-%H%M%S")
    scratch = journal.with_name(f".{journal.name}.restoring-{stamp}")
    scratch.unlink(missing_ok=True)
    try:
        _copy(copy, scratch, live=False)
        check_copy(scratch)
        kept = None
        if journal.exists():
            suffix = journal.suffix or ".db"
            kept = backup(
                journal, journal.with_name(f"{journal.stem}.before-restore-{stamp}{suffix}")
            )
        _copy(scratch, journal, timeout=30, single_file=False)
    finally:
        for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
            leftover.unlink(missing_ok=True)
    return check_copy(journal), kept.path if kept is not None else None
