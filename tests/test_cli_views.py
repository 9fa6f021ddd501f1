"""The commands that read: progress (text, JSON, CSV, cohort matrix, --require), explain, gaps,
diplomas, referential show, plugins.

The journal is built once through the Python API. Both installed plugins use the library's
default scale (RR/R/V/VV = 0/33/67/100; NA from 0, VA from 40, A from 61, labels « non acquis »,
« en cours d'acquisition », « acquis »), the geometric method, all-children roll-up, and ask
for at least 3 assessments on at least 2 different orders, over at least 4 weeks, before a
competency is acquired.

- cohort C (cap-cip): Léa Martin acquired CP01–CP07 (VV three times, on orders O1, O2, O1);
  Hugo Bernard acquired CP06 and CP07 the same way and has one R on CP04, nothing else.
- cohort solo (cap-cip): Inès Roux acquired everything.
- cohort P (cap-psr): Noah Petit acquired C1.1, C1.2, C1.3 (so C1) and has one V on C2.1 and
  C2.4 (task pesees-fiche-technique).

cap-cip has two épreuves that assess competencies: EP1 (coefficient 8: CP01–CP05) and EP2
(coefficient 4: CP06–CP07), so Hugo's readiness is 4 / 12 = 33 %.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
import traceback
from collections.abc import Iterator
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ep_skills.api import Journal, open_journal
from ep_skills.cli import cli
from ep_skills.i18n import current_language, set_language

CIP = [f"CP0{i}" for i in range(1, 8)]
ENV_VARS = ("EP_SKILLS_DB", "EP_SKILLS_CONFIG", "EP_SKILLS_BLOCK_PLUGINS", "NO_COLOR")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    before = current_language()
    yield
    set_language(before)


def run(db: Path, *args: str, lang: str = "en") -> Result:
    """Run ``ep-skills --lang LANG --db DB ARGS``; a crash (not a SystemExit) fails the test."""
    result = CliRunner().invoke(cli, ["--lang", lang, "--db", str(db), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"ep-skills {' '.join(args)} crashed:\n{trace}")
    return result


def ok(db: Path, *args: str) -> Result:
    result = run(db, *args)
    assert result.exit_code == 0, result.output
    return result


def source(module: str) -> dict[str, Any]:
    """A plugin's referential as written in its TOML file."""
    return tomllib.loads((files(module) / "referential.toml").read_text(encoding="utf-8"))


def all_codes(items: list[dict[str, Any]]) -> list[str]:
    found = []
    for item in items:
        found.append(item["code"])
        found.extend(all_codes(item.get("children", [])))
    return found


def acquire(journal: Journal, name: str, codes: list[str]) -> None:
    """Three VV on two different orders over six weeks: enough for the plugins' coverage rule."""
    for ref, weeks in (("O1", 6), ("O2", 3), ("O1", 0)):
        journal.record(
            [name],
            description="série",
            order=ref,
            day=date.today() - timedelta(weeks=weeks),
            levels=dict.fromkeys(codes, "VV"),
        )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("views") / "j.db"
    with open_journal(path, create=True) as journal:
        journal.add_trainee("Léa Martin", diploma="cap-cip", cohort="C")
        journal.add_trainee("Hugo Bernard", diploma="cap-cip", cohort="C")
        journal.add_trainee("Inès Roux", diploma="cap-cip", cohort="solo")
        journal.add_trainee("Noah Petit", diploma="cap-psr", cohort="P")
        journal.add_order("O1", customer="Mécanique Durand", title="400 équerres")
        journal.add_order("O2", customer="Cantine", title="Repas")
        acquire(journal, "Léa Martin", CIP)
        acquire(journal, "Inès Roux", CIP)
        acquire(journal, "Hugo Bernard", ["CP06", "CP07"])
        journal.record(["Hugo Bernard"], description="réglage", order="O1", levels={"CP04": "R"})
        acquire(journal, "Noah Petit", ["C1.1", "C1.2", "C1.3"])
        journal.record(["Noah Petit"], task="pesees-fiche-technique", order="O1")
    return path


def ids(db: Path, name: str, code: str) -> list[int]:
    with open_journal(db) as journal:
        return [r.id for r in journal.storage.assessments(journal.trainee(name).id, code)]


# -- progress of one trainee -----------------------------------------------------------------


def test_progress_text_shows_blocs_and_every_competency(db: Path) -> None:
    out = ok(db, "progress", "Hugo Bernard").stdout
    assert out.startswith("Hugo Bernard — CAP Conducteur d'installations de production (cap-cip)")
    for word in ("UP1", "UP2", *CIP, "EP1", "EP2"):
        assert word in out
    lines = out.splitlines()
    up1 = next(line for line in lines if line.startswith("UP1 "))
    up2 = next(line for line in lines if line.startswith("UP2 "))
    assert up1.endswith("0/5")
    assert up2.endswith("2/2")
    assert "Readiness for the exam: " in out
    assert "33%" in out
    assert "missing: CP01, CP02, CP03, CP04, CP05" in out


def test_progress_text_of_a_ready_trainee(db: Path) -> None:
    out = ok(db, "progress", "Léa Martin").stdout
    assert "Léa Martin" in out
    assert "100%" in out
    assert "missing:" not in out
    assert "5/5" in out


def test_progress_json(db: Path) -> None:
    data = json.loads(ok(db, "progress", "Hugo Bernard", "--format", "json").stdout)
    assert set(data) >= {"trainee", "diploma", "readiness", "ready", "blocs", "epreuves"}
    assert data["trainee"]["name"] == "Hugo Bernard"
    assert data["trainee"]["diploma"] == data["diploma"] == "cap-cip"
    assert data["readiness"] == pytest.approx(4 / 12)
    assert data["ready"] is False
    blocs = {b["id"]: b for b in data["blocs"]}
    assert (blocs["UP1"]["acquired"], blocs["UP1"]["total"]) == (0, 5)
    assert (blocs["UP2"]["acquired"], blocs["UP2"]["total"]) == (2, 2)
    nodes = {n["code"]: n for b in data["blocs"] for n in b["competencies"]}
    assert list(nodes) == CIP
    assert (nodes["CP04"]["state"], nodes["CP04"]["score"], nodes["CP04"]["acquired"]) == (
        "NA",
        33,
        False,
    )
    assert (nodes["CP06"]["state"], nodes["CP06"]["score"], nodes["CP06"]["acquired"]) == (
        "A",
        100,
        True,
    )
    assert nodes["CP06"]["leaf"]["count"] == 3
    assert nodes["CP06"]["leaf"]["contexts"] == 2
    assert nodes["CP01"]["state"] is None
    assert nodes["CP01"]["leaf"] is None
    epreuves = {e["code"]: e for e in data["epreuves"]}
    assert epreuves["EP1"]["ready"] is False
    assert epreuves["EP1"]["missing"] == ["CP01", "CP02", "CP03", "CP04", "CP05"]
    assert epreuves["EP1"]["coefficient"] == 8
    assert epreuves["EP2"]["ready"] is True
    assert epreuves["EP2"]["missing"] == []


def test_progress_json_of_a_ready_trainee(db: Path) -> None:
    data = json.loads(ok(db, "progress", "Léa Martin", "--format", "json").stdout)
    assert data["readiness"] == 1.0
    assert data["ready"] is True
    assert all(n["acquired"] for b in data["blocs"] for n in b["competencies"])


def test_progress_csv(db: Path) -> None:
    rows = list(
        csv.reader(io.StringIO(ok(db, "progress", "Hugo Bernard", "--format", "csv").stdout))
    )
    assert rows[0] == ["bloc", "competency", "state", "score", "acquired"]
    body = {r[1]: r for r in rows[1:]}
    assert list(body) == CIP
    assert body["CP01"] == ["UP1", "CP01", "", "", "0"]
    assert body["CP04"] == ["UP1", "CP04", "NA", "33", "0"]
    assert body["CP07"] == ["UP2", "CP07", "A", "100", "1"]


def test_progress_csv_lists_parents_and_their_leaves(db: Path) -> None:
    rows = list(csv.reader(io.StringIO(ok(db, "progress", "Noah Petit", "--format", "csv").stdout)))
    codes = [r[1] for r in rows[1:]]
    assert codes[:5] == ["C1", "C1.1", "C1.2", "C1.3", "C2"]
    body = {r[1]: r for r in rows[1:]}
    assert body["C1"] == ["B1", "C1", "A", "100", "1"]
    assert body["C2.1"] == ["B1", "C2.1", "VA", "67", "0"]
    assert body["C2.2"] == ["B1", "C2.2", "", "", "0"]
    # C2's score is the mean of its assessed children (67); not every child is acquired.
    assert body["C2"] == ["B1", "C2", "VA", "67", "0"]


# -- the cohort matrix -----------------------------------------------------------------------


def test_cohort_matrix_text(db: Path) -> None:
    out = ok(db, "progress", "--cohort", "C").stdout
    for word in ("Léa Martin", "Hugo Bernard", *CIP, "readiness", "(cap-cip)"):
        assert word in out
    assert "Inès Roux" not in out
    assert "Noah Petit" not in out
    hugo = next(line for line in out.splitlines() if "Hugo Bernard" in line)
    assert "33%" in hugo
    lea = next(line for line in out.splitlines() if "Léa Martin" in line)
    assert "100%" in lea


def test_cohort_matrix_json_and_csv(db: Path) -> None:
    data = json.loads(ok(db, "progress", "--cohort", "C", "--format", "json").stdout)
    assert [row["trainee"]["name"] for row in data] == ["Hugo Bernard", "Léa Martin"]
    rows = list(
        csv.reader(io.StringIO(ok(db, "progress", "--cohort", "C", "--format", "csv").stdout))
    )
    assert rows[0] == ["trainee", *CIP, "readiness"]
    by_name = {r[0]: r[1:] for r in rows[1:]}
    assert by_name["Léa Martin"] == ["A"] * 7 + ["1.00"]
    assert by_name["Hugo Bernard"] == ["", "", "", "NA", "", "A", "A", "0.33"]


def test_all_trainees_matrix_has_one_table_per_diploma(db: Path) -> None:
    out = ok(db, "progress", "--all").stdout
    for name in ("Léa Martin", "Hugo Bernard", "Inès Roux", "Noah Petit"):
        assert name in out
    assert "(cap-cip)" in out
    assert "(cap-psr)" in out


def test_cohort_matrix_by_bloc(db: Path) -> None:
    out = ok(db, "progress", "--cohort", "C", "--by", "bloc").stdout
    assert "UP1" in out
    assert "UP2" in out
    assert "CP01" not in out
    hugo = next(line for line in out.splitlines() if "Hugo Bernard" in line)
    assert "0/5" in hugo
    assert "2/2" in hugo
    lea = next(line for line in out.splitlines() if "Léa Martin" in line)
    assert "5/5" in lea
    rows = list(
        csv.reader(
            io.StringIO(
                ok(db, "progress", "--cohort", "C", "--by", "bloc", "--format", "csv").stdout
            )
        )
    )
    assert rows[0] == ["trainee", "UP1", "UP2", "readiness"]
    assert rows[1] == ["Hugo Bernard", "0.00", "1.00", "0.33"]


# -- --require -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "requirement", "code"),
    [
        ("Léa Martin", "all", 0),
        ("Léa Martin", "UP1", 0),
        ("Léa Martin", "EP1", 0),
        ("Hugo Bernard", "all", 1),
        ("Hugo Bernard", "UP1", 1),
        ("Hugo Bernard", "EP1", 1),
        ("Hugo Bernard", "UP2", 0),
        ("Hugo Bernard", "EP2", 0),
        ("Noah Petit", "all", 1),
    ],
)
def test_require_for_one_trainee(db: Path, who: str, requirement: str, code: int) -> None:
    result = run(db, "progress", who, "--require", requirement, "--format", "json")
    assert result.exit_code == code, result.output
    assert json.loads(result.stdout)["trainee"]["name"] == who  # the output is still printed


@pytest.mark.parametrize(
    ("cohort", "requirement", "code"),
    [("C", "all", 1), ("C", "UP2", 0), ("C", "EP2", 0), ("C", "EP1", 1), ("solo", "all", 0)],
)
def test_require_for_a_cohort(db: Path, cohort: str, requirement: str, code: int) -> None:
    result = run(db, "progress", "--cohort", cohort, "--require", requirement)
    assert result.exit_code == code, result.output


def test_require_an_unknown_bloc(db: Path) -> None:
    result = run(db, "progress", "Léa Martin", "--require", "UP9")
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.startswith("Error: unknown bloc or épreuve 'UP9'")
    for known in ("UP1", "UP2", "EP1", "EP2", "all"):
        assert known in message


# -- explain ---------------------------------------------------------------------------------


def test_explain_an_acquired_competency(db: Path) -> None:
    out = ok(db, "explain", "Léa Martin", "CP04").stdout
    assert out.startswith("Léa Martin — CP04 ")
    assert "Method geometrique" in out
    assessments = ids(db, "Léa Martin", "CP04")
    assert len(assessments) == 3
    for number in assessments:
        assert f"#{number} " in out
    assert "Score 100/100" in out
    assert "✓ at least 3 assessments (has 3)" in out
    assert "✓ on at least 2 different orders or tasks (has 2)" in out
    assert "State: acquis." in out
    assert "order O2" in out


def test_explain_a_competency_held_back(db: Path) -> None:
    out = ok(db, "explain", "Hugo Bernard", "CP04").stdout
    (number,) = ids(db, "Hugo Bernard", "CP04")
    assert f"#{number} " in out
    assert "R = 33" in out
    assert "Score 33/100" in out
    assert "✗ at least 3 assessments (has 1)" in out
    assert "✗ on at least 2 different orders or tasks (has 1)" in out
    assert "State: non acquis." in out


def test_explain_a_competency_never_assessed(db: Path) -> None:
    out = ok(db, "explain", "Hugo Bernard", "CP01").stdout
    assert "No scoring assessment yet: CP01 is not assessed." in out
    assert "State: not assessed yet." in out


def test_explain_a_parent_shows_the_roll_up(db: Path) -> None:
    out = ok(db, "explain", "Noah Petit", "C1").stdout
    lines = out.splitlines()
    assert lines[0].startswith("Noah Petit — C1 ")
    assert "C1 is rolled up from its sub-competencies" in out
    assert "all its sub-competencies" in out
    for child in ("C1.1", "C1.2", "C1.3"):
        assert f"  ✓ {child} acquis (100)" in lines
    assert lines[-1] == "State: acquis."


def test_explain_a_parent_not_acquired(db: Path) -> None:
    lines = ok(db, "explain", "Noah Petit", "C2").stdout.splitlines()
    assert "  · C2.1 en cours d'acquisition (67)" in lines
    assert "  · C2.2 not assessed yet (—)" in lines
    assert lines[-1] == "State: en cours d'acquisition."


# -- gaps ------------------------------------------------------------------------------------


def _tasks_for(code: str) -> list[str]:
    return [
        t["id"]
        for t in source("ep_skills_cap_cip")["tasks"]
        if any(c["code"] == code for c in t["competencies"])
    ]


def test_gaps_json(db: Path) -> None:
    data = json.loads(ok(db, "gaps", "--cohort", "C", "--format", "json").stdout)
    assert [g["code"] for g in data] == ["CP01", "CP02", "CP03", "CP04", "CP05"]
    with open_journal(db) as journal:
        hugo = journal.trainee("Hugo Bernard").id
    for gap in data:
        assert gap["diploma"] == "cap-cip"
        never = gap["code"] != "CP04"
        (who,) = gap["missing"]
        still = who.pop("missing")
        assert who == {"id": hugo, "name": "Hugo Bernard", "never_assessed": never}
        # What he still misses, as the API says it (« ce qui manque encore »).
        with open_journal(db) as journal:
            expected = journal.still_missing(hugo, gap["code"])[gap["code"]]
        assert still == expected.to_dict()
        assert still["acquired"] is False and still["assessments"] >= 1
        assert [t["id"] for t in gap["tasks"]] == _tasks_for(gap["code"])
        assert gap["tasks"], f"no catalogue task mobilises {gap['code']}"


def test_gaps_text(db: Path) -> None:
    out = ok(db, "gaps", "--cohort", "C").stdout
    for code in ("CP01", "CP02", "CP03", "CP04", "CP05"):
        assert code in out
        # At least the first catalogue task that covers it is proposed.
        assert _tasks_for(code)[0] in out
    assert "CP06" not in out
    assert "CP07" not in out
    assert "Hugo Bernard" in out
    assert "Léa Martin" not in out
    assert "never assessed: Hugo Bernard" in out


def test_no_gap(db: Path) -> None:
    out = ok(db, "gaps", "--cohort", "solo").stdout
    assert out.strip() == "No gap: every trainee has acquired every competency."
    assert json.loads(ok(db, "gaps", "--cohort", "solo", "--format", "json").stdout) == []


# -- diplomas, referential, plugins ----------------------------------------------------------


def test_diplomas_text(db: Path) -> None:
    out = ok(db, "diplomas").stdout
    for word in ("Installed diplomas", "cap-cip", "cap-psr", "RNCP"):
        assert word in out


def test_diplomas_json(db: Path) -> None:
    rows = {r["id"]: r for r in json.loads(ok(db, "diplomas", "--format", "json").stdout)}
    assert set(rows) >= {"cap-cip", "cap-psr"}  # and any other installed diploma plugin
    for diploma, module in (("cap-cip", "ep_skills_cap_cip"), ("cap-psr", "ep_skills_cap_psr")):
        written = source(module)
        assert rows[diploma]["title"] == written["title"]
        assert rows[diploma]["kind"] == "CAP"
        assert rows[diploma]["level"] == written["level"]
        assert rows[diploma]["tasks"] == len(written["tasks"])
    assert rows["cap-cip"]["plugin"] == "cap_cip"
    assert rows["cap-psr"]["plugin"] == "cap_psr"


def test_referential_show_text(db: Path) -> None:
    written = source("ep_skills_cap_psr")
    out = ok(db, "referential", "show", "cap-psr").stdout
    for bloc in written["blocs"]:
        assert bloc["id"] in out
        for code in all_codes(bloc["competencies"]):
            assert f" {code} " in out, code
    for epreuve in written["epreuves"]:
        assert epreuve["code"] in out
    assert f"({len(written['tasks'])})" in out
    assert "reception-livraison" in out


def test_referential_show_json(db: Path) -> None:
    data = json.loads(ok(db, "referential", "show", "cap-psr", "--format", "json").stdout)
    written = source("ep_skills_cap_psr")
    assert data["id"] == "cap-psr"
    # The plugin's own blocs first, then the general ones shared by every CAP (a fragment).
    own = [b["id"] for b in written["blocs"]]
    assert [b["id"] for b in data["blocs"]][: len(own)] == own
    assert [t["id"] for t in data["tasks"]] == [t["id"] for t in written["tasks"]]


def test_referential_show_unknown_diploma(db: Path) -> None:
    result = run(db, "referential", "show", "cap-xyz")
    assert result.exit_code == 1
    assert "cap-xyz" in result.stderr
    assert "cap-cip" in result.stderr  # the installed ones are listed


def test_plugins(db: Path) -> None:
    rows = {r["name"]: r for r in json.loads(ok(db, "plugins").stdout)}
    for name in ("cap_cip", "cap_psr"):
        assert name in rows
        assert "ep_skills_register_referentials" in rows[name]["hooks"]
        assert "ep_skills_calculation_settings" in rows[name]["hooks"]
        assert rows[name]["version"]
