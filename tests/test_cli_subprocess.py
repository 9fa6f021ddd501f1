"""The installed ``ep-skills`` console script, run for real in a child process.

This is what a user gets: the entry point (``ep_skills.cli:main``), the language chosen before
anything else, errors on stderr with no traceback, colours only on a terminal and never with
``NO_COLOR``. The colour tests run the program on a pseudo-terminal, where it does colour by
default: that is what makes the NO_COLOR check able to fail.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TIMEOUT = 120


def script() -> str:
    """The console script of the environment running the tests."""
    beside = Path(sys.executable).parent / "ep-skills"
    if beside.exists():
        return str(beside)
    found = shutil.which("ep-skills")
    assert found, "the ep-skills console script is not installed"
    return found


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EP_SKILLS_", "LC_", "FORCE_COLOR", "NO_COLOR", "COLUMNS"))
        and k not in ("LANG", "LANGUAGE", "TERM")
    }
    env.update(extra)
    return env


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [script(), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=clean_env(**env),
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def run_on_terminal(*args: str, **env: str) -> tuple[int, str, str]:
    """Run with stdout on a pseudo-terminal; returns (exit code, terminal output, stderr)."""
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            [script(), *args],
            stdout=slave,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=clean_env(TERM="xterm-256color", **env),
        )
    finally:
        os.close(slave)
    chunks = []
    try:
        while True:
            ready, _w, _x = select.select([master], [], [], TIMEOUT)
            if not ready:
                process.kill()
                pytest.fail("ep-skills did not finish on the terminal")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        _out, err = process.communicate(timeout=TIMEOUT)
    finally:
        os.close(master)
    return process.returncode, b"".join(chunks).decode("utf-8", "replace"), err.decode()


def test_demo_prints_the_matrix(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    done = run("--lang", "en", "--db", str(db), "demo", "--trainees", "3")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout
    assert out.startswith(f"Demo journal {db}: 3 trainees, ")
    header = next(line for line in out.splitlines() if "trainee" in line and "CP01" in line)
    for code in ("CP01", "CP02", "CP03", "CP04", "CP05", "CP06", "CP07", "readiness"):
        assert code in header
    listed = run("--lang", "en", "--db", str(db), "trainee", "list", "--format", "json")
    names = [row["name"] for row in json.loads(listed.stdout)]
    assert len(names) == 3
    matrix_rows = [line for line in out.splitlines() if any(name in line for name in names)]
    assert len(matrix_rows) >= 3
    assert 'progress "' in out.splitlines()[-2]
    assert "serve" in out.splitlines()[-1] and "demo-atelier" in out.splitlines()[-1]
    assert not ANSI.search(out)  # not a terminal: no colour codes


def test_missing_journal_in_french(tmp_path: Path) -> None:
    missing = tmp_path / "absent.db"
    done = run("--lang", "fr", "--db", str(missing), "progress", "X")
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert lines[0].startswith("Erreur : ")
    assert "ep-skills init" in lines[0]
    assert not missing.exists()


def test_french_from_the_locale(tmp_path: Path) -> None:
    done = run("--db", str(tmp_path / "absent.db"), "progress", "X", LANG="fr_FR.UTF-8")
    assert done.returncode == 1
    assert done.stderr.startswith("Erreur : ")
    done = run("--db", str(tmp_path / "absent.db"), "progress", "X", LANG="C")
    assert done.stderr.startswith("Error: ")


def test_help_in_french_and_english() -> None:
    french = run("--lang", "fr", "--help")
    assert french.returncode == 0
    assert french.stdout.startswith("Utilisation : ep-skills ")
    assert "Afficher ce message et quitter." in french.stdout
    english = run("--lang", "en", "--help")
    assert english.stdout.startswith("Usage: ep-skills ")
    assert "Show this message and exit." in english.stdout


def test_a_crash_free_usage_error() -> None:
    done = run("--lang", "en", "record", "Léa Martin", "--date", "32/13/2026")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "is not a date" in done.stderr


def test_version() -> None:
    done = run("--version")
    assert done.returncode == 0
    assert re.fullmatch(r"ep-skills, version \d+\.\d+\.\d+\S*\n", done.stdout), done.stdout


def test_colours_on_a_terminal_but_not_with_no_color(tmp_path: Path) -> None:
    code, coloured, err = run_on_terminal(
        "--lang", "en", "--db", str(tmp_path / "a.db"), "demo", "--trainees", "2"
    )
    assert code == 0, err
    assert ANSI.search(coloured), "no colour on a terminal: this test could not fail"
    code, plain, err = run_on_terminal(
        "--lang", "en", "--db", str(tmp_path / "b.db"), "demo", "--trainees", "2", NO_COLOR="1"
    )
    assert code == 0, err
    assert "CP01" in plain
    assert not ANSI.search(plain), repr(ANSI.search(plain))
