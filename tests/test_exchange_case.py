"""CASE 1.1 packages: every referential exported is valid against 1EdTech's official schema,
comes back whole, keeps its identifiers from one export to the next, and a bad package is
refused with one message."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from tests.strategies import referentials

from ep_skills.cli import cli
from ep_skills.errors import InvalidValueError, Severity
from ep_skills.exchange.case import NAMESPACE, export_case, import_case
from ep_skills.plugins.manager import make_plugin_manager
from ep_skills.plugins.registry import Registry
from ep_skills.referential.codec import dumps_referential, loads_referential
from ep_skills.referential.model import Competency, Referential
from ep_skills.referential.validate import check_referential

SCHEMA_FILE = Path(__file__).parent / "fixtures" / "exchange" / "case" / "case-v1p1-cfpackage.json"
SCHEMA_SHA256 = "0fb12b56304253dd02c116638e51590b47fb924307463098dbc889e9400ddf63"

REGISTRY = Registry(make_plugin_manager())
SHIPPED = sorted(REGISTRY.ids())


def _validator() -> Any:
    from jsonschema import Draft201909Validator, FormatChecker

    checker = FormatChecker()  # uuid, date, uri… and date-time, which needs a package here
    checker.checks("date-time", raises=ValueError)(
        lambda value: (
            not isinstance(value, str)
            or datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
        )
    )
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return Draft201909Validator(schema, format_checker=checker)


VALIDATOR = _validator()


def _valid(package: dict[str, Any]) -> None:
    errors = sorted(VALIDATOR.iter_errors(package), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def _shipped(diploma: str) -> Referential:
    # As the command exports it: the fragments' blocs are merged in by the registry.
    return attrs.evolve(REGISTRY.get(diploma), include=())


def _via_json(package: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(package, ensure_ascii=False))
    return result


def _without_extensions(package: dict[str, Any]) -> dict[str, Any]:
    """The package as a tool that knows nothing of ep-skills would keep it."""
    stripped = copy.deepcopy(package)
    stripped["CFDocument"].pop("extensions", None)
    for item in stripped["CFItems"]:
        item.pop("extensions", None)
    return stripped


def test_the_schema_is_1edtech_s_official_one() -> None:
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["$id"].startswith("https://purl.imsglobal.org/spec/case/v1p1/")


def test_the_schema_refuses_what_it_must() -> None:
    """The validator is not a rubber stamp: a wrong identifier or a missing field fails."""
    package = export_case(_shipped("cap-cip"))
    damages: tuple[Callable[[dict[str, Any]], object], ...] = (
        lambda p: p["CFItems"][0].update(identifier="EP1"),
        lambda p: p["CFItems"][0].pop("fullStatement"),
        lambda p: p["CFAssociations"][0].update(associationType="assesses"),
        lambda p: p["CFDocument"].update(lastChangeDateTime="30/03/2012"),
    )
    for damage in damages:
        broken = copy.deepcopy(package)
        damage(broken)
        assert list(VALIDATOR.iter_errors(broken))


@pytest.mark.parametrize("diploma", SHIPPED)
def test_every_shipped_referential_exports_and_comes_back(diploma: str) -> None:
    referential = _shipped(diploma)
    package = _via_json(export_case(referential))
    _valid(package)
    assert import_case(package) == referential
    # Ready for a plugin's referentials/ folder: the TOML reads back the same.
    again, _warnings = loads_referential(dumps_referential(import_case(package)))
    assert again == referential


@pytest.mark.parametrize("diploma", ["cap-cip", "cap-psr", "tp-metallier"])
def test_the_order_comes_from_the_sequence_numbers_not_from_the_file(diploma: str) -> None:
    """A CASE server lists items and associations in any order: sequenceNumber decides."""
    referential = _shipped(diploma)
    package = _via_json(export_case(referential))
    package["CFItems"].reverse()
    package["CFAssociations"].reverse()
    assert import_case(package) == referential


@pytest.mark.parametrize("diploma", SHIPPED)
def test_the_official_fields_say_what_the_referential_says(diploma: str) -> None:
    referential = _shipped(diploma)
    package = export_case(referential)
    document = package["CFDocument"]
    assert (document["title"], document["language"]) == (referential.title, "fr")
    assert document["description"] == referential.legal_source
    assert document["caseVersion"] == "1.1"
    items = {item["identifier"]: item for item in package["CFItems"]}
    by_code = {
        item.get("humanCodingScheme"): item
        for item in package["CFItems"]
        if item["CFItemType"] == "Compétence"
    }
    for competency in referential.all_competencies():
        if competency.local_code:  # an ep-skills id never passes for an official code
            assert competency.code not in by_code
        else:
            assert by_code[competency.code]["fullStatement"] == competency.title
    parents = {
        a["originNodeURI"]["identifier"]: a["destinationNodeURI"]["identifier"]
        for a in package["CFAssociations"]
        if a["associationType"] == "isChildOf"
    }
    assert set(parents) == set(items)  # every item is in the tree
    for bloc in referential.blocs:
        for top in bloc.competencies:
            if not top.local_code:
                parent = items[parents[by_code[top.code]["identifier"]]]
                assert parent["fullStatement"] == bloc.title
                assert parent["CFItemType"] == "Bloc de compétences"
    links = [a for a in package["CFAssociations"] if a["associationType"] == "isRelatedTo"]
    assert len(links) == sum(len(e.competencies) for e in referential.epreuves)
    titles = {t["title"] for t in package["CFDefinitions"]["CFItemTypes"]}
    assert {"Bloc de compétences", "Compétence", "Épreuve"} <= titles


def test_identifiers_are_stable_and_derived_from_the_diploma_and_the_code() -> None:
    referential = _shipped("cap-cip")
    first, second = export_case(referential), export_case(referential)
    assert first == second  # the same file, time stamps included (the text's date)
    document = first["CFDocument"]["identifier"]
    assert document == str(uuid.uuid5(NAMESPACE, json.dumps(["cap-cip"])))
    retitled = attrs.evolve(referential, title="Autre titre", version="2099")
    assert export_case(retitled)["CFDocument"]["identifier"] == document
    other = export_case(_shipped("cap-rci"))
    ours = {i["identifier"] for i in first["CFItems"]}
    assert not ours & {i["identifier"] for i in other["CFItems"]}
    assert len(ours) == len(first["CFItems"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(referentials())
def test_any_referential_exports_valid_and_comes_back_equal(referential: Referential) -> None:
    package = _via_json(export_case(referential))
    _valid(package)
    assert import_case(package) == referential


def _shape(ref: Referential) -> tuple[Any, ...]:
    """Titles, official codes, hierarchy and épreuve links, local codes aside (another tool
    keeps no ep-skills id: they are made again)."""
    order = {c.code: i for i, c in enumerate(ref.all_competencies())}

    def tree(items: tuple[Competency, ...]) -> tuple[Any, ...]:
        return tuple((c.title, None if c.local_code else c.code, tree(c.children)) for c in items)

    return (
        ref.title,
        ref.version,
        ref.legal_source,
        tuple((b.title, b.rncp_code, tree(b.competencies)) for b in ref.blocs),
        tuple(
            (e.title, None if e.local_code else e.code, tuple(order[c] for c in e.competencies))
            for e in ref.epreuves
        ),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(referentials())
def test_a_package_without_ep_skills_extensions_keeps_the_official_part(
    referential: Referential,
) -> None:
    package = _without_extensions(_via_json(export_case(referential)))
    _valid(package)
    imported = import_case(package)
    assert _shape(imported) == _shape(referential)
    assert str(imported.status) == "draft" and str(imported.provenance.status) == "secondary"
    problems = check_referential(imported)
    assert not [p for p in problems if p.severity is Severity.ERROR]
    assert loads_referential(dumps_referential(imported))[0] == imported


def _package() -> dict[str, Any]:
    return _via_json(export_case(_shipped("cap-cip")))


def _first(package: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(i for i in package["CFItems"] if i["CFItemType"] == kind)


def _damaged(change: Any) -> dict[str, Any]:
    package = _package()
    change(package)
    return package


BAD: dict[str, tuple[Any, str]] = {
    "not an object": ([], "expected a JSON object"),
    "no document": (_damaged(lambda p: p.pop("CFDocument")), "CFDocument"),
    "item without statement": (
        _damaged(lambda p: p["CFItems"][2].pop("fullStatement")),
        "CFItems[2]: missing 'fullStatement'",
    ),
    "title not text": (
        _damaged(lambda p: p["CFDocument"].update(title=12)),
        "CFDocument.title: expected text",
    ),
    "same identifier twice": (
        _damaged(lambda p: p["CFItems"].append(dict(p["CFItems"][0]))),
        "two items have the identifier",
    ),
    "parent unknown": (
        _damaged(
            lambda p: p["CFAssociations"][1]["destinationNodeURI"].update(
                identifier=str(uuid.uuid4())
            )
        ),
        "is not an item of the package",
    ),
    "item outside the tree": (
        _damaged(lambda p: p["CFAssociations"].pop(0)),
        "is not under the CFDocument",
    ),
    "empty competency code": (
        _damaged(lambda p: _first(p, "Compétence").update(humanCodingScheme=" ")),
        "the referential it describes is not valid",
    ),
    "unknown key in the extension": (
        _damaged(lambda p: _first(p, "Épreuve")["extensions"]["ep-skills"].update(colour=1)),
        "unknown key 'colour'",
    ),
    "sequence not a number": (
        _damaged(lambda p: p["CFAssociations"][0].update(sequenceNumber="1")),
        "CFAssociations[0].sequenceNumber: expected a whole number",
    ),
}


@pytest.mark.parametrize("case_name", sorted(BAD))
def test_a_bad_package_is_refused_with_one_message(case_name: str) -> None:
    package, expected = BAD[case_name]
    with pytest.raises(InvalidValueError) as caught:
        import_case(package, name="paquet.json")
    message = str(caught.value)
    assert message.startswith("paquet.json")
    assert expected in message
    assert "\n" not in message


def test_an_epreuve_is_kept_whole_in_its_package() -> None:
    referential = _shipped("cap-cip")
    package = export_case(referential)
    epreuve = referential.epreuves[0]
    item = next(i for i in package["CFItems"] if i.get("humanCodingScheme") == epreuve.code)
    assert item["CFItemType"] == "Épreuve"
    extension = item["extensions"]["ep-skills"]
    assert extension["coefficient"] == epreuve.coefficient
    assert "title" not in extension and "competencies" not in extension  # CASE fields hold them


def test_a_titre_professionnel_s_units_are_certificates_without_official_codes() -> None:
    package = export_case(_shipped("tp-metallier"))
    kinds = {i["CFItemType"] for i in package["CFItems"]}
    assert "Certificat de compétences professionnelles" in kinds
    competencies = [i for i in package["CFItems"] if i["CFItemType"] == "Compétence"]
    assert competencies and not any("humanCodingScheme" in i for i in competencies)


# -- the command line -------------------------------------------------------------------------


def test_export_then_import_on_the_command_line(tmp_path: Path) -> None:
    target = tmp_path / "cap-cip.json"
    runner = CliRunner()
    command = ["--lang", "en", "exchange", "case"]
    result = runner.invoke(cli, [*command, "export", "cap-cip", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert "cap-cip" in result.output and str(target) in result.output
    package = json.loads(target.read_text(encoding="utf-8"))
    _valid(package)
    again = runner.invoke(cli, [*command, "export", "cap-cip", "--out", str(target)])
    assert again.exit_code == 1 and "already exists" in again.output
    forced = runner.invoke(cli, [*command, "export", "cap-cip", "--out", str(target), "--force"])
    assert forced.exit_code == 0, forced.output
    toml = tmp_path / "cap-cip.toml"
    imported = runner.invoke(cli, [*command, "import", str(target), "--out", str(toml)])
    assert imported.exit_code == 0, imported.output
    referential, _warnings = loads_referential(toml.read_bytes())
    assert referential == _shipped("cap-cip")
    printed = runner.invoke(cli, [*command, "export", "cap-cip"])
    assert json.loads(printed.stdout) == package
    # A byte order mark, as some editors write one: read as the same package.
    marked = tmp_path / "marked.json"
    marked.write_bytes(b"\xef\xbb\xbf" + target.read_bytes())
    bom = runner.invoke(cli, [*command, "import", str(marked), "--out", str(tmp_path / "m.toml")])
    assert bom.exit_code == 0, bom.output
    wrong = runner.invoke(cli, [*command, "export", "cap-cip", "--base-uri", "pas une url"])
    assert wrong.exit_code == 1 and "--base-uri" in wrong.output and "{" not in wrong.output
    # A document alone (no item): no referential, refused rather than an empty one.
    alone = tmp_path / "alone.json"
    alone.write_text(
        json.dumps({"CFDocument": package["CFDocument"], "CFItems": [], "CFAssociations": []})
    )
    empty = runner.invoke(cli, [*command, "import", str(alone), "--out", str(tmp_path / "e.toml")])
    assert empty.exit_code == 1 and "no competency" in empty.output
    assert not (tmp_path / "e.toml").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"CFDocument": {"identifier": "x"}}', "missing 'title'"),
    ],
)
def test_a_bad_file_is_one_line_and_writes_nothing(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    source = tmp_path / "paquet.json"
    source.write_bytes(content)
    toml = tmp_path / "out.toml"
    result = CliRunner().invoke(
        cli, ["--lang", "en", "exchange", "case", "import", str(source), "--out", str(toml)]
    )
    assert result.exit_code == 1
    assert expected in result.output and "Traceback" not in result.output
    assert result.output.count("\n") == 1
    assert not toml.exists()
