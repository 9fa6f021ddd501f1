#!/usr/bin/env python3
"""One entry point for a fresh clone: `python3 dev.py demo` and `python3 dev.py test`.

Needs only Python 3.11+ and the package registry. It creates `.venv`, installs uv in it, and
lets uv install the project, its diploma plugins and the test tools exactly as `uv.lock` pins
them. Then:

    demo   build a demo workshop in ep-skills-demo.db and show its progress
    test   lint (ruff), type-check (mypy) and run the whole test suite (pytest)
    setup  only install
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
DEMO_DB = ROOT / "ep-skills-demo.db"


def run(*args: str | os.PathLike[str], check: bool = True) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=check).returncode


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit("ep-skills needs Python 3.11 or newer")
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    # --inexact keeps uv itself in the environment it installs into;
    # --all-packages: the core and every diploma plugin of the workspace (plugins/*).
    run(
        _uv(),
        "sync",
        "--locked",
        "--all-packages",
        "--inexact",
        "--quiet",
        "--python",
        str(BIN / "python"),
    )


def _uv() -> str:
    """uv from the environment, else from the PATH, else installed into the environment."""
    if (BIN / "uv").exists():
        return str(BIN / "uv")
    found = shutil.which("uv")
    if found:
        return found
    # An environment made by uv itself has no pip: bootstrap it first.
    check = [str(BIN / "python"), "-m", "pip", "--version"]
    if subprocess.run(check, capture_output=True, check=False).returncode:
        run(BIN / "python", "-m", "ensurepip", "--upgrade")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "uv")
    return str(BIN / "uv")


def demo() -> int:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DEMO_DB}{suffix}").unlink(missing_ok=True)
    return run(BIN / "ep-skills", "--db", DEMO_DB, "demo", check=False)


def test(extra: list[str]) -> int:
    code = [p for p in ("src", "tests", "plugins", "benchmarks", "dev.py") if (ROOT / p).exists()]
    steps = [
        [BIN / "ruff", "check", *code],
        [BIN / "ruff", "format", "--check", *code],
        [BIN / "mypy"],
        [BIN / "pytest", *extra],
    ]
    for step in steps:
        code = run(*step, check=False)
        if code:
            return code
    return 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "help"
    if command not in ("demo", "test", "setup"):
        print(__doc__)
        return 0 if command in ("help", "-h", "--help") else 2
    setup()
    if command == "demo":
        return demo()
    if command == "test":
        return test(argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
