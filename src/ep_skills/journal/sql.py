"""What every SQL journal backend shares: the journal's queries, written once.

A backend (:mod:`~ep_skills.journal.sqlite`, :mod:`~ep_skills.journal.postgres`) brings its
connections, transactions, schema and a few dialect primitives — how to run a query, insert a
row and get its id, stream a large result, allocate ids, upsert — and this class writes every
read and write of the :class:`~ep_skills.journal.storage.Storage` protocol with them.

The SQL here is the common subset of SQLite and PostgreSQL: ``?`` placeholders (a backend
translates them), days and times as ISO 8601 text, flags as 0 or 1, text compared byte by
byte. Whatever one database alone understands is a primitive of its backend.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, closing
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from attrs import evolve

from ep_skills.journal.audit import AuditEntry
from ep_skills.journal.model import (
    Assessment,
    AssessmentInput,
    ImportBatch,
    Order,
    Photo,
    Role,
    TaskRecord,
    Trainee,
    TraineeChange,
    name_key,
)
from ep_skills.journal.storage import PairSummary, StateRow
from ep_skills.journal.uids import new_uid

__all__ = ["SqlStorage"]


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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _metadata(value: Mapping[str, str]) -> str | None:
    # Sorted, so that the same metadata is the same text (an unchanged field is no change).
    return json.dumps(dict(value), ensure_ascii=False, sort_keys=True) if value else None


def _picture(row: Mapping[str, Any]) -> dict[str, str | None]:
    """What a trainee row or change row says of the fields a change may change, as text."""
    keys = set(row.keys())
    return {
        "name": row["name"],
        "cohort": row["cohort"],
        "start_date": row["start_date"],
        "option": row["option"],
        "external_id": row["external_id"],
        "metadata": row["metadata"],
        "archived": row["archived_on"] if "archived_on" in keys else None,
    }


def _state_row(r: Sequence[Any]) -> StateRow:
    """A stored state from its columns in the order of ``_STATE_COLUMNS``."""
    return StateRow._make((*r[:4], bool(r[4]), *r[5:]))


def _stale(meta: Iterable[Mapping[str, Any]], fingerprints: Mapping[str, str]) -> bool:
    """Whether the ``meta`` rows read (key, value) differ from the fingerprints wanted."""
    found = {str(r["key"]): str(r["value"]) for r in meta}
    return any(found.get(key) != value for key, value in fingerprints.items())


_STATE_COLUMNS = (
    "trainee",
    "competency",
    "state",
    "score",
    "acquired",
    "score_state",
    "count",
    "contexts",
    "last_day",
    "max_autonomy",
    "non_scoring",
    "self_score",
    "self_state",
    "history",
    "first_day",
)
"""The columns of a stored state, in the order of :class:`StateRow`."""


TRAVELLING: dict[str, tuple[str, str]] = {
    "trainee": ("trainee", "created_at"),
    "trainee_event": ("trainee_event", "recorded_at"),
    "trainee_transfer": ("trainee_transfer", "recorded_at"),
    "task_record": ("task_record", "recorded_at"),
    "assessment": ("assessment", "recorded_at"),
    "import_batch": ("import_batch", "recorded_at"),
}
"""The kinds of entries that carry a global id: their table, and when each was recorded."""
_WITH_ID = frozenset(table for table, _when in TRAVELLING.values())
_TABLES = _WITH_ID | {"production_order", "record_trainee", "record_import", "record_photo", "meta"}


def check_kind(kind: str) -> None:
    # Kinds and tables are interpolated into SQL: only the journal's own are accepted.
    if kind not in TRAVELLING:
        raise ValueError(f"not a kind of travelling entry: {kind!r}")


def check_table(table: str) -> None:
    if table not in _TABLES:
        raise ValueError(f"not a table entries travel in: {table!r}")


class SqlStorage:
    """The shared queries of the SQL backends (see the module's docstring)."""

    # -- what a backend brings ---------------------------------------------------------------

    _CONCAT = "group_concat({value}, {sep})"
    """An aggregate joining texts with a separator."""
    _CHAR = "char({code})"
    """The one-character text of a code point."""
    _COUNT_IF = "sum({condition})"
    """How many rows of a group meet a condition (NULL or 0 when none)."""
    _META_KEY = "key"
    """The unique key of a setting, for an upsert."""

    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside commit together or not at all (see the backends)."""
        raise NotImplementedError

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row of a query, each read by column name."""
        raise NotImplementedError

    def _write(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One statement that writes (inside a transaction)."""
        raise NotImplementedError

    def _insert(self, sql: str, params: Sequence[Any]) -> int:
        """Insert one row; returns the id the database gave it."""
        raise NotImplementedError

    def _write_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """One statement for many rows (inside a transaction)."""
        raise NotImplementedError

    def _stream(
        self, sql: str, params: Sequence[Any] = (), *, tuples: bool = False, large: bool = False
    ) -> Generator[Any, None, None]:
        """The rows of a query, a batch at a time (plain tuples with ``tuples``); ``large``
        when it may not fit in memory (a server then keeps the rows until they are read)."""
        raise NotImplementedError

    def _new_ids(self, table: str, count: int) -> Sequence[int]:
        """``count`` new ids for rows of ``table``, increasing (inside a transaction)."""
        raise NotImplementedError

    def _index(self, name: str) -> str:
        """A hint naming the index a query must use, where the database takes hints."""
        return ""

    def _in_transaction(self) -> bool:
        """Whether this thread is inside :meth:`transaction`."""
        raise NotImplementedError

    def _trainees_changed(self) -> None:
        """This thread changed a trainee: what it knows of the trainee mark is stale."""

    def _must_write(self) -> None:
        if not self._in_transaction():
            raise RuntimeError("writes must happen inside Storage.transaction()")

    def trainee_mark(self) -> tuple[int, ...]:
        return self._read_trainee_mark()

    # -- meta --------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._write(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            f"ON CONFLICT ({self._META_KEY}) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def meta_items(self, prefix: str) -> dict[str, str]:
        # substr, not LIKE: a prefix may hold « _ » or « % », and both databases have it.
        rows = self._read(
            "SELECT key, value FROM meta WHERE substr(key, 1, ?) = ? ORDER BY key",
            (len(prefix), prefix),
        )
        return {str(row["key"]): str(row["value"]) for row in rows}

    # -- trainees and orders -----------------------------------------------------------------

    @staticmethod
    def _trainee(row: Mapping[str, Any]) -> Trainee:
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
        self._trainees_changed()
        new_id = self._insert(
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
        return evolve(trainee, id=new_id)

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
        self._trainees_changed()
        new_id = self._insert(
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
        return next(c for c in self.trainee_changes(trainee.id) if c.id == new_id)

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
    def _order(row: Mapping[str, Any]) -> Order:
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
    def _assessment(row: Mapping[str, Any]) -> Assessment:
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
        new_id = self._insert(
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
        return evolve(row, id=new_id)

    def add_records(self, records: Sequence[TaskRecord]) -> list[TaskRecord]:
        """Insert many records at once: ids allocated first, three multi-row inserts in all."""
        self._must_write()
        if not records:
            return []
        now = _now()
        record_ids = self._new_ids("task_record", len(records))
        row_ids = iter(
            self._new_ids("assessment", sum(len(r.trainees) * len(r.assessments) for r in records))
        )
        record_rows, link_rows, assessment_rows, written = [], [], [], []
        contexts: dict[tuple[tuple[str, ...], ...], str] = {}  # records of a task share one
        for record_id, record in zip(record_ids, records, strict=True):
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
            ids_of_record = []
            for trainee in record.trainees:
                link_rows.append((record_id, trainee))
                for item in record.assessments:
                    row_id = next(row_ids)
                    ids_of_record.append(row_id)
                    assessment_rows.append(
                        (
                            row_id,
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
            written.append(evolve(record, id=record_id, assessment_ids=tuple(ids_of_record)))
        self._write_many(
            "INSERT INTO task_record (id, day, task, description, order_ref, minutes, "
            "context, assessor, role, note, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            record_rows,
        )
        self._write_many("INSERT INTO record_trainee (record, trainee) VALUES (?, ?)", link_rows)
        self._write_many(
            "INSERT INTO assessment (id, record, trainee, diploma, competency, level, day, "
            "role, assessor, autonomy, note, order_ref, task, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            assessment_rows,
        )
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

    # -- photos ------------------------------------------------------------------------------

    def add_photo(self, photo: Photo, data: bytes) -> bool:
        if self._read("SELECT 1 FROM photo WHERE sha256 = ?", (photo.sha256,)):
            return False
        self._write(
            "INSERT INTO photo (sha256, mime, width, height, size, data, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (photo.sha256, photo.mime, photo.width, photo.height, len(data), data, _now()),
        )
        return True

    def attach_photo(self, record_id: int, sha256: str) -> None:
        self._write(
            "INSERT INTO record_photo (record, sha256, recorded_at) VALUES (?, ?, ?)",
            (record_id, sha256, _now()),
        )

    @staticmethod
    def _photo(row: Mapping[str, Any]) -> Photo:
        return Photo(
            sha256=str(row["sha256"]),
            mime=str(row["mime"]),
            width=int(row["width"]),
            height=int(row["height"]),
            size=int(row["size"]),
            recorded_at=datetime.fromisoformat(row["recorded_at"]),
        )

    _PHOTO = "p.sha256, p.mime, p.width, p.height, p.size, p.recorded_at"

    def photo(self, sha256: str) -> tuple[Photo, bytes] | None:
        rows = self._read(
            f"SELECT {self._PHOTO}, p.data FROM photo p WHERE p.sha256 = ?", (sha256,)
        )
        return (self._photo(rows[0]), bytes(rows[0]["data"])) if rows else None

    def record_photos(self, record_id: int) -> list[Photo]:
        rows = self._read(
            f"SELECT {self._PHOTO} FROM record_photo rp JOIN photo p ON p.sha256 = rp.sha256 "
            "WHERE rp.record = ? ORDER BY rp.recorded_at, rp.sha256",
            (record_id,),
        )
        return [self._photo(row) for row in rows]

    def trainee_photos(self, trainee: int) -> list[tuple[int, date, Photo]]:
        rows = self._read(
            f"SELECT rp.record, r.day, {self._PHOTO} FROM record_photo rp "
            "JOIN record_trainee rt ON rt.record = rp.record "
            "JOIN task_record r ON r.id = rp.record "
            "JOIN photo p ON p.sha256 = rp.sha256 "
            "WHERE rt.trainee = ? ORDER BY r.day DESC, rp.record DESC, rp.sha256",
            (trainee,),
        )
        return [
            (int(row["record"]), date.fromisoformat(row["day"]), self._photo(row)) for row in rows
        ]

    def add_import(self, batch: ImportBatch, records: Sequence[tuple[int, int]]) -> ImportBatch:
        """Record an import and link the records it wrote, as ``(record id, file row)``."""
        batch_id = self._insert(
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
        self._write_many(
            "INSERT INTO record_import (record, batch, row) VALUES (?, ?, ?)",
            [(record, batch_id, row) for record, row in records],
        )
        return evolve(batch, id=batch_id)

    @staticmethod
    def _batch(row: Mapping[str, Any]) -> ImportBatch:
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
            "SELECT r.*, (SELECT "
            + self._CONCAT.format(value="CAST(rt.trainee AS TEXT)", sep="','")
            + " FROM record_trainee rt "
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
            record = evolve(
                self._task_record(row, people),
                assessments=tuple(
                    AssessmentInput(a.competency, a.level, a.autonomy) for a in originals
                ),
                diploma=originals[0].diploma if originals else "",
                assessment_ids=tuple(a.id for a in rows if a.supersedes is None),
                recorded_at=datetime.fromisoformat(row["recorded_at"]),
            )
            result.append((record, rows))
        return result

    def add_transfer(
        self, trainee: int, from_diploma: str, to_diploma: str, note: str | None
    ) -> None:
        self._trainees_changed()
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
        for row in self._stream(sql, params, large=True):
            yield self._assessment(row)

    def records(self, trainee: int) -> list[TaskRecord]:
        rows = self._read(
            "SELECT r.* FROM task_record r JOIN record_trainee rt ON rt.record = r.id "
            "WHERE rt.trainee = ? ORDER BY r.day, r.id",
            (trainee,),
        )
        return [self._task_record(row, (trainee,)) for row in rows]

    @staticmethod
    def _task_record(row: Mapping[str, Any], trainees: tuple[int, ...]) -> TaskRecord:
        """A stored task record as the model says it (its assessments left to the caller)."""
        context = json.loads(row["context"])
        return TaskRecord(
            trainees=trainees,
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
            "SELECT DISTINCT trainee, competency FROM assessment"
            + self._index("assessment_corrections")
            + " WHERE supersedes IS NOT NULL AND diploma = ?",
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
        by_pair = self._index("assessment_by_pair")
        # Distinct contexts: the order, else the task, else the record. The task side gets a
        # char(1) prefix (an order reference never holds a control character) so that one
        # COUNT(DISTINCT) tells them apart without building a string for most rows.
        tally_sql = (
            "SELECT trainee, competency, count(*), count(DISTINCT coalesce(nullif(order_ref, ''), "
            f"{self._CHAR.format(code=1)} || coalesce(nullif(task, ''), CAST(record AS TEXT)))), "
            "max(autonomy), min(day) "
            f"FROM assessment a{by_pair} WHERE {scope} AND {counts} "
            f"AND role != 'auto' AND level IN ({marks}) "
            "GROUP BY trainee, competency ORDER BY trainee, competency"
        )
        official_sql, official_params = self._window_sql(spec, own=False, exact=exact)
        own_sql, own_params = self._window_sql(spec, own=True, exact=exact)
        rows_sql = (
            f"SELECT p.trainee, p.competency, p.history, p.official, {official_sql}, {own_sql} "
            "FROM (SELECT trainee, competency, count(*) AS history, "
            f"{self._COUNT_IF.format(condition=f'{counts} AND role != {chr(39)}auto{chr(39)}')} "
            "AS official "
            f"FROM assessment a{by_pair} WHERE {scope} "
            "GROUP BY trainee, competency ORDER BY trainee, competency) AS p"
        )
        values, weights, limit = spec.values, spec.weights, spec.limit
        large = trainees is None or len(trainees) > 20
        tally = self._stream(tally_sql, [*scope_params, *levels], tuples=True, large=large)
        pending = next(tally, None)
        cursor = self._stream(
            rows_sql, [*official_params, *own_params, *scope_params], tuples=True, large=large
        )
        with closing(tally), closing(cursor):
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

    def _window_sql(self, spec: _WindowSpec, *, own: bool, exact: bool) -> tuple[str, list[Any]]:
        """A correlated subquery packing the rows of pair ``p`` that can enter its window.

        Those are the effective scoring rows (official ones, or self-assessments with
        ``own``) on or after the day of the limit-th newest one: the index is read backwards
        and stops there. Rows of that day are then ordered by content, in Python. Only with
        ``exact`` are rows that a correction supersedes looked for and left out.
        """
        role = "= 'auto'" if own else "!= 'auto'"
        # Self-assessments are a few per pair: their own partial index finds them directly.
        index = self._index("assessment_self" if own else "assessment_by_pair")
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
                f"coalesce((SELECT c.day FROM assessment c{index} WHERE {where('c')} "
                f"ORDER BY c.day DESC LIMIT 1 OFFSET {int(spec.limit) - 1}), '')"
            )
            cutoff_params = list(params)
        unit, record = self._CHAR.format(code=31), self._CHAR.format(code=30)
        packed = self._CONCAT.format(
            value=f"b.day || {unit} || b.level || {unit} || b.role", sep=record
        )
        sql = f"(SELECT {packed} FROM assessment b{index} WHERE {where('b')} AND b.day >= {cutoff})"
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
        params: list[Any] = [trainee, competency, diploma, *levels]
        # A bound on the rows read, for a backend that fetches a result whole (a server):
        # the window and a few more rows of its oldest day. Reached without the window
        # closing (one day holds more), the pair is read again without it.
        cap = limit * 4 + 32 if limit else 0
        found = self._window_rows(
            f"{sql} LIMIT ?" if cap else sql, [*params, cap] if cap else params, limit
        )
        if cap and found is None:
            found = self._window_rows(sql, params, limit)
        assert found is not None
        return [
            (
                Assessment(
                    id=row["id"],
                    record=row["record"],
                    trainee=trainee,
                    competency=competency,
                    level=row["level"],
                    day=date.fromisoformat(row["day"]),
                    role=Role(row["role"]),
                    autonomy=row["autonomy"],
                    order=row["order_ref"],
                    task=row["task"],
                    diploma=diploma,
                ),
                values[row["level"]],
                weights.get(str(row["role"]), 1.0),
            )
            for row in found
        ]

    def _window_rows(self, sql: str, params: Sequence[Any], limit: int) -> list[Any] | None:
        """The rows of a pair's window, newest first, reading no further than needed; None
        when the query's own bound was reached before the window closed."""
        found: list[Any] = []
        seen = 0
        with closing(self._stream(sql, params)) as cursor:
            for row in cursor:
                seen += 1
                # Rows of the same day are ordered by content: keep the whole last day.
                if limit and len(found) >= limit and row["day"] < found[limit - 1]["day"]:
                    return found
                found.append(row)
        bound = params[-1] if sql.endswith("LIMIT ?") else None
        return None if bound is not None and seen >= bound else found
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

    def last_assessment_id(self) -> int:
        return int(self._read("SELECT coalesce(max(id), 0) AS m FROM assessment")[0]["m"])

    def last_record_id(self) -> int:
        return int(self._read("SELECT coalesce(max(id), 0) AS m FROM task_record")[0]["m"])

    def count_assessments(self) -> int:
        return int(self._read("SELECT count(*) AS n FROM assessment")[0]["n"])

    # -- who wrote what (journal/audit.py) ---------------------------------------------------

    def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        self._must_write()
        self._write_many(
            "INSERT INTO audit (written_at, author, action, trainee, subject, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (e.at.isoformat(), e.author, e.action, e.trainee, e.subject, e.detail_json())
                for e in entries
            ],
        )

    def audit(
        self,
        *,
        trainee: int | None = None,
        author: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        if trainee is not None:
            where.append("trainee = ?")
            params.append(trainee)
        if author is not None:
            where.append("author = ?")
            params.append(author)
        if since is not None:
            where.append("written_at >= ?")
            params.append(since.isoformat())
        if until is not None:
            where.append("written_at <= ?")
            params.append(until.isoformat())
        sql = f"SELECT * FROM audit WHERE {' AND '.join(where)} ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self._read(sql, params)
        return [
            AuditEntry(
                id=int(r["id"]),
                at=datetime.fromisoformat(r["written_at"]),
                author=str(r["author"]),
                action=str(r["action"]),
                trainee=None if r["trainee"] is None else int(r["trainee"]),
                subject=r["subject"],
                detail=json.loads(r["detail"] or "{}"),
            )
            for r in reversed(rows)
        ]

    # -- entries that travel between journals (ep_skills.sync) -------------------------------

    def uids(self, kind: str) -> dict[str, str]:
        """The global id of each entry of ``kind`` that has one, by its key in this journal."""
        check_kind(kind)
        rows = self._read("SELECT key, uid FROM entry_uid WHERE kind = ?", (kind,))
        return {str(r["key"]): str(r["uid"]) for r in rows}

    def set_uids(self, kind: str, pairs: Iterable[tuple[str, str]]) -> None:
        """Record the global ids of entries of ``kind``, as ``(key here, global id)``."""
        check_kind(kind)
        self._write_many(
            "INSERT INTO entry_uid (kind, key, uid) VALUES (?, ?, ?)",
            [(kind, key, uid) for key, uid in pairs],
        )

    def assign_uids(self) -> int:
        """Give a global id to every entry that has none yet (time-ordered by when each was
        recorded); returns how many were given."""
        given = 0
        for kind, (table, when) in TRAVELLING.items():
            rows = self._read(
                f"SELECT id, {when} AS at FROM {table} WHERE CAST(id AS TEXT) NOT IN "
                "(SELECT key FROM entry_uid WHERE kind = ?) ORDER BY id",
                (kind,),
            )
            self.set_uids(
                kind, [(str(r["id"]), new_uid(datetime.fromisoformat(r["at"]))) for r in rows]
            )
            given += len(rows)
        return given

    def table_rows(self, table: str, *, after: int = 0) -> Generator[dict[str, Any], None, None]:
        """Every row of one of the journal's tables as stored (ids as this journal gave them),
        by id when it has one; streamed."""
        check_table(table)
        order = " WHERE id > ? ORDER BY id" if table in _WITH_ID else ""
        for row in self._stream(
            f"SELECT * FROM {table}{order}", (after,) if order else (), large=True
        ):
            found = dict(row)
            found.pop("school", None)  # a server's: the school is the journal's own
            yield found

    def insert_rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert rows as another journal stored them; a table with ids gives them new ones
        here (returned, in order). For ``ep_skills.sync`` only: evidence as it was written,
        who, when and why included."""
        self._must_write()
        check_table(table)
        if not rows:
            return []
        if table.startswith("trainee"):
            self._trainees_changed()
        columns = [c for c in rows[0] if c != "id"]
        ids: Sequence[int] = []
        if table in _WITH_ID:
            ids = self._new_ids(table, len(rows))
            columns = ["id", *columns]
        values = [
            [new_id, *(row[c] for c in columns[1:])] if ids else [row[c] for c in columns]
            for new_id, row in itertools.zip_longest(ids, rows)
        ]
        self._write_many(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            values,
        )
        return list(ids)

    def switch_diploma(self, trainee: int, diploma: str) -> None:
        """Set a trainee's diploma to the one their latest transfer names (after a transfer
        arrived from another journal)."""
        self._trainees_changed()
        self._write("UPDATE trainee SET diploma = ? WHERE id = ?", (diploma, trainee))

    # -- derived states ----------------------------------------------------------------------

    def _save_states_sql(self) -> str:
        """The statement that inserts a state or replaces the stored one."""
        return (
            f"INSERT OR REPLACE INTO competency_state ({', '.join(_STATE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_STATE_COLUMNS))})"
        )

    def save_states(self, rows: Iterable[StateRow]) -> None:
        self._must_write()
        self._write_many(
            self._save_states_sql(),
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
        # Plain tuples, in the column order of StateRow: a school's progress reads thousands.
        rows = self._stream(*self._states_query(trainees), tuples=True)
        return [_state_row(r) for r in rows]

    @staticmethod
    def _states_query(trainees: Sequence[int]) -> tuple[str, list[Any]]:
        return (
            f"SELECT {', '.join(_STATE_COLUMNS)} FROM competency_state "
            f"WHERE trainee IN ({','.join('?' * len(trainees))})",
            list(trainees),
        )

    @staticmethod
    def _meta_query(keys: Sequence[str]) -> tuple[str, list[Any]]:
        return f"SELECT key, value FROM meta WHERE key IN ({','.join('?' * len(keys))})", [*keys]

    def fresh_states(
        self, trainees: Sequence[int], fingerprints: Mapping[str, str]
    ) -> list[StateRow] | None:
        if fingerprints and _stale(self._read(*self._meta_query([*fingerprints])), fingerprints):
            return None
        return self.states(trainees)

    def clear_states(self, trainees: Sequence[int] | None = None) -> None:
        if trainees is None:
            self._write("DELETE FROM competency_state")
        else:
            self._write(
                f"DELETE FROM competency_state WHERE trainee IN ({','.join('?' * len(trainees))})",
                list(trainees),
            )
