"""The embedded default journal: one SQLite file.

WAL mode so that readers never wait for a writer, foreign keys on, a busy timeout so that two
writers on the same file take turns instead of failing, ``BEGIN IMMEDIATE`` for every write
transaction, and triggers that refuse any UPDATE or DELETE of evidence: the journal is
append-only at the database level, not only by convention.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ep_skills.errors import JournalUnavailableError
from ep_skills.i18n import _
from ep_skills.journal import integrity
from ep_skills.journal.erasure import KEYS, REMOVABLE, Rewrite
from ep_skills.journal.sql import SqlStorage

__all__ = ["JournalFileError", "SqliteStorage"]

SCHEMA_VERSION = 10
BUSY_TIMEOUT_MS = 30_000

# Each entry migrates from version i to i + 1. Never edit a released entry: add one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE trainee (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        diploma TEXT NOT NULL,
        cohort TEXT,
        start_date TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX trainee_by_cohort ON trainee (cohort);
    CREATE TABLE production_order (
        ref TEXT PRIMARY KEY,
        customer TEXT NOT NULL,
        title TEXT NOT NULL,
        quantity INTEGER,
        received TEXT,
        due TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE task_record (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        task TEXT,
        description TEXT,
        order_ref TEXT REFERENCES production_order (ref),
        minutes INTEGER,
        context TEXT NOT NULL DEFAULT '{}',
        assessor TEXT,
        role TEXT NOT NULL,
        note TEXT,
        recorded_at TEXT NOT NULL
    );
    CREATE TABLE record_trainee (
        record INTEGER NOT NULL REFERENCES task_record (id),
        trainee INTEGER NOT NULL REFERENCES trainee (id),
        PRIMARY KEY (record, trainee)
    ) WITHOUT ROWID;
    CREATE INDEX record_trainee_by_trainee ON record_trainee (trainee, record);
    CREATE TABLE assessment (
        id INTEGER PRIMARY KEY,
        record INTEGER NOT NULL REFERENCES task_record (id),
        trainee INTEGER NOT NULL REFERENCES trainee (id),
        diploma TEXT NOT NULL,
        competency TEXT NOT NULL,
        level TEXT NOT NULL,
        day TEXT NOT NULL,
        role TEXT NOT NULL,
        assessor TEXT,
        autonomy INTEGER,
        note TEXT,
        order_ref TEXT,
        task TEXT,
        supersedes INTEGER REFERENCES assessment (id),
        withdrawn INTEGER NOT NULL DEFAULT 0,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX assessment_by_pair ON assessment (trainee, competency, day);
    CREATE INDEX assessment_corrections ON assessment (supersedes) WHERE supersedes IS NOT NULL;
    CREATE TABLE trainee_transfer (
        id INTEGER PRIMARY KEY,
        trainee INTEGER NOT NULL REFERENCES trainee (id),
        from_diploma TEXT NOT NULL,
        to_diploma TEXT NOT NULL,
        note TEXT,
        recorded_at TEXT NOT NULL
    );
    CREATE TABLE competency_state (
        trainee INTEGER NOT NULL REFERENCES trainee (id),
        competency TEXT NOT NULL,
        state TEXT,
        score INTEGER,
        acquired INTEGER NOT NULL,
        score_state TEXT,
        count INTEGER NOT NULL,
        contexts INTEGER NOT NULL,
        last_day TEXT,
        max_autonomy INTEGER,
        non_scoring INTEGER NOT NULL,
        self_score INTEGER,
        self_state TEXT,
        history INTEGER NOT NULL,
        PRIMARY KEY (trainee, competency)
    ) WITHOUT ROWID;
    CREATE TRIGGER assessment_append_only_update BEFORE UPDATE ON assessment
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER assessment_append_only_delete BEFORE DELETE ON assessment
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER task_record_append_only_update BEFORE UPDATE ON task_record
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER task_record_append_only_delete BEFORE DELETE ON task_record
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    """,
    # 2: recording stays as fast in a large journal: "was this order already seen?" is a
    # lookup, not a scan of the pair's rows.
    """
    CREATE INDEX assessment_contexts ON assessment (trainee, competency, order_ref, task);
    """,
    # 3: the diploma option a trainee prepares.
    """
    ALTER TABLE trainee ADD COLUMN option TEXT;
    """,
    # 4: a full recompute reads every row of a pair from one index, in the pair's order, without
    # touching the table (the index covers every column the summaries need); self-assessments,
    # a few per pair, get their own small index so that their window is read directly.
    """
    DROP INDEX assessment_by_pair;
    CREATE INDEX assessment_by_pair ON assessment
        (trainee, competency, day, diploma, level, role, withdrawn, autonomy, order_ref, task,
         record);
    CREATE INDEX assessment_self ON assessment (trainee, competency, day) WHERE role = 'auto';
    """,
    # 5: an import is an event of its own (which file, by content; when; what it added), and
    # each record it wrote points to it, so that a whole import can be withdrawn and a file
    # imported again is recognised. Records are found by day to recognise a row already there.
    # States keep the day of the first scoring assessment (how long the evidence spans):
    # every stored state is recomputed on the next read.
    """
    CREATE TABLE import_batch (
        id INTEGER PRIMARY KEY,
        file_name TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        rows INTEGER NOT NULL,
        new_records INTEGER NOT NULL,
        existing_records INTEGER NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE TABLE record_import (
        record INTEGER PRIMARY KEY REFERENCES task_record (id),
        batch INTEGER NOT NULL REFERENCES import_batch (id),
        row INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX record_import_by_batch ON record_import (batch, record);
    CREATE INDEX task_record_by_day ON task_record (day);
    CREATE TRIGGER import_batch_append_only_update BEFORE UPDATE ON import_batch
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER import_batch_append_only_delete BEFORE DELETE ON import_batch
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER record_import_append_only_update BEFORE UPDATE ON record_import
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER record_import_append_only_delete BEFORE DELETE ON record_import
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    ALTER TABLE competency_state ADD COLUMN first_day TEXT;
    DELETE FROM meta WHERE key LIKE 'states:%';
    """,
    # 6: append-only for everything evidence is attributed to (trainees, orders, links,
    # transfers), REPLACE refused everywhere (it deletes without firing delete triggers), and a
    # seal per write: a hash chain over the evidence that `ep-skills verify` recomputes.
    """
    CREATE TABLE seal (
        id INTEGER PRIMARY KEY,
        version INTEGER NOT NULL,
        kind TEXT NOT NULL,
        marks TEXT NOT NULL,
        previous TEXT NOT NULL,
        digest TEXT NOT NULL,
        sealed_at TEXT NOT NULL
    );
    CREATE TRIGGER seal_append_only_update BEFORE UPDATE ON seal
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER seal_append_only_delete BEFORE DELETE ON seal
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER production_order_append_only_update BEFORE UPDATE ON production_order
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER production_order_append_only_delete BEFORE DELETE ON production_order
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER record_trainee_append_only_update BEFORE UPDATE ON record_trainee
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER record_trainee_append_only_delete BEFORE DELETE ON record_trainee
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER trainee_transfer_append_only_update BEFORE UPDATE ON trainee_transfer
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER trainee_transfer_append_only_delete BEFORE DELETE ON trainee_transfer
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER trainee_append_only_delete BEFORE DELETE ON trainee
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER trainee_append_only_update BEFORE UPDATE ON trainee
    WHEN NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name OR NEW.name_key IS NOT OLD.name_key
        OR NEW.cohort IS NOT OLD.cohort OR NEW.start_date IS NOT OLD.start_date
        OR NEW.option IS NOT OLD.option OR NEW.created_at IS NOT OLD.created_at
        OR NEW.diploma IS NOT (SELECT x.to_diploma FROM trainee_transfer x
                               WHERE x.trainee = OLD.id ORDER BY x.id DESC LIMIT 1)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER meta_append_only_update BEFORE UPDATE ON meta
    WHEN OLD.key NOT LIKE 'states:%'
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER meta_append_only_delete BEFORE DELETE ON meta
    WHEN OLD.key NOT LIKE 'states:%'
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER assessment_no_replace BEFORE INSERT ON assessment
    WHEN EXISTS (SELECT 1 FROM assessment WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER task_record_no_replace BEFORE INSERT ON task_record
    WHEN EXISTS (SELECT 1 FROM task_record WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER trainee_no_replace BEFORE INSERT ON trainee
    WHEN EXISTS (SELECT 1 FROM trainee WHERE id = NEW.id OR name_key = NEW.name_key)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER production_order_no_replace BEFORE INSERT ON production_order
    WHEN EXISTS (SELECT 1 FROM production_order WHERE ref = NEW.ref)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER record_trainee_no_replace BEFORE INSERT ON record_trainee
    WHEN EXISTS (SELECT 1 FROM record_trainee WHERE record = NEW.record AND trainee = NEW.trainee)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER trainee_transfer_no_replace BEFORE INSERT ON trainee_transfer
    WHEN EXISTS (SELECT 1 FROM trainee_transfer WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER import_batch_no_replace BEFORE INSERT ON import_batch
    WHEN EXISTS (SELECT 1 FROM import_batch WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER record_import_no_replace BEFORE INSERT ON record_import
    WHEN EXISTS (SELECT 1 FROM record_import WHERE record = NEW.record)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER seal_no_replace BEFORE INSERT ON seal
    WHEN EXISTS (SELECT 1 FROM seal WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER meta_no_replace BEFORE INSERT ON meta
    WHEN NEW.key NOT LIKE 'states:%' AND EXISTS (SELECT 1 FROM meta WHERE key = NEW.key)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    """,
    # 7: a trainee's identity for other software: an external id and free metadata; homonyms
    # (a name is no longer unique: the table is rebuilt without that constraint, its rows as
    # they were, so that their seals still hold). A trainee row stays as created; renames,
    # updates and archiving are events of their own (trainee_event), each a full picture of
    # the trainee after it, and trainee_now is the trainee as the latest event left them.
    """
    DROP TRIGGER trainee_append_only_delete;
    DROP TRIGGER trainee_append_only_update;
    DROP TRIGGER trainee_no_replace;
    CREATE TABLE trainee_v7 (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        diploma TEXT NOT NULL,
        cohort TEXT,
        start_date TEXT,
        created_at TEXT NOT NULL,
        option TEXT,
        external_id TEXT,
        metadata TEXT
    );
    INSERT INTO trainee_v7 (id, name, name_key, diploma, cohort, start_date, created_at, option)
    SELECT id, name, name_key, diploma, cohort, start_date, created_at, option FROM trainee;
    DROP TABLE trainee;
    ALTER TABLE trainee_v7 RENAME TO trainee;
    CREATE INDEX trainee_by_cohort ON trainee (cohort);
    CREATE INDEX trainee_by_name ON trainee (name_key);
    CREATE INDEX trainee_by_external_id ON trainee (external_id);
    CREATE TABLE trainee_event (
        id INTEGER PRIMARY KEY,
        trainee INTEGER NOT NULL REFERENCES trainee (id),
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        cohort TEXT,
        start_date TEXT,
        option TEXT,
        external_id TEXT,
        metadata TEXT,
        archived_on TEXT,
        changed TEXT NOT NULL,
        author TEXT,
        note TEXT,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX trainee_event_by_trainee ON trainee_event (trainee, id);
    CREATE INDEX trainee_event_by_name ON trainee_event (name_key);
    CREATE INDEX trainee_event_by_external_id ON trainee_event (external_id);
    CREATE VIEW trainee_now AS
    SELECT t.id, t.diploma, t.created_at,
        coalesce(e.name, t.name) AS name,
        coalesce(e.name_key, t.name_key) AS name_key,
        CASE WHEN e.id IS NULL THEN t.cohort ELSE e.cohort END AS cohort,
        CASE WHEN e.id IS NULL THEN t.start_date ELSE e.start_date END AS start_date,
        CASE WHEN e.id IS NULL THEN t.option ELSE e.option END AS option,
        CASE WHEN e.id IS NULL THEN t.external_id ELSE e.external_id END AS external_id,
        CASE WHEN e.id IS NULL THEN t.metadata ELSE e.metadata END AS metadata,
        e.archived_on AS archived_on
    FROM trainee t
    LEFT JOIN trainee_event e
        ON e.id = (SELECT max(x.id) FROM trainee_event x WHERE x.trainee = t.id);
    CREATE TRIGGER trainee_append_only_delete BEFORE DELETE ON trainee
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER trainee_append_only_update BEFORE UPDATE ON trainee
    WHEN NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name OR NEW.name_key IS NOT OLD.name_key
        OR NEW.cohort IS NOT OLD.cohort OR NEW.start_date IS NOT OLD.start_date
        OR NEW.option IS NOT OLD.option OR NEW.created_at IS NOT OLD.created_at
        OR NEW.external_id IS NOT OLD.external_id OR NEW.metadata IS NOT OLD.metadata
        OR NEW.diploma IS NOT (SELECT x.to_diploma FROM trainee_transfer x
                               WHERE x.trainee = OLD.id ORDER BY x.id DESC LIMIT 1)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER trainee_no_replace BEFORE INSERT ON trainee
    WHEN EXISTS (SELECT 1 FROM trainee WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER trainee_event_append_only_update BEFORE UPDATE ON trainee_event
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER trainee_event_append_only_delete BEFORE DELETE ON trainee_event
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER trainee_event_no_replace BEFORE INSERT ON trainee_event
    WHEN EXISTS (SELECT 1 FROM trainee_event WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    """,
    # 8: entries that travel between journals (a workshop PC and its school's server) carry a
    # global id, time-ordered (journal/uids.py), given the first time an entry leaves its
    # journal or when it arrives: pushes and pulls recognise what the other side holds.
    """
    CREATE TABLE entry_uid (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        uid TEXT NOT NULL UNIQUE,
        PRIMARY KEY (kind, key)
    ) WITHOUT ROWID;
    CREATE TRIGGER entry_uid_append_only_update BEFORE UPDATE ON entry_uid
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER entry_uid_append_only_delete BEFORE DELETE ON entry_uid
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER entry_uid_no_replace BEFORE INSERT ON entry_uid
    WHEN EXISTS (SELECT 1 FROM entry_uid WHERE (kind = NEW.kind AND key = NEW.key)
                 OR uid = NEW.uid)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    """,
    # 9: a record's rows by record (its page, a correction of the whole record, an import
    # recognising what is there): without it each read scanned every assessment. Photos of
    # the work (« photo de la pièce »), kept once by their content's SHA-256, metadata
    # stripped, attached to records; evidence like the rest: append-only and sealed.
    """
    CREATE INDEX assessment_by_record ON assessment (record);
    CREATE TABLE photo (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        mime TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        size INTEGER NOT NULL,
        data BLOB NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE TABLE record_photo (
        id INTEGER PRIMARY KEY,
        record INTEGER NOT NULL REFERENCES task_record (id),
        sha256 TEXT NOT NULL REFERENCES photo (sha256),
        recorded_at TEXT NOT NULL,
        UNIQUE (record, sha256)
    );
    CREATE TRIGGER photo_append_only_update BEFORE UPDATE ON photo
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER photo_append_only_delete BEFORE DELETE ON photo
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER photo_no_replace BEFORE INSERT ON photo
    WHEN EXISTS (SELECT 1 FROM photo WHERE id = NEW.id OR sha256 = NEW.sha256)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER record_photo_append_only_update BEFORE UPDATE ON record_photo
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER record_photo_append_only_delete BEFORE DELETE ON record_photo
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER record_photo_no_replace BEFORE INSERT ON record_photo
    WHEN EXISTS (SELECT 1 FROM record_photo WHERE id = NEW.id
                 OR (record = NEW.record AND sha256 = NEW.sha256))
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    """,
    # 10: who wrote what, and when (journal/audit.py): one row per write and trainee touched,
    # ids and codes only (never a name), append-only like the evidence.
    """
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        written_at TEXT NOT NULL,
        author TEXT NOT NULL,
        action TEXT NOT NULL,
        trainee INTEGER,
        subject TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_by_trainee ON audit (trainee, id);
    CREATE INDEX audit_by_author ON audit (author, id);
    CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit
    WHEN EXISTS (SELECT 1 FROM audit WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    """,
)


_REBUILDS = frozenset({6})
"""Migrations (by the version they start from) that rebuild a table."""


class JournalFileError(JournalUnavailableError):
    """The journal file is missing, locked, read-only or not a journal."""


def _translate(exc: sqlite3.Error, path: str) -> JournalFileError:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        message = _("the journal {path} is locked by another program; try again").format(path=path)
    elif "readonly" in text or "read-only" in text:
        message = _("the journal {path} is read-only: check the file's permissions").format(
            path=path
        )
    elif "full" in text:
        message = _(
            "the disk holding the journal {path} is full: nothing was written; free some "
            "space and try again"
        ).format(path=path)
    elif "not a database" in text or "malformed" in text:
        message = _("{path} is not an ep-skills journal (or it is damaged)").format(path=path)
    elif "unable to open" in text:
        message = _("cannot open the journal {path}").format(path=path)
    else:
        message = _("journal error on {path}: {error}").format(path=path, error=exc)
    return JournalFileError(message)


_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_GUARD = threading.Lock()


def _writers(path: str) -> threading.RLock:
    """The lock the writers of this process take for the journal at ``path`` (re-entrant: a
    thread that opened the file twice still meets SQLite's own lock, as before)."""
    key = path if path == ":memory:" else os.path.realpath(path)
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(key, threading.RLock())


class SqliteStorage(SqlStorage):
    """A journal kept in one SQLite file (see :class:`~ep_skills.journal.storage.Storage`)."""

    def __init__(
        self,
        path: str | Path,
        *,
        create: bool = False,
        on_upgrade: Callable[[int, int], None] | None = None,
        check: bool = True,
    ) -> None:
        """:param on_upgrade: called with (found, new) schema versions before an existing
        journal is migrated, which can take a while for a large one (an index is built).
        :param check: refuse a journal whose protections were removed or altered (only
            ``ep-skills verify`` opens one without, to report and repair).
        """
        self.path = str(path)
        self._on_upgrade = on_upgrade
        # One connection per thread, each with its own transaction depth: a web server's
        # threads share the journal object, never a connection (a connection shared by
        # threads interleaves their statements inside one another's transactions). SQLite's
        # WAL lets readers go on while one writer holds BEGIN IMMEDIATE; the others wait.
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._owner = threading.get_ident()
        self._closed = False
        self._immutable = False
        self.read_only = (
            not create
            and self.path != ":memory:"
            and Path(self.path).exists()
            and not (
                os.access(self.path, os.W_OK)
                and os.access(Path(self.path).resolve().parent, os.W_OK)
            )
        )
        """Whether the file can only be read (every write is then refused, reads work)."""
        if self.path != ":memory:" and not create and not Path(self.path).exists():
            raise JournalFileError(
                _("no journal at {path}; create one with: ep-skills init").format(path=self.path)
            )
        if create and self.path != ":memory:" and not Path(self.path).exists():
            # Minors' data: the file is readable by its owner only, and SQLite gives its
            # -wal and -shm files the same permissions.
            try:
                os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                pass
            except OSError as exc:
                raise JournalFileError(
                    _("cannot create the journal {path}: {reason}").format(
                        path=self.path, reason=exc.strerror or exc
                    )
                ) from None
        try:
            self._connect()
            self._migrate(create)
            if check:
                self._check_protections()
        except sqlite3.Error as exc:
            self.close()
            raise _translate(exc, self.path) from None
        except BaseException:
            self.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        # isolation_level=None: transactions are ours (BEGIN IMMEDIATE), not the module's.
        target, uri = self.path, False
        if self.read_only:
            # A file we may read but not write (an inspector's copy, a colleague's journal):
            # opened read-only; "immutable" when SQLite cannot even create its -shm file.
            mode = "ro&immutable=1" if self._immutable else "ro"
            target, uri = f"file:{quote(str(Path(self.path).resolve()))}?mode={mode}", True
        db = sqlite3.connect(
            target,
            isolation_level=None,
            check_same_thread=False,  # close() may run in another thread
            timeout=BUSY_TIMEOUT_MS / 1000,
            uri=uri,
        )
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        if self.read_only and not self._immutable:
            try:
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError:
                db.close()
                self._immutable = True
                return self._connect()
        if self.path != ":memory:" and not self.read_only:
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        # 64 MiB of page cache (SQLite's default is 2 MiB): an import or a day of records
        # inserts into indexes ordered by trainee and competency, all over the file.
        db.execute("PRAGMA cache_size = -65536")
        self._local.db = db
        self._local.depth = 0
        with self._lock:
            self._connections.append(db)
        return db

    @property
    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            return db
        if self._closed:
            raise JournalFileError(_("the journal {path} is closed").format(path=self.path))
        if self.path == ":memory:":
            # Each connection to ":memory:" is a database of its own: another thread would
            # see an empty journal. Refuse, rather than lose its records.
            raise JournalFileError(
                _(
                    "an in-memory journal can only be used from the thread that opened it; "
                    "use a journal file to share it between threads"
                )
            )
        try:
            return self._connect()
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

    @property
    def _depth(self) -> int:
        return int(getattr(self._local, "depth", 0))

    @_depth.setter
    def _depth(self, value: int) -> None:
        self._local.depth = value

    # -- schema ------------------------------------------------------------------------------

    def _check_protections(self) -> None:
        problems = integrity.check_protections(self._db, _protections())
        if problems:
            raise JournalFileError(
                _(
                    "the journal {path} has lost protections ({problems}): it may have been "
                    "changed outside ep-skills. Check it with: ep-skills verify; restore them "
                    "with: ep-skills verify --repair"
                ).format(path=self.path, problems="; ".join(problems[:3]))
            )

    def _migrate(self, create: bool) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0 and not create:
            tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise JournalFileError(
                    _("{path} is not an ep-skills journal (or it is damaged)").format(
                        path=self.path
                    )
                )
        if version > SCHEMA_VERSION:
            raise JournalFileError(
                _(
                    "the journal {path} was written by a newer ep-skills (schema {found}); "
                    "upgrade ep-skills"
                ).format(path=self.path, found=version)
            )
        if version < SCHEMA_VERSION and self.read_only:
            raise JournalFileError(
                _(
                    "the journal {path} was written by an older ep-skills and is read-only: "
                    "open it once with the right to write, to upgrade it"
                ).format(path=self.path)
            )
        if 0 < version < SCHEMA_VERSION and self._on_upgrade is not None:
            self._on_upgrade(version, SCHEMA_VERSION)
        while version < SCHEMA_VERSION:
            rebuilds = version in _REBUILDS
            if rebuilds:
                # A table rebuilt in place (SQLite's documented way to drop a constraint):
                # references to it are checked once it is back, not while it is away.
                self._db.execute("PRAGMA foreign_keys = OFF")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _split_sql(MIGRATIONS[version]):
                    self._db.execute(statement)
                version += 1
                if rebuilds and self._db.execute("PRAGMA foreign_key_check").fetchone():
                    raise JournalFileError(
                        _("{path}: the upgrade found rows that refer to nothing").format(
                            path=self.path
                        )
                    )
                if version == 6:
                    # Everything written before seals existed is sealed once, as found.
                    integrity.seal(self._db, "upgrade" if not create else "write", version=1)
                self._db.execute(f"PRAGMA user_version = {version}")
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
            finally:
                if rebuilds:
                    self._db.execute("PRAGMA foreign_keys = ON")

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction; nested calls join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        if self.read_only:
            raise JournalFileError(
                _("the journal {path} is read-only: check the file's permissions").format(
                    path=self.path
                )
            )
        # The writers of this process queue on a lock of the file's own: they go in turn, in
        # order, where SQLite's busy handler would make them poll with sleeps of up to 100 ms
        # (ten tablets recording at once waited seconds). Other processes still wait on
        # SQLite's lock, within the busy timeout.
        writers = _writers(self.path)
        if not writers.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise _translate(sqlite3.OperationalError("database is locked"), self.path)
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            writers.release()
            raise _translate(exc, self.path) from None
        self._depth = 1
        try:
            self._check_sealed()
            yield
            # Every write is sealed in its own transaction: the rows it added, hashed and
            # chained to the previous seal (journal/integrity.py); nothing new, no seal.
            integrity.seal(self._db)
        except BaseException:
            self._rollback()
            raise
        else:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise _translate(exc, self.path) from None
        finally:
            self._depth = 0
            writers.release()

    def _rollback(self) -> None:
        # SQLite may already have rolled back (a full disk, an I/O error): a failing ROLLBACK
        # must not hide the error that caused it.
        with suppress(sqlite3.Error):
            self._db.execute("ROLLBACK")

    def _check_sealed(self) -> None:
        """Refuse every write while rows that no seal covers (written by a program other than
        ep-skills) are in the journal."""
        if integrity.marks(self._db) != integrity.last_seal(self._db)[1]:
            raise JournalFileError(
                _(
                    "the journal {path} holds rows that ep-skills did not write (no seal "
                    "covers them); nothing was written. Check it with: ep-skills verify"
                ).format(path=self.path)
            )

    def erase(self, rewrite: Rewrite) -> None:
        """Apply an erasure (journal/erasure.py), inside the caller's write transaction: the
        append-only triggers are lifted for it and put back as they were (both inside the
        transaction: all or nothing), freed pages are overwritten (``secure_delete``), and the
        rows are sealed again from the first (:func:`~ep_skills.journal.integrity.reseal`)."""
        self._must_write()
        rewrite.check()
        db = self._db
        locks = db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
            "(name LIKE '%append_only%')"
        ).fetchall()
        db.execute("PRAGMA secure_delete = ON")
        for name, _sql in locks:
            db.execute(f"DROP TRIGGER {name}")
        for table, key, column, value in rewrite.updates:
            where = KEYS.get(table, "id")
            db.execute(f"UPDATE {table} SET {column} = ? WHERE {where} = ?", (value, key))
        for table, key in rewrite.removals:
            if table == "record_photo":
                record, _colon, sha256 = str(key).partition(":")
                db.execute(
                    "DELETE FROM record_photo WHERE record = ? AND sha256 = ?",
                    (int(record), sha256),
                )
            else:
                db.execute(f"DELETE FROM {table} WHERE {REMOVABLE[table]} = ?", (key,))
        for _name, sql in locks:
            db.execute(sql)
        integrity.reseal(db)

    def forget_freed(self) -> None:
        """After an erasure's commit: the old pages out of the write-ahead log and the file
        (a checkpoint, then VACUUM), so that the erased data is in no byte of the journal."""
        with suppress(sqlite3.Error):  # another connection reading: the next one does it
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.execute("PRAGMA secure_delete = OFF")

    def verify(self) -> list[str]:
        """Every sign of tampering (see :func:`ep_skills.journal.integrity.verify`)."""
        try:
            return integrity.verify(self._db, _protections())
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

    def repair(self) -> int:
        """Put the protections back; returns how many were restored."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            restored = integrity.repair_protections(self._db, _protections())
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return restored

    # -- the primitives of journal/sql.py ---------------------------------------------------

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        self._must_write()
        try:
            return self._db.execute(sql, params)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

    def _write(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._execute(sql, params)

    def _insert(self, sql: str, params: Sequence[Any]) -> int:
        return int(self._execute(sql, params).lastrowid or 0)

    def _write_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._must_write()
        try:
            self._db.executemany(sql, rows)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

    def _stream(
        self, sql: str, params: Sequence[Any] = (), *, tuples: bool = False, large: bool = False
    ) -> Generator[Any, None, None]:
        try:
            cursor = self._db.execute(sql, params)
            if tuples:
                cursor.row_factory = None
            while batch := cursor.fetchmany(5000):
                yield from batch
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

    def _new_ids(self, table: str, count: int) -> Sequence[int]:
        # Safe inside BEGIN IMMEDIATE: no other writer can take an id between this read of
        # the maximum and the inserts.
        self._must_write()
        first = (self._read(f"SELECT max(id) AS m FROM {table}")[0]["m"] or 0) + 1
        return range(first, first + count)

    def _index(self, name: str) -> str:
        return f" INDEXED BY {name}"

    def _in_transaction(self) -> bool:
        return bool(self._depth)

    def _trainees_changed(self) -> None:
        self._local.trainee_mark = None

    def close(self) -> None:
        """Close the file (every thread's connection)."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for db in connections:
            db.close()
        self._local = threading.local()

    @property
    def connection(self) -> sqlite3.Connection:
        """The raw connection, for benchmarks and SQLite-only tools."""
        return self._db

    # -- marks -------------------------------------------------------------------------------

    def trainee_mark(self) -> tuple[int, ...]:
        # SQLite's data_version changes when another connection commits: until then the
        # mark read last is still true (this connection's own writes forget it themselves).
        version = self._read("PRAGMA data_version")[0][0]
        known = getattr(self._local, "trainee_mark", None)
        if known is not None and known[0] == version:
            return tuple(known[1])
        mark = self._read_trainee_mark()
        self._local.trainee_mark = (version, mark)
        return mark

    def write_mark(self) -> tuple[int, ...]:
        """A mark that changes with every committed write (the newest row of each table), to
        tell after an interruption whether a write reached the file."""
        try:
            return tuple(integrity.marks(self._db).values())
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None


@cache
def _protections() -> dict[str, str]:
    """The triggers every journal of this schema holds (journal/integrity.py)."""
    return integrity.expected_triggers(
        statement for script in MIGRATIONS for statement in _split_sql(script)
    )


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        joined = "\n".join(current).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            statements.append(joined)
            current = []
    if "".join(current).strip():
        statements.append("\n".join(current))
    return statements
