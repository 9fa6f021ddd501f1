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

from ep_skills.i18n import _, ngettext

if TYPE_CHECKING:
    from ep_skills.api import Journal
    from ep_skills.journal.sql import SqlStorage

__all__ = ["SyncCounts", "SyncReport", "sync", "transfer_entries"]

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
    return SyncReport(sent, received, (*sent_review, *received_review))


def transfer_entries(source: Journal, target: Journal) -> tuple[SyncCounts, list[str]]:
    """Copy to ``target`` every entry of ``source`` it does not hold yet; returns the counts
    and what to review."""
    return _Transfer(source, target).run()


def _storage(journal: Journal) -> SqlStorage:
    storage: Any = journal.storage
    for needed in ("uids", "assign_uids", "table_rows", "insert_rows", "set_uids"):
        if not hasattr(storage, needed):
            from ep_skills.errors import JournalUnavailableError

            raise JournalUnavailableError(_("this journal's storage cannot sync"))
    return storage  # type: ignore[no-any-return]


class _Transfer:
    """One direction of a sync: source → target."""

    def __init__(self, source: Journal, target: Journal) -> None:
        self.source_journal, self.target_journal = source, target
        self.source, self.target = _storage(source), _storage(target)
        self.counts: dict[str, int] = defaultdict(int)
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
        self._load("assessment")
        self._load("import_batch")
        shared_before = self.target.shared_names()
        with self.target.transaction():
            self._trainees()
            self._simple("trainee_event", "changes")
            self._transfers()
            self._orders()
            self._settings()
        self._records()
        self._corrections()
        self._imports()
        self._states()
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
        """The source's rows of ``kind`` the target does not hold."""
        for row in rows:
            if self.uid_of[kind][str(row["id"])] not in self.key_of[kind]:
                yield row

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
        held = {o.ref for o in self.target.orders()}
        rows = [r for r in self.source.table_rows("production_order") if r["ref"] not in held]
        self.target.insert_rows("production_order", rows)
        self.counts["orders"] += len(rows)

    def _settings(self) -> None:
        held = {str(r["key"]) for r in self.target.table_rows("meta")}
        rows = [
            r
            for r in self.source.table_rows("meta")
            if r["key"] not in held and not str(r["key"]).startswith("states:")
        ]
        self.target.insert_rows("meta", rows)
        self.counts["settings"] += len(rows)

    def _records(self) -> None:
        """Records in batches, each with its trainees and original assessments."""
        records = list(self._new("task_record", self.source.table_rows("task_record")))
        if not records:
            return
        wanted = {int(r["id"]) for r in records}
        links: dict[int, list[int]] = defaultdict(list)
        for link in self.source.table_rows("record_trainee"):
            if int(link["record"]) in wanted:
                links[int(link["record"])].append(int(link["trainee"]))
        originals: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in self.source.table_rows("assessment"):
            if row["supersedes"] is None and int(row["record"]) in wanted:
                originals[int(row["record"])].append(row)
        for start in range(0, len(records), BATCH):
            self._record_batch(records[start : start + BATCH], links, originals)

    def _record_batch(
        self,
        records: list[dict[str, Any]],
        links: Mapping[int, list[int]],
        originals: Mapping[int, list[dict[str, Any]]],
    ) -> None:
        with self.target.transaction():
            new_ids = self._insert("task_record", "task_record", records)
            link_rows, rows = [], []
            for new_id, record in zip(new_ids, records, strict=True):
                for trainee in links[int(record["id"])]:
                    link_rows.append({"record": new_id, "trainee": self._map("trainee", trainee)})
                for row in originals[int(record["id"])]:
                    if self.uid_of["assessment"][str(row["id"])] in self.key_of["assessment"]:
                        continue
                    mapped = dict(row)
                    mapped["record"] = new_id
                    mapped["trainee"] = self._map("trainee", row["trainee"])
                    rows.append(mapped)
            self.target.insert_rows("record_trainee", link_rows)
            self._insert("assessment", "assessment", rows)
            self.touched.update(int(r["trainee"]) for r in rows)
        self.counts["records"] += len(records)
        self.counts["assessments"] += len(rows)

    def _corrections(self) -> None:
        """Corrections and withdrawals, oldest first on their side: each supersedes its
        original wherever that was recorded."""
        rows = [
            row
            for row in self._new("assessment", self.source.table_rows("assessment"))
            if row["supersedes"] is not None
        ]
        if not rows:
            return
        twice: set[int] = set()
        with self.target.transaction():
            held = {
                int(r["supersedes"])
                for r in self.target.table_rows("assessment")
                if r["supersedes"] is not None
            }
            for row in rows:
                mapped = dict(row)
                mapped["record"] = self._map("task_record", row["record"])
                mapped["trainee"] = self._map("trainee", row["trainee"])
                mapped["supersedes"] = self._map("assessment", row["supersedes"])
                if mapped["supersedes"] in held:
                    twice.add(mapped["supersedes"])
                held.add(mapped["supersedes"])
                self._insert("assessment", "assessment", [mapped])
                self.touched.add(mapped["trainee"])
        self.counts["corrections"] += len(rows)
        for original in sorted(twice):
            self.review.append(
                _(
                    "assessment #{id} was corrected on both sides: check which correction "
                    "stands with ep-skills explain, and correct it again if needed"
                ).format(id=original)
            )

    def _imports(self) -> None:
        rows = list(self._new("import_batch", self.source.table_rows("import_batch")))
        with self.target.transaction():
            if rows:
                self._insert("import_batch", "import_batch", rows)
            held = {int(r["record"]) for r in self.target.table_rows("record_import")}
            links = []
            for link in self.source.table_rows("record_import"):
                record = self._map("task_record", link["record"])
                if record in held:
                    continue
                links.append(
                    {
                        "record": record,
                        "batch": self._map("import_batch", link["batch"]),
                        "row": link["row"],
                    }
                )
            self.target.insert_rows("record_import", links)
        self.counts["imports"] += len(rows)

    def _states(self) -> None:
        """The receiving side's states of the trainees who received evidence, rebuilt from
        all of it (equal to a full recompute)."""
        if not self.touched:
            return
        journal = self.target_journal
        with self.target.transaction():
            for trainee_id in sorted(self.touched):
                journal.states.transferred(journal.trainee(trainee_id))
