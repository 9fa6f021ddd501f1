"""Whatever a program passes, the library answers with its own error naming the field, never a
TypeError from deep inside nor a silent conversion (issue 13: values checked at the edge)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ep_skills import EpSkillsError, InvalidValueError, Journal, open_journal

NORMAL = "conduire-ligne-mode-normal"
TODAY = date(2026, 11, 20)

WRONG = st.one_of(
    st.integers(-5, 10**20),
    st.floats(allow_nan=True),
    st.just("2026-10-01"),
    st.just(datetime(2026, 10, 1, 8, 30)),
    st.binary(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.just(object()),
    st.just(True),
)

CALLS: dict[str, Callable[[Journal, Any], object]] = {
    "record day": lambda j, v: j.record(["Léa Martin"], task=NORMAL, day=v),
    "record task": lambda j, v: j.record(["Léa Martin"], task=v),
    "record level": lambda j, v: j.record(["Léa Martin"], task=NORMAL, level=v),
    "record levels": lambda j, v: j.record(["Léa Martin"], task=NORMAL, levels=v),
    "record order": lambda j, v: j.record(["Léa Martin"], task=NORMAL, order=v),
    "record autonomy": lambda j, v: j.record(["Léa Martin"], task=NORMAL, autonomy=v),
    "record minutes": lambda j, v: j.record(["Léa Martin"], task=NORMAL, minutes=v),
    "record note": lambda j, v: j.record(["Léa Martin"], task=NORMAL, note=v),
    "record role": lambda j, v: j.record(["Léa Martin"], task=NORMAL, role=v),
    "record context": lambda j, v: j.record(["Léa Martin"], task=NORMAL, context=v),
    "record machines": lambda j, v: j.record(["Léa Martin"], task=NORMAL, context={"machine": v}),
    "record trainees": lambda j, v: j.record(v, task=NORMAL),
    "add_trainee name": lambda j, v: j.add_trainee(v, diploma="cap-cip"),
    "add_trainee start": lambda j, v: j.add_trainee("Zoé", diploma="cap-cip", start_date=v),
    "add_trainee external id": lambda j, v: j.add_trainee("Zoé", diploma="cap-cip", external_id=v),
    "add_trainee metadata": lambda j, v: j.add_trainee("Zoé", diploma="cap-cip", metadata=v),
    "add_trainee diploma": lambda j, v: j.add_trainee("Zoé", diploma=v),
    "add_order due": lambda j, v: j.add_order("X-1", customer="C", title="T", due=v),
    "trainee": lambda j, v: j.trainee(v),
    "update cohort": lambda j, v: j.update_trainee("Léa Martin", cohort=v),
    "archive day": lambda j, v: j.archive_trainee("Léa Martin", day=v),
    "progress as_of": lambda j, v: j.progress("Léa Martin", as_of=v),
    "explain competency": lambda j, v: j.explain("Léa Martin", v),
    "correct level": lambda j, v: j.correct(1, level=v),
    "correct_record levels": lambda j, v: j.correct_record(1, levels=v),
    "transfer diploma": lambda j, v: j.transfer("Léa Martin", v),
}


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Journal:
    path = tmp_path_factory.mktemp("edges") / "j.db"
    journal = open_journal(path, create=True, today=TODAY)
    journal.add_trainee("Léa Martin", diploma="cap-cip")
    journal.record(["Léa Martin"], task=NORMAL, day=date(2026, 11, 2))
    return journal


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(call=st.sampled_from(sorted(CALLS)), value=WRONG)
def test_a_wrong_value_is_the_librarys_own_error(journal: Journal, call: str, value: Any) -> None:
    message = "it was accepted"
    try:
        CALLS[call](journal, value)
    except EpSkillsError as error:
        message = str(error)
    except Exception as error:
        pytest.fail(f"{call}({value!r}) escaped as {type(error).__name__}: {error}")
    assert message, call  # refused or accepted, never without a word


@pytest.mark.parametrize(
    ("call", "value", "field"),
    [
        ("record day", "2026-10-01", "date"),
        ("record day", datetime(2026, 10, 1, 8, 30), "date"),
        ("record machines", "presse", "machine"),
        ("record trainees", "Léa Martin", "trainee"),
        ("add_trainee metadata", {"classe": 2}, "metadata"),
        ("progress as_of", "2026-10-01", "as_of"),
    ],
)
def test_the_error_names_the_field_and_the_value(
    journal: Journal, call: str, value: object, field: str
) -> None:
    with pytest.raises(InvalidValueError) as refused:
        CALLS[call](journal, value)
    assert refused.value.field == field
    assert refused.value.value == value


def test_machines_are_kept_as_a_list_never_letter_by_letter(tmp_path: Path) -> None:
    with open_journal(tmp_path / "j.db", create=True, today=TODAY) as journal:
        journal.add_trainee("Léa Martin", diploma="cap-cip")
        record = journal.record(
            ["Léa Martin"], task=NORMAL, context={"machine": ["presse", "plieuse"]}
        )
        assert record.machine == ("presse", "plieuse")
