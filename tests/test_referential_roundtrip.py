"""Writing a referential as TOML and reading it back gives the same referential.

The generated referentials come from :mod:`tests.strategies`; that they pass
``check_referential`` is tested here too, since the round trip means little if the strategy
drew nonsense.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from tests.strategies import DEFAULT_LEVEL_CODES, referentials

from ep_skills.errors import Severity
from ep_skills.referential import model
from ep_skills.referential.codec import dumps_referential, load_referential, loads_referential
from ep_skills.referential.model import Referential
from ep_skills.referential.validate import check_referential, iter_competencies

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [ROOT / "referentials" / "cap-cip.toml", ROOT / "referentials" / "cap-psr.toml"]

examples = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@examples
@given(referentials())
def test_generated_referentials_round_trip(referential: Referential) -> None:
    text = dumps_referential(referential)
    again, warnings = loads_referential(text, check=False)
    assert again == referential
    assert warnings == []


@examples
@given(referentials())
def test_writing_is_stable(referential: Referential) -> None:
    text = dumps_referential(referential)
    assert dumps_referential(loads_referential(text, check=False)[0]) == text


@examples
@given(referentials())
def test_generated_referentials_have_no_errors(referential: Referential) -> None:
    errors = [p for p in check_referential(referential) if p.severity is Severity.ERROR]
    assert errors == []


@examples
@given(referentials())
def test_generated_referentials_load_with_checks(referential: Referential) -> None:
    # The checked path also locates each warning in the written text: it must not choke on
    # the accents, quotes and newlines of the generated labels.
    text = dumps_referential(referential)
    again, warnings = loads_referential(text, file="generated.toml")
    assert again == referential
    line_count = len(text.splitlines())
    for problem in warnings:
        assert problem.severity is Severity.WARNING
        assert problem.file == "generated.toml"
        assert problem.line is None or 1 <= problem.line <= line_count


@examples
@given(referentials())
def test_generated_referentials_are_consistent(referential: Referential) -> None:
    # What the strategy promises, checked without check_referential.
    nodes = [
        (competency, path)
        for b, bloc in enumerate(referential.blocs)
        for competency, path, _ancestors in iter_competencies(
            bloc.competencies, f"blocs[{b}].competencies"
        )
    ]
    codes = [c.code for c, _path in nodes]
    assert len(codes) == len(set(codes))
    assert all(path.count("children") <= 2 for _c, path in nodes)
    leaves = {c.code for c, _path in nodes if not c.children}
    named = {code for e in referential.epreuves for code in e.competencies}
    assert {c.code for bloc in referential.blocs for c in bloc.competencies} <= named
    mapped = {link.code for task in referential.tasks for link in task.competencies}
    assert mapped == leaves
    levels = {link.level for task in referential.tasks for link in task.competencies}
    assert levels <= {None, *DEFAULT_LEVEL_CODES}
    sources = {s.id for s in referential.sources}
    assert referential.provenance.source in sources


def _set_fields(value: Any) -> Iterator[tuple[str, str]]:
    """(class, field) for every field holding something other than its default, recursively."""
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            item = getattr(value, field.name)
            if field.default is attrs.NOTHING or item != field.default:
                yield type(value).__name__, field.name
            yield from _set_fields(item)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _set_fields(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _set_fields(item)


def test_strategy_sets_every_field_of_the_model() -> None:
    # A field the strategy never sets is a field the round trip never tests: when the model
    # grows, tests/strategies.py must grow with it.
    seen: set[tuple[str, str]] = set()

    @settings(max_examples=150, deadline=None, derandomize=True, database=None)
    @given(referentials())
    def collect(referential: Referential) -> None:
        seen.update(_set_fields(referential))

    collect()
    classes = [
        value
        for value in vars(model).values()
        if attrs.has(value) and value.__module__ == model.__name__ and value is not model.Fragment
    ]
    expected = {(cls.__name__, field.name) for cls in classes for field in attrs.fields(cls)}
    assert expected - seen == set()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_referential_round_trips(path: Path) -> None:
    referential, _warnings = load_referential(path)
    text = dumps_referential(referential)
    again, _ = loads_referential(text, check=False)
    assert again == referential


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_referential_keeps_its_content(path: Path) -> None:
    # Equality of two model objects could hide a codec that drops a field on both sides:
    # compare the written text with the hand-written file, read as plain TOML.
    referential, _warnings = load_referential(path)
    original = tomllib.loads(path.read_text(encoding="utf-8"))
    written = tomllib.loads(dumps_referential(referential))
    assert written["id"] == original["id"] == referential.id
    assert [b["id"] for b in written["blocs"]] == [b["id"] for b in original["blocs"]]
    assert [e["code"] for e in written["epreuves"]] == [e["code"] for e in original["epreuves"]]
    assert [t["id"] for t in written["tasks"]] == [t["id"] for t in original["tasks"]]
    assert written["legal_source"] == original["legal_source"]
    assert written.get("include", []) == original.get("include", [])
    assert written["sources"] == original["sources"]
