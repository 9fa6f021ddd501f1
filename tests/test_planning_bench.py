"""The planning benchmark runs on its tiny instance: the script works, every plan keeps the
rules (the script stops if one does not), and the table is printed.

Timings are printed by the benchmark, never asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_planning_benchmark_runs_on_its_quick_instance(tmp_path: Path) -> None:
    output = tmp_path / "planning.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "planning.py"),
            "--quick",
            "--reference",
            "1",
            "--out",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for line in ("ep-skills plan — quick", "solve", "exact", "heuristic", "naive", "reference"):
        assert line in done.stdout
    figures = json.loads(output.read_text(encoding="utf-8"))["quick"]
    methods = figures["methods"]
    assert set(methods) == {"solve", "exact", "heuristic", "naive", "reference"}
    # Not vacuous: the instance has work to share, and the bound holds every plan.
    assert figures["needed_places"] > 0 and methods["naive"]["staffed"] > 0
    assert all(m["value"] <= figures["bound"] for m in methods.values())
    assert methods["heuristic"]["closed"] >= methods["naive"]["closed"]
