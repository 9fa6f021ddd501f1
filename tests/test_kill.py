"""Nothing lost on a crash: a process killed (SIGKILL, no clean-up of any kind) at a random
point of an import, of recording, and of a full recompute — 20 times each — leaves a journal
that passes SQLite's integrity check and the journal's own checks, holds all or none of the
interrupted write, and opens with states equal to a full recompute.

Each kill lands while the operation runs: the child says when it starts, and the parent
waits a random share of the time the operation takes before killing it (seeded: a failure
names its seed).
"""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from ep_skills.api import open_journal

pytestmark = pytest.mark.sqlite_only  # a process killed over a file

TODAY = date(2026, 11, 20)
KILLS = 20
TASK = "reception-livraison"  # two competencies: two assessments per trainee and record
TRAINEES = [f"Jeune {i:02d}" for i in range(12)]
ROWS = 600  # the import file

CHILD = r"""
import sys
from datetime import date, timedelta
from ep_skills.api import open_journal
from ep_skills.importing import import_file

path, operation = sys.argv[1], sys.argv[2]
journal = open_journal(path, today=date(2026, 11, 20))
journal.trainees()  # referentials and plugins loaded before the signal to kill
print("ready", flush=True)
if operation == "import":
    import_file(journal, sys.argv[3])
elif operation == "record":
    for i in range(100000):
        journal.record([f"Jeune {i % 12:02d}"], task="reception-livraison",
                       day=date(2026, 9, 1) + timedelta(days=i % 80))
elif operation == "recompute":
    while True:
        journal.recompute()
print("done", flush=True)
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("kill")
    path = folder / "template.db"
    with open_journal(path, create=True, today=TODAY) as journal:
        for name in TRAINEES:
            journal.add_trainee(name, diploma="cap-psr", cohort="2026")
        for i in range(60):
            journal.record(
                [TRAINEES[i % 12], TRAINEES[(i + 5) % 12]],
                task=TASK,
                day=date(2026, 9, 1 + i % 28),
            )
    rows = ["date;apprenti;tache"]
    for i in range(ROWS):  # a day each: no row is another's
        day = date(2025, 1, 1) + timedelta(days=i)
        rows.append(f"{day:%d/%m/%Y};{TRAINEES[i % 12]};{TASK if i % 3 else 'rangement-stocks'}")
    sheet = folder / "fiches.csv"
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path, sheet


def _assessments(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT count(*) FROM assessment").fetchone()[0])
    finally:
        db.close()


def _run(path: Path, operation: str, *extra: str, kill_after: float | None) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), operation, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip() == "ready", child.stderr.read() if child.stderr else line
    if kill_after is None:
        child.wait(timeout=120)
        assert child.returncode == 0, child.stderr.read() if child.stderr else ""
        return
    time.sleep(kill_after)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)


def _duration(template: Path, work: Path, operation: str, *extra: str) -> tuple[float, int]:
    """How long the operation takes here (to kill it inside that time), and how many
    assessments it adds when it is not interrupted (an import: the whole file)."""
    copy = work / f"timing-{operation}.db"
    shutil.copy(template, copy)
    if operation != "import":
        return 1.0, 0  # an endless loop: killed within its first second
    started = time.perf_counter()
    _run(copy, operation, *extra, kill_after=None)
    return time.perf_counter() - started, _assessments(copy) - _assessments(template)


def _check(path: Path, seed: int) -> None:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", seed
    finally:
        db.close()
    with open_journal(path, today=TODAY) as journal:  # the next one to open it
        assert journal.storage.verify() == [], seed  # type: ignore[attr-defined]
        shown = {t.name: journal.progress(t) for t in journal.trainees()}
        journal.recompute()
        assert {t.name: journal.progress(t) for t in journal.trainees()} == shown, seed


@pytest.mark.parametrize("operation", ["import", "record", "recompute"])
def test_a_process_killed_at_any_point_loses_nothing_and_halves_nothing(
    template: tuple[Path, Path], tmp_path: Path, operation: str
) -> None:
    journal, sheet = template
    extra = (str(sheet),) if operation == "import" else ()
    before = _assessments(journal)
    took, whole = _duration(journal, tmp_path, operation, *extra)
    written = []  # how many assessments each interrupted run had committed
    for seed in range(KILLS):
        chance = random.Random(seed)
        path = tmp_path / f"{operation}-{seed}.db"
        shutil.copy(journal, path)
        _run(path, operation, *extra, kill_after=chance.uniform(0.0, took))
        _check(path, seed)
        added = _assessments(path) - before
        if operation == "import":
            # One transaction: all of the file's rows, or none.
            assert added in (0, whole), (seed, added)
        elif operation == "record":
            assert added % 2 == 0, (seed, added)  # whole records only
        else:
            assert added == 0, seed
        written.append(added)
    if operation == "import":
        assert whole == 2 * ROWS  # the file's every row, two competencies each
        # Not vacuous: some kills landed before the commit (and possibly some after).
        assert written.count(0) > 0, written
    if operation == "record":
        # Not vacuous: some kills landed after records were committed.
        assert max(written) > 0, written
