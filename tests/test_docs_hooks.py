"""``docs/hooks.md`` documents every hook, with its exact signature and a working example.

The expected signature is built from ``inspect.signature`` of the hookspec itself. The
hookspecs module uses ``from __future__ import annotations``, so every annotation is the
string written in the source; it is rendered as written, without quotes.
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pluggy
import pytest

from ep_skills.plugins import hookspecs

DOC = Path(__file__).resolve().parents[1] / "docs" / "hooks.md"

HOOKS: dict[str, Callable[..., Any]] = {
    name: value for name, value in vars(hookspecs).items() if hasattr(value, "ep_skills_spec")
}


class _AsWritten(str):
    """An annotation string that ``inspect`` prints without quotes."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


def _as_written(annotation: Any) -> Any:
    return _AsWritten(annotation) if isinstance(annotation, str) else annotation


def documented_signature(function: Callable[..., Any]) -> str:
    """``def name(params) -> return`` as ``inspect.signature`` renders it, annotations bare."""
    signature = inspect.signature(function)
    signature = signature.replace(
        parameters=[
            p.replace(annotation=_as_written(p.annotation)) for p in signature.parameters.values()
        ],
        return_annotation=_as_written(signature.return_annotation),
    )
    return f"def {function.__name__}{signature}"


def sections(text: str) -> dict[str, list[str]]:
    """Level-2 headings → the lines under each."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("## "):
            heading = line[3:]
            assert heading not in found, f"heading {heading!r} appears twice"
            current = found[heading] = []
        elif current is not None:
            current.append(line)
    return found


def python_blocks(lines: list[str]) -> list[str]:
    """The contents of the ```python blocks among ``lines``."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in lines:
        if current is None and line.strip() == "```python":
            current = []
        elif current is not None and line.strip() == "```":
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    assert current is None, "unclosed code block"
    return blocks


@pytest.fixture(scope="module")
def doc_sections() -> dict[str, list[str]]:
    return sections(DOC.read_text(encoding="utf-8"))


def test_the_hooks_are_found() -> None:
    # The marker test below is only as good as this list.
    assert "ep_skills_register_referentials" in HOOKS
    assert len(HOOKS) >= 7
    assert all(name.startswith("ep_skills_") for name in HOOKS)


def test_rendering_matches_a_hand_written_signature() -> None:
    assert documented_signature(hookspecs.ep_skills_register_referentials) == (
        "def ep_skills_register_referentials(register: Callable[[ReferentialSource], None]) -> None"
    )
    assert documented_signature(hookspecs.ep_skills_validate_evidence) == (
        "def ep_skills_validate_evidence(record: TaskRecord, referential: Referential, "
        "correction: Correction | None) -> Iterable[str] | None"
    )


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_has_a_section_with_its_exact_signature(
    name: str, doc_sections: dict[str, list[str]]
) -> None:
    assert name in doc_sections, f"docs/hooks.md has no section '## {name}'"
    blocks = python_blocks(doc_sections[name])
    assert blocks, f"the section of {name} has no python code block"
    expected = documented_signature(HOOKS[name])
    first_lines = [line.rstrip() for line in blocks[0].splitlines()]
    assert expected in first_lines or expected + ":" in first_lines, (
        f"expected the signature line\n    {expected}\nin the first code block of {name}"
    )


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_section_describes_every_parameter(
    name: str, doc_sections: dict[str, list[str]]
) -> None:
    prose = "\n".join(doc_sections[name])
    for parameter in inspect.signature(HOOKS[name]).parameters:
        assert re.search(rf"^- `{parameter}`:", prose, re.M), (
            f"the section of {name} does not describe its parameter {parameter!r}"
        )


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_example_is_a_valid_implementation(
    name: str, doc_sections: dict[str, list[str]]
) -> None:
    blocks = python_blocks(doc_sections[name])
    assert len(blocks) >= 2, f"the section of {name} has no example implementation"
    example = blocks[-1]
    module = types.ModuleType("ep_skills_docs_example")
    exec(compile(example, f"docs/hooks.md ({name})", "exec"), module.__dict__)
    implementation = getattr(module, name, None)
    assert implementation is not None, f"the example of {name} does not implement it"
    assert hasattr(implementation, "ep_skills_impl"), f"the example of {name} lacks @hookimpl"
    # pluggy refuses an implementation whose parameters the hook does not offer, and
    # check_pending one that matches no hook at all.
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(module)
    pm.check_pending()


def test_no_section_documents_a_missing_hook(doc_sections: dict[str, list[str]]) -> None:
    documented = {heading for heading in doc_sections if heading.startswith("ep_skills_")}
    assert documented == set(HOOKS)


def test_intro_tells_how_to_write_a_plugin() -> None:
    text = DOC.read_text(encoding="utf-8")
    intro = text.split("\n## ep_skills_", 1)[0]
    assert "[project.entry-points.ep_skills]" in intro
    assert "from ep_skills import hookimpl" in intro
    assert "EP_SKILLS_BLOCK_PLUGINS" in intro
    for block in python_blocks(intro.splitlines()):
        compile(block, "docs/hooks.md (intro)", "exec")
