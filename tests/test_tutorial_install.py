"""Installing without the repository: section 1 of docs/plugins/tutorial.md, run as written.

The wheels are built once per session from the current source, by the function behind
``python3 dev.py wheels``. The ``sh`` blocks between the ``<!-- tutorial-install`` marks of the
tutorial then run, in order, as one ``sh -e`` script in an empty folder, with only the
``WHEELS=`` line changed to the built wheels' folder: a fresh ``python3 -m venv`` (``python3``
being the interpreter of this test run), the core wheel installed by pip with ``[testing]``,
``ep-skills plugin new``, the plugin installed, its conformance suite run by the environment's
pytest, ``ep-skills diplomas``, a shipped plugin that includes the shared fragment.

pip fetches the core's dependencies from the package index (its cache makes later runs fast).
Without the index the test is skipped, except under CI (``$CI`` set), where it fails.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shlex
import stat
import subprocess
import sys
import tomllib
import urllib.request
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

import ep_skills.testing
from ep_skills.scaffold import new_plugin

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "plugins" / "tutorial.md"
BEGIN = "<!-- tutorial-install"
END = "<!-- /tutorial-install -->"
PLUGINS = sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ep_skills_dev", ROOT / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tutorial_blocks() -> list[str]:
    """The ``sh`` blocks between the marks of the tutorial's install section."""
    text = TUTORIAL.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1, "one marked install section"
    section = text[text.index(BEGIN) : text.index(END)]
    return re.findall(r"^```sh\n(.*?)^```$", section, re.S | re.M)


def tutorial_script(wheels: Path) -> str:
    """The blocks as one script, the reader's ``WHEELS=`` line pointing to ``wheels``."""
    script = "".join(tutorial_blocks())
    line = re.compile(r"^WHEELS=.*$", re.M)
    assert len(line.findall(script)) == 1, "the reader sets WHEELS on one line"
    return line.sub(lambda _m: f"WHEELS={shlex.quote(str(wheels))}", script)


def conformance_tests() -> int:
    return sum(name.startswith("test_") for name in vars(ep_skills.testing.ReferentialConformance))


@pytest.fixture(scope="session")
def index() -> None:
    """The package index answers: uv fetches the build backend there, pip the dependencies."""
    target = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/")
    try:
        with urllib.request.urlopen(f"{target}/pip/", timeout=15) as response:
            response.read(1)
    except OSError as error:
        message = f"the package index {target} is unreachable ({error})"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: CI must reach it")
        pytest.skip(f"{message} (outside CI: skipped)")


@pytest.fixture(scope="session")
def wheels(index: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheels of the core and of every plugin, built once per session from the source."""
    out = tmp_path_factory.mktemp("wheels")
    built = _dev().wheels(out)
    assert {w.name.split("-")[0] for w in built} == {
        "ep_skills",
        *(p.name.replace("-", "_") for p in PLUGINS),
    }
    return out


def _environment(shims: Path) -> dict[str, str]:
    """This environment without the project's virtual environment; ``python3`` is this one's."""
    shims.mkdir()
    base = str(getattr(sys, "_base_executable", sys.executable))  # not a venv's python
    python3 = shims / "python3"
    python3.write_text(f'#!/bin/sh\nexec {shlex.quote(base)} "$@"\n')
    python3.chmod(0o755)
    ours = {Path(sys.prefix) / "bin", Path(sys.executable).parent}
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and Path(p) not in ours]
    dropped = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTEST_ADDOPTS", "PYTEST_PLUGINS"}
    dropped |= {"FORCE_COLOR", "PY_COLORS"}  # plain text, for the checks below
    env = {
        k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("EP_SKILLS_")
    }
    env["PATH"] = os.pathsep.join([str(shims), *path])
    env["COLUMNS"] = "200"  # rich's tables: one line per diploma
    env["LC_ALL"] = env["LANG"] = "C.UTF-8"
    return env


def test_the_install_section_is_marked_and_complete() -> None:
    blocks = tutorial_blocks()
    assert len(blocks) >= 3
    script = tutorial_script(Path("/wheels"))
    assert script.startswith("WHEELS=/wheels\n")
    for step in (
        "python3 -m venv ",
        ". ep-skills-env/bin/activate",
        'pip install "$(ls "$WHEELS"/ep_skills-*-py3-none-any.whl)[testing]"',
        'ep-skills plugin new "CAP Ébéniste" --rncp RNCP12345',
        'pip install -e "./ep-skills-cap-ebeniste[test]"',
        "pytest ep-skills-cap-ebeniste",
        "ep-skills diplomas",
    ):
        assert step in script, step
    # The command that builds the wheels is the one the tutorial names.
    text = TUTORIAL.read_text(encoding="utf-8")
    assert "```sh\npython3 dev.py wheels\n```" in text[: text.index(BEGIN)]


def test_the_testing_extra_brings_what_the_kit_imports() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    required = {re.split(r"[<>=!~ \[;]", d)[0].lower() for d in project["dependencies"]}
    extra = {
        re.split(r"[<>=!~ \[;]", d)[0].lower() for d in project["optional-dependencies"]["testing"]
    }
    tree = ast.parse(Path(ep_skills.testing.__file__).read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and not node.level
            else []
        )
    }
    third_party = imported - set(sys.stdlib_module_names) - {"ep_skills", "__future__"}
    assert "pytest" in extra
    assert third_party <= required | extra, third_party - required - extra


def test_plugins_declare_a_test_extra_on_the_testing_kit(tmp_path: Path) -> None:
    made = new_plugin("CAP Ébéniste", directory=tmp_path, rncp="RNCP12345")
    for folder in (made.directory, *PLUGINS):
        project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        assert project["dependencies"] == ["ep-skills"], folder.name
        assert project["optional-dependencies"] == {"test": ["ep-skills[testing]"]}, folder.name


def test_the_core_wheel_holds_the_shared_fragment_as_a_file(wheels: Path) -> None:
    (core,) = wheels.glob(f"ep_skills-{VERSION}-py3-none-any.whl")
    fragment = ROOT / "referentials" / "common" / "cap-general-2019.toml"
    with zipfile.ZipFile(core) as archive:
        info = archive.getinfo("ep_skills/data/cap-general-2019.toml")
        assert not stat.S_ISLNK(info.external_attr >> 16)
        assert archive.read(info) == fragment.read_bytes()
        metadata = archive.read(f"ep_skills-{VERSION}.dist-info/METADATA").decode()
    assert "Provides-Extra: testing" in metadata
    assert re.search(r"^Requires-Dist: pytest.*extra == ['\"]testing['\"]", metadata, re.M)


def test_the_tutorial_install_section_runs_as_written(wheels: Path, tmp_path: Path) -> None:
    work = tmp_path / "reader"
    work.mkdir()
    script = tmp_path / "tutorial-install.sh"
    script.write_text(tutorial_script(wheels), encoding="utf-8")
    env = _environment(tmp_path / "shims")

    done = subprocess.run(
        ["sh", "-e", "-x", str(script)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    shown = f"--- stdout\n{done.stdout[-6000:]}\n--- stderr\n{done.stderr[-6000:]}"
    assert done.returncode == 0, shown
    out = done.stdout

    assert f"ep-skills, version {VERSION}" in out, shown
    # The plugin's conformance suite, by the environment's pytest: all passed, nothing else.
    summary = re.search(r"^=+ ([^=]*) in [\d.]+s(?: \([^)]*\))? =+$", out, re.M)
    assert summary, f"no pytest summary line\n{shown}"
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (\w+)", summary.group(1))}
    assert counts.get("passed") == conformance_tests(), f"{summary.group(0)}\n{shown}"
    assert not {"failed", "error", "errors", "skipped"} & counts.keys(), summary.group(0)
    # `ep-skills diplomas` lists the new diploma; the shipped CAP has the fragment's blocs.
    assert re.search(r"^\W*cap-ebeniste\s", out, re.M), f"cap-ebeniste is not listed\n{shown}"
    assert "francais-hg-emc" in out, f"cap-imtb has no general blocs\n{shown}"

    # Where it all came from: the wheels into the new environment, the plugin from its folder.
    python = work / "ep-skills-env" / "bin" / "python"
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import json, sys, ep_skills, ep_skills_cap_ebeniste, ep_skills_cap_imtb, pytest\n"
            "from pathlib import Path\n"
            "data = Path(ep_skills.__file__).parent / 'data' / 'cap-general-2019.toml'\n"
            "print(json.dumps({'prefix': sys.prefix, 'core': ep_skills.__file__,\n"
            "  'link': data.is_symlink(), 'file': data.is_file(),\n"
            "  'plugin': ep_skills_cap_ebeniste.__file__, 'imtb': ep_skills_cap_imtb.__file__,\n"
            "  'pytest': pytest.__file__}))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    where = json.loads(probe.stdout)
    venv = str(work / "ep-skills-env")
    assert where["prefix"] == venv
    assert where["core"].startswith(venv) and where["imtb"].startswith(venv)
    assert where["pytest"].startswith(venv)
    assert where["file"] and not where["link"]
    assert where["plugin"].startswith(str(work / "ep-skills-cap-ebeniste" / "src"))
