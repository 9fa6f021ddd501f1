"""Erasing a trainee's personal data (« droit à l'effacement », RGPD article 17).

A school erases a trainee when it no longer has a reason to keep their data (the keeping
period is over: :func:`ep_skills.privacy.past_retention`), or when they ask and nothing
obliges it to keep it. The trainee becomes a random pseudonym (« anonyme-3f9c2a1b »), chosen
at random and written nowhere else, so that nothing leads back to them: their name, every
earlier name, their external id and metadata, the notes about them, the notes and
descriptions of the records only they are on, the photos of those records, their birth date,
medical opinions, safety trainings and working time, and their bench-page account are gone;
their name is taken out of every other text of the journal (a team mate's note, an accepted
plan, a file name). What stays is what the school's statistics rest on: the records, the
levels, the days, the competencies, the assessors, their diploma and group — every state,
theirs and everyone else's, is the same after as before.

This is the one documented exception to append-only. It is written in one transaction, told
in the audit (which never holds a name), and the journal is sealed again from the first row
(:func:`ep_skills.journal.integrity.reseal`), after a check that it had not been tampered with:
an erasure never blesses a change made outside ep-skills. On SQLite the freed pages are
overwritten and the file compacted, so the data is in no byte of the journal. Backups made
before still hold it: they expire with the school's own backup rotation (docs/privacy.md).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from attrs import frozen

from ep_skills.errors import ConflictError
from ep_skills.i18n import _
from ep_skills.journal.audit import current_author
from ep_skills.journal.erasure import Erasing, Rewrite
from ep_skills.journal.model import name_key

if TYPE_CHECKING:
    from ep_skills.api import Journal
    from ep_skills.journal.model import Trainee
    from ep_skills.journal.sql import SqlStorage

__all__ = ["Erased", "erase_trainee"]

# Settings that are the trainee's own (journal/planning.py): removed with every version.
_OWN_SETTINGS = ("plan:birth:", "plan:medical:", "plan:availability:")
_TRAINING = "plan:training:"
_ACCOUNTS = "web:account:"
_SEP = "\x1f"


@frozen
class Erased:
    """What an erasure did."""

    trainee: int
    pseudonym: str
    rows: int
    """Rows rewritten."""
    removed: int
    """Rows removed (photos and their links, the trainee's own settings, their account)."""


def _words(person: Trainee, earlier: Iterable[str]) -> list[str]:
    """The texts that name the trainee, longest first (a full name before its parts)."""
    names = {person.name, *earlier}
    if person.external_id:
        names.add(person.external_id)
    return sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True)


def _redactor(words: list[str], pseudonym: str) -> Any:
    if not words:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)

    def redact(text: str | None) -> str | None:
        return None if text is None else pattern.sub(pseudonym, text)

    return redact


def _parts(names: Iterable[str]) -> list[str]:
    """First and last names alone (« Léa », « Martin »), for texts about the trainee's own
    work: a team note says « Léa a ébavuré »."""
    return [part for name in names for part in name.split() if len(part) >= 3]


def _theirs(key: str, value: str, me: int) -> bool:
    """Whether a setting is the trainee's own: removed, every version."""
    if key.startswith(_OWN_SETTINGS):
        return key.split(":")[2] == str(me)
    if key.startswith(_TRAINING):
        return key.startswith(f"{_TRAINING}{me}{_SEP}")
    return key.startswith(_ACCOUNTS) and json.loads(value).get("trainee") == me


def plan_erasure(journal: Journal, person: Trainee) -> tuple[Rewrite, str]:
    """The changes that erase ``person``, and their pseudonym (nothing written)."""
    storage = cast("SqlStorage", journal.storage)
    pseudonym = f"anonyme-{secrets.token_hex(4)}"
    earlier = {
        value
        for change in journal.trainee_changes(person)
        for field, before, after in change.changes
        if field in ("name", "external_id")
        for value in (before, after)
        if value
    }
    words = _words(person, earlier)
    redact = _redactor(words, pseudonym)
    redact_close = _redactor(sorted({*words, *_parts(words)}, key=len, reverse=True), pseudonym)
    updates: list[tuple[str, int | str, str, object]] = []
    removals: list[tuple[str, int | str]] = []

    def change(table: str, key: int | str, column: str, old: object, new: object) -> None:
        if old != new:
            updates.append((table, key, column, new))

    me = person.id
    for row in storage.table_rows("trainee"):
        if int(row["id"]) == me:
            change("trainee", me, "name", row["name"], pseudonym)
            change("trainee", me, "name_key", row["name_key"], name_key(pseudonym))
            change("trainee", me, "external_id", row["external_id"], None)
            change("trainee", me, "metadata", row["metadata"], None)
    for row in storage.table_rows("trainee_event"):
        key = int(row["id"])
        if int(row["trainee"]) == me:
            change("trainee_event", key, "name", row["name"], pseudonym)
            change("trainee_event", key, "name_key", row["name_key"], name_key(pseudonym))
            for column in ("external_id", "metadata", "note"):
                change("trainee_event", key, column, row[column], None)
        else:
            change("trainee_event", key, "note", row["note"], redact(row["note"]))
    for row in storage.table_rows("trainee_transfer"):
        own = int(row["trainee"]) == me
        new = None if own else redact(row["note"])
        change("trainee_transfer", int(row["id"]), "note", row["note"], new)

    on_record: dict[int, set[int]] = {}
    for link in storage.table_rows("record_trainee"):
        on_record.setdefault(int(link["record"]), set()).add(int(link["trainee"]))
    alone = {r for r, people in on_record.items() if people == {me}}
    shared = {r for r, people in on_record.items() if me in people and len(people) > 1}
    for row in storage.table_rows("task_record"):
        key = int(row["id"])
        for column in ("description", "note"):
            if key in alone:
                new = None if column == "note" else redact_close(row[column])
            elif key in shared:
                new = redact_close(row[column])
            else:
                new = redact(row[column])
            change("task_record", key, column, row[column], new)
    for row in storage.table_rows("assessment"):
        if int(row["trainee"]) == me:
            new = None
        elif int(row["record"]) in shared:  # a team record's note, on a team mate's entry
            new = redact_close(row["note"])
        else:
            new = redact(row["note"])
        change("assessment", int(row["id"]), "note", row["note"], new)
    for row in storage.table_rows("import_batch"):
        change(
            "import_batch",
            int(row["id"]),
            "file_name",
            row["file_name"],
            redact(row["file_name"]) or "",
        )

    # Photos of the work only they are on: the links, and the photos no other record shows.
    links = [
        (int(link["record"]), str(link["sha256"])) for link in storage.table_rows("record_photo")
    ]
    gone = sorted(link for link in links if link[0] in alone)
    removals += [("record_photo", f"{record}:{sha}") for record, sha in gone]
    kept = {sha for link in links if link not in gone for sha in (link[1],)}
    removals += [("photo", sha) for sha in sorted({sha for _r, sha in gone} - kept)]

    for row in storage.table_rows("meta"):
        setting, value = str(row["key"]), str(row["value"])
        if setting.startswith("states:"):
            continue
        if _theirs(setting, value, me):
            removals.append(("meta", setting))
        else:
            change("meta", setting, "value", value, redact(value))
    return Rewrite(tuple(updates), tuple(removals)), pseudonym


def erase_trainee(journal: Journal, who: str | int | Trainee) -> Erased:
    """Erase ``who``'s personal data (see the module); returns what was done.

    Refused while the journal shows signs of tampering (``ep-skills verify``).
    """
    person = journal.trainee(who)
    storage = cast("Erasing", journal.storage)
    problems = storage.verify()
    if problems:
        raise ConflictError(
            _(
                "the journal shows signs of tampering ({first}); nothing was erased. Check it "
                "with: ep-skills verify"
            ).format(first=problems[0])
        )
    with journal.storage.transaction():
        rewrite, pseudonym = plan_erasure(journal, journal.trainee(person.id))
        storage.erase(rewrite)
        # An event of its own: the trainee's history says they were erased, and every copy
        # of the trainee kept in memory (other threads, other processes) is read again.
        now = journal.storage.trainee_by_id(person.id)
        assert now is not None
        journal.storage.add_trainee_change(now, "erase", ("name",), current_author(), None)
        journal.audit_write(
            "trainee.erase",
            [person.id],
            rows=len(rewrite.updates),
            removed=len(rewrite.removals),
        )
    storage.forget_freed()
    return Erased(person.id, pseudonym, len(rewrite.updates), len(rewrite.removals))
