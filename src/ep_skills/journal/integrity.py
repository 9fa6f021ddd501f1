"""Tampering shows: the journal's protections checked at open, a hash chain over the evidence.

Two layers, both SQLite's own (this module speaks SQL of SQLite only):

- **Protections**: triggers refuse any UPDATE, DELETE or REPLACE of evidence and of what it is
  attributed to (trainees, orders, links, transfers, imports). Each time a journal is opened,
  its triggers are compared with the ones ep-skills created; a journal whose protections were
  dropped or altered is refused with a message that says how to check and repair it.
- **Seals**: at the end of every write transaction, the rows it added are hashed, chained to
  the previous seal (SHA-256), and the seal is stored. ``ep-skills verify`` recomputes the
  chain from the rows: a level rewritten with ``INSERT OR REPLACE``, a link moved to another
  trainee, a row added or removed outside ep-skills all break it, and the first broken seal
  says when and where.

Triggers stop mistakes and casual edits; seals make deliberate ones visible. Neither can stop
someone who rewrites the file and every hash after it — that needs a copy kept elsewhere
(a backup, or the school's server), which is what the chain's latest digest is for.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from ep_skills.i18n import N_, _

__all__ = [
    "PROTECTED",
    "check_protections",
    "last_seal",
    "marks",
    "repair_protections",
    "seal",
    "verify",
]

SEAL_VERSION = 3
"""The layout the digests of seals are computed with (column lists below). Never edit a
released layout: add one, and keep computing old seals with theirs."""

# Tables with a rowid: their new rows are those above the last seal's mark. Columns in a fixed
# order; a trainee's diploma is left out (a transfer changes it, and is sealed as an event).
_LAYOUT_1: dict[str, tuple[str, ...]] = {
    "trainee": ("id", "name", "name_key", "cohort", "start_date", "option", "created_at"),
    "production_order": (
        "ref",
        "customer",
        "title",
        "quantity",
        "received",
        "due",
        "created_at",
    ),
    "task_record": (
        "id",
        "day",
        "task",
        "description",
        "order_ref",
        "minutes",
        "context",
        "assessor",
        "role",
        "note",
        "recorded_at",
    ),
    "assessment": (
        "id",
        "record",
        "trainee",
        "diploma",
        "competency",
        "level",
        "day",
        "role",
        "assessor",
        "autonomy",
        "note",
        "order_ref",
        "task",
        "supersedes",
        "withdrawn",
        "recorded_at",
    ),
    "trainee_transfer": ("id", "trainee", "from_diploma", "to_diploma", "note", "recorded_at"),
    "import_batch": (
        "id",
        "file_name",
        "file_sha256",
        "rows",
        "new_records",
        "existing_records",
        "recorded_at",
    ),
}
# 2 (schema 7): a trainee's external id and metadata, and the events that rename, update or
# archive a trainee.
_LAYOUT_2: dict[str, tuple[str, ...]] = {
    **_LAYOUT_1,
    "trainee": (*_LAYOUT_1["trainee"], "external_id", "metadata"),
    "trainee_event": (
        "id",
        "trainee",
        "kind",
        "name",
        "name_key",
        "cohort",
        "start_date",
        "option",
        "external_id",
        "metadata",
        "archived_on",
        "changed",
        "author",
        "note",
        "recorded_at",
    ),
}
# 3 (schema 9): photos of the work, by their content's hash (the bytes are checked against it
# by verify), and their links to records.
_LAYOUT_3: dict[str, tuple[str, ...]] = {
    **_LAYOUT_2,
    "photo": ("id", "sha256", "mime", "width", "height", "size", "recorded_at"),
    "record_photo": ("id", "record", "sha256", "recorded_at"),
}
_LAYOUTS = {1: _LAYOUT_1, 2: _LAYOUT_2, 3: _LAYOUT_3}
_ROWID_TABLES = _LAYOUTS[SEAL_VERSION]
# Tables without a rowid, written with their task record: sealed by the record's range.
_LINK_TABLES: dict[str, tuple[str, ...]] = {
    "record_trainee": ("record", "trainee"),
    "record_import": ("record", "batch", "row"),
}

PROTECTED = (*_ROWID_TABLES, *_LINK_TABLES, "seal")
"""The tables no row of which may be changed or deleted."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def marks(db: sqlite3.Connection, version: int = SEAL_VERSION) -> dict[str, int]:
    """The newest rowid of each table sealed by the layout ``version``."""
    tables = _LAYOUTS[version]
    sql = "SELECT " + ", ".join(
        f"(SELECT coalesce(max(rowid), 0) FROM {table})" for table in tables
    )
    return dict(zip(tables, db.execute(sql).fetchone(), strict=True))


def last_seal(db: sqlite3.Connection) -> tuple[str, dict[str, int]]:
    """The digest and the marks of the newest seal (empty and zeros before the first)."""
    row = db.execute("SELECT digest, marks FROM seal ORDER BY id DESC LIMIT 1").fetchone()
    marked = dict.fromkeys(_ROWID_TABLES, 0)  # a table an older layout did not seal: none yet
    if row is None:
        return "", marked
    return str(row[0]), marked | {k: int(v) for k, v in json.loads(row[1]).items()}


def _digest(
    db: sqlite3.Connection,
    previous: str,
    before: dict[str, int],
    after: dict[str, int],
    version: int = SEAL_VERSION,
) -> str:
    """SHA-256 of the previous digest and every row written between two marks, streamed
    (an import of 100,000 rows is never held in memory twice), with the columns of the
    layout ``version``."""
    digest = hashlib.sha256(previous.encode() + b"\n")
    cursor = db.cursor()
    cursor.row_factory = None  # plain tuples: repr() of str, int and None is canonical
    queries = [
        (
            table,
            f"SELECT {', '.join(columns)} FROM {table} WHERE rowid > ? AND rowid <= ? "
            "ORDER BY rowid",
            (before.get(table, 0), after.get(table, 0)),
        )
        for table, columns in _LAYOUTS[version].items()
    ] + [
        (
            table,
            f"SELECT {', '.join(columns)} FROM {table} WHERE record > ? AND record <= ? "
            f"ORDER BY {', '.join(columns)}",
            (before["task_record"], after["task_record"]),
        )
        for table, columns in _LINK_TABLES.items()
    ]
    for table, sql, params in queries:
        digest.update(f"\x1e{table}\n".encode())
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(5000):
            digest.update("\n".join(map(repr, rows)).encode("utf-8", "surrogatepass"))
            digest.update(b"\n")
    return digest.hexdigest()


def unsealed(db: sqlite3.Connection) -> dict[str, int]:
    """Tables holding rows above the last seal, with how many (rows no seal covers)."""
    sealed = last_seal(db)[1]
    now = marks(db)
    return {
        table: int(
            db.execute(
                f"SELECT count(*) FROM {table} WHERE rowid > ?", (sealed.get(table, 0),)
            ).fetchone()[0]
        )
        for table in _ROWID_TABLES
        if now[table] > sealed.get(table, 0)
    }


def seal(db: sqlite3.Connection, kind: str = "write", version: int = SEAL_VERSION) -> bool:
    """Seal the rows written since the last seal (inside the caller's write transaction).

    :param version: the layout; an older one only while upgrading a journal whose schema
        does not have the newer layout's tables yet.
    Returns whether there was anything to seal.
    """
    previous, before = last_seal(db)
    after = marks(db, version)
    if all(after[table] == before.get(table, 0) for table in after):
        return False
    digest = _digest(db, previous, before, after, version)
    db.execute(
        "INSERT INTO seal (version, kind, marks, previous, digest, sealed_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (version, kind, json.dumps(after, sort_keys=True), previous, digest, _now()),
    )
    return True


def reseal(db: sqlite3.Connection, kind: str = "erasure") -> None:
    """Seal every row again, from the first, chained to the last seal (inside the caller's
    write transaction): after an erasure, the one write allowed to change sealed rows.

    The seals before it stay as they were, their chain still checked, but the rows they
    sealed are checked through this one: what an erasure changed could not be sealed as it
    was without keeping the personal data it removed. An erasure first checks the journal
    (:func:`verify`), so that it never blesses a change made outside ep-skills.
    """
    previous, _before = last_seal(db)
    after = marks(db)
    digest = _digest(db, previous, dict.fromkeys(after, 0), after)
    db.execute(
        "INSERT INTO seal (version, kind, marks, previous, digest, sealed_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (SEAL_VERSION, kind, json.dumps(after, sort_keys=True), previous, digest, _now()),
    )


def verify(db: sqlite3.Connection, expected: Mapping[str, str]) -> list[str]:
    """Every sign of tampering found: broken seals, rows no seal covers, missing or altered
    protections, a trainee's diploma that no transfer explains, SQLite's own check."""
    problems = [
        _("protection: {problem}").format(problem=p) for p in check_protections(db, expected)
    ]
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    if integrity != "ok":
        problems.append(_("SQLite integrity check: {result}").format(result=integrity))
    previous = ""
    before = dict.fromkeys(_ROWID_TABLES, 0)
    rows = db.execute(
        "SELECT id, version, kind, marks, previous, digest, sealed_at FROM seal ORDER BY id"
    ).fetchall()
    # The rows are checked from the last erasure's full seal on (see reseal); the seals
    # before it, only as a chain.
    resealed = max((i for i, row in enumerate(rows) if row[2] == "erasure"), default=-1)
    for index, (number, version, kind, raw_marks, stored_previous, digest, sealed_at) in enumerate(
        rows
    ):
        after = before | {k: int(v) for k, v in json.loads(raw_marks).items()}
        if index < resealed or kind == "erasure":
            if stored_previous != previous:
                problems.append(
                    _("seal {n} ({day}): the chain is broken before it").format(
                        n=number, day=sealed_at
                    )
                )
            if index == resealed:
                zero = dict.fromkeys(after, 0)
                if _digest(db, previous, zero, after, version) != digest:
                    problems.append(
                        _(
                            "seal {n} ({day}): the rows it sealed were changed since ({rows})"
                        ).format(n=number, day=sealed_at, rows=_ranges(zero, after))
                    )
            previous, before = digest, after
            continue
        if version not in _LAYOUTS:
            problems.append(
                _("seal {n}: unknown layout {version}").format(n=number, version=version)
            )
            break
        if stored_previous != previous:
            problems.append(
                _("seal {n} ({day}): the chain is broken before it").format(n=number, day=sealed_at)
            )
        if _digest(db, previous, before, after, version) != digest:
            problems.append(
                _("seal {n} ({day}): the rows it sealed were changed since ({rows})").format(
                    n=number, day=sealed_at, rows=_ranges(before, after)
                )
            )
        previous, before = digest, after
    for table, count in unsealed(db).items():
        problems.append(
            _("{table}: {n} row(s) written outside ep-skills (no seal covers them)").format(
                table=table, n=count
            )
        )
    # A photo is sealed by its hash: bytes changed under it no longer match it.
    for number, sha256, data in db.execute("SELECT id, sha256, data FROM photo ORDER BY id"):
        if hashlib.sha256(data).hexdigest() != sha256:
            problems.append(_("photo {n}: its content no longer matches its hash").format(n=number))
    for trainee, diploma, last in db.execute(
        "SELECT t.id, t.diploma, (SELECT to_diploma FROM trainee_transfer x "
        "WHERE x.trainee = t.id ORDER BY x.id DESC LIMIT 1) FROM trainee t"
    ):
        if last is not None and last != diploma:
            problems.append(
                _(
                    "trainee {id}: diploma {diploma!r}, but their last transfer says {last!r}"
                ).format(id=trainee, diploma=diploma, last=last)
            )
    return problems


_TABLE_WORDS = {
    "trainee": N_("trainees #{first} to #{last}"),
    "production_order": N_("orders {first} to {last} (in the order they were added)"),
    "task_record": N_("task records #{first} to #{last}"),
    "assessment": N_("assessments #{first} to #{last}"),
    "trainee_transfer": N_("diploma changes {first} to {last}"),
    "import_batch": N_("imports #{first} to #{last}"),
    "trainee_event": N_("trainee changes {first} to {last}"),
    "photo": N_("photos {first} to {last}"),
    "record_photo": N_("photos attached {first} to {last}"),
}


_ONE_WORDS = {
    "trainee": N_("trainee #{first}"),
    "production_order": N_("order {first} (in the order they were added)"),
    "task_record": N_("task record #{first}"),
    "assessment": N_("assessment #{first}"),
    "trainee_transfer": N_("diploma change {first}"),
    "import_batch": N_("import #{first}"),
    "trainee_event": N_("trainee change {first}"),
    "photo": N_("photo {first}"),
    "record_photo": N_("photo attached {first}"),
}


def _ranges(before: dict[str, int], after: dict[str, int]) -> str:
    spans = [
        (table, before.get(table, 0), after.get(table, 0))
        for table in _ROWID_TABLES
        if after.get(table, 0) > before.get(table, 0)
    ]
    return ", ".join(
        _((_ONE_WORDS if last == first + 1 else _TABLE_WORDS)[table]).format(
            first=first + 1, last=last
        )
        for table, first, last in spans
    )


# -- protections -------------------------------------------------------------------------------


def _normal(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip().rstrip(";")


def expected_triggers(statements: Iterable[str]) -> dict[str, str]:
    """The triggers that ``statements`` (every migration's, in order) create and do not
    drop, by name, normalised."""
    found: dict[str, str] = {}
    for statement in statements:
        text = _normal(statement)
        created = re.match(r"CREATE TRIGGER (\w+)", text)
        dropped = re.match(r"DROP TRIGGER (?:IF EXISTS )?(\w+)", text)
        if created:
            found[created.group(1)] = text
        elif dropped:
            found.pop(dropped.group(1), None)
    return found


def _present(db: sqlite3.Connection) -> dict[str, str]:
    return {
        name: _normal(sql)
        for name, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    }


def check_protections(db: sqlite3.Connection, expected: Mapping[str, str]) -> list[str]:
    """The protections (triggers) that are missing, altered or added, against ``expected``
    (see :func:`expected_triggers`)."""
    present = _present(db)
    problems = [
        _("{name} is missing").format(name=name) for name in sorted(set(expected) - set(present))
    ]
    problems += [
        _("{name} was altered").format(name=name)
        for name in sorted(expected)
        if name in present and present[name] != expected[name]
    ]
    problems += [
        _("{name} was added").format(name=name) for name in sorted(set(present) - set(expected))
    ]
    return problems


def repair_protections(db: sqlite3.Connection, expected: Mapping[str, str]) -> int:
    """Put the protections back as ``expected`` says (inside the caller's transaction);
    returns how many triggers were restored. Rows changed meanwhile stay visible to
    :func:`verify`: a repair restores the locks, it does not bless what passed through."""
    present = _present(db)
    restored = 0
    for name in sorted(set(present) - set(expected)):
        db.execute(f"DROP TRIGGER {name}")
        restored += 1
    for name, sql in sorted(expected.items()):
        if present.get(name) != sql:
            if name in present:
                db.execute(f"DROP TRIGGER {name}")
            db.execute(sql)
            restored += 1
    return restored
