"""The docs are part of the work: their examples run and their generated parts are current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ep_skills import docgen
from ep_skills.referential.codec import loads_referential

DOCS = Path(__file__).resolve().parents[1] / "docs"
ROOT = DOCS.parent


def _blocks(name: str, language: str) -> list[str]:
    text = (DOCS / name).read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


@pytest.mark.parametrize("name", sorted(docgen.GENERATED))
def test_generated_reference_is_current(name: str) -> None:
    expected = docgen.GENERATED[name]()
    actual = (DOCS / name).read_text(encoding="utf-8")
    assert actual == expected, f"docs/{name} is stale: run python -m ep_skills.docgen"


@pytest.mark.parametrize("name", ["api.md", "engine.md"])
def test_python_examples_run(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = _blocks(name, "python")
    assert blocks, f"docs/{name} has no example"
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, f"docs/{name}", "exec"), namespace)


def test_referential_format_example_is_a_valid_referential() -> None:
    (example,) = _blocks("referential-format.md", "toml")
    referential, warnings = loads_referential(example, file="docs/referential-format.md")
    assert referential.id == "cap-exemple"
    assert warnings == []


def test_school_settings_example_loads(tmp_path: Path) -> None:
    from ep_skills.engine.layers import load_school_config

    coverage, example = _blocks("engine.md", "toml")
    path = tmp_path / "ecole.toml"
    path.write_text(example, encoding="utf-8")
    config = load_school_config(path)
    assert config.settings is not None and config.settings.limit == 0
    assert config.diplomas["cap-cip"].method == "arithmetique"
    path.write_text(coverage, encoding="utf-8")
    rules = load_school_config(path).settings
    assert rules is not None and rules.coverage is not None
    assert (rules.coverage.min_span_weeks, rules.coverage.min_autonomy) == (6, 3)


def test_relative_links_point_to_existing_files() -> None:
    for page in [ROOT / "README.md", *DOCS.rglob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_every_schema_file_is_generated() -> None:
    """``docs/schema/`` holds the JSON Schema of each documented form, and nothing else (a form
    removed from ``ep_skills.forms.FORMS`` leaves no stale file behind)."""
    found = {f"schema/{path.name}" for path in (DOCS / "schema").iterdir()}
    expected = {name for name in docgen.GENERATED if name.startswith("schema/")}
    assert expected, "no schema is generated"
    assert found == expected, "run python -m ep_skills.docgen"
