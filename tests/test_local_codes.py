"""An id the official text does not write is never shown as an official code: marked « * »
with its legend wherever people read it; the data (JSON, CSV) keeps the id as it is."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from ep_skills import open_journal
from ep_skills.cli import cli
from ep_skills.reports import livret_html

TODAY = date(2026, 11, 20)


def _journal(path: Path) -> None:
    with open_journal(path, create=True, today=TODAY) as journal:
        journal.add_trainee("Léa Martin", diploma="tp-soudeur", cohort="2026")
        journal.add_trainee("Hugo Bernard", diploma="cap-cip", cohort="2027")
        task = journal.registry.get("tp-soudeur").tasks[0]
        journal.record(["Léa Martin"], task=task.id, day=date(2026, 11, 2))


def _run(db: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--lang", "fr", "--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_local_codes_are_marked_where_people_read_them(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    _journal(db)
    progress = _run(db, "progress", "Léa Martin")
    assert "CCP1.1*" in progress and "identifiant ep-skills" in progress
    # The matrix's 15 narrow columns cut their headers (« CCP1… »): the legend says it.
    matrix = _run(db, "progress", "--cohort", "2026")
    assert "identifiant ep-skills" in matrix.splitlines()[-1]
    explained = _run(db, "explain", "Léa Martin", "CCP1.1")
    assert "CCP1.1*" in explained.splitlines()[0] and "identifiant ep-skills" in explained
    gaps = _run(db, "gaps", "--cohort", "2026")
    assert "CCP1.2*" in gaps


def test_official_codes_are_not_marked(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    _journal(db)
    progress = _run(db, "progress", "Hugo Bernard")
    assert (
        "CP04" in progress and "CP04*" not in progress and "identifiant ep-skills" not in progress
    )


def test_the_data_keeps_the_id_as_it_is(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    _journal(db)
    data = json.loads(_run(db, "progress", "Léa Martin", "--format", "json"))
    codes = [node["code"] for bloc in data["blocs"] for node in bloc["competencies"]]
    assert "CCP1.1" in codes and not any(code.endswith("*") for code in codes)


def test_the_livret_marks_them_with_the_legend(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    _journal(db)
    with open_journal(db, today=TODAY) as journal:
        page = livret_html(journal, "Léa Martin")
        official = livret_html(journal, "Hugo Bernard")
    assert "CCP1.1*" in page and "ep-skills" in page.split("Legend")[-1]
    assert "CP04*" not in official and "official text gives this item no code" not in official
