"""A seeded generator of realistic journals, through the public API, for the benchmarks.

    python benchmarks/generate.py --preset school --db school.db

Schools have workshops for several shipped diplomas (their task catalogues drive the work).
Cohorts start each September and stay two years; each trainee has a pace, their levels improve
with time, and they do a few tasks per production day on the orders in progress, with 1–4
trainees per task record. A few levels are non-scoring (absent, non évalué…), some
assessments get corrected, trainees self-assess now and then, and some weeks are PFMP
(company placements) where the company tutor assesses.

Presets (as generated with seed 1; times on a 2-core machine):

    tiny     1 school,      12 trainees,         ~5,000 assessments   (the test suite)
    school   1 school,     150 trainees,        571,551 assessments   (~35 s)
    network 67 schools, 10,050 trainees,     37,353,755 assessments   (~40 min, 14 GiB)

Records go through the public API (``build_record`` checks each one) inside
``Journal.deferred_states()``: the states are computed once, at the end.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from attrs import frozen

from ep_skills import open_journal
from ep_skills.api import Journal
from ep_skills.journal.model import TaskRecord

__all__ = ["PRESETS", "Preset", "copy_to_server", "generate", "replicate_school"]

LEVELS = ("RR", "R", "V", "VV")
NON_SCORING = ("ABS", "NE", "DISP", "REQ")
WORKSHOPS = ("cap-cip", "cap-psr", "tp-soudeur")


@frozen
class Preset:
    """The size of a generated journal."""

    schools: int
    trainees_per_school: int
    years: int
    records_per_day: float
    """Task records per trainee per production day."""


PRESETS = {
    "tiny": Preset(schools=1, trainees_per_school=12, years=1, records_per_day=1.3),
    "school": Preset(schools=1, trainees_per_school=150, years=3, records_per_day=3.6),
    "network": Preset(schools=67, trainees_per_school=150, years=3, records_per_day=3.6),
}


def _days(start: date, end: date) -> list[date]:
    found = []
    day = start
    while day <= end:
        summer = date(day.year, 7, 10) <= day <= date(day.year, 8, 31)
        winter = day >= date(day.year, 12, 21) or day <= date(day.year, 1, 3)
        if day.weekday() < 4 and not summer and not winter:
            found.append(day)
        day += timedelta(days=1)
    return found


def _level(skill: float, rng: random.Random) -> str:
    value = skill + rng.gauss(0, 0.15)
    return "RR" if value < 0.3 else "R" if value < 0.5 else "V" if value < 0.78 else "VV"


def generate(
    path: str | Path,
    preset: Preset,
    *,
    seed: int = 1,
    end: date = date(2026, 6, 30),
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Write a journal at ``path``; returns what it holds."""
    rng = random.Random(seed)
    journal = open_journal(path, create=True, today=end)
    start = date(end.year - preset.years, 9, 1)
    days = _days(start, end)
    total_days = len(days) * preset.schools
    done_days = 0
    counts = {"trainees": 0, "records": 0, "assessments": 0, "corrections": 0}
    try:
        # Years of history at once: states are computed once at the end, not record by record.
        with journal.deferred_states():
            for school in range(preset.schools):
                people = _trainees(journal, preset, school, start, end, rng)
                counts["trainees"] += len(people)
                orders = _orders(journal, school, start, end, rng)
                for day in days:
                    _one_day(journal, day, people, orders, preset, rng, counts)
                    done_days += 1
                    if progress:
                        progress(done_days, total_days)
    finally:
        journal.close()
    counts["schools"] = preset.schools
    return counts


def _trainees(
    journal: Journal, preset: Preset, school: int, start: date, end: date, rng: random.Random
) -> list[dict[str, Any]]:
    people = []
    cohorts = [date(year, 9, 1) for year in range(start.year - 1, end.year)]
    for i in range(preset.trainees_per_school):
        diploma = WORKSHOPS[i % len(WORKSHOPS)]
        begin = rng.choice(cohorts)
        person = journal.add_trainee(
            f"S{school:02d}-{diploma}-{i:03d}",
            diploma=diploma,
            cohort=f"{school:02d}-{diploma}-{begin.year}",
            start_date=begin,
        )
        tasks = list(journal.diploma(diploma).referential.tasks)
        people.append(
            {
                "id": person.id,
                "diploma": diploma,
                "start": begin,
                "finish": date(begin.year + 2, 6, 30),
                "pace": rng.uniform(0.015, 0.05),
                "base": rng.uniform(0.1, 0.35),
                "tasks": tasks,
                "weights": [rng.uniform(0.2, 1.5) for _t in tasks],
                "pfmp": {begin + timedelta(weeks=w) for w in (20, 21, 22, 50, 51, 52)},
            }
        )
    return people


def _orders(
    journal: Journal, school: int, start: date, end: date, rng: random.Random
) -> list[tuple[str, date, date]]:
    orders = []
    day, number = start, 1
    while day <= end:
        length = timedelta(days=rng.randint(7, 30))
        ref = f"S{school:02d}-{day.year}-{number:04d}"
        journal.add_order(
            ref,
            customer=f"Client {rng.randint(1, 100):03d} (fictif)",
            title="Commande de production",
            quantity=rng.choice((50, 200, 1000)),
            received=day,
            due=day + length,
        )
        orders.append((ref, day, day + length))
        day += timedelta(days=rng.randint(2, 6))
        number += 1
    return orders


def _one_day(
    journal: Journal,
    day: date,
    people: list[dict[str, Any]],
    orders: list[tuple[str, date, date]],
    preset: Preset,
    rng: random.Random,
    counts: dict[str, int],
) -> None:
    active = [p for p in people if p["start"] <= day <= p["finish"]]
    current = [ref for ref, begin, due in orders if begin <= day <= due] or [orders[0][0]]
    batch: list[TaskRecord] = []
    by_diploma: dict[str, list[dict[str, Any]]] = {}
    for person in active:
        by_diploma.setdefault(person["diploma"], []).append(person)
    for group in by_diploma.values():
        slots = int(len(group) * preset.records_per_day)
        for _slot in range(slots):
            lead = rng.choice(group)
            team_size = min(len(group), rng.choices((1, 2, 3, 4), weights=(6, 3, 1, 1))[0])
            team = [lead, *rng.sample([p for p in group if p is not lead], team_size - 1)]
            task = rng.choices(lead["tasks"], weights=lead["weights"])[0]
            months = (day - lead["start"]).days / 30
            skill = min(1.0, lead["base"] + lead["pace"] * months)
            in_pfmp = any(
                day - timedelta(days=day.weekday()) == monday - timedelta(days=monday.weekday())
                for monday in lead["pfmp"]
            )
            levels = {}
            for link in task.competencies:
                levels[link.code] = (
                    rng.choice(NON_SCORING) if rng.random() < 0.03 else _level(skill, rng)
                )
            role = "tuteur" if in_pfmp else ("auto" if rng.random() < 0.04 else "maitre")
            record = journal.build_record(
                [p["id"] for p in team],
                task=task.id,
                day=day,
                order=None if in_pfmp else rng.choice(current),
                levels=levels,
                role=role,
                autonomy=min(4, 1 + int(skill * 4)),
                assessor="Maître (généré)",
                minutes=rng.choice((30, 60, 90, 120)),
            )
            batch.append(record)
            counts["assessments"] += len(record.assessments) * len(record.trainees)
    counts["records"] += len(batch)
    written = journal.write_records(batch)
    if written and rng.random() < 0.3:  # now and then, a correction the next evening
        first = journal.storage.assessments(written[0].trainees[0])
        if first:
            journal.correct(first[-1].id, level=rng.choice(LEVELS), note="corrigé")
            counts["corrections"] += 1


# Tables copied from a journal file to a school on a server, parents first, with the columns
# holding ids of each table (shifted past the server's ids) and the tables they point to.
_COPIED: tuple[tuple[str, dict[str, str]], ...] = (
    ("trainee", {"id": "trainee"}),
    ("production_order", {}),
    ("task_record", {"id": "task_record"}),
    ("record_trainee", {"record": "task_record", "trainee": "trainee"}),
    (
        "assessment",
        {
            "id": "assessment",
            "record": "task_record",
            "trainee": "trainee",
            "supersedes": "assessment",
        },
    ),
)
_NOT_COPIED = ("trainee_event", "trainee_transfer", "import_batch", "record_import")


def copy_to_server(
    source: str | Path, admin: str, app: str, school: str, *, end: date = date(2026, 6, 30)
) -> dict[str, Any]:
    """Copy a generated journal file into a new school on a PostgreSQL server, fast.

    Generating through the API costs about four times as long on a server as in a file
    (one round trip per statement); the rows are the same for the same seed. So the file is
    generated once, then its evidence is sent with ``COPY`` as the server's administrator
    (``admin``: a superuser, whom row-level security does not stop), ids shifted past the
    server's own; the school is registered and its states computed by ep-skills, through
    the application's role (``app``: its URL without the school). Only what the generator
    writes is copied (trainees, orders, records, assessments); a file with trainee changes,
    transfers or imports is refused.
    """
    import sqlite3

    import psycopg

    started = time.perf_counter()
    open_journal(f"{app}?school={school}", create=True, today=end).close()
    counts: dict[str, int] = {}
    with sqlite3.connect(source) as db, psycopg.connect(admin) as server:
        for table in _NOT_COPIED:
            if db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
                raise ValueError(f"{source}: rows in {table} are not copied")
        # Other clients may write meanwhile: each sequence jumps past a block of ids kept for
        # the copy (with room for whatever others take during the jump), without a lock.
        # (Where each school numbers its own rows, the file's ids are kept as they are.)
        shift = dict.fromkeys(("trainee", "task_record", "assessment"), 0)
        for table in shift:
            found = server.execute("SELECT to_regclass(%s)", (f"ep_skills.{table}_id_seq",))
            if found.fetchone() == (None,):
                continue
            n = db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
            row = server.execute(
                f"SELECT setval('ep_skills.{table}_id_seq', "
                f"nextval('ep_skills.{table}_id_seq') + 1000000 + %s)",
                (n,),
            ).fetchone()
            assert row is not None
            shift[table] = int(row[0]) - n
        for table, ids in _COPIED:
            columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            moved = [(i, shift[ids[c]]) for i, c in enumerate(columns) if c in ids]
            names = ", ".join(["school", *columns])
            with (
                server.cursor() as cur,
                cur.copy(f"COPY ep_skills.{table} ({names}) FROM STDIN") as copy,
            ):
                n = 0
                for row in db.execute(
                    f"SELECT {', '.join(columns)} FROM {table}"
                    + (" ORDER BY id" if "id" in columns else "")
                ):
                    values = list(row)
                    for i, by in moved:
                        if values[i] is not None:
                            values[i] += by
                    copy.write_row([school, *values])
                    n += 1
            counts[table] = n
        server.commit()
        for table, _ids in _COPIED:
            server.execute(f"ANALYZE ep_skills.{table}")
        server.commit()
    copied = time.perf_counter() - started
    journal = open_journal(f"{app}?school={school}", today=end)
    try:
        journal.recompute()
    finally:
        journal.close()
    return {
        **counts,
        "copy_s": copied,
        "recompute_s": time.perf_counter() - started - copied,
    }


# What a school copied on the server brings with it: its evidence, and the states and their
# fingerprints ep-skills computed for it (the same rows under the same settings give the same
# states: a test of the benchmark's own run checks one copy against a recompute).
_REPLICATED = (
    "trainee",
    "production_order",
    "task_record",
    "record_trainee",
    "assessment",
    "competency_state",
)


def replicate_school(
    admin: str, app: str, source: str, school: str, *, end: date = date(2026, 6, 30)
) -> dict[str, Any]:
    """A new school on the server holding a copy of another school's journal, copied by the
    server itself (``INSERT … SELECT``, one transaction): how the benchmarks fill a
    network-sized database (67 schools of 571,687 assessments) in minutes rather than the
    hours of sending each school's rows from a file. Each school numbers its own rows, so
    the copy keeps the ids; the states come along (with their fingerprints), being those of
    the same rows under the same settings.
    """
    import psycopg

    started = time.perf_counter()
    open_journal(f"{app}?school={school}", create=True, today=end).close()
    counts: dict[str, int] = {}
    with psycopg.connect(admin) as server:
        server.execute("SET search_path = ep_skills")
        # Rows copied from a school whose rows already passed every check: the server's
        # per-row triggers (foreign keys, numbering) are not run again for the copy, as
        # pg_restore does (this session only; the application's role cannot do this).
        server.execute("SET session_replication_role = replica")
        for table in _REPLICATED:
            columns = [
                r[0]
                for r in server.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = 'ep_skills' AND table_name = %s "
                    "ORDER BY ordinal_position",
                    (table,),
                )
            ]
            names = ", ".join(columns)
            chosen = ", ".join("%(school)s" if c == "school" else c for c in columns)
            done = server.execute(
                f"INSERT INTO {table} ({names}) SELECT {chosen} FROM {table} "
                "WHERE school = %(source)s",
                {"school": school, "source": source},
            )
            counts[table] = done.rowcount
        server.execute(
            "INSERT INTO meta (school, key, value) SELECT %(school)s, key, value FROM meta "
            "WHERE school = %(source)s AND key LIKE 'states:%%' "
            "ON CONFLICT (school, key) DO UPDATE SET value = excluded.value",
            {"school": school, "source": source},
        )
        server.commit()
    return {**counts, "copy_s": time.perf_counter() - started, "recompute_s": 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    parser.add_argument("--db", type=Path, required=True, help="journal file to create")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.db.exists():
        parser.error(f"{args.db} exists")
    from rich.progress import Progress

    started = time.perf_counter()
    with Progress(transient=True) as bar:
        task = bar.add_task(f"generating {args.preset}", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        counts = generate(args.db, PRESETS[args.preset], seed=args.seed, progress=update)
    elapsed = time.perf_counter() - started
    print(", ".join(f"{k}: {v:,}" for k, v in counts.items()) + f" — {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
