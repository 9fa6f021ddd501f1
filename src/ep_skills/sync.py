"""Offline-first: a workshop PC's journal and its school's server exchange what each lacks.

``sync(local, remote)`` sends the local journal's new entries to the other journal, then
receives the other's: trainees and what changed of them, transfers, orders, the journal's
settings, task records with their assessments, corrections and withdrawals, imports. Each
entry carries a global, time-ordered id (:mod:`ep_skills.journal.uids`), so that:

- **nothing is written twice**: an entry the other side already holds is recognised by its
  global id and skipped — syncing twice, or after an interruption, is harmless;
- **nothing is lost**: evidence is copied as it was written (who, when, role, notes), with
  new row numbers on the other side;
- **a correction follows its original**: a correction made on one side of an entry recorded
  on the other supersedes that entry there too (found by its global id);
- **an interrupted sync resumes**: records travel in batches, each written in a transaction
  of its own on the receiving side; the next sync sends what did not arrive.

The receiving side's states are rebuilt for the trainees who received evidence, so that they
equal a full recompute. What a person should look at — two trainees of the same name with no
external id, two corrections of one entry made on both sides — is listed in the report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from ep_skills.i18n import _, format_day, ngettext
from ep_skills.journal.model import Assessment, chain_roots

if TYPE_CHECKING:
    from ep_skills.api import Journal
    from ep_skills.journal.sql import SqlStorage

__all__ = ["SyncCounts", "SyncReport", "move_trainee", "sync", "transfer_entries"]

BATCH = 500
"""Task records per transaction on the receiving side: what an interruption can cost."""


@frozen
class SyncCounts:
    """What went one way."""

    trainees: int = 0
    changes: int = 0
    transfers: int = 0
    orders: int = 0
    settings: int = 0
    records: int = 0
    assessments: int = 0
    corrections: int = 0
    imports: int = 0

    def total(self) -> int:
        return sum(
            (
                self.trainees,
                self.changes,
                self.transfers,
                self.orders,
                self.settings,
                self.records,
                self.assessments,
                self.corrections,
                self.imports,
            )
        )

    def lines(self) -> list[str]:
        """Each count that is not zero, in the user's language."""
        labels = (
            (self.trainees, ngettext("{n} trainee", "{n} trainees", self.trainees)),
            (self.changes, ngettext("{n} trainee change", "{n} trainee changes", self.changes)),
            (self.transfers, ngettext("{n} transfer", "{n} transfers", self.transfers)),
            (self.orders, ngettext("{n} order", "{n} orders", self.orders)),
            (self.settings, ngettext("{n} setting", "{n} settings", self.settings)),
            (self.records, ngettext("{n} task record", "{n} task records", self.records)),
            (
                self.assessments,
                ngettext("{n} assessment", "{n} assessments", self.assessments),
            ),
            (
                self.corrections,
                ngettext(
                    "{n} correction or withdrawal",
                    "{n} corrections and withdrawals",
                    self.corrections,
                ),
            ),
            (self.imports, ngettext("{n} import", "{n} imports", self.imports)),
        )
        return [label.format(n=count) for count, label in labels if count]


@frozen
class SyncReport:
    """What a sync sent and received, and what a person should look at."""

    sent: SyncCounts
    received: SyncCounts
    review: tuple[str, ...] = field(default=())


def sync(local: Journal, remote: Journal) -> SyncReport:
    """Send ``local``'s new entries to ``remote``, then receive ``remote``'s (see the module)."""
    sent, sent_review = transfer_entries(local, remote)
    received, received_review = transfer_entries(remote, local)
    # What both directions noticed (an order that differs) is said once.
    return SyncReport(sent, received, tuple(dict.fromkeys((*sent_review, *received_review))))


def transfer_entries(source: Journal, target: Journal) -> tuple[SyncCounts, list[str]]:
    """Copy to ``target`` every entry of ``source`` it does not hold yet; returns the counts
    and what to review."""
    return _Transfer(source, target).run()


def move_trainee(
    source: Journal,
    target: Journal,
    trainee: str | int,
    *,
    author: str | None = None,
    note: str | None = None,
) -> tuple[SyncCounts, list[str]]:
    """Move a trainee to another school of the network, with their evidence.

    The trainee, what changed of them, their transfers and every entry of theirs (their part
    of records shared with others, the corrections, the imports and orders these came from)
    are copied to ``target`` with their global ids; the trainee is then archived in
    ``source``, where their evidence stays (append-only), noting where they went. Moving
    again sends only what is new.
    """
    person = source.trainee(trainee)
    counts, review = _Transfer(source, target, only=person.id).run()
    if person.archived is None:
        source.archive_trainee(
            person,
            author=author,
            note=note or _("moved to {school}").format(school=_school_of(target)),
        )
    return counts, review


def _school_of(journal: Journal) -> str:
    storage: Any = journal.storage
    return str(getattr(storage, "school", None) or journal.storage.get_meta("school") or "?")


def _storage(journal: Journal) -> SqlStorage:
    storage: Any = journal.storage
    for needed in (
        "uids",
        "assign_uids",
        "table_rows",
        "insert_rows",
        "set_uids",
        "switch_diploma",
    ):
        if not hasattr(storage, needed):
            from ep_skills.errors import JournalUnavailableError

            raise JournalUnavailableError(_("this journal's storage cannot sync"))
    return storage  # type: ignore[no-any-return]


class _Transfer:
    """One direction of a sync: source → target."""

    def __init__(self, source: Journal, target: Journal, only: int | None = None) -> None:
        """:param only: one trainee of the source (a move): their entries alone travel."""
        self.only = only
        self.source_journal, self.target_journal = source, target
        self.source, self.target = _storage(source), _storage(target)
        self.counts: dict[str, int] = defaultdict(int)
        self.bulk = False
        self.review: list[str] = []
        self.touched: set[int] = set()  # target trainees who received evidence
        # Per kind: source key → global id, and global id → target key.
        self.uid_of: dict[str, dict[str, str]] = {}
        self.key_of: dict[str, dict[str, str]] = {}

    def run(self) -> tuple[SyncCounts, list[str]]:
        # Every entry of both sides gets its global id first (each side in a transaction of
        # its own): an entry keeps the id it got, whichever direction it goes later.
        for storage in (self.source, self.target):
            with storage.transaction():
                storage.assign_uids()
        for kind in ("trainee", "trainee_event", "trainee_transfer", "task_record"):
            self._load(kind)
        self.their_records: set[int] = set()
        self.their_batches: set[int] = set()
        if self.only is not None:
            self.their_records = {
                int(link["record"])
                for link in self.source.table_rows("record_trainee")
                if int(link["trainee"]) == self.only
            }
            self.their_batches = {
                int(link["batch"])
                for link in self.source.table_rows("record_import")
                if int(link["record"]) in self.their_records
            }
        self._load("assessment")
        self._load("import_batch")
        shared_before = self.target.shared_names()
        with self.target.transaction():
            self._trainees()
            self._simple("trainee_event", "changes")
            self._transfers()
            self._orders()
            self._settings()
            self._rebuild()
        # Many records (a PC's first sync): the target's states are marked stale first and
        # rebuilt at the end, so that an interruption leaves them to be recomputed by the
        # next reader; a day's few are rebuilt in each transaction, as they arrive.
        records = list(self._new("task_record", self.source.table_rows("task_record")))
        self.bulk = len(records) > BATCH
        diplomas = {t.diploma for t in self.target.trainees(archived=True)}
        if self.bulk:
            # Stale already (settings changed)? Recomputed first: the end of the sync then
            # declares fresh only what it rebuilt and what was fresh before.
            self.target_journal.states.ensure_fresh(diplomas)
            with self.target.transaction():
                self.target_journal.states.mark_stale(diplomas)
        with self.target.transaction():
            self._import_batches()
        self._records(records)
        self._corrections()
        if self.bulk:
            self.bulk = False
            with self.target.transaction():
                self._rebuild()
                self.target_journal.states.settle(diplomas)
        for name in sorted(self.target.shared_names() - shared_before):
            self.review.append(
                _(
                    "several trainees are now named {name} on the receiving side: give each "
                    "an external id, or archive the one that is a duplicate"
                ).format(name=name)
            )
        return SyncCounts(**self.counts), self.review

    # -- global ids ---------------------------------------------------------------------------

    def _load(self, kind: str) -> None:
        self.uid_of[kind] = self.source.uids(kind)
        self.key_of[kind] = {uid: key for key, uid in self.target.uids(kind).items()}

    def _new(self, kind: str, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The source's rows of ``kind`` the target does not hold (of the moving trainee's,
        in a move)."""
        for row in rows:
            if self.uid_of[kind][str(row["id"])] in self.key_of[kind]:
                continue
            if self.only is not None and not self._theirs(kind, row):
                continue
            yield row

    def _theirs(self, kind: str, row: Mapping[str, Any]) -> bool:
        if kind == "trainee":
            return int(row["id"]) == self.only
        if kind == "task_record":
            return int(row["id"]) in self.their_records
        if kind == "import_batch":
            return int(row["id"]) in self.their_batches
        if kind == "trainee_event" and row["kind"] in ("archive", "restore"):
            return False  # leaving or coming back is the school's own: it does not move
        return int(row["trainee"]) == self.only

    def _map(self, kind: str, source_key: object) -> int:
        """The target's key of a source entry of ``kind`` (which must be there by now)."""
        return int(self.key_of[kind][self.uid_of[kind][str(source_key)]])

    def _insert(self, kind: str, table: str, rows: list[dict[str, Any]]) -> list[int]:
        """Insert rows of a travelling kind with their global ids; returns the new keys."""
        ids = self.target.insert_rows(table, rows)
        pairs = [
            (str(new), self.uid_of[kind][str(row["id"])])
            for new, row in zip(ids, rows, strict=True)
        ]
        self.target.set_uids(kind, pairs)
        for key, uid in pairs:
            self.key_of[kind][uid] = key
        return ids

    # -- what travels -------------------------------------------------------------------------

    def _trainees(self) -> None:
        rows = list(self._new("trainee", self.source.table_rows("trainee")))
        self._insert("trainee", "trainee", rows)
        self.counts["trainees"] += len(rows)

    def _simple(self, kind: str, count: str) -> list[dict[str, Any]]:
        """Entries of a kind that belong to a trainee (changes, transfers)."""
        rows = []
        for row in self._new(kind, self.source.table_rows(kind)):
            mapped = dict(row)
            mapped["trainee"] = self._map("trainee", row["trainee"])
            rows.append(mapped)
        if kind == "trainee_event" and rows:
            # A trainee erased on the receiving side (RGPD) does not get their name back from
            # a journal that still holds it: those changes stay out, and a person is told to
            # erase them there too.
            erased = {
                int(r["trainee"]) for r in self.target.table_rows(kind) if r["kind"] == "erase"
            }
            for trainee in sorted({int(r["trainee"]) for r in rows} & erased):
                self.review.append(
                    _(
                        "trainee n° {id} was erased on the receiving side: their changes from "
                        "the other journal were left out; erase them there too (ep-skills "
                        "trainee erase)"
                    ).format(id=trainee)
                )
            rows = [r for r in rows if int(r["trainee"]) not in erased]
        if kind == "trainee_event" and rows:
            # Changed on both sides since they last met: the one that arrives last is the
            # trainee's picture on the target; a person checks.
            theirs = set(self.uid_of[kind].values())
            target_uids = self.target.uids(kind)
            changed_here = {
                int(r["trainee"])
                for r in self.target.table_rows(kind)
                if target_uids.get(str(r["id"])) not in theirs
            }
            for trainee in sorted({int(r["trainee"]) for r in rows} & changed_here):
                self.review.append(
                    _(
                        "trainee n° {id} on the receiving side was changed on both sides "
                        "(name, cohort…): check it with ep-skills trainee history"
                    ).format(id=trainee)
                )
        if rows:
            self._insert(kind, kind, rows)
        self.counts[count] += len(rows)
        return rows

    def _transfers(self) -> None:
        moved = {int(row["trainee"]) for row in self._simple("trainee_transfer", "transfers")}
        if not moved:
            return
        # The newest transfer of each trainee on the target names their diploma there.
        newest: dict[int, tuple[int, str]] = {}
        for row in self.target.table_rows("trainee_transfer"):
            trainee = int(row["trainee"])
            if trainee in moved and (trainee not in newest or row["id"] > newest[trainee][0]):
                newest[trainee] = (int(row["id"]), str(row["to_diploma"]))
        for trainee, (_id, diploma) in sorted(newest.items()):
            self.target.switch_diploma(trainee, diploma)
            self.touched.add(trainee)

    def _orders(self) -> None:
        mine = {o.ref: o for o in self.target.orders()}
        theirs = list(self.source.table_rows("production_order"))
        for other in theirs:
            order = mine.get(str(other["ref"]))
            if order is not None and (other["customer"], other["title"]) != (
                order.customer,
                order.title,
            ):
                # Sorted: both directions of a sync say it in the same words (said once).
                here, there = sorted((order.customer, str(other["customer"])))
                self.review.append(
                    _(
                        "order {ref} is not the same on both sides ({here} / {there}): "
                        "each side keeps its own; give one of them another reference"
                    ).format(ref=order.ref, here=here, there=there)
                )
        wanted: set[str] | None = None
        if self.only is not None:
            wanted = {
                str(r["order_ref"])
                for r in self.source.table_rows("task_record")
                if int(r["id"]) in self.their_records and r["order_ref"] is not None
            }
        rows = [
            r for r in theirs if r["ref"] not in mine and (wanted is None or r["ref"] in wanted)
        ]
        self.target.insert_rows("production_order", rows)
        self.counts["orders"] += len(rows)

    def _settings(self) -> None:
        if self.only is not None:
            return  # a school's settings stay its own
        held = {str(r["key"]) for r in self.target.table_rows("meta")}
        rows = [
            r
            for r in self.source.table_rows("meta")
            if r["key"] not in held and not str(r["key"]).startswith("states:")
        ]
        self.target.insert_rows("meta", rows)
        self.counts["settings"] += len(rows)

    def _records(self, records: list[dict[str, Any]]) -> None:
        """Records in batches, each with its trainees and original assessments.

        In a move, a record the target already holds (shared with a trainee who moved
        before) gets the mover's part only.
        """
        held: list[dict[str, Any]] = []
        if self.only is not None:
            known = self.key_of["task_record"]
            held = [
                r
                for r in self.source.table_rows("task_record")
                if int(r["id"]) in self.their_records
                and self.uid_of["task_record"][str(r["id"])] in known
            ]
        if not records and not held:
            return
        wanted = {int(r["id"]) for r in (*records, *held)}
        links: dict[int, list[int]] = defaultdict(list)
        for link in self.source.table_rows("record_trainee"):
            if int(link["record"]) in wanted and self._travels(int(link["trainee"])):
                links[int(link["record"])].append(int(link["trainee"]))
        originals: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in self.source.table_rows("assessment"):
            if (
                row["supersedes"] is None
                and int(row["record"]) in wanted
                and self._travels(int(row["trainee"]))
                and self.uid_of["assessment"][str(row["id"])] not in self.key_of["assessment"]
            ):
                originals[int(row["record"])].append(row)
        imported: dict[int, dict[str, Any]] = {
            int(link["record"]): link
            for link in self.source.table_rows("record_import")
            if int(link["record"]) in wanted
        }
        for start in range(0, len(records), BATCH):
            self._record_batch(records[start : start + BATCH], links, originals, imported)
        if held:
            self._record_batch(held, links, originals, imported, new=False)

    def _travels(self, trainee: int) -> bool:
        """Whether a trainee's part of a record travels (in a move, the mover's alone: the
        others of a shared record stay in their school)."""
        return self.only is None or trainee == self.only

    def _record_batch(
        self,
        records: list[dict[str, Any]],
        links: Mapping[int, list[int]],
        originals: Mapping[int, list[dict[str, Any]]],
        imported: Mapping[int, Mapping[str, Any]],
        *,
        new: bool = True,
    ) -> None:
        with self.target.transaction():
            if new:
                target_ids = self._insert("task_record", "task_record", records)
            else:
                target_ids = [self._map("task_record", r["id"]) for r in records]
            link_rows, rows = [], []
            for target_id, record in zip(target_ids, records, strict=True):
                their_rows = originals[int(record["id"])]
                if not new and not their_rows:
                    continue  # the mover's part arrived already
                for trainee in links[int(record["id"])]:
                    link_rows.append(
                        {"record": target_id, "trainee": self._map("trainee", trainee)}
                    )
                for row in their_rows:
                    mapped = dict(row)
                    mapped["record"] = target_id
                    mapped["trainee"] = self._map("trainee", row["trainee"])
                    rows.append(mapped)
            self.target.insert_rows("record_trainee", link_rows)
            self._insert("assessment", "assessment", rows)
            # The import a record came from, in the record's own transaction (a file's seal
            # covers a record and its link together).
            self.target.insert_rows(
                "record_import",
                [
                    {
                        "record": target_id,
                        "batch": self._map("import_batch", imported[int(record["id"])]["batch"]),
                        "row": imported[int(record["id"])]["row"],
                    }
                    for target_id, record in zip(target_ids, records, strict=True)
                    if new and int(record["id"]) in imported
                ],
            )
            self.touched.update(int(r["trainee"]) for r in rows)
            self.target_journal.audit_write(
                "sync",
                sorted({int(r["trainee"]) for r in rows}),
                records=len(records) if new else 0,
                entries=len(rows),
            )
            self._rebuild()
        self.counts["records"] += len(records) if new else 0
        self.counts["assessments"] += len(rows)

    def _corrections(self) -> None:
        """Corrections and withdrawals, oldest first on their side: each supersedes its
        original wherever that was recorded.

        If the target corrected the same entry meanwhile, the arriving correction follows the
        target's latest version (a chain, never two corrections of one entry: the engine
        and the stored states read chains), and a person is asked to check which stands.
        """
        rows = [
            row
            for row in self._new("assessment", self.source.table_rows("assessment"))
            if row["supersedes"] is not None
        ]
        if not rows:
            return
        with self.target.transaction():
            for row in rows:
                mapped = dict(row)
                mapped["record"] = self._map("task_record", row["record"])
                mapped["trainee"] = self._map("trainee", row["trainee"])
                wanted = self._map("assessment", row["supersedes"])
                latest = self._latest_version(mapped["record"], wanted)
                mapped["supersedes"] = latest.id
                if latest.id != wanted:
                    self._both_sides(latest)
                self._insert("assessment", "assessment", [mapped])
                self.touched.add(mapped["trainee"])
            self.target_journal.audit_write(
                "sync",
                sorted({int(self._map("trainee", r["trainee"])) for r in rows}),
                corrections=len(rows),
            )
            self._rebuild()
        self.counts["corrections"] += len(rows)

    def _latest_version(self, record: int, entry: int) -> Assessment:
        """The newest row of the chain of corrections ``entry`` belongs to, on the target."""
        chain = self.target.record_rows(record)
        roots = chain_roots(chain)
        root = roots[entry]
        return max((r for r in chain if roots[r.id] == root), key=lambda r: r.id)

    def _both_sides(self, latest: Assessment) -> None:
        person = self.target_journal.trainee(latest.trainee)
        self.review.append(
            _(
                "the assessment of {name} on {competency} of {day} (n° {id} on the receiving "
                "side) was corrected on both sides: the correction that arrived last stands "
                "there; check it with ep-skills explain, and correct it again if needed"
            ).format(
                name=person.name,
                competency=latest.competency,
                day=format_day(latest.day),
                id=latest.id,
            )
        )

    def _import_batches(self) -> None:
        rows = list(self._new("import_batch", self.source.table_rows("import_batch")))
        if rows:
            self._insert("import_batch", "import_batch", rows)
        self.counts["imports"] += len(rows)

    def _rebuild(self) -> None:
        """The target's states of the trainees who received evidence, rebuilt from all of it
        in the current transaction (equal to a full recompute); in a bulk sync, at the end."""
        if not self.touched or self.bulk:
            return
        journal = self.target_journal
        for trainee_id in sorted(self.touched):
            journal.states.transferred(journal.trainee(trainee_id))
        self.touched.clear()
