"""The benchmarks run on the tiny preset: the script works and the three recomputes agree.

Timings are printed by the benchmark, never asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def quick_run(
    script: str, tmp_path: Path, output: Path, *more: str
) -> subprocess.CompletedProcess[str]:
    """A benchmark script on the tiny preset, quick, its journals and figures in ``tmp_path``."""
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / script),
            "--preset",
            "tiny",
            "--quick",
            "--workdir",
            str(tmp_path / "work"),
            "--output",
            str(output),
            *more,
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_benchmark_runs_on_the_tiny_preset_and_the_recomputes_agree(tmp_path: Path) -> None:
    output = tmp_path / "tiny.json"
    done = quick_run("run.py", tmp_path, output)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(output.read_text(encoding="utf-8"))
    # run.py exits with an error when ep-skills, the SQL floor and pandas disagree.
    assert figures["recompute"]["agree"] is True
    assert figures["recompute"]["states"] > 100
    for section in ("recompute", "progress", "write", "cold_start", "import"):
        assert section in figures
    assert figures["import"]["assessments"] > 0
    for line in ("full recompute vs floor", "CLI cold start", "import"):
        assert line in done.stdout


@pytest.mark.sqlite_only  # the floor reads the generated file (a server's: the test below)
def test_floor_query_matches_the_engine_on_a_generated_journal(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import PRESETS, generate
        from run import END, _settings_of, bare_floor, floor, network_figures, ours, rival
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    from ep_skills import open_journal

    path = tmp_path / "j.db"
    generate(path, PRESETS["tiny"], seed=3)
    journal = open_journal(path, today=END)
    settings = _settings_of(journal)
    mine = {k: v for k, v in ours(journal).items() if v[0] is not None}
    assert mine == floor(path, settings)
    assert mine == rival(path, settings)
    codes = {d: sorted(journal.diploma(d).leaves) for d in {t.diploma for t in journal.trainees()}}
    assert bare_floor(path, settings, codes) == {k: v[:2] for k, v in mine.items()}
    # Not vacuous: the journal holds every state and corrections.
    assert {state for _score, state, _n, _k in mine.values()} == {"NA", "VA", "A"}
    assert (
        journal.storage.connection.execute(
            "SELECT count(*) FROM assessment WHERE supersedes IS NOT NULL"
        ).fetchone()[0]
        > 0
    )
    journal.close()
    # The network measure (run on demand on 30 million assessments) works on any journal.
    network = network_figures(path)
    assert network["states"] == len(ours(open_journal(path, today=END)))
    assert network["assessments"] > 1000 and network["peak_rss_mib"] > 0


@pytest.mark.postgresql
def test_benchmark_runs_on_the_server_and_its_states_agree(
    tmp_path: Path, postgresql_server: str
) -> None:
    output = tmp_path / "tiny-postgresql.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--preset",
            "tiny",
            "--quick",
            "--db",
            os.environ["EP_SKILLS_TEST_POSTGRESQL"],
            "--workdir",
            str(tmp_path / "work"),
            "--output",
            str(output),
            "--schools",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(output.read_text(encoding="utf-8"))
    assert figures["recompute"]["agree"] is True
    assert "load" in json.dumps(figures)
    # A second school copied by the server (its states checked against a recompute), the
    # first measured again among them, the federation's views read as the network role.
    network = figures["network_like"]
    assert network["database"]["schools"] >= 2
    assert network["school_assessments"] == network["memory"]["assessments"]
    assert all(view["rows"] > 0 for view in network["federation"].values())
    assert network["load"]["write_errors"] == 0


@pytest.mark.sqlite_only  # the bench page's benchmark serves a generated file
def test_the_bench_page_benchmark_runs_and_prints_its_targets(tmp_path: Path) -> None:
    output = tmp_path / "web.json"
    done = quick_run("web.py", tmp_path, output)
    assert done.returncode == 0, done.stdout + done.stderr
    (figures,) = json.loads(output.read_text(encoding="utf-8"))
    for page in ("record (POST)", "record form", "trainee page", "static file (floor)"):
        assert figures["pages"][page]["requests"] > 0, page
    for line in ("target p95 ≤ 100 ms, trainee page", "vs floor", "vs rival", "bytes"):
        assert line in done.stdout
