"""The embedded default journal: one SQLite file.

WAL mode so that readers never wait for a writer, foreign keys on, a busy timeout so that two
writers on the same file take turns instead of failing, ``BEGIN IMMEDIATE`` for every write
transaction, and triggers that refuse any UPDATE or DELETE of evidence: the journal is
append-only at the database level, not only by convention.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from attrs import evolve

from ep_skills.errors import JournalUnavailableError
from ep_skills.i18n import _
from ep_skills.journal import integrity
from ep_skills.journal.model import (
    Assessment,
    AssessmentInput,
    ImportBatch,
    Order,
    Role,
    TaskRecord,
    Trainee,
    TraineeChange,
    name_key,
)
from ep_skills.journal.storage import PairSummary, StateRow

__all__ = ["JournalFileError", "SqliteStorage"]

SCHEMA_VERSION = 7
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
)


_REBUILDS = frozenset({6})
"""Migrations (by the version they start from) that rebuild a table."""

_CHUNK = 1000  # trainees per fast-path query: far below SQLite's limit on parameters

# Whole assessment rows as people read them. Before schema 5 a record's note was kept on the
# record only: an original row without a note of its own shows its record's (a correction's
# note is its own reason, never the record's).
_ROWS = (
    "SELECT a.*, CASE WHEN a.note IS NULL AND a.supersedes IS NULL "
    "THEN (SELECT r.note FROM task_record r WHERE r.id = a.record) ELSE a.note END "
    "AS shown_note FROM assessment a"
)


class _WindowSpec(NamedTuple):
    """What a summary query needs to know of a diploma's scale and settings."""

    diploma: str
    values: Mapping[str, int]
    weights: Mapping[str, float]
    limit: int
    since: date | None


def _window_of(
    packed: str | None, values: Mapping[str, int], weights: Mapping[str, float], limit: int
) -> list[tuple[str, int, float, str]]:
    """Unpack the packed window rows into the window, oldest first, in the engine's order
    (:func:`ep_skills.engine.compute.window_key`).

    Rows are separated by the ASCII record separator and fields by the unit separator: level
    codes and roles never contain control characters (the referential check refuses them).
    """
    if not packed:
        return []
    rows = []
    for item in packed.split("\x1e"):
        day, level, role = item.split("\x1f")
        rows.append((day, values[level], weights.get(role, 1.0), level))
    rows.sort()
    return rows[-limit:] if limit else rows


class JournalFileError(JournalUnavailableError):
    """The journal file is missing, locked, read-only or not a journal."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _metadata(value: Mapping[str, str]) -> str | None:
    # Sorted, so that the same metadata is the same text (an unchanged field is no change).
    return json.dumps(dict(value), ensure_ascii=False, sort_keys=True) if value else None


def _picture(row: sqlite3.Row) -> dict[str, str | None]:
    """What a trainee row or change row says of the fields a change may change, as text."""
    keys = row.keys()
    return {
        "name": row["name"],
        "cohort": row["cohort"],
        "start_date": row["start_date"],
        "option": row["option"],
        "external_id": row["external_id"],
        "metadata": row["metadata"],
        "archived": row["archived_on"] if "archived_on" in keys else None,
    }


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


class SqliteStorage:
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
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
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

    def _write(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        if not self._depth:
            raise RuntimeError("writes must happen inside Storage.transaction()")
        try:
            return self._db.execute(sql, params)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

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

    # -- meta --------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._write(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- trainees and orders -----------------------------------------------------------------

    @staticmethod
    def _trainee(row: sqlite3.Row) -> Trainee:
        return Trainee(
            row["id"],
            row["name"],
            row["diploma"],
            row["cohort"],
            _date(row["start_date"]),
            row["option"],
            external_id=row["external_id"],
            metadata=json.loads(row["metadata"]) if row["metadata"] else {},
            archived=_date(row["archived_on"]),
        )

    def add_trainee(self, trainee: Trainee) -> Trainee:
        self._local.trainee_mark = None
        cursor = self._write(
            "INSERT INTO trainee (name, name_key, diploma, cohort, start_date, option, "
            "external_id, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                trainee.name,
                name_key(trainee.name),
                trainee.diploma,
                trainee.cohort,
                _iso(trainee.start_date),
                trainee.option,
                trainee.external_id,
                _metadata(trainee.metadata),
                _now(),
            ),
        )
        return evolve(trainee, id=int(cursor.lastrowid or 0))

    def trainees(self, cohort: str | None = None, *, archived: bool = False) -> list[Trainee]:
        where = [] if archived else ["archived_on IS NULL"]
        params: list[Any] = []
        if cohort is not None:
            where.append("cohort = ?")
            params.append(cohort)
        condition = f"WHERE {' AND '.join(where)} " if where else ""
        rows = self._read(f"SELECT * FROM trainee_now {condition}ORDER BY name, id", params)
        return [self._trainee(r) for r in rows]

    def trainee_by_id(self, trainee_id: int) -> Trainee | None:
        rows = self._read("SELECT * FROM trainee_now WHERE id = ?", (trainee_id,))
        return self._trainee(rows[0]) if rows else None

    def trainees_named(self, name: str) -> list[Trainee]:
        # Through the indexes of the names ever given (at creation, by a change), then the
        # name each has now: a school's journal is never scanned to find one trainee.
        key = name_key(name)
        rows = self._read(
            "SELECT * FROM trainee_now WHERE name_key = ? AND id IN "
            "(SELECT id FROM trainee WHERE name_key = ? "
            "UNION SELECT trainee FROM trainee_event WHERE name_key = ?) ORDER BY id",
            (key, key, key),
        )
        return [self._trainee(r) for r in rows]

    def trainee_by_external_id(self, external_id: str) -> Trainee | None:
        rows = self._read(
            "SELECT * FROM trainee_now WHERE external_id = ? AND id IN "
            "(SELECT id FROM trainee WHERE external_id = ? "
            "UNION SELECT trainee FROM trainee_event WHERE external_id = ?) ORDER BY id",
            (external_id, external_id, external_id),
        )
        return self._trainee(rows[0]) if rows else None

    def add_trainee_change(
        self,
        trainee: Trainee,
        kind: str,
        changed: Sequence[str],
        author: str | None,
        note: str | None,
    ) -> TraineeChange:
        self._local.trainee_mark = None
        cursor = self._write(
            "INSERT INTO trainee_event (trainee, kind, name, name_key, cohort, start_date, "
            "option, external_id, metadata, archived_on, changed, author, note, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                trainee.id,
                kind,
                trainee.name,
                name_key(trainee.name),
                trainee.cohort,
                _iso(trainee.start_date),
                trainee.option,
                trainee.external_id,
                _metadata(trainee.metadata),
                _iso(trainee.archived),
                json.dumps(list(changed)),
                author,
                note,
                _now(),
            ),
        )
        return next(c for c in self.trainee_changes(trainee.id) if c.id == cursor.lastrowid)

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

    def _read_trainee_mark(self) -> tuple[int, ...]:
        row = self._read(
            "SELECT (SELECT coalesce(max(id), 0) FROM trainee) AS a, "
            "(SELECT coalesce(max(id), 0) FROM trainee_event) AS b, "
            "(SELECT coalesce(max(id), 0) FROM trainee_transfer) AS c"
        )[0]
        return (int(row["a"]), int(row["b"]), int(row["c"]))

    def shared_names(self) -> set[str]:
        rows = self._read("SELECT name_key FROM trainee_now GROUP BY name_key HAVING count(*) > 1")
        return {str(r["name_key"]) for r in rows}

    def trainee_changes(self, trainee_id: int) -> list[TraineeChange]:
        created = self._read("SELECT * FROM trainee WHERE id = ?", (trainee_id,))
        if not created:
            return []
        before = _picture(created[0])
        changes = []
        for row in self._read(
            "SELECT * FROM trainee_event WHERE trainee = ? ORDER BY id", (trainee_id,)
        ):
            after = _picture(row)
            changes.append(
                TraineeChange(
                    id=row["id"],
                    trainee=trainee_id,
                    kind=row["kind"],
                    changes=tuple(
                        (name, before[name], after[name]) for name in json.loads(row["changed"])
                    ),
                    author=row["author"],
                    note=row["note"],
                    recorded_at=datetime.fromisoformat(row["recorded_at"]),
                )
            )
            before = after
        return changes

    @staticmethod
    def _order(row: sqlite3.Row) -> Order:
        return Order(
            row["ref"],
            row["customer"],
            row["title"],
            row["quantity"],
            _date(row["received"]),
            _date(row["due"]),
        )

    def add_order(self, order: Order) -> Order:
        self._write(
            "INSERT INTO production_order (ref, customer, title, quantity, received, due, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                order.ref,
                order.customer,
                order.title,
                order.quantity,
                _iso(order.received),
                _iso(order.due),
                _now(),
            ),
        )
        return order

    def order(self, ref: str) -> Order | None:
        rows = self._read("SELECT * FROM production_order WHERE ref = ?", (ref,))
        return self._order(rows[0]) if rows else None

    def orders(self) -> list[Order]:
        rows = self._read(
            "SELECT * FROM production_order ORDER BY coalesce(received, created_at) DESC, ref"
        )
        return [self._order(r) for r in rows]

    # -- evidence ----------------------------------------------------------------------------

    @staticmethod
    def _assessment(row: sqlite3.Row) -> Assessment:
        return Assessment(
            id=row["id"],
            record=row["record"],
            trainee=row["trainee"],
            competency=row["competency"],
            level=row["level"],
            day=date.fromisoformat(row["day"]),
            role=Role(row["role"]),
            assessor=row["assessor"],
            autonomy=row["autonomy"],
            note=row["shown_note"],
            order=row["order_ref"],
            task=row["task"],
            supersedes=row["supersedes"],
            withdrawn=bool(row["withdrawn"]),
            recorded_at=datetime.fromisoformat(row["recorded_at"]),
            diploma=row["diploma"],
        )

    def _insert_assessment(self, row: Assessment) -> Assessment:
        cursor = self._write(
            "INSERT INTO assessment (record, trainee, diploma, competency, level, day, role, "
            "assessor, autonomy, note, order_ref, task, supersedes, withdrawn, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.record,
                row.trainee,
                row.diploma,
                row.competency,
                row.level,
                row.day.isoformat(),
                str(row.role),
                row.assessor,
                row.autonomy,
                row.note,
                row.order,
                row.task,
                row.supersedes,
                int(row.withdrawn),
                row.recorded_at.isoformat(timespec="seconds") if row.recorded_at else _now(),
            ),
        )
        return evolve(row, id=int(cursor.lastrowid or 0))

    def add_records(self, records: Sequence[TaskRecord]) -> list[TaskRecord]:
        """Insert many records at once: ids allocated here, three ``executemany`` in all.

        Safe because it runs inside a ``BEGIN IMMEDIATE`` transaction: no other writer can
        take an id between the read of the maximum and the inserts.
        """
        if not self._depth:
            raise RuntimeError("writes must happen inside Storage.transaction()")
        if not records:
            return []
        now = _now()
        next_record = (self._read("SELECT max(id) AS m FROM task_record")[0]["m"] or 0) + 1
        next_row = (self._read("SELECT max(id) AS m FROM assessment")[0]["m"] or 0) + 1
        record_rows, link_rows, assessment_rows, written = [], [], [], []
        contexts: dict[tuple[tuple[str, ...], ...], str] = {}  # records of a task share one
        for offset, record in enumerate(records):
            record_id = next_record + offset
            key = (record.process, record.machine, record.material)
            context = contexts.get(key)
            if context is None:
                context = contexts[key] = json.dumps(
                    {
                        "process": list(record.process),
                        "machine": list(record.machine),
                        "material": list(record.material),
                    },
                    ensure_ascii=False,
                )
            day = record.day.isoformat()
            role = str(record.role)
            record_rows.append(
                (
                    record_id,
                    day,
                    record.task,
                    record.description,
                    record.order,
                    record.minutes,
                    context,
                    record.assessor,
                    role,
                    record.note,
                    now,
                )
            )
            first_row = next_row
            for trainee in record.trainees:
                link_rows.append((record_id, trainee))
                for item in record.assessments:
                    assessment_rows.append(
                        (
                            next_row,
                            record_id,
                            trainee,
                            record.diploma,
                            item.competency,
                            item.level,
                            day,
                            role,
                            record.assessor,
                            item.autonomy,
                            item.note or record.note,
                            record.order,
                            record.task,
                            now,
                        )
                    )
                    next_row += 1
            written.append(
                evolve(record, id=record_id, assessment_ids=tuple(range(first_row, next_row)))
            )
        try:
            self._db.executemany(
                "INSERT INTO task_record (id, day, task, description, order_ref, minutes, "
                "context, assessor, role, note, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                record_rows,
            )
            self._db.executemany(
                "INSERT INTO record_trainee (record, trainee) VALUES (?, ?)", link_rows
            )
            self._db.executemany(
                "INSERT INTO assessment (id, record, trainee, diploma, competency, level, day, "
                "role, assessor, autonomy, note, order_ref, task, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                assessment_rows,
            )
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None
        return written

    def add_correction(
        self,
        original: Assessment,
        level: str | None,
        *,
        assessor: str | None,
        role: Role,
        note: str | None,
    ) -> Assessment:
        return self._insert_assessment(
            evolve(
                original,
                id=0,
                level=level or original.level,
                role=role,
                assessor=assessor,
                note=note,
                supersedes=original.id,
                withdrawn=level is None,
                recorded_at=datetime.fromisoformat(_now()),
                via=None,
            )
        )

    def add_import(self, batch: ImportBatch, records: Sequence[tuple[int, int]]) -> ImportBatch:
        """Record an import and link the records it wrote, as ``(record id, file row)``."""
        cursor = self._write(
            "INSERT INTO import_batch (file_name, file_sha256, rows, new_records, "
            "existing_records, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                batch.file_name,
                batch.file_sha256,
                batch.rows,
                batch.new_records,
                batch.existing_records,
                _now(),
            ),
        )
        batch_id = int(cursor.lastrowid or 0)
        self._db.executemany(
            "INSERT INTO record_import (record, batch, row) VALUES (?, ?, ?)",
            [(record, batch_id, row) for record, row in records],
        )
        return evolve(batch, id=batch_id)

    @staticmethod
    def _batch(row: sqlite3.Row) -> ImportBatch:
        return ImportBatch(
            id=row["id"],
            file_name=row["file_name"],
            file_sha256=row["file_sha256"],
            rows=row["rows"],
            new_records=row["new_records"],
            existing_records=row["existing_records"],
            recorded_at=datetime.fromisoformat(row["recorded_at"]),
        )

    def imports(self) -> list[ImportBatch]:
        """Every import, oldest first."""
        return [self._batch(r) for r in self._read("SELECT * FROM import_batch ORDER BY id")]

    def import_batch(self, batch_id: int) -> ImportBatch | None:
        """One import by number."""
        rows = self._read("SELECT * FROM import_batch WHERE id = ?", (batch_id,))
        return self._batch(rows[0]) if rows else None

    def import_of(self, record_id: int) -> int | None:
        """The import that wrote a record, if one did."""
        rows = self._read("SELECT batch FROM record_import WHERE record = ?", (record_id,))
        return int(rows[0]["batch"]) if rows else None

    def imported_records(self, batch_id: int) -> list[int]:
        """The records an import wrote, in the order of the file."""
        rows = self._read(
            "SELECT record FROM record_import WHERE batch = ? ORDER BY row, record", (batch_id,)
        )
        return [int(r["record"]) for r in rows]

    def record(self, record_id: int) -> TaskRecord | None:
        """One task record with its trainees and every row written under it."""
        found = self._records("r.id = ?", [record_id])
        return found[0][0] if found else None

    def record_rows(self, record_id: int) -> list[Assessment]:
        """Every assessment row of a record: the originals and their corrections."""
        rows = self._read(f"{_ROWS} WHERE record = ? ORDER BY id", (record_id,))
        return [self._assessment(r) for r in rows]

    def records_between(self, first: date, last: date) -> list[tuple[TaskRecord, list[Assessment]]]:
        """The records of these days, each with every assessment row written under it."""
        return self._records("r.day BETWEEN ? AND ?", [first.isoformat(), last.isoformat()])

    def _records(
        self, where: str, params: Sequence[Any]
    ) -> list[tuple[TaskRecord, list[Assessment]]]:
        records = self._read(
            "SELECT r.*, (SELECT group_concat(rt.trainee) FROM record_trainee rt "
            f"WHERE rt.record = r.id) AS people FROM task_record r WHERE {where} ORDER BY r.id",
            params,
        )
        if not records:
            return []
        rows_of: dict[int, list[Assessment]] = {r["id"]: [] for r in records}
        ids = list(rows_of)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            for row in self._read(
                f"{_ROWS} WHERE record IN ({','.join('?' * len(chunk))}) ORDER BY id", chunk
            ):
                rows_of[row["record"]].append(self._assessment(row))
        result = []
        for row in records:
            rows = rows_of[row["id"]]
            people = tuple(sorted(int(t) for t in (row["people"] or "").split(",") if t))
            first = people[0] if people else None
            originals = [a for a in rows if a.supersedes is None and a.trainee == first]
            context = json.loads(row["context"])
            record = TaskRecord(
                trainees=people,
                day=date.fromisoformat(row["day"]),
                assessments=tuple(
                    AssessmentInput(a.competency, a.level, a.autonomy) for a in originals
                ),
                diploma=originals[0].diploma if originals else "",
                task=row["task"],
                description=row["description"],
                order=row["order_ref"],
                minutes=row["minutes"],
                process=tuple(context.get("process", ())),
                machine=tuple(context.get("machine", ())),
                material=tuple(context.get("material", ())),
                assessor=row["assessor"],
                role=Role(row["role"]),
                note=row["note"],
                id=row["id"],
                assessment_ids=tuple(a.id for a in rows if a.supersedes is None),
                recorded_at=datetime.fromisoformat(row["recorded_at"]),
            )
            result.append((record, rows))
        return result

    def add_transfer(
        self, trainee: int, from_diploma: str, to_diploma: str, note: str | None
    ) -> None:
        self._local.trainee_mark = None
        self._write(
            "INSERT INTO trainee_transfer (trainee, from_diploma, to_diploma, note, recorded_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (trainee, from_diploma, to_diploma, note, _now()),
        )
        self._write("UPDATE trainee SET diploma = ? WHERE id = ?", (to_diploma, trainee))

    def assessments_on(self, trainee: int, sources: Sequence[tuple[str, str]]) -> list[Assessment]:
        if not sources:
            return []
        condition = " OR ".join(["(diploma = ? AND competency = ?)"] * len(sources))
        params: list[Any] = [trainee]
        for diploma, code in sources:
            params += [diploma, code]
        rows = self._read(
            f"{_ROWS} WHERE trainee = ? AND ({condition}) ORDER BY day, id",
            params,
        )
        return [self._assessment(r) for r in rows]

    def assessment(self, assessment_id: int) -> Assessment | None:
        rows = self._read(f"{_ROWS} WHERE id = ?", (assessment_id,))
        return self._assessment(rows[0]) if rows else None

    def assessments(self, trainee: int, competency: str | None = None) -> list[Assessment]:
        if competency is None:
            rows = self._read(
                f"{_ROWS} WHERE trainee = ? ORDER BY competency, day, id",
                (trainee,),
            )
        else:
            rows = self._read(
                f"{_ROWS} WHERE trainee = ? AND competency = ? ORDER BY day, id",
                (trainee, competency),
            )
        return [self._assessment(r) for r in rows]

    def iter_assessments(self, trainees: Sequence[int] | None = None) -> Iterator[Assessment]:
        sql = _ROWS
        params: list[Any] = []
        if trainees is not None:
            sql += f" WHERE trainee IN ({','.join('?' * len(trainees))})"
            params = list(trainees)
        sql += " ORDER BY trainee, competency, day, id"
        try:
            cursor = self._db.execute(sql, params)
            while batch := cursor.fetchmany(5000):
                for row in batch:
                    yield self._assessment(row)
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

    def records(self, trainee: int) -> list[TaskRecord]:
        rows = self._read(
            "SELECT r.* FROM task_record r JOIN record_trainee rt ON rt.record = r.id "
            "WHERE rt.trainee = ? ORDER BY r.day, r.id",
            (trainee,),
        )
        result = []
        for row in rows:
            context = json.loads(row["context"])
            result.append(
                TaskRecord(
                    trainees=(trainee,),
                    day=date.fromisoformat(row["day"]),
                    assessments=(),
                    task=row["task"],
                    description=row["description"],
                    order=row["order_ref"],
                    minutes=row["minutes"],
                    process=tuple(context.get("process", ())),
                    machine=tuple(context.get("machine", ())),
                    material=tuple(context.get("material", ())),
                    assessor=row["assessor"],
                    role=Role(row["role"]),
                    note=row["note"],
                    id=row["id"],
                )
            )
        return result

    def pair_summaries(
        self,
        diploma: str,
        *,
        values: Mapping[str, int],
        weights: Mapping[str, float],
        limit: int,
        since: date | None = None,
        trainees: Sequence[int] | None = None,
        pairs: Sequence[tuple[int, str]] | None = None,
    ) -> Iterator[PairSummary]:
        """Per (trainee, competency) recorded under ``diploma``: the aggregates and the window
        of the last ``limit`` scoring assessments, computed by SQLite.

        It follows :func:`ep_skills.engine.compute.summarise` exactly (effective rows, scope,
        same-day order by content) and is the fast path of a full recompute: the counts come
        from one pass over the covering index ``assessment_by_pair`` (no table read, no sort)
        and each window from the few newest rows of its pair, read backwards through the
        index. Corrections are rare, so that pass does not look for them row by row: the pairs
        that have one are summarised again, with the check (:meth:`_exact_pairs`).
        """
        spec = _WindowSpec(diploma, values, weights, limit, since)
        if pairs is not None:
            yield from self._exact_pairs(spec, pairs)
            return
        corrected = self._corrected_pairs(diploma, trainees)
        exact = {(s.trainee, s.competency): s for s in self._exact_pairs(spec, corrected)}
        chunks: list[Sequence[int] | None] = [None]
        if trainees is not None:
            ordered = sorted(trainees)
            chunks = [ordered[i : i + _CHUNK] for i in range(0, len(ordered), _CHUNK)]
        for chunk in chunks:
            for summary in self._summaries(spec, trainees=chunk):
                yield exact.pop((summary.trainee, summary.competency), summary)
        yield from exact.values()  # none, unless a pair's only rows are corrections

    def _corrected_pairs(
        self, diploma: str, trainees: Sequence[int] | None
    ) -> set[tuple[int, str]]:
        """The pairs with at least one correction (read through the small partial index)."""
        rows = self._read(
            "SELECT DISTINCT trainee, competency FROM assessment "
            "INDEXED BY assessment_corrections WHERE supersedes IS NOT NULL AND diploma = ?",
            (diploma,),
        )
        wanted = set(trainees) if trainees is not None else None
        return {
            (r["trainee"], r["competency"])
            for r in rows
            if wanted is None or r["trainee"] in wanted
        }

    def _exact_pairs(
        self, spec: _WindowSpec, pairs: Iterable[tuple[int, str]]
    ) -> Iterator[PairSummary]:
        """Summaries of some pairs, every row checked for a correction.

        One trainee at a time, through index seeks on the competencies asked for.
        """
        codes: dict[int, list[str]] = {}
        for trainee, code in sorted(pairs):
            codes.setdefault(trainee, []).append(code)
        for trainee, wanted in codes.items():
            yield from self._summaries(spec, trainees=[trainee], codes=wanted, exact=True)

    def _summaries(
        self,
        spec: _WindowSpec,
        *,
        trainees: Sequence[int] | None,
        codes: Sequence[str] | None = None,
        exact: bool = False,
    ) -> Iterator[PairSummary]:
        """Two ordered passes over the covering index, merged pair by pair.

        The first counts the official scoring rows (count, distinct orders or tasks, best
        autonomy); the second counts every row and the official ones, and reads each pair's
        windows through correlated subqueries that stop after the newest rows. With
        ``exact``, each row is also checked for a correction that supersedes it.
        """
        scope = "diploma = ?"
        scope_params: list[Any] = [spec.diploma]
        if trainees is not None:
            scope += f" AND trainee IN ({','.join('?' * len(trainees))})"
            scope_params += list(trainees)
        if codes is not None:
            scope += f" AND competency IN ({','.join('?' * len(codes))})"
            scope_params += list(codes)
        if spec.since is not None:
            scope += " AND day >= ?"
            scope_params.append(spec.since.isoformat())
        # Whether a row still counts: not withdrawn, and (with ``exact``) not corrected.
        counts = "withdrawn = 0"
        if exact:
            counts += " AND NOT EXISTS (SELECT 1 FROM assessment x WHERE x.supersedes = a.id)"
        levels = list(spec.values)
        marks = ",".join("?" * len(levels))
        # Distinct contexts: the order, else the task, else the record. The task side gets a
        # char(1) prefix (an order reference never holds a control character) so that one
        # COUNT(DISTINCT) tells them apart without building a string for most rows.
        tally_sql = (
            "SELECT trainee, competency, count(*), count(DISTINCT coalesce(nullif(order_ref, ''), "
            "char(1) || coalesce(nullif(task, ''), record))), max(autonomy), min(day) "
            f"FROM assessment a INDEXED BY assessment_by_pair WHERE {scope} AND {counts} "
            f"AND role != 'auto' AND level IN ({marks}) "
            "GROUP BY trainee, competency ORDER BY trainee, competency"
        )
        official_sql, official_params = self._window_sql(spec, own=False, exact=exact)
        own_sql, own_params = self._window_sql(spec, own=True, exact=exact)
        rows_sql = (
            f"SELECT p.trainee, p.competency, p.history, p.official, {official_sql}, {own_sql} "
            "FROM (SELECT trainee, competency, count(*) AS history, "
            f"sum({counts} AND role != 'auto') AS official "
            f"FROM assessment a INDEXED BY assessment_by_pair WHERE {scope} "
            "GROUP BY trainee, competency ORDER BY trainee, competency) AS p"
        )
        values, weights, limit = spec.values, spec.weights, spec.limit
        try:
            tally = self._db.execute(tally_sql, [*scope_params, *levels])
            tally.row_factory = None
            pending = next(tally, None)
            cursor = self._db.execute(rows_sql, [*official_params, *own_params, *scope_params])
            cursor.row_factory = None
            # The non-scoring codes are the official rows that the tally did not count.
            for trainee, competency, history, n_official, packed, packed_own in cursor:
                count = contexts = 0
                best = first = None
                if pending is not None and pending[0] == trainee and pending[1] == competency:
                    count, contexts, best, first = pending[2:6]
                    pending = next(tally, None)
                rows = _window_of(packed, values, weights, limit)
                yield PairSummary(
                    trainee=trainee,
                    competency=competency,
                    window=tuple((None, v, w) for _d, v, w, _l in rows),
                    count=count,
                    contexts=contexts,
                    last_day=date.fromisoformat(rows[-1][0]) if rows else None,
                    max_autonomy=best,
                    non_scoring=(n_official or 0) - count,
                    self_window=tuple(
                        (None, v, w)
                        for _d, v, w, _l in _window_of(packed_own, values, weights, limit)
                    ),
                    history=history,
                    first_day=date.fromisoformat(first) if first else None,
                )
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

    @staticmethod
    def _window_sql(spec: _WindowSpec, *, own: bool, exact: bool) -> tuple[str, list[Any]]:
        """A correlated subquery packing the rows of pair ``p`` that can enter its window.

        Those are the effective scoring rows (official ones, or self-assessments with
        ``own``) on or after the day of the limit-th newest one: the index is read backwards
        and stops there. Rows of that day are then ordered by content, in Python. Only with
        ``exact`` are rows that a correction supersedes looked for and left out.
        """
        role = "= 'auto'" if own else "!= 'auto'"
        # Self-assessments are a few per pair: their own partial index finds them directly.
        index = "assessment_self" if own else "assessment_by_pair"
        levels = list(spec.values)

        def where(alias: str) -> str:
            return (
                f"{alias}.trainee = p.trainee AND {alias}.competency = p.competency "
                f"AND {alias}.diploma = ? AND {alias}.withdrawn = 0 AND {alias}.role {role} "
                f"AND {alias}.level IN ({','.join('?' * len(levels))}) "
                + (f"AND {alias}.day >= ? " if spec.since is not None else "")
                + (
                    f"AND NOT EXISTS (SELECT 1 FROM assessment x WHERE x.supersedes = {alias}.id)"
                    if exact
                    else ""
                )
            )

        params: list[Any] = [spec.diploma, *levels]
        if spec.since is not None:
            params.append(spec.since.isoformat())
        cutoff, cutoff_params = "''", []
        if spec.limit:
            cutoff = (
                f"coalesce((SELECT c.day FROM assessment c INDEXED BY {index} WHERE {where('c')} "
                f"ORDER BY c.day DESC LIMIT 1 OFFSET {int(spec.limit) - 1}), '')"
            )
            cutoff_params = list(params)
        sql = (
            "(SELECT group_concat(b.day || char(31) || b.level || char(31) || b.role, char(30)) "
            f"FROM assessment b INDEXED BY {index} WHERE {where('b')} AND b.day >= {cutoff})"
        )
        return sql, [*params, *cutoff_params]

    def recent_window(
        self,
        trainee: int,
        competency: str,
        diploma: str,
        *,
        values: Mapping[str, int],
        weights: Mapping[str, float],
        limit: int,
        own: bool,
    ) -> list[tuple[Assessment, int, float]]:
        """The last ``limit`` effective scoring rows of one pair, read newest first.

        The index (trainee, competency, day) is walked backwards and reading stops as soon as
        no older row can enter the window: the cost does not grow with the journal.
        """
        levels = list(values)
        sql = (
            "SELECT a.id, a.record, a.level, a.day, a.role, a.autonomy, a.order_ref, a.task "
            "FROM assessment a WHERE a.trainee = ? AND a.competency = ? AND a.diploma = ? "
            f"AND a.withdrawn = 0 AND a.role {'=' if own else '!='} 'auto' "
            f"AND a.level IN ({','.join('?' * len(levels))}) "
            "AND NOT EXISTS (SELECT 1 FROM assessment c WHERE c.supersedes = a.id) "
            "ORDER BY a.day DESC"
        )
        found: list[tuple[Assessment, int, float]] = []
        try:
            cursor = self._db.execute(sql, [trainee, competency, diploma, *levels])
            for row in cursor:
                day = date.fromisoformat(row["day"])
                # Rows of the same day are ordered by content: keep the whole last day.
                if limit and len(found) >= limit and day < found[limit - 1][0].day:
                    break
                role = Role(row["role"])
                found.append(
                    (
                        Assessment(
                            id=row["id"],
                            record=row["record"],
                            trainee=trainee,
                            competency=competency,
                            level=row["level"],
                            day=day,
                            role=role,
                            autonomy=row["autonomy"],
                            order=row["order_ref"],
                            task=row["task"],
                            diploma=diploma,
                        ),
                        values[row["level"]],
                        weights.get(str(role), 1.0),
                    )
                )
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None
        return found

    def contexts_seen(
        self,
        trainee: int,
        competency: str,
        diploma: str,
        contexts: Sequence[str],
        *,
        levels: Sequence[str],
        before: int,
    ) -> set[str]:
        """Which of ``contexts`` an earlier official scoring row of the pair already has.

        One indexed lookup per context (index trainee, competency, order, task): the cost is
        that of the rows on the same order, not of the journal.
        """
        seen: set[str] = set()
        marks = ",".join("?" * len(levels))
        common = (
            "a.trainee = ? AND a.competency = ? AND a.diploma = ? AND a.id < ? "
            f"AND a.withdrawn = 0 AND a.role != 'auto' AND a.level IN ({marks}) "
            "AND NOT EXISTS (SELECT 1 FROM assessment c WHERE c.supersedes = a.id)"
        )
        base = [trainee, competency, diploma, before, *levels]
        for context in contexts:
            kind, _sep, value = context.partition(":")
            extra: list[Any]
            if kind == "order":
                where, extra = "a.order_ref = ?", [value]
            else:
                # No order: the catalogue task, else the record itself, tells the context.
                where = "a.order_ref IS NULL AND (a.task = ? OR (a.task IS NULL AND a.record = ?))"
                extra = [value, int(value) if value.isdigit() else -1]
            found = self._read(
                f"SELECT 1 FROM assessment a WHERE {where} AND {common} LIMIT 1",
                [*extra, *base],
            )
            if found:
                seen.add(context)
        return seen

    def write_mark(self) -> tuple[int, ...]:
        """A mark that changes with every committed write (the newest row of each table), to
        tell after an interruption whether a write reached the file."""
        try:
            return tuple(integrity.marks(self._db).values())
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

    def last_assessment_id(self) -> int:
        return int(self._read("SELECT coalesce(max(id), 0) AS m FROM assessment")[0]["m"])

    def count_assessments(self) -> int:
        return int(self._read("SELECT count(*) AS n FROM assessment")[0]["n"])

    # -- derived states ----------------------------------------------------------------------

    def save_states(self, rows: Iterable[StateRow]) -> None:
        if not self._depth:
            raise RuntimeError("writes must happen inside Storage.transaction()")
        self._db.executemany(
            "INSERT OR REPLACE INTO competency_state (trainee, competency, state, score, "
            "acquired, score_state, count, contexts, last_day, max_autonomy, non_scoring, "
            "self_score, self_state, history, first_day) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    r.trainee,
                    r.competency,
                    r.state,
                    r.score,
                    int(r.acquired),
                    r.score_state,
                    r.assessments,
                    r.contexts,
                    r.last_day,
                    r.max_autonomy,
                    r.non_scoring,
                    r.self_score,
                    r.self_state,
                    r.history,
                    r.first_day,
                )
                for r in rows
            ),
        )

    def states(self, trainees: Sequence[int]) -> list[StateRow]:
        if not trainees:
            return []
        try:
            cursor = self._db.cursor()
            cursor.row_factory = None  # plain tuples, in the column order of StateRow
            rows = cursor.execute(
                "SELECT trainee, competency, state, score, acquired, score_state, count, "
                "contexts, last_day, max_autonomy, non_scoring, self_score, self_state, history, "
                "first_day FROM competency_state "
                f"WHERE trainee IN ({','.join('?' * len(trainees))})",
                list(trainees),
            ).fetchall()
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None
        return [StateRow._make((*r[:4], bool(r[4]), *r[5:])) for r in rows]

    def clear_states(self, trainees: Sequence[int] | None = None) -> None:
        if trainees is None:
            self._write("DELETE FROM competency_state")
        else:
            self._write(
                f"DELETE FROM competency_state WHERE trainee IN ({','.join('?' * len(trainees))})",
                list(trainees),
            )


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
