"""Every result as JSON: ``ep_skills.forms.to_dict`` and the JSON Schema generated from the code.

Real objects from a journal are converted, dumped with ``json.dumps`` and checked against the
schema files in ``docs/schema/`` (which ``test_docs`` keeps equal to the code), with a small
validator of the subset of JSON Schema the generator emits — itself shown to reject wrong data.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ep_skills import forms, import_file, open_journal
from ep_skills.api import Journal
from ep_skills.cli import cli
from ep_skills.engine.compute import CompetencyState, CoverageCheck, UsedAssessment
from ep_skills.engine.explain import KINDS, STATUSES, EntryKind, EntryStatus, Explanation
from ep_skills.engine.rollup import Progress
from ep_skills.i18n import _, current_language, set_language
from ep_skills.journal.model import Role, Trainee
from ep_skills.views import Gap, cohort_gaps

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "schema"
TODAY = date(2026, 11, 20)
JSON_TYPES = (dict, list, str, int, float, bool, type(None))


# -- a small validator: the subset of draft 2020-12 that forms.json_schema emits ------------------

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_KNOWN = {
    "$schema", "$defs", "$ref", "title", "description", "type", "properties", "required",
    "additionalProperties", "items", "prefixItems", "minItems", "enum", "const", "anyOf",
    "format",
}  # fmt: skip


def _format_ok(value: str, fmt: str) -> bool:
    try:
        if fmt == "date":
            return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(
                date.fromisoformat(value)
            )
        if fmt == "date-time":
            return "T" in value and bool(datetime.fromisoformat(value))
    except ValueError:
        return False
    raise AssertionError(f"the validator does not know the format {fmt!r}")


def errors(instance: Any, schema: Any, root: Mapping[str, Any], path: str = "$") -> list[str]:
    """Why ``instance`` does not match ``schema`` ([] when it does)."""
    if schema is True or schema == {}:
        return []
    if schema is False:
        return [f"{path}: nothing is allowed here"]
    unknown = set(schema) - _KNOWN
    assert not unknown, f"the validator does not know {unknown}"
    found: list[str] = []
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        found += errors(instance, root["$defs"][name], root, path)
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[kind](instance) for kind in kinds):
            return [*found, f"{path}: {instance!r} is not of type {kinds}"]
    if "const" in schema and instance != schema["const"]:
        found.append(f"{path}: {instance!r} is not {schema['const']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        found.append(f"{path}: {instance!r} is not one of {schema['enum']}")
    if (
        "format" in schema
        and isinstance(instance, str)
        and not _format_ok(instance, schema["format"])
    ):
        found.append(f"{path}: {instance!r} is not a {schema['format']}")
    if "anyOf" in schema and all(errors(instance, o, root, path) for o in schema["anyOf"]):
        found.append(f"{path}: {instance!r} matches none of {schema['anyOf']}")
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in instance:
                found.append(f"{path}: {key!r} is missing")
        for key, value in instance.items():
            if key in properties:
                found += errors(value, properties[key], root, f"{path}.{key}")
            elif "additionalProperties" in schema:
                found += errors(value, schema["additionalProperties"], root, f"{path}.{key}")
    if isinstance(instance, list):
        prefix = schema.get("prefixItems", [])
        if len(instance) < schema.get("minItems", 0):
            found.append(f"{path}: fewer than {schema['minItems']} items")
        for i, item in enumerate(instance):
            sub = prefix[i] if i < len(prefix) else schema.get("items", {})
            found += errors(item, sub, root, f"{path}[{i}]")
    return found


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def assert_valid(instance: Any, name: str) -> None:
    found = errors(instance, schema(name), schema(name))
    assert not found, "\n".join(found[:10])


def assert_json_ready(value: Any, path: str = "$") -> None:
    """Only dicts with text keys, lists, text, numbers, booleans and None: no subclass either."""
    assert type(value) in JSON_TYPES, f"{path}: {type(value).__name__}"
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, f"{path}: key {key!r}"
            assert_json_ready(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_json_ready(item, f"{path}[{i}]")


def round_trip(obj: object, name: str) -> dict[str, Any]:
    """``to_dict(obj)``: JSON-ready, dumped and read back unchanged, valid against its schema."""
    data = forms.to_dict(obj)
    assert_json_ready(data)
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert json.loads(forms.to_json(obj)) == data
    assert_valid(data, name)
    return data


# -- the journal -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("forms")
    with open_journal(folder / "j.db", create=True, today=TODAY) as journal:
        build(journal, folder)
    return folder / "j.db"


@pytest.fixture(scope="module")
def journal(db: Path) -> Iterator[Journal]:
    with open_journal(db, today=TODAY) as journal:
        yield journal


def build(journal: Journal, folder: Path) -> None:
    journal.add_trainee("Léa Martin", diploma="cap-cip", cohort="2026", start_date=date(2025, 9, 1))
    journal.add_trainee("Hugo Bernard", diploma="cap-cip", cohort="2026")
    journal.add_trainee("Noah Petit", diploma="cap-psr", cohort="P")
    journal.add_order(
        "2026-041", customer="Mécanique du Gier", title="400 équerres", due=date(2026, 12, 12)
    )
    journal.add_order("2026-042", customer="Emballages du Pilat", title="2 000 flacons")
    lea = ["Léa Martin"]
    journal.record(
        ["Léa Martin", "Hugo Bernard"],
        task="conduire-ligne-mode-normal",
        order="2026-041",
        day=date(2026, 10, 1),
        assessor="M. Durand",
    )
    for day, order, level in [(5, "2026-041", "V"), (19, "2026-042", "VV"), (26, "2026-042", "VV")]:
        journal.record(
            lea,
            task="conduire-ligne-mode-normal",
            order=order,
            day=date(2026, 10, day),
            level=level,
            autonomy=3,
            note='« bien » \\ "ok"',
        )
    journal.record(lea, description="réunion", day=date(2026, 11, 2), levels={"CP04": "ABS"})
    journal.record(
        lea, description="auto", day=date(2026, 11, 3), levels={"CP04": "VV"}, role="auto"
    )
    wrong = journal.record(lea, description="série", day=date(2026, 11, 4), levels={"CP04": "R"})
    journal.correct(wrong.assessment_ids[0], level="V", note="mal saisi")
    doubled = journal.record(lea, description="série", day=date(2026, 11, 5), levels={"CP04": "R"})
    journal.correct(doubled.assessment_ids[0], withdraw=True, note="doublon")
    for day in (1, 15, 30):
        journal.record(
            ["Noah Petit"], description="service", day=date(2026, 10, day), levels={"C1.1": "VV"}
        )
    csv = folder / "fiches.csv"
    csv.write_text(
        "date;apprenti;tache;commande\n"
        "20/11/2026;Hugo Bernard;prelever-mesurer-autocontrole;2026-041\n",
        encoding="utf-8",
    )
    import_file(journal, csv)


# -- each form ---------------------------------------------------------------------------------


def test_progress(journal: Journal) -> None:
    progress = journal.progress("Léa Martin")
    if progress.trainee is None:  # until the journal names the trainee itself
        progress = attrs.evolve(progress, trainee=journal.trainee("Léa Martin"))
    data = round_trip(progress, "progress")
    assert progress.to_dict() == data
    assert data["trainee"]["name"] == "Léa Martin" and isinstance(data["trainee"]["id"], int)
    assert data["trainee"]["start_date"] == "2025-09-01"
    assert data["diploma"] == "cap-cip"
    assert data["ready"] is progress.ready
    nodes = {n["code"]: n for b in data["blocs"] for n in b["competencies"]}
    cp04 = nodes["CP04"]
    assert cp04["leaf"]["count"] == progress.node("CP04").leaf.count  # type: ignore[union-attr]
    assert cp04["leaf"]["last_day"] == "2026-11-04"
    assert nodes["CP03"]["leaf"] is None and nodes["CP03"]["state"] is None
    assert [b["share"] for b in data["blocs"]] == [b.share for b in progress.blocs]
    epreuve = data["epreuves"][0]
    assert (epreuve["ready"], epreuve["share"]) == (
        progress.epreuves[0].ready,
        progress.epreuves[0].share,
    )
    assert progress.blocs[0].to_dict() == data["blocs"][0]
    assert progress.epreuves[0].to_dict() == data["epreuves"][0]
    node = progress.blocs[0].competencies[0]
    assert node.to_dict() == data["blocs"][0]["competencies"][0]


def test_progress_of_a_parent(journal: Journal) -> None:
    progress = journal.progress("Noah Petit")
    data = round_trip(progress, "progress")
    c1 = next(n for b in data["blocs"] for n in b["competencies"] if n["code"] == "C1")
    assert c1["leaf"] is None and c1["rule"] == "all-children"
    assert [c["code"] for c in c1["children"]][:1] == ["C1.1"]
    assert c1["children"][0]["leaf"]["state"] == "A"


def test_competency_state(journal: Journal) -> None:
    states = journal.leaf_states("Léa Martin")
    for state in states.values():
        data = round_trip(state, "competency-state")
        assert state.to_dict() == data
        for check in state.coverage:
            assert check.to_dict() in data["coverage"]
    computed = journal.explain("Léa Martin", "CP04").state
    assert computed is not None and computed.used  # a state computed here lists its window
    data = round_trip(computed, "competency-state")
    assert data["used"][0] == computed.used[0].to_dict()
    assert {u["role"] for u in data["used"]} <= {r.value for r in Role}


def test_explanation_of_a_leaf(journal: Journal) -> None:
    explanation = journal.explain("Léa Martin", "CP04")
    explanation = explanation.with_records(journal.storage.records(explanation.trainee.id))
    data = round_trip(explanation, "explanation")
    assert explanation.to_dict() == data == explanation.data()
    lea = journal.trainee("Léa Martin")
    assert (data["trainee"]["id"], data["trainee"]["name"]) == (lea.id, "Léa Martin")
    # The referential by reference, never dumped.
    assert data["diploma"] == {"id": "cap-cip", "version": explanation.referential.version}
    assert data["competency"]["code"] == "CP04"
    assert data["state"]["kind"] == "leaf"
    assert data["state"]["score"] == explanation.state.score  # type: ignore[union-attr]
    rows = {row["id"]: row for row in data["rows"]}
    assert [r["id"] for r in data["rows"]] == [r.id for r in explanation.rows]
    assert {row["kind"] for row in data["rows"]} == set(KINDS)
    assert {"counts", "corrected", "correction", "withdrawn", "withdrawal"} <= {
        row["status"] for row in data["rows"]
    }
    self_assessed = next(row for row in data["rows"] if row["role"] == "auto")
    assert (self_assessed["kind"], self_assessed["counted"]) == ("self-assessment", False)
    withdrawal = next(row for row in data["rows"] if row["withdrawn"])
    assert withdrawal["status"] == "withdrawal" and withdrawal["note"] == "doublon"
    assert rows[withdrawal["supersedes"]]["superseded_by"] == withdrawal["id"]
    correction = next(row for row in data["rows"] if row["status"] == "correction")
    assert correction["root"] == correction["supersedes"]
    assert all(isinstance(row["record"], int) for row in data["rows"])
    assert all(row["recorded_at"] for row in data["rows"])
    assert len(json.dumps(data)) < 20_000  # the referential is not in it


def test_explanation_of_a_parent_and_of_nothing(journal: Journal) -> None:
    parent = round_trip(journal.explain("Noah Petit", "C1"), "explanation")
    assert parent["state"]["kind"] == "parent" and parent["rows"] == []
    assert parent["state"]["children"][0]["code"] == "C1.1"
    nothing = round_trip(journal.explain("Hugo Bernard", "CP03"), "explanation")
    assert (nothing["state"]["code"], nothing["state"]["label"]) == (None, None)


def test_gaps_carry_ids_and_names(journal: Journal) -> None:
    gaps = cohort_gaps(journal, "2026")
    assert gaps
    hugo, lea = journal.trainee("Hugo Bernard"), journal.trainee("Léa Martin")
    for gap in gaps:
        data = round_trip(gap, "gap")
        assert gap.to_dict() == data
        assert [(t["id"], t["name"]) for t in data["missing"]] == list(
            zip(gap.trainee_ids, gap.trainees, strict=True)
        )
        assert [t["id"] for t in data["tasks"]] == [t.id for t in gap.tasks]
        assert all(set(task) == {"id", "title"} for task in data["tasks"])
    cp03 = next(g for g in gaps if g.code == "CP03")
    assert set(cp03.trainee_ids) == {hugo.id, lea.id}
    # The names, as before, for the reports and scripts that print them.
    assert set(cp03.trainees) == {"Hugo Bernard", "Léa Martin"}
    assert set(cp03.never_assessed) <= set(cp03.trainees)
    assert all(isinstance(name, str) for g in gaps for name in g.never_assessed)


def test_journal_objects(journal: Journal) -> None:
    for person in journal.trainees():
        data = round_trip(person, "trainee")
        assert (data["id"], data["name"]) == (person.id, person.name)
    for order in journal.orders():
        round_trip(order, "order")
    assert forms.to_dict(journal.orders()[0])["due"] == "2026-12-12"
    batches = journal.imports()
    assert batches
    for batch in batches:
        data = round_trip(batch, "import-batch")
        assert data["recorded_at"] is not None
    lea = journal.trainee("Léa Martin")
    for record in journal.storage.records(lea.id):
        data = round_trip(journal.task_record(record.id), "task-record")
        assert data["role"] in {r.value for r in Role}
    for row in journal.storage.assessments(lea.id, "CP04"):
        data = round_trip(row, "assessment")
        assert type(data["role"]) is str  # the enum's value, not the enum


def test_documented_forms_are_the_result_types() -> None:
    assert set(forms.FORMS) == {p.stem for p in SCHEMAS.glob("*.json")}
    assert forms.form_class(Explanation).__name__ == "ExplanationForm"
    assert KINDS == ("official", "self-assessment", "non-scoring")
    assert set(STATUSES) >= {"counts", "withdrawal"}


# -- the command line prints the same forms ------------------------------------------------------


def test_the_command_line_prints_the_documented_forms(db: Path, journal: Journal) -> None:
    def run(*args: str) -> Any:
        command = ["--lang", "en", "--db", str(db), *args, "--format", "json"]
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    progress = run("progress", "Léa Martin")
    assert_valid(progress, "progress")
    assert progress["trainee"]["name"] == "Léa Martin"
    for item in run("progress", "--cohort", "2026"):
        assert_valid(item, "progress")
    explained = run("explain", "Léa Martin", "CP04")
    assert_valid(explained, "explanation")
    assert explained == journal.explain("Léa Martin", "CP04").to_dict()
    gaps = run("gaps", "--cohort", "2026")
    for gap in gaps:
        assert_valid(gap, "gap")
    assert gaps == [g.to_dict() for g in cohort_gaps(journal, "2026", missing=True)]


# -- the validator rejects what does not match ----------------------------------------------------


def test_the_validator_rejects_wrong_forms(journal: Journal) -> None:
    good = forms.to_dict(journal.explain("Léa Martin", "CP04"))
    assert_valid(good, "explanation")

    def broken(change: Any) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(json.dumps(good))
        change(data)
        return data

    wrong = [
        broken(lambda d: d.pop("rows")),  # a key missing
        broken(lambda d: d.update(extra=1)),  # a key too many
        broken(lambda d: d["trainee"].update(id="1")),  # a number as text
        broken(lambda d: d["rows"][0].update(day="16/11/2026")),  # not an ISO date
        broken(lambda d: d["rows"][0].update(day="2026-02-30")),  # no such day
        broken(lambda d: d["rows"][0].update(recorded_at="2026-11-16")),  # not a date-time
        broken(lambda d: d["rows"][0].update(status="lost")),  # not one of STATUSES
        broken(lambda d: d["rows"][0].update(role="boss")),  # not a Role
        broken(lambda d: d["rows"][0].update(counted=1)),  # an integer is no boolean
        broken(lambda d: d["rows"][0].update(value=True)),  # a boolean is no integer
        broken(lambda d: d["state"].update(kind="parent")),  # neither a leaf nor a parent
        broken(lambda d: d["state"]["coverage"].append({"rule": "x"})),  # in an array
        broken(lambda d: d["diploma"].update(blocs=[])),  # the referential is not dumped
    ]
    for data in wrong:
        assert errors(data, schema("explanation"), schema("explanation")), data
    fixed = {"type": "array", "prefixItems": [{"type": "string"}], "items": False, "minItems": 1}
    assert errors([], fixed, fixed) and errors(["a", "b"], fixed, fixed)
    assert not errors(["a"], fixed, fixed)


# -- the schema generator ----------------------------------------------------------------------


@attrs.frozen
class _Leaf:
    """A leaf."""

    day: date
    when: datetime | None
    kind: Literal["a", "b"]
    role: Role
    tags: tuple[str, ...]
    pair: tuple[str, int | None]
    meta: Mapping[str, str]
    ratio: float = 0.5
    """Between 0 and 1."""


@attrs.frozen
class _Tree:
    name: str
    children: tuple[_Tree, ...] = ()
    leaf: _Leaf | None = None


def test_json_schema_of_each_kind_of_type() -> None:
    schema = forms.json_schema(_Tree)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$ref"] == "#/$defs/_Tree"
    tree = schema["$defs"]["_Tree"]
    assert tree["required"] == ["name", "children", "leaf"]  # a form has every key
    assert tree["additionalProperties"] is False
    assert tree["properties"]["children"] == {"type": "array", "items": {"$ref": "#/$defs/_Tree"}}
    assert tree["properties"]["leaf"] == {"anyOf": [{"$ref": "#/$defs/_Leaf"}, {"type": "null"}]}
    leaf = schema["$defs"]["_Leaf"]["properties"]
    assert leaf["day"] == {"type": "string", "format": "date"}
    assert leaf["when"] == {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}
    assert leaf["kind"] == {"enum": ["a", "b"]}
    assert leaf["role"] == {"type": "string", "enum": [r.value for r in Role]}
    assert leaf["tags"] == {"type": "array", "items": {"type": "string"}}
    assert leaf["pair"]["prefixItems"] == [{"type": "string"}, {"type": ["integer", "null"]}]
    assert leaf["meta"] == {"type": "object", "additionalProperties": {"type": "string"}}
    assert leaf["ratio"] == {"type": "number", "description": "Between 0 and 1."}
    assert schema["$defs"]["_Leaf"]["description"] == "A leaf."
    value = _Tree(
        "root",
        (_Tree("child", leaf=_Leaf(TODAY, None, "a", Role.AUTO, ("x",), ("y", None), {"k": "v"})),),
    )
    data = forms.to_dict(value)
    assert_json_ready(data)
    assert data["children"][0]["leaf"]["pair"] == ["y", None]
    assert not errors(data, schema, schema)
    assert errors({**data, "name": None}, schema, schema)


def test_json_schema_refuses_what_has_no_json_form() -> None:
    @attrs.frozen
    class Opaque:
        thing: complex

    with pytest.raises(TypeError, match="no JSON form"):
        forms.json_schema(Opaque)
    with pytest.raises(TypeError, match="has no dict form"):
        forms.to_dict([1, 2])


def test_forms_name_their_kinds_and_statuses() -> None:
    rows = schema("explanation")["$defs"]["ExplainedRow"]["properties"]
    assert rows["kind"]["enum"] == list(KINDS) == list(EntryKind.__args__)  # type: ignore[attr-defined]
    assert rows["status"]["enum"] == list(STATUSES) == list(EntryStatus.__args__)  # type: ignore[attr-defined]


# -- a property: any competency state goes through JSON and matches the schema -------------------

_text = st.text(max_size=12)
_small = st.integers(min_value=0, max_value=10_000)
_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
_used = st.builds(
    UsedAssessment,
    id=_small,
    day=_days,
    level=_text,
    value=st.integers(0, 100),
    role=st.sampled_from([r.value for r in Role]),
    weight=st.floats(min_value=0, max_value=1e300, allow_nan=False, allow_infinity=False),
    context=_text,
    via=st.none() | _text,
)
_states = st.builds(
    CompetencyState,
    competency=_text,
    state=st.none() | _text,
    score=st.none() | st.integers(0, 100),
    acquired=st.booleans(),
    score_state=st.none() | _text,
    method=_text,
    limit=_small,
    used=st.lists(_used, max_size=4).map(tuple),
    count=_small,
    contexts=_small,
    last_day=st.none() | _days,
    max_autonomy=st.none() | st.integers(1, 4),
    coverage=st.lists(
        st.builds(CoverageCheck, _text, _small, _small, st.booleans()), max_size=3
    ).map(tuple),
    first_day=st.none() | _days,
    non_scoring=_small,
    self_score=st.none() | st.integers(0, 100),
    self_state=st.none() | _text,
    history=_small,
)


@settings(max_examples=60, deadline=None)
@given(_states)
def test_any_competency_state_round_trips_through_json(state: CompetencyState) -> None:
    data = round_trip(state, "competency-state")
    assert data["last_day"] == (state.last_day.isoformat() if state.last_day else None)
    assert len(data["used"]) == len(state.used)
    assert [u["weight"] for u in data["used"]] == [u.weight for u in state.used]


@settings(max_examples=40, deadline=None)
@given(
    st.builds(
        Trainee,
        id=_small,
        name=_text,
        diploma=_text,
        cohort=st.none() | _text,
        start_date=st.none() | _days,
    )
)
def test_any_trainee_round_trips_through_json(person: Trainee) -> None:
    data = round_trip(person, "trainee")
    assert data["id"] == person.id and data["name"] == person.name


# -- an explanation in the language asked -------------------------------------------------------


def test_lines_in_the_language_asked_leave_the_process_language_alone(journal: Journal) -> None:
    explanation = journal.explain("Léa Martin", "CP04")
    before = current_language()
    french, english = explanation.lines(lang="fr"), explanation.lines(lang="en")
    assert french != english
    assert any(line.startswith("Méthode geometrique") for line in french)
    assert any(line.startswith("Method geometrique") for line in english)
    assert any("/10/2026" in line for line in french)  # French dates
    assert current_language() == before
    assert explanation.text(lang="fr") == "\n".join(french)
    try:
        set_language("fr")
        assert explanation.lines(lang="en") == english
        assert explanation.lines() == french  # the process's language by default
        assert _("not assessed yet") != "not assessed yet"  # still French for the rest
    finally:
        set_language(before)
    with pytest.raises(ValueError, match="unsupported language"):
        explanation.lines(lang="de")


def test_threads_each_get_their_language(journal: Journal) -> None:
    explanation = journal.explain("Léa Martin", "CP04")
    expected = {lang: explanation.lines(lang=lang) for lang in ("fr", "en")}
    barrier = threading.Barrier(8)
    found: list[tuple[str, list[str]]] = []
    lock = threading.Lock()

    def work(lang: str) -> None:
        barrier.wait()
        for _i in range(5):
            lines = explanation.lines(lang=lang)
            with lock:
                found.append((lang, lines))

    threads = [threading.Thread(target=work, args=("fr" if i % 2 else "en",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 40
    assert all(lines == expected[lang] for lang, lines in found)


# -- cattrs only when a JSON form is asked ------------------------------------------------------


def test_the_command_line_does_not_import_cattrs_to_start() -> None:
    code = (
        "import sys\n"
        "import ep_skills.cli.app, ep_skills.cli.view_cmds, ep_skills.forms\n"
        "import ep_skills.engine.explain, ep_skills.engine.rollup, ep_skills.views\n"
        "print('cattrs' in sys.modules)\n"
        "from ep_skills.engine.compute import CoverageCheck\n"
        "CoverageCheck('min_assessments', 3, 1, False).to_dict()\n"
        "print('cattrs' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "True"]


def test_gap_is_typed() -> None:
    hints = attrs.fields_dict(Gap)
    assert "missing" in hints and "trainees" not in hints
    assert Progress.__form_properties__ == ("ready",)
