"""xAPI statements of the assessments: valid for ralph's models of xAPI, stable ids, the
trainee under an opaque account, corrections voiding what they correct."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ralph.models.xapi.base.statements import BaseXapiStatement

from ep_skills.api import Journal, open_journal
from ep_skills.cli import cli
from ep_skills.errors import EpSkillsError, InvalidValueError
from ep_skills.exchange.badges import case_item_id, trainee_ref
from ep_skills.exchange.xapi import (
    VERB_SCORED,
    VERB_VOIDED,
    statement_id,
    statements,
    write_statements,
)

TODAY = date(2026, 11, 20)
HOME = "https://ep-saint-exemple.example"
CODES = ("C1.1", "C1.2")


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = open_journal(tmp_path / "j.db", create=True, today=TODAY)
    j.add_trainee("Léa Martin", diploma="cap-psr", cohort="2026", start_date=date(2026, 9, 1))
    j.add_trainee("Noah Petit", diploma="cap-psr", cohort="2026", start_date=date(2026, 9, 1))
    j.add_order("C 1/2026", customer="Cantine", title="Repas")
    j.record(
        ["Léa Martin", "Noah Petit"],
        description="réception",
        order="C 1/2026",
        day=date(2026, 9, 7),
        levels={"C1.1": "V", "C1.2": "ABS"},
        autonomy=3,
        assessor="Jean Maître",
    )
    j.record(["Léa Martin"], description="rangement", day=date(2026, 9, 14), levels={"C1.2": "R"})
    j.record(
        ["Léa Martin"], description="moi", day=date(2026, 9, 15), levels={"C1.1": "VV"}, role="auto"
    )
    yield j
    j.close()


def _valid(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for statement in found:
        BaseXapiStatement(**statement)  # raises on anything ralph's xAPI model refuses
    return found


def test_one_statement_per_scoring_assessment(journal: Journal) -> None:
    found = _valid(list(statements(journal, HOME)))
    lea, noah = journal.trainee("Léa Martin"), journal.trainee("Noah Petit")
    # Léa: V on C1.1 and R on C1.2 (ABS scores nothing, her self-assessment is not exported);
    # Noah: V on C1.1.
    assert [(s["actor"]["account"]["name"], s["result"]["extensions"]) for s in found] == [
        (
            str(trainee_ref(HOME, lea.id)),
            {f"{HOME}/xapi/extensions/level": "V", f"{HOME}/xapi/extensions/autonomy": 3},
        ),
        (str(trainee_ref(HOME, lea.id)), {f"{HOME}/xapi/extensions/level": "R"}),
        (
            str(trainee_ref(HOME, noah.id)),
            {f"{HOME}/xapi/extensions/level": "V", f"{HOME}/xapi/extensions/autonomy": 3},
        ),
    ]
    first = found[0]
    assert first["verb"]["id"] == VERB_SCORED
    assert first["result"]["score"] == {"scaled": 0.67, "raw": 67, "min": 0, "max": 100}
    assert first["object"]["id"] == f"urn:uuid:{case_item_id('cap-psr', 'C1.1')}"
    assert first["object"]["definition"]["name"]["fr"].startswith("C1.1 ")
    assert first["timestamp"] == "2026-09-07T00:00:00Z"
    assert first["context"]["instructor"]["account"] == {"homePage": HOME, "name": "Jean Maître"}
    (grouping,) = first["context"]["contextActivities"]["grouping"]
    assert grouping["id"] == f"{HOME}/orders/C%201%2F2026"
    # One registration per task record: Léa's and Noah's statements of the first share it.
    assert first["context"]["registration"] == found[2]["context"]["registration"]
    assert first["context"]["registration"] != found[1]["context"]["registration"]
    assert (
        "instructor" not in found[1]["context"] and "contextActivities" not in found[1]["context"]
    )


def test_no_name_in_clear(journal: Journal) -> None:
    text = json.dumps(list(statements(journal, HOME)), ensure_ascii=False)
    for name in ("Léa", "Martin", "Noah", "Petit"):
        assert name not in text


def test_ids_are_stable(journal: Journal) -> None:
    first = list(statements(journal, HOME))
    assert first == list(statements(journal, HOME + "/"))
    row = journal.evidence("Léa Martin", "C1.1")[0]
    assert first[0]["id"] == str(statement_id(HOME, row.id))
    assert len({s["id"] for s in first}) == len(first)
    assert uuid.UUID(first[0]["id"]).version == 5
    # Another school's assessment of the same number is another statement.
    assert statement_id("https://autre.example", row.id) != statement_id(HOME, row.id)


def test_a_correction_voids_what_it_corrects(journal: Journal) -> None:
    row = journal.evidence("Léa Martin", "C1.1")[0]
    corrected = journal.correct(row.id, level="VV", note="revu")
    withdrawn = journal.correct(journal.evidence("Léa Martin", "C1.2")[-1].id, withdraw=True)
    found = _valid(list(statements(journal, HOME, "Léa Martin")))
    voids = [s for s in found if s["verb"]["id"] == VERB_VOIDED]
    assert [v["object"] for v in voids] == [
        {"objectType": "StatementRef", "id": str(statement_id(HOME, row.id))},
        {"objectType": "StatementRef", "id": str(statement_id(HOME, withdrawn.supersedes or 0))},
    ]
    scored = {s["id"]: s for s in found if s["verb"]["id"] == VERB_SCORED}
    assert scored[str(statement_id(HOME, corrected.id))]["result"]["score"]["raw"] == 100
    assert str(statement_id(HOME, withdrawn.id)) not in scored  # a withdrawal scores nothing


def test_one_trainee_and_since(journal: Journal) -> None:
    noah = list(statements(journal, HOME, "Noah Petit"))
    assert len(noah) == 1
    assert list(statements(journal, HOME, since=date(2099, 1, 1))) == []
    assert len(list(statements(journal, HOME, since=date(2000, 1, 1)))) == 3
    with pytest.raises(InvalidValueError, match="web address"):
        list(statements(journal, "ep-saint-exemple"))


def test_the_file(journal: Journal, tmp_path: Path) -> None:
    target = tmp_path / "statements.jsonl"
    assert write_statements(target, journal, HOME) == 3
    lines = target.read_text(encoding="utf-8").splitlines()
    _valid([json.loads(line) for line in lines])
    assert target.stat().st_mode & 0o077 == 0
    with pytest.raises(EpSkillsError, match="already exists"):
        write_statements(target, journal, HOME)
    assert write_statements(target, journal, HOME, "Noah Petit", force=True) == 1


LEVELS = ("RR", "R", "V", "VV", "ABS", "NE", "DISP", "REQ")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    levels=st.lists(
        st.tuples(st.sampled_from(CODES), st.sampled_from(LEVELS)), min_size=1, max_size=6
    )
)
def test_any_levels_give_valid_statements(journal: Journal, levels: list[tuple[str, str]]) -> None:
    before = list(statements(journal, HOME))
    for code, level in levels:
        journal.record(
            ["Noah Petit"], description="travail", day=date(2026, 10, 1), levels={code: level}
        )
    found = _valid(list(statements(journal, HOME)))
    scoring = [level for _code, level in levels if level in {"RR", "R", "V", "VV"}]
    assert len(found) == len(before) + len(scoring)
    assert found[: len(before)] == before  # what was exported does not change
    assert all(-1 <= s["result"]["score"]["scaled"] <= 1 for s in found)


@pytest.mark.sqlite_only  # the command line on the file
def test_the_command(journal: Journal, tmp_path: Path) -> None:
    journal.close()
    runner = CliRunner()
    base = ["--db", str(tmp_path / "j.db"), "exchange", "xapi", "export", "--home", HOME]
    out = tmp_path / "lrs.jsonl"
    done = runner.invoke(cli, [*base, "--trainee", "Léa Martin", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "2" in done.output and len(out.read_text().splitlines()) == 2
    again = runner.invoke(cli, [*base, "--out", str(out)])
    assert again.exit_code == 1 and "Traceback" not in again.output
    assert len(out.read_text().splitlines()) == 2  # untouched
    since = runner.invoke(cli, [*base, "--since", "01/01/2099", "--out", str(out), "--force"])
    assert since.exit_code == 0 and out.read_text() == ""
    unknown = runner.invoke(cli, [*base, "--trainee", "Personne", "--out", str(tmp_path / "x")])
    assert unknown.exit_code == 1 and len(unknown.output.strip().splitlines()) == 1
    bad = ["--db", str(tmp_path / "j.db"), "exchange", "xapi", "export", "--home", "nowhere"]
    refused = runner.invoke(cli, [*bad, "--out", str(tmp_path / "y")])
    assert refused.exit_code == 1 and "https://" in refused.output
    assert not (tmp_path / "y").exists()
