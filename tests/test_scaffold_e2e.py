"""The plugin author's path, end to end: scaffold → build a wheel → fresh venv → test → list.

This is slow (it builds and installs into a new virtual environment), but it is the one test
that proves a plugin made by ``ep-skills plugin new`` works from a wheel, not only in place.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ep_skills.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def _uv() -> str:
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.exists() else shutil.which("uv")
    assert found, "uv is installed by dev.py; run the suite through it"
    return found


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_scaffolded_plugin_installs_from_a_wheel_and_passes_its_tests(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--lang",
            "en",
            "plugin",
            "new",
            "CAP Ébéniste",
            "--rncp",
            "RNCP12345",
            "--directory",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    plugin = tmp_path / "ep-skills-cap-ebeniste"
    assert (plugin / "src" / "ep_skills_cap_ebeniste" / "referential.toml").is_file()

    uv = _uv()
    _run(uv, "build", "--wheel", "--out-dir", tmp_path / "dist", plugin)
    (wheel,) = (tmp_path / "dist").glob("ep_skills_cap_ebeniste-*.whl")
    venv = tmp_path / "venv"
    _run(uv, "venv", "--quiet", venv, "--python", sys.executable)
    python = venv / "bin" / "python"
    _run(uv, "pip", "install", "--quiet", "--python", python, ROOT, wheel, "pytest")

    # Installed from the wheel: the package is in site-packages, not in the scaffold folder.
    where = _run(python, "-c", "import ep_skills_cap_ebeniste as p; print(p.__file__)")
    assert str(tmp_path / "venv") in where

    listed = json.loads(_run(venv / "bin" / "ep-skills", "diplomas", "--format", "json"))
    ebeniste = next(d for d in listed if d["id"] == "cap-ebeniste")
    assert ebeniste["kind"] == "CAP"
    assert ebeniste["rncp"] == "RNCP12345"
    assert ebeniste["provenance"]["draft"] >= 1

    report = _run(
        venv / "bin" / "python",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        plugin / "tests",
        cwd=tmp_path,
    )
    assert " passed" in report and "failed" not in report
