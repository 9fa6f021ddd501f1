"""The public surface is the documented one, typed: what an embedder writes type-checks, and
the mistakes they could make do not."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import ep_skills

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EMBEDDING = Path(__file__).resolve().parent / "embedding"


def _api_examples() -> str:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    return "\n".join(re.findall(r"```python\n(.*?)```", text, re.S))


@pytest.fixture(scope="module")
def mypy_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """One strict mypy run over the doc's examples, the embedding app and the misuses."""
    folder = tmp_path_factory.mktemp("typed")
    examples = folder / "api_examples.py"
    examples.write_text(_api_examples(), encoding="utf-8")
    files = [examples, EMBEDDING / "school_app.py", EMBEDDING / "misuse.py"]
    # In a process of its own: mypy raises the interpreter's recursion limit for good.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--show-error-codes",
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    out = done.stdout
    assert not done.stderr, done.stderr
    report: dict[str, list[str]] = {f.name: [] for f in files}
    for line in out.splitlines():
        name = Path(line.split(":", 1)[0]).name
        if name in report:
            report[name].append(line)
    return report


def test_the_docs_examples_type_check(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["api_examples.py"] == []


def test_an_embedding_app_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["school_app.py"] == []


def test_misspelt_keywords_and_wrong_types_fail_type_checking(
    mypy_report: dict[str, list[str]],
) -> None:
    source = (EMBEDDING / "misuse.py").read_text(encoding="utf-8").splitlines()
    expected = {n for n, line in enumerate(source, 1) if "# error:" in line}
    found = {int(line.split(":")[1]) for line in mypy_report["misuse.py"] if ": error:" in line}
    assert expected and found >= expected, mypy_report["misuse.py"]


def test_the_embedding_app_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EMBEDDING / "school_app.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_every_exported_name_is_documented_and_every_documented_name_exported() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", text))
    exported = set(ep_skills.__all__) - {"__version__"}
    assert sorted(exported - documented) == []
    # The types and errors the doc names in its tables are all importable from ep_skills.
    table_names = set(re.findall(r"^\| `([A-Z][A-Za-z]*)`", text, re.M))
    assert sorted(table_names - exported) == []
    for name in exported:
        assert getattr(ep_skills, name) is not None


def _private_types(hint: object) -> list[str]:
    """The ep-skills types named in ``hint`` that are private (a leading underscore in their
    name or module path); other libraries' layouts are theirs."""
    found = []
    module = getattr(hint, "__module__", "") or ""
    name = getattr(hint, "__qualname__", "") or ""
    if module.startswith("ep_skills") and (
        name.startswith("_") or any(part.startswith("_") for part in module.split("."))
    ):
        found.append(f"{module}.{name}")
    for arg in getattr(hint, "__args__", ()) or ():
        found += _private_types(arg)
    return found


def test_no_private_type_in_a_public_signature() -> None:
    import inspect
    import typing

    for name in ep_skills.__all__:
        value = getattr(ep_skills, name)
        members = (
            [m for n, m in inspect.getmembers(value) if callable(m) and not n.startswith("_")]
            if inspect.isclass(value)
            else [value]
        )
        for member in members:
            if not callable(member):
                continue
            try:
                hints = typing.get_type_hints(member)
            except Exception:
                continue
            for hint in hints.values():
                assert _private_types(hint) == [], (name, member, hint)
