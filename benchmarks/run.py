"""Benchmarks: every figure a ratio against a floor (and a rival) measured in the same run.

    python benchmarks/run.py --preset school          # ~3 minutes, generates its journals
    python benchmarks/run.py --preset tiny --quick    # seconds: what the test suite runs
    python benchmarks/run.py --preset network         # on demand: ~45 minutes, 14 GiB of disk

What is measured (targets from the benchmark issue):

* full recompute of every state: ep-skills against the floor — one SQL query computing the
  same states and tallies (last 5, geometric weights, thresholds, coverage rules, assessments
  and orders counted) —, against a bare floor computing the score and state alone from the
  rows the method needs, and against the rival, pandas doing the same from the same file.
  The results must be equal (checked).
* progress view, warm: the whole school's cohort progress and one trainee's, against reading
  the stored states with a bare query.
* write path flatness: record one task (3 assessments) and read progress, at journal sizes
  10^4, 10^5 and 10^6 assessments.
* CLI cold start: ``ep-skills progress`` as a new process, against ``python -c pass`` and a
  process that only imports what the CLI cannot start without.
* import: 100,000 CSV rows, against a raw sqlite3 executemany of the same rows, and against
  storing, with no check, the rows the journal keeps for them.
* network (on demand): full recompute of ~37 million assessments, time and peak memory, and
  the progress views at that scale.

The raw figures are saved as JSON next to this file (``results/<preset>.json``).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import PRESETS, Preset, copy_to_server, generate, replicate_school  # noqa: E402

from ep_skills import open_journal  # noqa: E402
from ep_skills.api import Journal  # noqa: E402

END = date(2026, 6, 30)
# (trainee, competency) → (score, state, assessments, distinct orders or tasks)
States = dict[tuple[int, str], tuple[int | None, str | None, int, int]]
Scores = dict[tuple[int, str], tuple[int | None, str | None]]
# The same, keyed by trainee name (ids differ between a file and a server)
Named = dict[tuple[str, str], tuple[int | None, str | None, int, int]]


# -- helpers ---------------------------------------------------------------------------------


def _time(action: Callable[[], Any], repeat: int = 5) -> float:
    """Median wall time of ``action`` in seconds."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _settings_of(journal: Journal) -> dict[str, Any]:
    """The one set of settings every diploma of the journal uses (the floor needs one)."""
    found = {}
    for trainee in journal.trainees():
        info = journal.diploma(trainee.diploma)
        values = {lv.code: lv.value for lv in info.scale.levels if lv.value is not None}
        states = sorted((s.min_score, s.code, s.acquired) for s in info.scale.states)
        s = info.settings
        found[trainee.diploma] = {
            "values": values,
            "states": states,
            "method": s.method,
            "limit": s.limit,
            "min_assessments": s.coverage.min_assessments or 0,
            "min_contexts": s.coverage.min_contexts or 0,
            "plain": s.scope == "all"
            and s.coverage.max_age_months is None
            and s.coverage.min_autonomy is None
            and set(s.role_weights.values()) <= {1.0},
        }
    distinct = {json.dumps(v, sort_keys=True) for v in found.values()}
    if len(distinct) != 1:
        raise SystemExit("the floor query needs every diploma to use the same settings")
    settings = next(iter(found.values()))
    if settings["method"] != "geometrique" or not settings["plain"]:
        raise SystemExit("the floor query implements the default method only")
    return settings


# -- the three recomputes --------------------------------------------------------------------


def ours(journal: Journal) -> States:
    return {
        (s.trainee, s.competency): (s.score, s.state, s.assessments, s.contexts)
        for s in journal.iter_states()
    }


def _levels_sql(settings: dict[str, Any]) -> str:
    return ",".join(f"'{k}'" for k in settings["values"])


def _effective_sql(settings: dict[str, Any]) -> str:
    """Rows ``b`` of pair ``g`` that count: official, scoring, not withdrawn, not corrected."""
    return (
        "b.trainee = g.trainee AND b.competency = g.competency AND b.withdrawn = 0 "
        f"AND b.role != 'auto' AND b.level IN ({_levels_sql(settings)}) "
        "AND NOT EXISTS (SELECT 1 FROM assessment x WHERE x.supersedes = b.id)"
    )


def _hint(index: str, pg: bool) -> str:
    """SQLite is told which index to read; PostgreSQL's planner takes no hints."""
    return "" if pg else f" INDEXED BY {index}"


def _score_sql(settings: dict[str, Any], pg: bool = False) -> str:
    """Pair ``g``'s score: the newest rows, read backwards from the index down to the day of
    the limit-th one, ranked newest first and weighted 1, 2, 4… from the oldest."""
    values = settings["values"]
    value_of = "CASE b.level " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in values.items())
    limit = settings["limit"] or 1_000_000_000
    eff = _effective_sql(settings)
    by_pair = _hint("assessment_by_pair", pg)
    if pg:  # the same arithmetic: 64-bit weights, rounding half up by floor(x + 0.5)
        weight = "(CAST(1 AS BIGINT) << CAST(m - r AS INTEGER))"
        score = f"CAST(floor(sum(value * {weight}) * 1.0 / sum({weight}) + 0.5) AS INTEGER)"
        smallest = "least"
    else:
        score = "CAST(sum(value * (1 << (m - r))) * 1.0 / sum(1 << (m - r)) + 0.5 AS INTEGER)"
        smallest = "min"
    return f"""(
        SELECT {score}
        FROM (
          SELECT value, row_number() OVER (ORDER BY day DESC, value DESC, level DESC) AS r,
                 {smallest}(count(*) OVER (), {limit}) AS m
          FROM (
            SELECT b.day, b.level, {value_of} END AS value
            FROM assessment b{by_pair}
            WHERE {eff} AND b.day >= coalesce((
              SELECT b.day FROM assessment b{by_pair} WHERE {eff}
              ORDER BY b.day DESC LIMIT 1 OFFSET {limit - 1}), '')
          ) AS newest
        ) AS ranked WHERE r <= {limit}
      )"""


def _state_sql(settings: dict[str, Any], covered: str) -> str:
    """The state for ``score``; an "acquired" one needs ``covered`` (the coverage rules), or
    falls to the highest state below."""
    cases = []
    for min_score, code, acquired in sorted(settings["states"], reverse=True):
        condition = f"score >= {min_score}" + (f" AND {covered}" if acquired else "")
        cases.append(f"WHEN {condition} THEN '{code}'")
    below = next(c for _m, c, a in sorted(settings["states"], reverse=True) if not a)
    return f"CASE {' '.join(cases)} ELSE '{below}' END"


def floor_query(settings: dict[str, Any], pg: bool = False) -> tuple[str, list[Any]]:
    """The fastest single query we could write for the same states and tallies.

    The tallies (assessments, distinct orders or tasks) need every row of a pair: one pass
    over the covering index (trainee, competency, day, …), in its order, so no sort and no
    table read; a correction is looked for only in the pairs that have one. The score needs
    only the newest rows (:func:`_score_sql`).
    """
    official = f"withdrawn = 0 AND role != 'auto' AND level IN ({_levels_sql(settings)})"
    char1, record = ("chr(1)", "CAST(record AS TEXT)") if pg else ("char(1)", "record")
    context = f"coalesce(nullif(order_ref, ''), {char1} || coalesce(nullif(task, ''), {record}))"
    covered = f"n >= {settings['min_assessments']} AND contexts >= {settings['min_contexts']}"
    by_pair = _hint("assessment_by_pair", pg)
    not_corrected = (
        "(trainee, competency) NOT IN (SELECT trainee, competency FROM corrected)"
        if pg
        else "(trainee, competency) NOT IN corrected"
    )
    sql = f"""
    WITH corrected AS (
      SELECT DISTINCT trainee, competency FROM assessment{_hint("assessment_corrections", pg)}
      WHERE supersedes IS NOT NULL
    ),
    fast AS (
      SELECT trainee, competency, count(*) AS n, count(DISTINCT {context}) AS contexts
      FROM assessment{by_pair} WHERE {official}
      GROUP BY trainee, competency
    ),
    exact AS (
      SELECT a.trainee, a.competency, count(*) AS n, count(DISTINCT {context}) AS contexts
      FROM corrected k JOIN assessment a{by_pair}
        ON a.trainee = k.trainee AND a.competency = k.competency
      WHERE {official.replace("withdrawn", "a.withdrawn")}
        AND NOT EXISTS (SELECT 1 FROM assessment x WHERE x.supersedes = a.id)
      GROUP BY a.trainee, a.competency
    ),
    g AS (
      SELECT * FROM fast WHERE {not_corrected}
      UNION ALL SELECT * FROM exact
    ),
    scored AS (SELECT trainee, competency, n, contexts, {_score_sql(settings, pg)} AS score
               FROM g)
    SELECT trainee, competency, score, {_state_sql(settings, covered)}, n, contexts
    FROM scored
    """
    return sql, []


def floor(path: Path, settings: dict[str, Any]) -> States:
    sql, params = floor_query(settings)
    with sqlite3.connect(path) as db:
        return {(t, c): (s, st, n, k) for t, c, s, st, n, k in db.execute(sql, params)}


def bare_floor_query(
    settings: dict[str, Any], codes: dict[str, list[str]], pg: bool = False
) -> str:
    """The score and state alone, without the tallies: only the rows the method needs.

    Each pair (trainees × the leaves of their diploma) reads its newest rows for the score,
    at most ``min_assessments`` rows to know that there are enough, and rows until one
    sits on another order or task than the newest to know that there are two. What
    ep-skills stores besides — the exact tallies progress shows — is what this leaves out.
    """
    if settings["min_contexts"] > 2:
        raise SystemExit("the bare floor knows coverage rules of at most two orders")
    pairs = ",".join(f"('{d}', '{c}')" for d, found in codes.items() for c in found)
    eff = _effective_sql(settings)
    char1, record = ("chr(1)", "CAST(b.record AS TEXT)") if pg else ("char(1)", "b.record")
    context = (
        f"coalesce(nullif(b.order_ref, ''), {char1} || coalesce(nullif(b.task, ''), {record}))"
    )
    by_pair = _hint("assessment_by_pair", pg)
    true = "true" if pg else "1"
    two = {
        0: true,
        1: true,
        2: f"""EXISTS (SELECT 1 FROM assessment b{by_pair} WHERE {eff}
                 AND {context} != (SELECT {context} FROM assessment b{by_pair}
                                   WHERE {eff} ORDER BY b.day DESC LIMIT 1))""",
    }[settings["min_contexts"]]
    return f"""
    WITH codes(diploma, competency) AS (VALUES {pairs}),
    g AS (SELECT t.id AS trainee, c.competency FROM trainee t JOIN codes c USING (diploma)),
    scored AS (
      SELECT trainee, competency, {_score_sql(settings, pg)} AS score,
      (SELECT count(*) FROM (SELECT 1 FROM assessment b{by_pair}
                             WHERE {eff} LIMIT {settings["min_assessments"]}) AS few) AS n,
      {two} AS two
      FROM g
    )
    SELECT trainee, competency, score,
           {_state_sql(settings, f"n >= {settings['min_assessments']} AND two")}
    FROM scored WHERE score IS NOT NULL
    """


def bare_floor(path: Path, settings: dict[str, Any], codes: dict[str, list[str]]) -> Scores:
    with sqlite3.connect(path) as db:
        return {(t, c): (s, st) for t, c, s, st in db.execute(bare_floor_query(settings, codes))}


_RIVAL_COLUMNS = (
    "id, trainee, competency, day, level, role, withdrawn, supersedes, order_ref, task, record"
)


def rival(path: Path, settings: dict[str, Any]) -> States:
    """What a school would do with a spreadsheet export and pandas."""
    import pandas as pd

    with sqlite3.connect(path) as db:
        df = pd.read_sql_query(f"SELECT {_RIVAL_COLUMNS} FROM assessment", db)
    return _rival_of(df, settings)


def _rival_of(df: Any, settings: dict[str, Any]) -> States:
    import numpy as np

    superseded = set(df["supersedes"].dropna().astype(int))
    eff = df[(df["withdrawn"] == 0) & (df["role"] != "auto") & ~df["id"].isin(superseded)].copy()
    eff["value"] = eff["level"].map(settings["values"])
    eff = eff.dropna(subset=["value"])
    has_order = eff["order_ref"].fillna("") != ""
    task = eff["task"].where(eff["task"].fillna("") != "", eff["record"].astype(str))
    eff["ctx"] = np.where(has_order, "order:" + eff["order_ref"].fillna(""), "task:" + task)
    eff = eff.sort_values(["trainee", "competency", "day", "value", "level"])
    groups = eff.groupby(["trainee", "competency"], sort=False)
    eff["from_end"] = groups.cumcount(ascending=False)
    limit = settings["limit"] or 1_000_000_000
    window = eff[eff["from_end"] < limit].copy()
    size = window.groupby(["trainee", "competency"])["value"].transform("size")
    window["w"] = 2.0 ** (size - 1 - window["from_end"])
    window["vw"] = window["value"] * window["w"]
    sums = window.groupby(["trainee", "competency"])[["vw", "w"]].sum()
    score = np.floor(sums["vw"] / sums["w"] + 0.5).astype(int)
    coverage = groups.agg(n=("value", "size"), contexts=("ctx", "nunique"))
    table = coverage.join(score.rename("score"))
    result: States = {}
    ordered = sorted(settings["states"])
    below = next(c for _m, c, a in sorted(settings["states"], reverse=True) if not a)
    for (trainee, competency), row in table.iterrows():
        state = next(c for m, c, a in reversed(ordered) if row["score"] >= m)
        acquired = next(a for m, c, a in reversed(ordered) if row["score"] >= m)
        if acquired and (
            row["n"] < settings["min_assessments"] or row["contexts"] < settings["min_contexts"]
        ):
            state = below
        result[(int(trainee), str(competency))] = (
            int(row["score"]),
            state,
            int(row["n"]),
            int(row["contexts"]),
        )
    return result


def recompute_figures(path: Path, repeat: int) -> dict[str, Any]:
    journal = open_journal(path, today=END)
    settings = _settings_of(journal)
    codes = {d: sorted(journal.diploma(d).leaves) for d in {t.diploma for t in journal.trainees()}}
    ours_states = ours(journal)
    floor_states = floor(path, settings)
    rival_states = rival(path, settings)
    bare_states = bare_floor(path, settings, codes)
    # ep-skills also keeps the states of pairs whose every row is non-scoring (no score).
    scored = {k: v for k, v in ours_states.items() if v[0] is not None}
    agree = scored == floor_states == rival_states
    if not agree or bare_states != {k: v[:2] for k, v in scored.items()}:
        raise SystemExit(
            f"the recomputes disagree: {len(scored)} / {len(floor_states)} "
            f"/ {len(rival_states)} / {len(bare_states)} states"
        )
    figures = {
        "states": len(scored),
        "ours_s": _time(lambda: ours(journal), repeat),
        "floor_s": _time(lambda: floor(path, settings), repeat),
        "bare_floor_s": _time(lambda: bare_floor(path, settings, codes), repeat),
        "rival_s": _time(lambda: rival(path, settings), max(1, repeat // 2)),
        "agree": agree,
    }
    journal.close()
    return figures


# -- progress views --------------------------------------------------------------------------


def progress_figures(path: Path, repeat: int) -> dict[str, Any]:
    journal = open_journal(path, today=END)
    journal.recompute()
    people = journal.trainees()
    one = people[len(people) // 2]
    journal.cohort_progress()  # warm: referentials loaded, settings resolved
    cohort = _time(lambda: journal.cohort_progress(), repeat)
    single = _time(lambda: journal.progress(one.id), repeat * 4)
    db = journal.storage.connection  # type: ignore[attr-defined]
    cohort_floor = _time(lambda: db.execute("SELECT * FROM competency_state").fetchall(), repeat)
    single_floor = _time(
        lambda: db.execute(
            "SELECT * FROM competency_state WHERE trainee = ?", (one.id,)
        ).fetchall(),
        repeat * 4,
    )
    journal.close()
    return {
        "trainees": len(people),
        "cohort_s": cohort,
        "cohort_floor_s": cohort_floor,
        "one_s": single,
        "one_floor_s": single_floor,
    }


# -- write path ------------------------------------------------------------------------------


def _journal_of_size(folder: Path, assessments: int) -> Path:
    path = folder / f"write-{assessments}.db"
    if path.exists():
        return path
    years = 1 if assessments <= 20_000 else 2 if assessments <= 200_000 else 3
    per_year = assessments / years
    trainees = max(6, round(per_year / 1350))
    generate(
        path,
        Preset(
            schools=1,
            trainees_per_school=trainees,
            years=years,
            records_per_day=3.6 if assessments > 20_000 else 1.3,
        ),
        seed=7,
    )
    return path


def _writer(journal: Journal, items: list[tuple[int, str, list[str]]]) -> Callable[[], None]:
    """Each call records the next trainee's task (three assessments) and reads their progress."""
    turn = itertools.count()

    def write_and_read() -> None:
        who, task_id, codes = items[next(turn) % len(items)]
        journal.record([who], task=task_id, day=END, levels=dict.fromkeys(codes, "V"))
        journal.progress(who)

    return write_and_read


def write_figures(
    folder: Path, sizes: list[int], repeat: int, server: Server | None = None
) -> dict[str, Any]:
    """Record one task (three assessments) and read the progress, in journals of each size.

    The sizes take turns, round after round, so that a slower moment of the machine falls on
    all of them alike; each figure is the median of its rounds. On a ``server``, each size
    is a school of its own there (copied from the same generated file), all in one database.
    """
    actions: dict[int, Callable[[], None]] = {}
    journals: list[tuple[Journal, Path | None]] = []
    counts: dict[int, int] = {}
    for size in sizes:
        source = _journal_of_size(folder, size)
        if server is None:
            work: Path | None = folder / f"work-{size}.db"
            assert work is not None
            shutil.copy(source, work)
            journal = open_journal(work, today=END)
        else:
            work = None
            journal = open_journal(server.load(source, f"write-{size}"), today=END)
        journals.append((journal, work))
        counts[size] = journal.storage.count_assessments()
        # One task of three competencies for each of six trainees in turn: a day's records
        # at the bench, not fifty records of one trainee on one competency.
        work_items = []
        for person in journal.trainees()[:6]:
            task = next(
                t
                for t in journal.diploma(person.diploma).referential.tasks
                if len(t.competencies) >= 3
            )
            work_items.append((person.id, task.id, [link.code for link in task.competencies][:3]))

        write_and_read = _writer(journal, work_items)
        for _person in work_items:
            write_and_read()  # warm: referentials loaded, pages read once
        actions[size] = write_and_read
    timings: dict[int, list[float]] = {size: [] for size in sizes}
    for _round in range(repeat * 10):
        for size, action in actions.items():
            started = time.perf_counter()
            action()
            timings[size].append(time.perf_counter() - started)
    for journal, work in journals:
        journal.close()
        if work is not None:
            _remove(work)
    return {
        str(size): {"assessments": counts[size], "seconds": statistics.median(timings[size])}
        for size in sizes
    }


# -- CLI cold start --------------------------------------------------------------------------


def cold_start_figures(path: Path | str, repeat: int) -> dict[str, Any]:
    journal = open_journal(path, today=END)
    name = journal.trainees()[0].name
    journal.close()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NO_COLOR"] = "1"
    bindir = Path(sys.executable).parent
    command = [str(bindir / "ep-skills"), "--lang", "fr", "--db", str(path), "progress", name]
    floor_imports = (
        "import click, rich.console, rich.table, pluggy, attrs, sqlite3, importlib.metadata"
    )
    if isinstance(path, str):  # a server: its driver and pool too
        floor_imports += ", psycopg, psycopg_pool"

    def run(args: list[str]) -> None:
        subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)

    commands = {
        "cli_s": command,
        "imports_s": [sys.executable, "-c", floor_imports],
        "pass_s": [sys.executable, "-c", "pass"],
    }
    for args in commands.values():
        run(args)  # warm the bytecode and the referential caches
    # The three take turns, round after round: a slow moment of the machine falls on all.
    timings: dict[str, list[float]] = {name: [] for name in commands}
    for _round in range(repeat * 4):
        for name, args in commands.items():
            started = time.perf_counter()
            run(args)
            timings[name].append(time.perf_counter() - started)
    return {
        **{name: statistics.median(values) for name, values in timings.items()},
        "floor_imports": floor_imports,
    }


# -- import ----------------------------------------------------------------------------------


def _remove(journal: Path) -> None:
    """Delete a journal file with its WAL companions."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{journal}{suffix}").unlink(missing_ok=True)


def _fresh_copy(path: Path, work: Path) -> None:
    _remove(work)
    shutil.copy(path, work)


def import_figures(path: Path, folder: Path, rows: int, repeat: int = 3) -> dict[str, Any]:
    """Import a CSV file into a copy of the journal, against two floors, in ``repeat`` rounds
    (each on a fresh copy) so that the three take turns."""
    from ep_skills.importing import import_file

    work = folder / "import.db"
    _fresh_copy(path, work)
    journal = open_journal(work, today=END)
    people = [t for t in journal.trainees() if t.diploma == "cap-cip"]
    info = journal.diploma("cap-cip")
    journal.close()
    tasks = [t.id for t in info.referential.tasks]
    csv_path = folder / "import.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["date", "trainee", "task", "level"])
        for i in range(rows):
            person = people[i % len(people)]
            writer.writerow(
                [END.isoformat(), person.name, tasks[i % len(tasks)], ("R", "V", "VV")[i % 3]]
            )

    assessments = 0

    def ours() -> None:
        nonlocal assessments
        journal = open_journal(work, today=END)
        assessments = import_file(journal, csv_path).assessments
        journal.close()

    raw = folder / "raw.db"

    def executemany() -> None:
        raw.unlink(missing_ok=True)
        with sqlite3.connect(raw) as db:
            db.execute("CREATE TABLE row (day TEXT, trainee TEXT, task TEXT, level TEXT)")
            with csv_path.open(encoding="utf-8", newline="") as handle:
                reader = csv.reader(handle, delimiter=";")
                next(reader)
                db.executemany("INSERT INTO row VALUES (?, ?, ?, ?)", reader)

    # The storage floor: the rows the journal keeps for these CSV rows (a task record, a
    # trainee link and one assessment per competency of the task), built with no check and
    # inserted by executemany into a copy of the same journal, with the same settings.
    with sqlite3.connect(path) as db:
        ids = {name: i for i, name in db.execute("SELECT id, name FROM trainee")}
    codes = {t.id: [c.code for c in t.competencies] for t in info.referential.tasks}

    def store() -> None:
        db = sqlite3.connect(work, isolation_level=None)
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "cache_size = -65536"):
            db.execute(f"PRAGMA {pragma}")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("BEGIN IMMEDIATE")
        record = db.execute("SELECT max(id) FROM task_record").fetchone()[0] + 1
        row = db.execute("SELECT max(id) FROM assessment").fetchone()[0] + 1
        records, links, rows_kept = [], [], []
        with csv_path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter=";")
            next(reader)
            for day, name, task, level in reader:
                trainee = ids[name]
                records.append((record, day, task, "{}", "maitre", "2026-06-30T00:00:00"))
                links.append((record, trainee))
                for code in codes[task]:
                    rows_kept.append(
                        (row, record, trainee, "cap-cip", code, level, day, "maitre", task, day)
                    )
                    row += 1
                record += 1
        db.executemany(
            "INSERT INTO task_record (id, day, task, context, role, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            records,
        )
        db.executemany("INSERT INTO record_trainee (record, trainee) VALUES (?, ?)", links)
        db.executemany(
            "INSERT INTO assessment (id, record, trainee, diploma, competency, level, day, role, "
            "task, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows_kept,
        )
        db.execute("COMMIT")
        db.close()

    timings: dict[str, list[float]] = {"ours_s": [], "floor_s": [], "storage_floor_s": []}
    for _round in range(repeat):
        for name, action in (
            ("ours_s", ours),
            ("floor_s", executemany),
            ("storage_floor_s", store),
        ):
            _fresh_copy(path, work)  # each import starts from the same journal
            started = time.perf_counter()
            action()
            timings[name].append(time.perf_counter() - started)
    _remove(work)
    _remove(raw)
    return {
        "rows": rows,
        "assessments": assessments,
        **{name: statistics.median(values) for name, values in timings.items()},
    }


# -- network ---------------------------------------------------------------------------------


def network_figures(path: Path) -> dict[str, Any]:
    """Full recompute of the network journal in a fresh process: time and peak memory; then,
    warm, one school's progress and one trainee's."""
    code = f"""
import resource, statistics, time
from ep_skills import open_journal
journal = open_journal({str(path)!r}, today=__import__("datetime").date(2026, 6, 30))
started = time.perf_counter()
states = journal.recompute()
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
people = journal.trainees()
school = sorted({{t.cohort for t in people if t.cohort.startswith("00-")}})

def timed(action):
    action()
    runs = []
    for _ in range(5):
        t = time.perf_counter(); action(); runs.append(time.perf_counter() - t)
    return statistics.median(runs)

cohorts = timed(lambda: [journal.cohort_progress(c) for c in school])
one = timed(lambda: journal.progress(people[0].id))
print(states, elapsed, peak, len(people), journal.storage.count_assessments(), cohorts, one)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    return {
        "states": int(out[0]),
        "recompute_s": float(out[1]),
        "peak_rss_mib": int(out[2]) / 1024,
        "trainees": int(out[3]),
        "assessments": int(out[4]),
        "school_progress_s": float(out[5]),
        "one_progress_s": float(out[6]),
        "file_mib": path.stat().st_size / 2**20,
    }


# -- PostgreSQL ------------------------------------------------------------------------------


class Server:
    """A PostgreSQL server for the benchmarks: set up for ep-skills, schools loaded by COPY.

    ``admin`` is a superuser's URL. The set-up makes the application's role
    (``ep_skills_app``) a login, as the tests' throwaway cluster does: use a disposable
    server. Each run loads new schools named ``<prefix>-…`` (evidence is append-only: nothing
    is deleted).
    """

    def __init__(self, admin: str, prefix: str) -> None:
        import psycopg

        from ep_skills.journal import postgres

        self.admin = admin
        self.prefix = prefix
        postgres.set_up(admin)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"ALTER ROLE {postgres.APP_ROLE} LOGIN")
            self.version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        rest = admin.split("://", 1)[1].split("@", 1)[-1].split("?", 1)[0]
        self.app = f"postgresql://{postgres.APP_ROLE}@{rest}"
        self.loads: dict[str, dict[str, Any]] = {}

    def url(self, name: str) -> str:
        return f"{self.app}?school={self.prefix}-{name}"

    def load(self, source: Path, name: str) -> str:
        """A new school holding the journal file's evidence; returns its URL."""
        self.loads[name] = copy_to_server(source, self.admin, self.app, f"{self.prefix}-{name}")
        return self.url(name)

    def replicate(self, source: str, name: str) -> str:
        """A new school holding a copy of a loaded school's journal, copied by the server."""
        self.loads[name] = replicate_school(
            self.admin, self.app, f"{self.prefix}-{source}", f"{self.prefix}-{name}"
        )
        return self.url(name)

    def connect(self, name: str) -> Any:
        """A bare connection as the application's role, the school set once (the floors')."""
        import psycopg

        conn = psycopg.connect(self.app, autocommit=True)
        conn.execute("SET search_path = ep_skills")
        conn.execute("SELECT set_config('ep_skills.school', %s, false)", (f"{self.prefix}-{name}",))
        return conn


@contextmanager
def _server(db: str) -> Iterator[str]:
    """The admin URL given, or a throwaway cluster started for the run (dev.py's)."""
    if db != "postgresql":
        yield db
        return
    sys.path.insert(0, str(HERE.parent))
    import dev

    with dev.postgres_server() as admin:
        if admin is None:
            raise SystemExit("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        yield admin


def pg_recompute_figures(
    server: Server, name: str, repeat: int, expected: Named | None = None
) -> dict[str, Any]:
    """The full recompute on the server, against the same floors and rival as on SQLite
    (written for PostgreSQL), results compared; and against the SQLite journal's states
    (``expected``: the same file, keyed by trainee name)."""
    import pandas as pd

    journal = open_journal(server.url(name), today=END)
    settings = _settings_of(journal)
    people = journal.trainees()
    codes = {d: sorted(journal.diploma(d).leaves) for d in {t.diploma for t in people}}
    conn = server.connect(name)
    floor_sql, _params = floor_query(settings, pg=True)
    bare_sql = bare_floor_query(settings, codes, pg=True)

    def pg_floor() -> States:
        return {(t, c): (s, st, n, k) for t, c, s, st, n, k in conn.execute(floor_sql)}

    def pg_bare() -> Scores:
        return {(t, c): (s, st) for t, c, s, st in conn.execute(bare_sql)}

    def pg_rival() -> States:
        cur = conn.execute(f"SELECT {_RIVAL_COLUMNS} FROM assessment")
        columns = [d.name for d in cur.description or ()]
        return _rival_of(pd.DataFrame(cur.fetchall(), columns=columns), settings)

    ours_states = ours(journal)
    scored = {k: v for k, v in ours_states.items() if v[0] is not None}
    floor_states, rival_states, bare_states = pg_floor(), pg_rival(), pg_bare()
    agree = scored == floor_states == rival_states
    if not agree or bare_states != {k: v[:2] for k, v in scored.items()}:
        raise SystemExit(
            f"the recomputes disagree on the server: {len(scored)} / {len(floor_states)} "
            f"/ {len(rival_states)} / {len(bare_states)} states"
        )
    if expected is not None:
        names = {t.id: t.name for t in people}
        mine = {(names[t], c): v for (t, c), v in ours_states.items()}
        if mine != expected:
            raise SystemExit("the server's states differ from the same journal's in SQLite")
    figures = {
        "states": len(scored),
        "same_as_sqlite": expected is not None,
        "ours_s": _time(lambda: ours(journal), repeat),
        "floor_s": _time(pg_floor, repeat),
        "bare_floor_s": _time(pg_bare, repeat),
        "rival_s": _time(pg_rival, max(1, repeat // 2)),
        "agree": agree,
    }
    conn.close()
    journal.close()
    return figures


def _states_by_name(path: Path) -> Named:
    journal = open_journal(path, today=END)
    names = {t.id: t.name for t in journal.trainees()}
    found = {(names[t], c): v for (t, c), v in ours(journal).items()}
    journal.close()
    return found


def pg_progress_figures(server: Server, name: str, repeat: int) -> dict[str, Any]:
    journal = open_journal(server.url(name), today=END)
    people = journal.trainees()
    one = people[len(people) // 2]
    journal.cohort_progress()  # warm
    journal.progress(one.id)
    cohort = _time(lambda: journal.cohort_progress(), repeat)
    single = _time(lambda: journal.progress(one.id), repeat * 4)
    conn = server.connect(name)
    cohort_floor = _time(lambda: conn.execute("SELECT * FROM competency_state").fetchall(), repeat)
    single_floor = _time(
        lambda: conn.execute(
            "SELECT * FROM competency_state WHERE trainee = %s", (one.id,)
        ).fetchall(),
        repeat * 4,
    )
    conn.close()
    journal.close()
    return {
        "trainees": len(people),
        "cohort_s": cohort,
        "cohort_floor_s": cohort_floor,
        "one_s": single,
        "one_floor_s": single_floor,
    }


def _load_writer(url: str, index: int, clients: int, stop: Any, ready: Any, out: Any) -> None:
    """One client of the load: its own Journal, recording tasks until told to stop."""
    journal = open_journal(url, today=END)
    people = journal.trainees()
    mine = people[index::clients] or people
    items = []
    for person in mine:
        task = next(
            t for t in journal.diploma(person.diploma).referential.tasks if len(t.competencies) >= 3
        )
        items.append((person.id, task.id, [link.code for link in task.competencies][:3]))
    ready.put(index)
    done = errors = 0
    latencies: list[float] = []
    for who, task_id, codes in itertools.cycle(items):
        if stop.is_set():
            break
        started = time.perf_counter()
        try:
            journal.record([who], task=task_id, day=END, levels=dict.fromkeys(codes, "V"))
            done += 1
            latencies.append(time.perf_counter() - started)
        except Exception as exc:  # reported, not fatal: what fails under load is a finding
            errors += 1
            if errors == 1:
                out.put(("error", index, repr(exc)))
    journal.close()
    out.put(("done", index, done, errors, latencies))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load_figures(server: Server, name: str, clients: int, seconds: float) -> dict[str, Any]:
    """One school's progress and one trainee's, p50 and p95, idle and then while ``clients``
    other processes (each its own Journal on the same school) record tasks continuously.

    Bounded: the writers stop after ``seconds`` of measuring; loopback only.
    """
    import multiprocessing

    url = server.url(name)
    journal = open_journal(url, today=END)
    people = journal.trainees()
    one = people[len(people) // 2]
    journal.cohort_progress()
    journal.progress(one.id)

    def sample(until: float) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {"school": [], "one": []}
        while time.perf_counter() < until or len(found["school"]) < 3:
            for key, action in (
                ("school", journal.cohort_progress),
                ("one", lambda: journal.progress(one.id)),
            ):
                started = time.perf_counter()
                action()
                found[key].append(time.perf_counter() - started)
        return found

    idle = sample(time.perf_counter() + min(seconds, 10))
    context = multiprocessing.get_context("spawn")
    stop, ready, out = context.Event(), context.Queue(), context.Queue()
    workers = [
        context.Process(target=_load_writer, args=(url, i, clients, stop, ready, out))
        for i in range(clients)
    ]
    for worker in workers:
        worker.start()
    try:
        for _worker in workers:
            ready.get(timeout=300)
        time.sleep(1)  # every writer is writing
        before = server_count = journal.storage.count_assessments()
        started = time.perf_counter()
        loaded = sample(started + seconds)
        elapsed = time.perf_counter() - started
        server_count = journal.storage.count_assessments()
    finally:
        stop.set()
    results: dict[int, tuple[int, int, list[float]]] = {}
    errors: list[str] = []
    deadline = time.perf_counter() + 120
    while len(results) < clients and time.perf_counter() < deadline:
        message = out.get(timeout=120)
        if message[0] == "error":
            errors.append(f"client {message[1]}: {message[2]}")
        else:
            results[message[1]] = (message[2], message[3], message[4])
    for worker in workers:
        worker.join(timeout=30)
        if worker.is_alive():
            worker.terminate()
    journal.close()
    write_latencies = [x for _d, _e, lat in results.values() for x in lat]

    def stats(values: list[float]) -> dict[str, float]:
        return {
            "p50_s": _percentile(values, 0.5),
            "p95_s": _percentile(values, 0.95),
            "n": len(values),
        }

    return {
        "clients": clients,
        "seconds": elapsed,
        "idle": {key: stats(values) for key, values in idle.items()},
        "loaded": {key: stats(values) for key, values in loaded.items()},
        "records": sum(d for d, _e, _l in results.values()),
        "write_errors": sum(e for _d, e, _l in results.values()),
        "errors": errors[:5],
        "assessments_during": server_count - before,
        "write": stats(write_latencies) if write_latencies else {},
    }


def pg_memory_figures(url: str) -> dict[str, Any]:
    """The full recompute of a school on the server in a fresh client process: wall time and
    the client's peak resident memory (``getrusage`` ``ru_maxrss``: the whole process,
    interpreter and plugins included), before and after."""
    code = f"""
import resource, time
from ep_skills import open_journal
journal = open_journal({url!r}, today=__import__("datetime").date(2026, 6, 30))
journal.trainees()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
states = journal.recompute()
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(states, elapsed, before, peak, journal.storage.count_assessments())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the recompute failed: {done.stderr.strip()[-2000:]}")
    out = done.stdout.split()
    return {
        "states": int(out[0]),
        "recompute_s": float(out[1]),
        "rss_before_mib": int(out[2]) / 1024,
        "peak_rss_mib": int(out[3]) / 1024,
        "assessments": int(out[4]),
    }


def run_on_server(
    admin: str, args: argparse.Namespace, folder: Path, repeat: int
) -> dict[str, Any]:
    prefix = "bench-" + time.strftime("%Y%m%d%H%M%S")
    server = Server(admin, prefix)
    source = folder / f"{args.preset}.db"
    figures: dict[str, Any] = {
        "preset": args.preset,
        "backend": "postgresql",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, PostgreSQL {server.version} (loopback), client psycopg",
        "date": date.today().isoformat(),
        "schools_prefix": prefix,
    }
    print(f"loading {source.name} into school {prefix}-{args.preset} …", flush=True)
    url = server.load(source, args.preset)
    expected = _states_by_name(source)
    figures["recompute"] = pg_recompute_figures(server, args.preset, repeat, expected)
    figures["progress"] = pg_progress_figures(server, args.preset, repeat)
    figures["memory"] = pg_memory_figures(url)
    sizes = [2_000, 10_000] if args.quick else [10_000, 100_000, 1_000_000]
    figures["write"] = write_figures(folder, sizes, repeat, server)
    figures["load"] = load_figures(
        server, args.preset, args.clients, 3.0 if args.quick else args.load_seconds
    )
    figures["cold_start"] = cold_start_figures(url, repeat)
    if args.schools > 1:
        try:
            figures["network_like"] = _network_like(server, args, source, url, repeat)
        except Exception as exc:  # the figures above are kept; the failure is reported
            figures["network_like_error"] = repr(exc)
            print(f"network-like measure failed: {exc!r}", file=sys.stderr)
    figures["loads"] = server.loads
    return figures


def database_figures(server: Server) -> dict[str, Any]:
    """The whole database as its administrator sees it: rows of evidence, schools, size."""
    import psycopg

    with psycopg.connect(server.admin, autocommit=True) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM ep_skills.assessment), "
            "(SELECT count(*) FROM ep_skills.trainee), "
            "(SELECT count(*) FROM ep_skills.school), "
            "pg_database_size(current_database())"
        ).fetchone()
    assert row is not None
    return {"assessments": row[0], "trainees": row[1], "schools": row[2], "bytes": row[3]}


def federation_figures(server: Server) -> dict[str, Any]:
    """The federation's two views over every school, read as the network role (cold: the
    first read after the load; then warm)."""
    import psycopg

    from ep_skills.journal import postgres

    figures: dict[str, Any] = {}
    with psycopg.connect(server.admin, autocommit=True) as conn:
        conn.execute(f"SET ROLE {postgres.NETWORK_ROLE}")
        for view in ("network_progress", "network_activity"):
            started = time.perf_counter()
            rows = conn.execute(f"SELECT * FROM ep_skills.{view}").fetchall()
            first = time.perf_counter() - started
            # At a network's size a read takes minutes: read it once more, not five times.
            figures[view] = {
                "rows": len(rows),
                "first_s": first,
                "warm_s": _time(
                    lambda v=view: conn.execute(f"SELECT * FROM ep_skills.{v}").fetchall(), 1
                ),
            }
    return figures


def _network_like(
    server: Server, args: argparse.Namespace, source: Path, url: str, repeat: int
) -> dict[str, Any]:
    """More schools in the same tables (copies of the first, made by the server), then the
    first school measured again: a network's server when ``--schools 67``."""
    from concurrent.futures import ThreadPoolExecutor

    def copy(i: int) -> None:
        server.replicate(args.preset, f"{args.preset}-copy{i}")
        print(f"copied school {i + 1} of {args.schools}", flush=True)

    started = time.perf_counter()
    # One copy per core at a time: each is bound by the server's index maintenance.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(copy, range(1, args.schools)))
    loading_s = time.perf_counter() - started
    import psycopg

    with psycopg.connect(server.admin, autocommit=True) as conn:
        conn.execute("ANALYZE")  # as autovacuum would, in time, on a school's server
    # The copies carry the states computed for the first school: check one against a
    # recompute of its own rows (the same rows and settings must give the same states).
    copy = open_journal(server.url(f"{args.preset}-copy1"), today=END)
    carried = ours(copy)
    copy.recompute()
    if ours(copy) != carried:
        raise SystemExit("a copied school's states differ from a recompute of its rows")
    copy.close()
    conn = server.connect(args.preset)
    total = conn.execute("SELECT count(*) FROM assessment").fetchone()
    conn.close()
    return {
        "schools": args.schools,
        "copy_s": loading_s,
        "school_assessments": total[0] if total else 0,
        "database": database_figures(server),
        "federation": federation_figures(server),
        "progress": pg_progress_figures(server, args.preset, repeat),
        "memory": pg_memory_figures(url),
        "load": load_figures(
            server, args.preset, args.clients, 3.0 if args.quick else args.load_seconds
        ),
    }


# -- report ----------------------------------------------------------------------------------


def _ratio_rows(figures: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows = []
    r = figures.get("recompute")
    if r:
        rows.append(
            (
                "full recompute vs floor (same states and tallies, one query)",
                f"{r['ours_s'] / r['floor_s']:.2f}×",
                "≤ 1.5×",
                f"{r['ours_s']:.3f} s / {r['floor_s']:.3f} s, {r['states']:,} states",
            )
        )
        rows.append(
            (
                "full recompute vs bare floor (score and state only)",
                f"{r['ours_s'] / r['bare_floor_s']:.2f}×",
                "≤ 1.5×",
                f"{r['ours_s']:.3f} s / {r['bare_floor_s']:.3f} s: reads only the rows the "
                "method needs, not the tallies",
            )
        )
        rows.append(
            (
                "full recompute: pandas rival vs ep-skills",
                f"{r['rival_s'] / r['ours_s']:.1f}×",
                "≥ 5×",
                f"{r['rival_s']:.3f} s / {r['ours_s']:.3f} s",
            )
        )
    p = figures.get("progress")
    if p:
        rows.append(
            (
                "school progress (warm) vs reading stored states",
                f"{p['cohort_s'] / p['cohort_floor_s']:.1f}×",
                "≤ 50 ms",
                f"{p['cohort_s'] * 1000:.1f} ms, {p['trainees']} trainees",
            )
        )
        rows.append(
            (
                "one trainee's progress (warm) vs reading stored states",
                f"{p['one_s'] / p['one_floor_s']:.1f}×",
                "≤ 5 ms",
                f"{p['one_s'] * 1000:.2f} ms",
            )
        )
    w = figures.get("write")
    if w:
        sizes = sorted(w, key=int)
        smallest, largest = w[sizes[0]]["seconds"], w[sizes[-1]]["seconds"]
        detail = ", ".join(
            f"{w[s]['assessments']:,}: {w[s]['seconds'] * 1000:.1f} ms" for s in sizes
        )
        rows.append(
            (
                "write + read, largest journal vs smallest",
                f"{largest / smallest:.2f}×",
                "≤ 1.3×",
                detail,
            )
        )
    c = figures.get("cold_start")
    if c:
        rows.append(
            (
                "CLI cold start vs import floor",
                f"{c['cli_s'] / c['imports_s']:.2f}×",
                "≤ 1.5×",
                f"{c['cli_s'] * 1000:.0f} ms / {c['imports_s'] * 1000:.0f} ms "
                f"(python -c pass: {c['pass_s'] * 1000:.0f} ms)",
            )
        )
    i = figures.get("import")
    if i:
        rows.append(
            (
                f"import {i['rows']:,} CSV rows vs raw executemany of the rows",
                f"{i['ours_s'] / i['floor_s']:.1f}×",
                "≤ 2×",
                f"{i['ours_s']:.2f} s / {i['floor_s']:.2f} s (a bare table, no index)",
            )
        )
        rows.append(
            (
                "import vs storing the journal's rows for them",
                f"{i['ours_s'] / i['storage_floor_s']:.1f}×",
                "—",
                f"{i['ours_s']:.2f} s / {i['storage_floor_s']:.2f} s "
                f"({i['assessments']:,} assessments, records and links, indexed)",
            )
        )
    m = figures.get("memory")
    if m:
        rows.append(
            (
                "full recompute, client peak memory (ru_maxrss)",
                f"{m['peak_rss_mib']:.0f} MiB",
                "≤ 2048 MiB",
                f"{m['recompute_s']:.2f} s for {m['assessments']:,} assessments; "
                f"{m['rss_before_mib']:.0f} MiB before the recompute",
            )
        )
    for key, label in (("load", ""), ("network_like", "network-like: ")):
        section = figures.get(key)
        if not section:
            continue
        if key == "network_like":
            n_like = section
            p2 = section["progress"]
            rows.append(
                (
                    f"network-like ({section['schools']} schools, "
                    f"{section['school_assessments']:,} assessments of one school): progress",
                    f"{p2['cohort_s'] * 1000:.1f} ms",
                    "≤ 50 ms",
                    f"one trainee: {p2['one_s'] * 1000:.2f} ms; recompute of one school "
                    f"{n_like['memory']['recompute_s']:.2f} s, peak "
                    f"{n_like['memory']['peak_rss_mib']:.0f} MiB",
                )
            )
            db = section.get("database")
            if db:
                rows.append(
                    (
                        "network-like: the whole database",
                        f"{db['assessments']:,} assessments",
                        "—",
                        f"{db['schools']} schools, {db['trainees']:,} trainees, "
                        f"{db['bytes'] / 2**30:.1f} GiB; the copies made in "
                        f"{section['copy_s'] / 60:.0f} min",
                    )
                )
            for view, seen in section.get("federation", {}).items():
                rows.append(
                    (
                        f"network-like: the federation's {view} (network role)",
                        f"{seen['warm_s']:.2f} s",
                        "—",
                        f"{seen['rows']:,} rows; first read {seen['first_s']:.2f} s",
                    )
                )
            section = section["load"]
        loaded, idle = section["loaded"], section["idle"]
        rows.append(
            (
                f"{label}school progress under {section['clients']} writers, p50 / p95",
                f"{loaded['school']['p95_s'] * 1000:.0f} ms (p95)",
                "≤ 100 ms",
                f"p50 {loaded['school']['p50_s'] * 1000:.0f} ms; idle p50 / p95 "
                f"{idle['school']['p50_s'] * 1000:.0f} / {idle['school']['p95_s'] * 1000:.0f} ms; "
                f"{loaded['school']['n']} reads",
            )
        )
        rows.append(
            (
                f"{label}one trainee's progress under {section['clients']} writers, p50 / p95",
                f"{loaded['one']['p95_s'] * 1000:.1f} ms (p95)",
                "≤ 10 ms",
                f"p50 {loaded['one']['p50_s'] * 1000:.1f} ms; idle p50 / p95 "
                f"{idle['one']['p50_s'] * 1000:.1f} / {idle['one']['p95_s'] * 1000:.1f} ms; "
                f"writers: {section['records']:,} records in {section['seconds']:.0f} s, "
                f"{section['write_errors']} errors",
            )
        )
    n = figures.get("network")
    if n:
        rows.append(
            (
                "network recompute, peak memory",
                f"{n['peak_rss_mib']:.0f} MiB",
                "≤ 2048 MiB",
                f"{n['recompute_s']:.0f} s for {n['assessments']:,} assessments, "
                f"{n['trainees']:,} trainees, {n['states']:,} states, "
                f"{n['file_mib']:,.0f} MiB file",
            )
        )
        rows.append(
            (
                "network: one school's progress, one trainee's (warm)",
                f"{n['school_progress_s'] * 1000:.0f} ms",
                "≤ 50 ms",
                f"one trainee: {n['one_progress_s'] * 1000:.2f} ms (≤ 5 ms)",
            )
        )
    return rows


def print_table(figures: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"ep-skills benchmarks — {figures['preset']} — {figures['machine']}",
        title_justify="left",
    )
    for header in ("measure", "ratio", "target", "detail"):
        table.add_column(header)
    for row in _ratio_rows(figures):
        table.add_row(*row)
    Console(width=140).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="school")
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep generated journals here (default: a temporary folder)",
    )
    parser.add_argument("--output", type=Path, default=None, help="JSON file for raw figures")
    parser.add_argument(
        "--db",
        default=None,
        help="run on PostgreSQL: 'postgresql' starts a throwaway cluster for the run (dev.py's); "
        "or a superuser's URL postgresql://user@host:port/db of a disposable server",
    )
    parser.add_argument(
        "--clients", type=int, default=16, help="writers of the load test (PostgreSQL)"
    )
    parser.add_argument(
        "--load-seconds", type=float, default=20.0, help="length of the load test (PostgreSQL)"
    )
    parser.add_argument(
        "--schools",
        type=int,
        default=1,
        help="PostgreSQL: then load this many schools in all (copies of the preset's journal) "
        "and measure again: a network-like server",
    )
    args = parser.parse_args(argv)
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="ep-skills-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    repeat = 2 if args.quick else 5
    journal = folder / f"{args.preset}.db"
    if not journal.exists():
        print(f"generating the {args.preset} journal in {journal} …", flush=True)
        generate(journal, PRESETS[args.preset], seed=1)
    figures: dict[str, Any] = {
        "preset": args.preset,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        "date": date.today().isoformat(),
    }
    if args.db is not None:
        if args.preset == "network":
            parser.error("on PostgreSQL, use --schools for a network-like server")
        with _server(args.db) as admin:
            figures = run_on_server(admin, args, folder, repeat)
    elif args.preset == "network":
        figures["network"] = network_figures(journal)
    else:
        figures["recompute"] = recompute_figures(journal, repeat)
        figures["progress"] = progress_figures(journal, repeat)
        sizes = [2_000, 10_000] if args.quick else [10_000, 100_000, 1_000_000]
        figures["write"] = write_figures(folder, sizes, repeat)
        figures["cold_start"] = cold_start_figures(journal, repeat)
        figures["import"] = import_figures(journal, folder, 2_000 if args.quick else 100_000)
    suffix = "" if args.db is None else "-postgresql"
    output = args.output or HERE / "results" / f"{args.preset}{suffix}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print_table(figures)
    print(f"raw figures: {output}")
    if args.workdir is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
