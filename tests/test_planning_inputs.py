"""What the planner needs, kept in the journal: the orders' tasks, working time, and the
register of young workers (birth dates, dérogations, medical opinions, safety training) —
append-only, checked on the way in, and the law on minors applied day by day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from ep_skills.api import Journal, NotFoundError, open_journal
from ep_skills.cli import cli
from ep_skills.errors import InvalidValueError
from ep_skills.journal.planning import (
    Availability,
    Away,
    AwayKind,
    Derogation,
    adult_on,
)

TODAY = date(2026, 11, 20)
MACHINE = "scie à ruban"


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    j = open_journal(tmp_path / "j.db", create=True, today=TODAY)
    j.add_trainee("Léa Martin", diploma="cap-psr", cohort="2026")
    j.add_trainee("Noah Petit", diploma="cap-psr", cohort="2026")
    j.add_order("C-12", customer="Cantine", title="Repas", due=date(2026, 12, 18))
    return j


def test_eighteen_on_the_birthday_itself_and_29_february() -> None:
    assert not adult_on(date(2008, 11, 21), TODAY)
    assert adult_on(date(2008, 11, 20), TODAY)
    # Born on 29 February: 18 on 1 March of a year without one.
    assert not adult_on(date(2008, 2, 29), date(2026, 2, 28))
    assert adult_on(date(2008, 2, 29), date(2026, 3, 1))


def test_a_dérogation_lasts_three_years() -> None:
    declared = Derogation(MACHINE, date(2024, 9, 2))
    assert declared.until == date(2027, 9, 1)


def test_the_law_on_minors_condition_by_condition(journal: Journal) -> None:
    lea = journal.trainee("Léa Martin").id

    def why() -> str | None:
        return journal.register().why_not(lea, MACHINE, TODAY)

    assert "birth date" in (why() or "")
    journal.set_birth_date("Léa Martin", date(2010, 5, 4))  # 16
    assert "no dérogation" in (why() or "")
    journal.declare_derogation(MACHINE, date(2023, 9, 1), place="Atelier bois")
    assert "not valid" in (why() or "")  # ended on 2026-08-31
    journal.declare_derogation(MACHINE, date(2025, 9, 1), place="Atelier bois")
    assert "medical" in (why() or "")
    journal.record_medical_opinion("Léa Martin", date(2025, 10, 1))  # a year: until 2026-09-30
    assert "medical opinion is not valid" in (why() or "")
    journal.record_medical_opinion("Léa Martin", date(2026, 10, 1))
    assert "safety training" in (why() or "")
    journal.record_safety_training("Léa Martin", "perceuse", date(2026, 10, 2))
    assert "safety training" in (why() or "")  # another machine's does not count
    journal.record_safety_training("Léa Martin", MACHINE, date(2026, 11, 21))
    assert "safety training" in (why() or "")  # not yet given on the day
    journal.record_safety_training("Léa Martin", MACHINE, date(2026, 10, 2))
    assert why() is None
    # An adult needs none of it.
    noah = journal.trainee("Noah Petit").id
    journal.set_birth_date("Noah Petit", date(2007, 1, 9))
    assert journal.register().why_not(noah, "perceuse", TODAY) is None


def test_the_register_keeps_every_version(journal: Journal) -> None:
    journal.set_birth_date("Léa Martin", date(2010, 5, 4))
    journal.set_birth_date("Léa Martin", date(2010, 5, 14))  # a typing mistake corrected
    assert journal.register().person(journal.trainee("Léa Martin").id).birth_date == date(
        2010, 5, 14
    )
    kept = journal.storage.meta_items("plan:birth:")
    assert sorted(kept) == ["plan:birth:1:000001", "plan:birth:1:000002"]


def test_order_tasks_are_checked_and_replaced_by_versions(journal: Journal) -> None:
    with pytest.raises(NotFoundError, match="no order"):
        journal.add_order_task("C-99", "reception-livraison", minutes=60)
    with pytest.raises(NotFoundError, match="did you mean"):
        journal.add_order_task("C-12", "reception-livraisons", minutes=60)
    with pytest.raises(InvalidValueError):
        journal.add_order_task("C-12", "reception-livraison", minutes=60, places=1, needed=2)
    journal.add_order_task("C-12", "reception-livraison", minutes=60, places=2)
    journal.add_order_task("C-12", "reception-livraison", minutes=90, places=2, machine=MACHINE)
    (task,) = journal.order_tasks("C-12")
    assert (task.minutes, task.machine) == (90, MACHINE)
    journal.withdraw_order_task("C-12", "reception-livraison")
    assert journal.order_tasks() == []
    assert len(journal.storage.meta_items("plan:order-task:")) == 3


def test_working_time_over_a_period_with_a_work_placement() -> None:
    time = Availability(1, 30 * 60, (Away(date(2026, 12, 7), date(2026, 12, 11), AwayKind.PFMP),))
    days = time.days(date(2026, 11, 30), date(2026, 12, 13))  # two weeks, one away
    assert len(days) == 5
    assert min(days) == date(2026, 11, 30)
    assert time.minutes(date(2026, 11, 30), date(2026, 12, 13)) == 30 * 60


def test_a_period_away_that_ends_before_it_starts_is_refused(journal: Journal) -> None:
    with pytest.raises(InvalidValueError, match="before it starts"):
        journal.set_availability(
            "Léa Martin",
            hours_per_week=30,
            away=[Away(date(2026, 12, 11), date(2026, 12, 7))],
        )


@pytest.mark.sqlite_only  # the command line on the file
def test_record_warns_when_a_minor_does_regulated_work(journal: Journal, tmp_path: Path) -> None:
    journal.add_order_task("C-12", "reception-livraison", minutes=60, machine=MACHINE)
    journal.set_birth_date("Léa Martin", date(2010, 5, 4))
    journal.set_birth_date("Noah Petit", date(2007, 1, 9))
    journal.close()
    runner = CliRunner()
    args = ["--db", str(tmp_path / "j.db"), "--lang", "en"]
    result = runner.invoke(
        cli,
        [
            *args,
            "record",
            "Léa Martin",
            "Noah Petit",
            "--task",
            "reception-livraison",
            "--order",
            "C-12",
            "--date",
            "2026-11-20",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Task record #1" in result.stdout
    assert "Léa Martin: regulated work on scie à ruban — a minor, and no dérogation" in (
        result.stderr
    )
    assert "Noah" not in result.stderr  # an adult
    # The record stands: the work was done.
    reopened = open_journal(tmp_path / "j.db", today=TODAY)
    assert len(reopened.storage.records(reopened.trainee("Léa Martin").id)) == 1
    reopened.close()


@pytest.mark.sqlite_only  # the command line on the file
def test_bad_input_gets_one_clear_message(journal: Journal, tmp_path: Path) -> None:
    journal.close()
    runner = CliRunner()
    args = ["--db", str(tmp_path / "j.db"), "--lang", "fr"]
    cases = [
        [*args, "order", "task", "add", "C-99", "reception-livraison", "--minutes", "60"],
        [
            *args,
            "trainee",
            "availability",
            "Léa Martin",
            "--hours-per-week",
            "30",
            "--pfmp",
            "2026-12-11:2026-12-07",
        ],
        [*args, "register", "birth", "Léa Martin", "2030-01-01"],
        [*args, "register", "birth", "Personne", "2010-01-01"],
    ]
    for case in cases:
        result = runner.invoke(cli, case)
        assert result.exit_code != 0, case
        assert "Traceback" not in result.output
        assert result.output.strip().count("\n") <= 3, result.output
