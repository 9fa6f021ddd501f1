"""Who wrote what, and when: every write of the journal told in the audit, with its author,
in the write's own transaction; the audit itself append-only; ``ep-skills audit`` filters."""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from ep_skills.api import Journal, open_journal
from ep_skills.cli import cli
from ep_skills.errors import EpSkillsError
from ep_skills.journal.audit import ACTIONS, current_author

TODAY = date(2026, 11, 20)
TASK = "reception-livraison"


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    j = open_journal(tmp_path / "atelier.db", create=True, today=TODAY)
    yield j
    j.close()


def _actions(journal: Journal) -> list[tuple[str, int | None]]:
    return [(e.action, e.trainee) for e in journal.audit()]


def test_each_write_is_told_once_per_trainee_it_touched(journal: Journal) -> None:
    lea = journal.add_trainee("Léa Martin", diploma="cap-psr", cohort="2026").id
    noah = journal.add_trainee("Noah Petit", diploma="cap-psr", cohort="2026").id
    journal.add_order("C-12", customer="Cantine", title="Repas")
    team = journal.record(["Léa Martin", "Noah Petit"], task=TASK, order="C-12", day=TODAY)
    journal.correct(team.assessment_ids[0], level="VV")
    journal.correct_record(team.id, withdraw=True)
    journal.update_trainee("Léa Martin", cohort="2027")
    journal.set_availability("Noah Petit", hours_per_week=30)
    journal.set_birth_date("Noah Petit", date(2010, 1, 2))
    journal.set_exam_session(date(2027, 6, 8), cohort="2027")
    told = _actions(journal)
    assert told[:5] == [
        ("trainee.add", lea),
        ("trainee.add", noah),
        ("order.add", None),
        ("record", lea),
        ("record", noah),
    ]
    assert told[5] == ("correct", lea)
    withdrawn = [t for a, t in told if a == "withdraw"]
    assert sorted(withdrawn) == sorted([lea, noah] * (len(team.assessment_ids) // 2))
    assert told[-4:] == [
        ("trainee.change", lea),
        ("availability", noah),
        ("register", noah),
        ("exam", None),
    ]
    assert {e.author for e in journal.audit()} == {current_author()}
    assert all(a in ACTIONS for a, _t in told)


def test_the_audit_holds_no_name_nor_note(journal: Journal) -> None:
    journal.add_trainee("Léa Martin", diploma="cap-psr")
    record = journal.record(["Léa Martin"], task=TASK, day=TODAY, note="Léa était fatiguée")
    journal.correct(record.assessment_ids[0], level="VV", note="revu avec Léa")
    text = json.dumps([e.to_dict() for e in journal.audit()], ensure_ascii=False)
    assert "Léa" not in text and "fatiguée" not in text and "revu" not in text
    assert len(journal.audit()) == 3


def test_a_refused_write_tells_nothing(journal: Journal) -> None:
    journal.add_trainee("Léa Martin", diploma="cap-psr")
    before = journal.audit()
    with pytest.raises(EpSkillsError):
        journal.add_trainee("Léa Martin", diploma="cap-psr")  # the same name: refused
    with pytest.raises(EpSkillsError):
        journal.record(["Léa Martin"], task="no-such-task", day=TODAY)
    assert journal.audit() == before


def test_the_author_is_the_account_acting_in_each_thread(journal: Journal) -> None:
    journal.add_trainee("Léa Martin", diploma="cap-psr")
    errors: list[BaseException] = []

    def bench(login: str) -> None:
        try:
            with journal.acting_as(f"account:{login}"):
                for _ in range(5):
                    journal.record(["Léa Martin"], task=TASK, day=TODAY, note=login)
        except BaseException as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=bench, args=(who,)) for who in ("marie", "paul")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for entry in journal.audit():
        if entry.action == "record":
            # The record's note names who wrote it: the audit must name the same.
            note = journal.task_record(int(entry.subject or 0)).note
            assert entry.author == f"account:{note}"
    assert len([e for e in journal.audit() if e.action == "record"]) == 10
    assert journal.audit(author="account:paul")
    assert journal.audit(author="account:marie")[0].author == "account:marie"


def test_the_audit_is_append_only(journal: Journal) -> None:
    journal.add_trainee("Léa Martin", diploma="cap-psr")
    for statement in ("UPDATE audit SET author = 'quelqu''un'", "DELETE FROM audit"):
        with (
            pytest.raises(Exception, match=r"append-only|permission denied"),
            journal.storage.transaction(),
        ):
            journal.storage._write(statement)  # type: ignore[attr-defined]
    assert [e.author for e in journal.audit()] == [current_author()]


def test_filters_by_trainee_author_and_days(journal: Journal) -> None:
    journal.add_trainee("Léa Martin", diploma="cap-psr")
    journal.add_trainee("Noah Petit", diploma="cap-psr")
    with journal.acting_as("account:marie"):
        journal.record(["Noah Petit"], task=TASK, day=TODAY)
    assert [e.action for e in journal.audit("Noah Petit")] == ["trainee.add", "record"]
    assert [e.action for e in journal.audit(author="account:marie")] == ["record"]
    written = journal.audit()[0].at.date()
    assert len(journal.audit(since=written, until=written)) == 3
    assert journal.audit(until=date(2000, 1, 1)) == []
    assert [e.action for e in journal.audit(limit=1)] == ["record"]


def test_the_command_shows_and_filters(tmp_path: Path) -> None:
    db = str(tmp_path / "atelier.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db, "init"]).exit_code == 0
    for name in ("Léa Martin", "Noah Petit"):
        added = runner.invoke(cli, ["--db", db, "trainee", "add", name, "--diploma", "cap-psr"])
        assert added.exit_code == 0, added.output
    shown = runner.invoke(cli, ["--db", db, "--lang", "fr", "audit", "--trainee", "Noah Petit"])
    assert shown.exit_code == 0, shown.output
    assert "Noah Petit" in shown.output and "Léa" not in shown.output
    assert current_author() in shown.output
    lines = runner.invoke(cli, ["--db", db, "audit", "--json"]).output.splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["trainee.add", "trainee.add"]
    nobody = runner.invoke(cli, ["--db", db, "audit", "--author", "account:personne"])
    assert nobody.exit_code == 0 and nobody.output.strip()
    unknown = runner.invoke(cli, ["--db", db, "audit", "--trainee", "Personne"])
    assert unknown.exit_code != 0 and "Traceback" not in unknown.output
