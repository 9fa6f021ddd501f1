"""The right of access (RGPD): everything held about a trainee, exported for them — and
nothing about anybody else, nor any password hash."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader

from ep_skills.api import Journal, open_journal
from ep_skills.cli import cli
from ep_skills.privacy import trainee_data
from ep_skills.web.accounts import add_account

TODAY = date(2026, 11, 20)
TASK = "reception-livraison"


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 40, 40)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    j = open_journal(tmp_path / "atelier.db", create=True, today=TODAY)
    j.add_trainee("Léa Martin", diploma="cap-psr", cohort="2026")
    j.add_trainee("Noah Petit", diploma="cap-psr", cohort="2026")
    j.add_order("C-12", customer="Cantine", title="Repas", due=date(2026, 12, 18))
    team = j.record(
        ["Léa Martin", "Noah Petit"],
        task=TASK,
        order="C-12",
        day=date(2026, 11, 3),
        note="bonne équipe",
        photo=_photo(),
    )
    j.record(["Léa Martin"], task=TASK, day=date(2026, 11, 10), role="auto", note="je pense VV")
    j.correct(team.assessment_ids[0], level="VV", note="revu")
    j.update_trainee("Léa Martin", cohort="2027")
    j.set_birth_date("Léa Martin", date(2010, 5, 4))
    j.set_birth_date("Noah Petit", date(2009, 1, 2))
    j.set_exam_session(date(2027, 6, 8), cohort="2027")
    add_account(j, "lea", "mot-de-passe-solide", trainee="Léa Martin")
    add_account(j, "noah", "mot-de-passe-solide", trainee="Noah Petit")
    yield j
    j.close()


def test_everything_held_about_her_and_nothing_about_him(journal: Journal) -> None:
    data = trainee_data(journal, "Léa Martin")
    text = json.dumps(data, ensure_ascii=False)
    assert data["trainee"]["name"] == "Léa Martin"
    assert [c["changes"] for c in data["changes"]] == [[["cohort", "2026", "2027"]]]
    assert len(data["records"]) == 2
    team = data["records"][0]
    assert team["record"]["note"] == "bonne équipe"
    levels = [(e["competency"], e["level"], e["supersedes"]) for e in team["entries"]]
    assert any(level == "VV" and supersedes for _c, level, supersedes in levels)  # the correction
    assert data["records"][1]["record"]["role"] == "auto"  # her self-assessment, labelled
    assert len(data["photos"]) == 1 and team["photos"] == [data["photos"][0]["sha256"]]
    assert data["register"]["birth_date"] == "2010-05-04"
    assert data["exam_session"]["day"] == "2027-06-08"
    assert data["outlook"] is not None
    assert [a["login"] for a in data["accounts"]] == ["lea"]
    # Who wrote what about her: her lines of the audit only.
    actions = [a["action"] for a in data["audit"]]
    assert actions[0] == "trainee.add" and "correct" in actions and "register" in actions
    assert {a["trainee"] for a in data["audit"]} == {data["trainee"]["id"]}
    # Nobody else's data: not his name, his birth date, his account, his id on team work.
    noah = journal.trainee("Noah Petit")
    for other in ("Noah", "2009-01-02", "noah"):
        assert other not in text
    assert all(noah.id not in r["record"]["trainees"] for r in data["records"])
    assert "scrypt" not in text and "password" not in text


@pytest.mark.sqlite_only  # the command line on the file
def test_the_export_file(journal: Journal, tmp_path: Path) -> None:
    target = tmp_path / "lea.zip"
    journal.close()
    command = ["--db", str(tmp_path / "atelier.db"), "--lang", "fr", "trainee", "export"]
    result = CliRunner().invoke(cli, [*command, "Léa Martin", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert "Léa Martin" in result.stdout
    assert target.stat().st_mode & 0o077 == 0  # her data: the owner's only
    with zipfile.ZipFile(target) as bundle:
        names = bundle.namelist()
        assert {"data.json", "data.pdf", "livret.pdf"} <= set(names)
        photos = [n for n in names if n.startswith("photos/")]
        assert len(photos) == 1
        data = json.loads(bundle.read("data.json"))
        assert photos[0] == f"photos/{data['photos'][0]['sha256']}.jpg"
        readable = " ".join(
            " ".join(page.extract_text().split())
            for page in PdfReader(io.BytesIO(bundle.read("data.pdf"))).pages
        )
        everything = b"".join(bundle.read(n) for n in names)
    assert "Léa Martin" in readable and "bonne équipe" in readable and "je pense VV" in readable
    assert b"scrypt" not in everything and b"Noah" not in everything
    # Never a file replaced by accident.
    again = CliRunner().invoke(cli, [*command, "Léa Martin", "--out", str(target)])
    assert again.exit_code == 1
    assert "existe déjà" in again.output


def test_who_is_past_the_keeping_period(journal: Journal) -> None:
    from ep_skills.errors import InvalidValueError
    from ep_skills.privacy import past_retention, retention, set_retention

    assert retention(journal) is None
    assert past_retention(journal) == []  # no period set: nobody listed
    journal.archive_trainee("Noah Petit", note="fin de formation")  # leaves on TODAY
    set_retention(journal, 6)
    assert past_retention(journal, date(2027, 5, 19)) == []
    (entry,) = past_retention(journal, date(2027, 5, 20))
    assert (entry[0].name, entry[1], entry[2]) == ("Noah Petit", TODAY, date(2027, 5, 20))
    # Léa, still at school, is never listed from « leaving »; from her exam she is.
    set_retention(journal, 12, "exam")
    assert [p.name for p, _s, _o in past_retention(journal, date(2028, 6, 8))] == ["Léa Martin"]
    assert len(journal.storage.meta_items("privacy:retention:")) == 2  # versions kept
    with pytest.raises(InvalidValueError):
        set_retention(journal, 0)
    with pytest.raises(InvalidValueError):
        set_retention(journal, 6, "birth")


def test_months_are_counted_to_the_month_end() -> None:
    from ep_skills.privacy import _add_months

    assert _add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert _add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert _add_months(date(2026, 11, 20), 14) == date(2028, 1, 20)


@pytest.mark.sqlite_only  # the command line on the file
def test_the_keeping_period_commands(journal: Journal, tmp_path: Path) -> None:
    journal.archive_trainee("Noah Petit")
    journal.close()
    runner = CliRunner()
    base = ["--db", str(tmp_path / "atelier.db"), "--lang", "fr", "privacy"]
    none = runner.invoke(cli, [*base, "due"])
    assert none.exit_code == 0 and "privacy retention" in none.stdout
    done = runner.invoke(cli, [*base, "retention", "--months", "6"])
    assert done.exit_code == 0, done.output
    assert "6 mois" in done.stdout
    due = runner.invoke(cli, [*base, "due", "--date", "20/05/2027"])
    assert due.exit_code == 0
    assert "Noah Petit" in due.stdout and "20/05/2027" in due.stdout
    bad = runner.invoke(cli, [*base, "retention", "--months", "0"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output
