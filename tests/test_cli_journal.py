"""The commands that write the journal, through click's CliRunner: init, trainee, order, task,
record, correct, import, demo, recompute.

Expected values come from the installed cap-cip plugin: the library's default scale
RR/R/V/VV = 0/33/67/100, states NA from 0, VA from 40, A from 61, the geometric method over the
last 5, and the plugin's coverage rule (at least 3 assessments on at least 2 different orders or
tasks). Its catalogue is read straight from the plugin's TOML file (not through ep-skills), so
that ``task list`` is checked against the source, not against itself.
"""

from __future__ import annotations

import csv
import json
import tomllib
import traceback
from collections.abc import Iterator
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from ep_skills.api import open_journal
from ep_skills.cli import cli
from ep_skills.i18n import current_language, set_language

ENV_VARS = ("EP_SKILLS_DB", "EP_SKILLS_CONFIG", "EP_SKILLS_BLOCK_PLUGINS", "NO_COLOR")
NORMAL = "conduire-ligne-mode-normal"  # CP04, CP02, CP01, all proposed at V
JAM = "traiter-bourrage-mode-degrade"  # CP06, CP07, CP04, all proposed at V
TEMPLATE_COLUMNS = [
    "date",
    "trainee",
    "task",
    "order",
    "level",
    "competencies",
    "autonomy",
    "assessor",
    "role",
    "minutes",
    "note",
    "description",
]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    before = current_language()
    yield
    set_language(before)


def run(db: Path, *args: str, lang: str = "en", env: dict[str, str] | None = None) -> Result:
    """Run ``ep-skills --lang LANG --db DB ARGS``; a crash (not a SystemExit) fails the test."""
    result = CliRunner().invoke(cli, ["--lang", lang, "--db", str(db), *args], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"ep-skills {' '.join(args)} crashed:\n{trace}")
    return result


def ok(db: Path, *args: str, lang: str = "en") -> Result:
    result = run(db, *args, lang=lang)
    assert result.exit_code == 0, result.output
    return result


def catalogue(diploma_module: str = "ep_skills_cap_cip") -> list[dict[str, Any]]:
    """The catalogue tasks as written in the plugin's TOML file."""
    text = (files(diploma_module) / "referential.toml").read_text(encoding="utf-8")
    return list(tomllib.loads(text)["tasks"])


def levels_of(db: Path, name: str) -> dict[str, list[str]]:
    """competency → levels recorded for a trainee, oldest first (corrections included)."""
    with open_journal(db) as journal:
        trainee = journal.trainee(name)
        found: dict[str, list[str]] = {}
        for row in journal.storage.assessments(trainee.id):
            found.setdefault(row.competency, []).append(row.level)
        return found


def counts(db: Path) -> tuple[int, int]:
    """(task records, assessments) in the journal."""
    with open_journal(db) as journal:
        connection = journal.storage.connection  # type: ignore[attr-defined]
        records = connection.execute("SELECT count(*) FROM task_record").fetchone()[0]
        return int(records), journal.storage.count_assessments()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "j.db"


@pytest.fixture
def workshop(db: Path) -> Path:
    """A journal with two cap-cip trainees of cohort 2026 and two orders."""
    ok(db, "init")
    ok(db, "trainee", "add", "Léa Martin", "--diploma", "cap-cip", "--cohort", "2026")
    ok(db, "trainee", "add", "Hugo Bernard", "--diploma", "cap-cip", "--cohort", "2026")
    ok(db, "order", "add", "2026-041", "--customer", "Mécanique Durand", "--title", "400 équerres")
    ok(db, "order", "add", "2026-042", "--customer", "Emballages", "--title", "2 000 flacons")
    return db


# -- init ------------------------------------------------------------------------------------


def test_init_creates_an_empty_journal(db: Path) -> None:
    assert not db.exists()
    result = ok(db, "init")
    assert db.exists()
    assert result.stdout.strip() == f"Journal created: {db}"
    with open_journal(db) as journal:
        assert journal.trainees() == []
        assert journal.storage.count_assessments() == 0


def test_init_keeps_the_school_name(db: Path) -> None:
    ok(db, "init", "--school", "École de production de Lyon")
    with open_journal(db) as journal:
        assert journal.storage.get_meta("school") == "École de production de Lyon"


def test_init_without_school_stores_none(db: Path) -> None:
    ok(db, "init")
    with open_journal(db) as journal:
        assert journal.storage.get_meta("school") is None


def test_init_refuses_an_existing_journal(workshop: Path) -> None:
    ok(workshop, "record", "Léa Martin", "--task", NORMAL)
    before = counts(workshop)
    result = run(workshop, "init", "--school", "Autre")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: a file already exists at {workshop}"
    assert counts(workshop) == before
    with open_journal(workshop) as journal:
        assert journal.storage.get_meta("school") is None
        assert len(journal.trainees()) == 2


def test_init_refuses_any_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("mes notes\n", encoding="utf-8")
    result = run(target, "init")
    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert target.read_text(encoding="utf-8") == "mes notes\n"


def test_journal_path_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "from-env.db"
    result = CliRunner().invoke(cli, ["--lang", "en", "init"], env={"EP_SKILLS_DB": str(path)})
    assert result.exit_code == 0, result.output
    assert path.exists()


# -- trainees and orders ---------------------------------------------------------------------


def test_trainee_add_reports_id_and_diploma(db: Path) -> None:
    ok(db, "init")
    first = ok(db, "trainee", "add", "Léa Martin", "--diploma", "cap-cip")
    second = ok(db, "trainee", "add", "Noah Petit", "--diploma", "cap-psr", "--cohort", "P")
    assert first.stdout.strip() == "Trainee added: Léa Martin (#1, cap-cip)"
    assert second.stdout.strip() == "Trainee added: Noah Petit (#2, cap-psr)"


def test_trainee_list_text(workshop: Path) -> None:
    ok(workshop, "trainee", "add", "Noah Petit", "--diploma", "cap-psr", "--cohort", "P")
    out = ok(workshop, "trainee", "list").stdout
    for word in ("Trainees", "Léa Martin", "Hugo Bernard", "Noah Petit", "cap-cip", "cap-psr"):
        assert word in out
    # Sorted by name.
    assert out.index("Hugo Bernard") < out.index("Léa Martin") < out.index("Noah Petit")
    only = ok(workshop, "trainee", "list", "--cohort", "P").stdout
    assert "Noah Petit" in only
    assert "Léa Martin" not in only


def test_trainee_list_json(workshop: Path) -> None:
    ok(
        workshop,
        *("trainee", "add", "Noah Petit", "--diploma", "cap-psr", "--cohort", "P"),
        *("--start", "01/09/2026"),
    )
    rows = json.loads(ok(workshop, "trainee", "list", "--format", "json").stdout)
    assert [r["name"] for r in rows] == ["Hugo Bernard", "Léa Martin", "Noah Petit"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["Léa Martin"] == {
        "id": 1,
        "name": "Léa Martin",
        "diploma": "cap-cip",
        "cohort": "2026",
        "start_date": None,
        "option": None,
        "external_id": None,
        "metadata": {},
        "archived": None,
    }
    assert by_name["Noah Petit"]["diploma"] == "cap-psr"
    assert by_name["Noah Petit"]["cohort"] == "P"
    assert by_name["Noah Petit"]["start_date"] == "2026-09-01"
    cohort = json.loads(
        ok(workshop, "trainee", "list", "--cohort", "2026", "--format", "json").stdout
    )
    assert {r["name"] for r in cohort} == {"Léa Martin", "Hugo Bernard"}


def test_order_add_and_list(db: Path) -> None:
    ok(db, "init")
    added = ok(
        db,
        *("order", "add", "2026-050", "--customer", "Ressorts Rhodaniens"),
        *("--title", "1 200 rondelles", "--quantity", "1200"),
        *("--received", "02/10/2026", "--due", "2026-10-30"),
    )
    assert added.stdout.strip() == "Order added: 2026-050"
    ok(
        db,
        *("order", "add", "2026-051", "--customer", "Mairie", "--title", "Plaques"),
        *("--received", "2026-11-03"),
    )
    rows = json.loads(ok(db, "order", "list", "--format", "json").stdout)
    # Newest first (by date received).
    assert [r["ref"] for r in rows] == ["2026-051", "2026-050"]
    assert rows[1] == {
        "ref": "2026-050",
        "customer": "Ressorts Rhodaniens",
        "title": "1 200 rondelles",
        "quantity": 1200,
        "received": "2026-10-02",
        "due": "2026-10-30",
    }
    assert rows[0]["quantity"] is None
    text = ok(db, "order", "list").stdout
    for word in ("Orders", "2026-050", "Ressorts Rhodaniens", "1200", "2026-10-30", "2026-051"):
        assert word in text


# -- the catalogue ---------------------------------------------------------------------------


def test_task_list_json_is_the_whole_catalogue(db: Path) -> None:
    rows = json.loads(ok(db, "task", "list", "--diploma", "cap-cip", "--format", "json").stdout)
    expected = [
        {
            "id": t["id"],
            "title": t["title"],
            "competencies": {c["code"]: c.get("level") for c in t["competencies"]},
        }
        for t in catalogue()
    ]
    assert len(rows) == len(expected) > 20
    assert rows == expected
    by_id = {r["id"]: r for r in rows}
    assert by_id[NORMAL]["competencies"] == {"CP04": "V", "CP02": "V", "CP01": "V"}
    assert set(by_id[JAM]["competencies"]) == {"CP04", "CP06", "CP07"}


def test_task_list_text(db: Path) -> None:
    out = ok(db, "task", "list", "--diploma", "cap-psr").stdout
    assert "Catalogue of cap-psr" in out
    assert "reception-livraison" in out
    assert "C1.1" in out


def test_task_list_needs_no_journal(db: Path) -> None:
    ok(db, "task", "list", "--diploma", "cap-cip", "--format", "json")
    assert not db.exists()


# -- record ----------------------------------------------------------------------------------


def test_record_uses_the_catalogue_default_levels(workshop: Path) -> None:
    result = ok(
        workshop, "record", "Léa Martin", "--task", NORMAL, "--order", "2026-041",
        "--date", "20/11/2026",
    )  # fmt: skip
    assert result.stdout.splitlines()[:2] == [
        "Task record #1 — 2026-11-20 — task conduire-ligne-mode-normal « Conduire la ligne en "
        "mode normal » — order 2026-041",
        "  Léa Martin : CP04 = V, CP02 = V, CP01 = V (assessments #1 to #3)",
    ]
    assert levels_of(workshop, "Léa Martin") == {"CP01": ["V"], "CP02": ["V"], "CP04": ["V"]}
    with open_journal(workshop) as journal:
        states = journal.leaf_states("Léa Martin")
        rows = journal.storage.assessments(journal.trainee("Léa Martin").id)
    assert {r.day for r in rows} == {date(2026, 11, 20)}
    assert {r.order for r in rows} == {"2026-041"}
    assert {r.task for r in rows} == {NORMAL}
    assert set(states) == {"CP01", "CP02", "CP04"}
    for state in states.values():
        # One V = 67: the score alone reaches A (from 61), but the plugin asks for 3
        # assessments on 2 orders, so the state stays at VA.
        assert state.score == 67
        assert state.score_state == "A"
        assert state.state == "VA"
        assert not state.acquired
        assert state.count == 1
    assert levels_of(workshop, "Hugo Bernard") == {}


def test_record_shows_in_progress_json(workshop: Path) -> None:
    ok(workshop, "record", "Léa Martin", "--task", NORMAL, "--order", "2026-041")
    data = json.loads(ok(workshop, "progress", "Léa Martin", "--format", "json").stdout)
    nodes = {n["code"]: n for b in data["blocs"] for n in b["competencies"]}
    assert {code for code, n in nodes.items() if n["state"] is not None} == {"CP01", "CP02", "CP04"}
    assert nodes["CP04"]["score"] == 67
    assert nodes["CP04"]["leaf"]["count"] == 1
    assert nodes["CP03"]["state"] is None
    assert nodes["CP03"]["leaf"] is None


def test_record_several_trainees_at_once(workshop: Path) -> None:
    result = ok(workshop, "record", "Léa Martin", "Hugo Bernard", "--task", JAM)
    assert "  Léa Martin : CP06 = V, CP07 = V, CP04 = V (assessments #1 to #3)" in result.stdout
    assert "  Hugo Bernard : CP06 = V, CP07 = V, CP04 = V (assessments #4 to #6)" in result.stdout
    expected = {"CP04": ["V"], "CP06": ["V"], "CP07": ["V"]}
    assert levels_of(workshop, "Léa Martin") == expected
    assert levels_of(workshop, "Hugo Bernard") == expected
    assert counts(workshop) == (1, 6)  # one record, three assessments each


def test_level_replaces_every_default(workshop: Path) -> None:
    ok(workshop, "record", "Léa Martin", "--task", NORMAL, "--level", "VV")
    assert levels_of(workshop, "Léa Martin") == {"CP01": ["VV"], "CP02": ["VV"], "CP04": ["VV"]}
    with open_journal(workshop) as journal:
        assert journal.leaf_states("Léa Martin")["CP04"].score == 100


def test_competency_pairs_override_and_add(workshop: Path) -> None:
    ok(
        workshop, "record", "Léa Martin", "--task", NORMAL,
        "--competency", "CP04=VV", "--competency", "CP03=R",
    )  # fmt: skip
    assert levels_of(workshop, "Léa Martin") == {
        "CP01": ["V"],
        "CP02": ["V"],
        "CP03": ["R"],
        "CP04": ["VV"],
    }


def test_a_competency_pair_wins_over_level(workshop: Path) -> None:
    ok(
        workshop,
        "record",
        "Hugo Bernard",
        "--task",
        NORMAL,
        "--level",
        "R",
        "--competency",
        "CP04=VV",
    )
    assert levels_of(workshop, "Hugo Bernard") == {"CP01": ["R"], "CP02": ["R"], "CP04": ["VV"]}


def test_record_a_description_with_pairs_only(workshop: Path) -> None:
    ok(
        workshop, "record", "Léa Martin", "--description", "Réglage de la presse",
        "--competency", "CP03=V", "--autonomy", "3", "--minutes", "45", "--assessor", "M. Durand",
    )  # fmt: skip
    assert levels_of(workshop, "Léa Martin") == {"CP03": ["V"]}
    with open_journal(workshop) as journal:
        (row,) = journal.storage.assessments(journal.trainee("Léa Martin").id)
    assert row.task is None
    assert row.autonomy == 3
    assert row.assessor == "M. Durand"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("20/11/2026", date(2026, 11, 20)),
        ("2026-11-19", date(2026, 11, 19)),
        ("18.11.2026", date(2026, 11, 18)),
    ],
)
def test_record_dates(workshop: Path, typed: str, expected: date) -> None:
    result = ok(workshop, "record", "Léa Martin", "--task", NORMAL, "--date", typed)
    assert f" — {expected.isoformat()} — " in result.stdout
    with open_journal(workshop) as journal:
        rows = journal.storage.assessments(journal.trainee("Léa Martin").id)
    assert {r.day for r in rows} == {expected}


def test_record_date_defaults_to_today(workshop: Path) -> None:
    ok(workshop, "record", "Léa Martin", "--task", NORMAL)
    with open_journal(workshop) as journal:
        rows = journal.storage.assessments(journal.trainee("Léa Martin").id)
    assert {r.day for r in rows} == {date.today()}


def test_self_assessment_is_kept_apart(workshop: Path) -> None:
    ok(workshop, "record", "Léa Martin", "--task", NORMAL, "--order", "2026-041")
    with open_journal(workshop) as journal:
        before = journal.leaf_states("Léa Martin")["CP04"]
    ok(workshop, "record", "Léa Martin", "--task", JAM, "--role", "auto", "--level", "VV")
    with open_journal(workshop) as journal:
        states = journal.leaf_states("Léa Martin")
        rows = journal.storage.assessments(journal.trainee("Léa Martin").id, "CP04")
    assert [str(r.role) for r in rows] == ["maitre", "auto"]
    cp04 = states["CP04"]
    # The official state is what the instructor's V alone gives.
    assert (cp04.state, cp04.score, cp04.count) == (before.state, before.score, before.count)
    assert (cp04.state, cp04.score, cp04.count) == ("VA", 67, 1)
    assert cp04.self_score == 100
    assert cp04.self_state == "A"
    # CP06 was only self-assessed: no official state at all.
    cp06 = states["CP06"]
    assert cp06.state is None
    assert cp06.score is None
    assert not cp06.acquired
    assert cp06.self_score == 100
    data = json.loads(ok(workshop, "progress", "Léa Martin", "--format", "json").stdout)
    nodes = {n["code"]: n for b in data["blocs"] for n in b["competencies"]}
    assert nodes["CP06"]["state"] is None
    assert nodes["CP06"]["leaf"]["self_score"] == 100
    assert nodes["CP04"]["state"] == "VA"
    assert nodes["CP04"]["leaf"]["self_state"] == "A"


# -- correct ---------------------------------------------------------------------------------


def _ids(db: Path, name: str, code: str) -> list[int]:
    with open_journal(db) as journal:
        return [r.id for r in journal.storage.assessments(journal.trainee(name).id, code)]


def test_correct_with_a_new_level(workshop: Path) -> None:
    ok(workshop, "record", "Léa Martin", "--task", NORMAL, "--level", "VV")
    (original,) = _ids(workshop, "Léa Martin", "CP04")
    _records, assessments = counts(workshop)
    result = ok(workshop, "correct", str(original), "--level", "R", "--note", "erreur de saisie")
    new_id = assessments + 1
    assert result.stdout.strip() == (
        f"Assessment #{original} of Léa Martin, CP04 of {date.today().isoformat()}: VV → R "
        f"(recorded as assessment #{new_id})."
    )
    # The original stays; the correction is a new row.
    assert _ids(workshop, "Léa Martin", "CP04") == [original, new_id]
    assert counts(workshop)[1] == assessments + 1
    with open_journal(workshop) as journal:
        states = journal.leaf_states("Léa Martin")
    assert states["CP04"].score == 33  # R alone
    assert states["CP04"].state == "NA"
    assert states["CP04"].count == 1
    assert states["CP04"].history == 2
    assert states["CP01"].score == 100  # untouched


def test_correct_withdraw(workshop: Path) -> None:
    ok(workshop, "record", "Léa Martin", "--task", NORMAL)
    (original,) = _ids(workshop, "Léa Martin", "CP02")
    ok(workshop, "correct", str(original), "--withdraw")
    with open_journal(workshop) as journal:
        states = journal.leaf_states("Léa Martin")
        rows = journal.storage.assessments(journal.trainee("Léa Martin").id, "CP02")
    assert [r.withdrawn for r in rows] == [False, True]
    cp02 = states.get("CP02")
    assert cp02 is None or (cp02.state is None and cp02.score is None and cp02.count == 0)
    assert states["CP04"].score == 67


def test_correcting_the_same_assessment_twice_counts_it_once(workshop: Path) -> None:
    """An instructor fixes a typo in their correction by correcting the original again.

    One assessment was made: whatever the corrections, it must count once. (Either the second
    correction replaces the first, or it is refused with an error naming the correction.)
    """
    ok(workshop, "record", "Léa Martin", "--description", "série", "--competency", "CP04=VV")
    (original,) = _ids(workshop, "Léa Martin", "CP04")
    ok(workshop, "correct", str(original), "--level", "R")
    second = run(workshop, "correct", str(original), "--level", "RR")
    with open_journal(workshop) as journal:
        cp04 = journal.leaf_states("Léa Martin")["CP04"]
    assert cp04.count == 1, (
        f"one assessment counted {cp04.count} times after two corrections (score {cp04.score})"
    )
    if second.exit_code == 0:
        assert cp04.score == 0  # the latest correction, RR
    else:
        assert cp04.score == 33  # the first correction, R


# -- import ----------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    return path


FRENCH_ROWS = [
    ["date", "apprenti", "tache", "commande", "niveau", "competences"],
    ["20/11/2026", "Léa Martin", NORMAL, "2026-041", "VV", ""],
    ["2026-11-21", "Léa Martin; Hugo Bernard", JAM, "2026-042", "", "CP04=R"],
]


def test_import_csv_with_french_headers(workshop: Path, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "suivi.csv", FRENCH_ROWS)
    result = ok(workshop, "import", str(file))
    # Row 2: 3 competencies x 1 trainee; row 3: 3 competencies x 2 trainees.
    assert result.stdout.strip() == (
        "Import #1: 2 rows, 2 new task records, 9 assessments "
        "(to undo: ep-skills withdraw --import 1)."
    )
    assert counts(workshop) == (2, 9)
    assert levels_of(workshop, "Léa Martin") == {
        "CP01": ["VV"],
        "CP02": ["VV"],
        "CP04": ["VV", "R"],
        "CP06": ["V"],
        "CP07": ["V"],
    }
    assert levels_of(workshop, "Hugo Bernard") == {"CP04": ["R"], "CP06": ["V"], "CP07": ["V"]}
    with open_journal(workshop) as journal:
        rows = journal.storage.assessments(journal.trainee("Hugo Bernard").id)
    assert {(r.day, r.order) for r in rows} == {(date(2026, 11, 21), "2026-042")}


def test_import_csv_written_by_excel_in_cp1252(workshop: Path, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "excel.csv", FRENCH_ROWS[:2], encoding="cp1252")
    assert "é".encode() not in file.read_bytes()
    ok(workshop, "import", str(file))
    assert levels_of(workshop, "Léa Martin") == {"CP01": ["VV"], "CP02": ["VV"], "CP04": ["VV"]}


def test_import_xlsx(workshop: Path, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Date", "Apprenti", "Tâche", "Commande", "Compétences", "Autonomie", "Rôle"])
    sheet.append(
        [datetime(2026, 11, 19), "Hugo Bernard", NORMAL, "2026-041", "CP05=VV", 3, "tuteur"]
    )
    sheet.append([None, None, None, None, None, None, None])  # empty rows are skipped
    sheet.append(["2026-11-20", "Léa Martin", JAM, None, None, None, None])
    path = tmp_path / "suivi.xlsx"
    book.save(path)
    result = ok(workshop, "import", str(path))
    assert result.stdout.strip() == (
        "Import #1: 2 rows, 2 new task records, 7 assessments "
        "(to undo: ep-skills withdraw --import 1)."
    )
    assert levels_of(workshop, "Hugo Bernard") == {
        "CP01": ["V"],
        "CP02": ["V"],
        "CP04": ["V"],
        "CP05": ["VV"],
    }
    with open_journal(workshop) as journal:
        rows = journal.storage.assessments(journal.trainee("Hugo Bernard").id)
    assert {r.day for r in rows} == {date(2026, 11, 19)}
    assert {r.autonomy for r in rows} == {3}
    assert {str(r.role) for r in rows} == {"tuteur"}
    assert {r.order for r in rows} == {"2026-041"}


def test_import_dry_run_writes_nothing(workshop: Path, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "suivi.csv", FRENCH_ROWS)
    result = ok(workshop, "import", str(file), "--dry-run")
    assert result.stdout.strip() == (
        "2 rows checked, no problem: 2 new task records would be written. Nothing was "
        "written (--dry-run)."
    )
    assert counts(workshop) == (0, 0)
    assert levels_of(workshop, "Léa Martin") == {}
    # The same file, for real, then writes everything.
    ok(workshop, "import", str(file))
    assert counts(workshop) == (2, 9)


def _template_expectations(db: Path) -> None:
    # The example row: Léa Martin and Hugo Bernard, conduire-ligne-mode-normal (CP04, CP02,
    # CP01 at V) on order 2026-041 with CP05=VV added: 4 assessments each, autonomy 3.
    expected = {"CP01": ["V"], "CP02": ["V"], "CP04": ["V"], "CP05": ["VV"]}
    assert levels_of(db, "Léa Martin") == expected
    assert levels_of(db, "Hugo Bernard") == expected
    with open_journal(db) as journal:
        rows = journal.storage.assessments(journal.trainee("Léa Martin").id)
    assert {(r.order, r.autonomy, str(r.role)) for r in rows} == {("2026-041", 3, "maitre")}


def test_import_template_csv(workshop: Path, tmp_path: Path) -> None:
    path = tmp_path / "modele.csv"
    result = ok(workshop, "import", "--template", str(path))
    assert result.stdout.startswith(f"Template written: {path}")
    assert counts(workshop) == (0, 0)  # writing a template imports nothing
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == TEMPLATE_COLUMNS
    assert len(rows) == 2  # header and one example row
    imported = ok(workshop, "import", str(path))
    assert imported.stdout.strip() == (
        "Import #1: 1 row, 1 new task record, 8 assessments "
        "(to undo: ep-skills withdraw --import 1)."
    )
    _template_expectations(workshop)


def test_import_template_xlsx(workshop: Path, tmp_path: Path) -> None:
    path = tmp_path / "modele.xlsx"
    ok(workshop, "import", "--template", str(path))
    book = openpyxl.load_workbook(path)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == TEMPLATE_COLUMNS
    assert len(rows) == 2
    imported = ok(workshop, "import", str(path))
    assert imported.stdout.strip() == (
        "Import #1: 1 row, 1 new task record, 8 assessments "
        "(to undo: ep-skills withdraw --import 1)."
    )
    _template_expectations(workshop)


# -- demo and recompute ----------------------------------------------------------------------


def test_demo_is_deterministic(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    shown = ok(first, "demo", "--seed", "7", "--trainees", "4").stdout
    ok(second, "demo", "--seed", "7", "--trainees", "4")
    ok(other, "demo", "--seed", "8", "--trainees", "4")
    assert shown.startswith(f"Demo journal {first}: 4 trainees, ")
    views = [
        ok(db, "progress", "--all", "--format", "json").stdout for db in (first, second, other)
    ]
    assert views[0] == views[1]
    assert views[0] != views[2]  # the seed matters
    data = json.loads(views[0])
    assert len(data) == 4
    assert {row["trainee"]["cohort"] for row in data} == {"demo-cap-cip"}
    assert any(n["state"] for row in data for b in row["blocs"] for n in b["competencies"])
    # The matrix printed by demo names every trainee.
    for row in data:
        assert row["trainee"]["name"] in shown


def test_demo_refuses_an_existing_file(workshop: Path) -> None:
    result = run(workshop, "demo", "--trainees", "2")
    assert result.exit_code == 1
    assert "already exists" in result.stderr
    with open_journal(workshop) as journal:
        assert len(journal.trainees()) == 2


def test_recompute_rebuilds_the_same_states(workshop: Path) -> None:
    ok(workshop, "record", "Léa Martin", "--task", NORMAL, "--order", "2026-041", "--level", "VV")
    ok(workshop, "record", "Léa Martin", "Hugo Bernard", "--task", JAM, "--order", "2026-042")
    before = ok(workshop, "progress", "--all", "--format", "json").stdout
    result = ok(workshop, "recompute")
    # Léa: CP01, CP02, CP04, CP06, CP07; Hugo: CP04, CP06, CP07.
    assert result.stdout.strip() == "8 states recomputed."
    assert ok(workshop, "progress", "--all", "--format", "json").stdout == before
    with open_journal(workshop) as journal:
        stored = journal.storage.states([t.id for t in journal.trainees()])
    assert len(stored) == 8


def test_recompute_on_an_empty_journal(db: Path) -> None:
    ok(db, "init")
    assert ok(db, "recompute").stdout.strip() == "0 states recomputed."


def test_an_older_journal_is_upgraded_once_with_a_message(tmp_path: Path) -> None:
    from tests.journals import write_old_journal

    from ep_skills.journal.sqlite import SCHEMA_VERSION

    path = tmp_path / "old.db"
    write_old_journal(path, 3)
    first = run(path, "trainee", "list", lang="fr")
    assert first.exit_code == 0, first.output
    assert f"schéma 3 → {SCHEMA_VERSION}" in first.stderr
    again = run(path, "trainee", "list", lang="fr")
    assert again.exit_code == 0 and "schéma" not in again.stderr
