"""Diploma options (« option A : chaudronnerie »): declared, checked, and followed by progress."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.journals import write_old_journal

from ep_skills.api import EvidenceError, open_journal
from ep_skills.cli import cli
from ep_skills.journal.sqlite import SCHEMA_VERSION
from ep_skills.plugins.hookspecs import hookimpl
from ep_skills.plugins.manager import make_plugin_manager
from ep_skills.plugins.registry import Registry
from ep_skills.referential.codec import loads_referential
from ep_skills.referential.model import Referential
from ep_skills.referential.validate import check_referential

TODAY = date(2026, 11, 20)

# A fictional diploma with two options, each with its own bloc and épreuve, and a common one.
OPTIONS = """
id = "cap-options"
title = "Diplôme fictif à options"
kind = "CAP"
level = 3
version = "2024"
legal_source = "Arrêté fictif"
provenance = { status = "verified", source = "a" }

[[sources]]
id = "a"
title = "Arrêté fictif"

[[options]]
code = "A"
title = "chaudronnerie"

[[options]]
code = "B"
title = "soudage"

[[blocs]]
id = "COMMUN"
title = "Commun"
[[blocs.competencies]]
code = "C1"
title = "Lire un plan"

[[blocs]]
id = "UA"
title = "Propre à l'option A"
option = "A"
[[blocs.competencies]]
code = "C2"
title = "Rouler une virole"

[[blocs]]
id = "UB"
title = "Propre à l'option B"
option = "B"
[[blocs.competencies]]
code = "C3"
title = "Souder en TIG"

[[epreuves]]
code = "EP1"
title = "Commune"
coefficient = 2
competencies = ["C1"]

[[epreuves]]
code = "EP2A"
title = "Option A"
coefficient = 4
option = "A"
competencies = ["C2"]

[[epreuves]]
code = "EP2B"
title = "Option B"
coefficient = 4
option = "B"
competencies = ["C3"]

[[tasks]]
id = "lire"
title = "Lire le plan"
competencies = [{ code = "C1", level = "VV" }]

[[tasks]]
id = "rouler"
title = "Rouler"
competencies = [{ code = "C2", level = "VV" }]

[[tasks]]
id = "souder"
title = "Souder"
competencies = [{ code = "C3", level = "VV" }]
"""


def referential(text: str = OPTIONS) -> Referential:
    return loads_referential(text, file="options.toml")[0]


class Provides:
    def __init__(self, ref: Referential) -> None:
        self.ref = ref

    @hookimpl
    def ep_skills_register_referentials(self, register):  # type: ignore[no-untyped-def]
        register(self.ref)


def registry() -> Registry:
    return Registry(
        make_plugin_manager(entry_points=False, extra=(("t", Provides(referential())),))
    )


def test_an_unknown_option_is_an_error_with_its_path() -> None:
    broken = OPTIONS.replace(
        'option = "B"\n[[blocs.competencies]]', 'option = "Z"\n[[blocs.competencies]]'
    )
    problems = check_referential(_structure(broken))
    assert [(p.path, "'Z'" in p.message) for p in problems] == [("blocs[2].option", True)]


def _structure(text: str) -> Referential:
    # Load without the checks, to run them here.
    return loads_referential(text, check=False)[0]


def test_duplicate_option_codes_are_an_error() -> None:
    doubled = OPTIONS.replace('code = "B"\ntitle = "soudage"', 'code = "A"\ntitle = "soudage"')
    paths = [p.path for p in check_referential(_structure(doubled))]
    assert "options[1].code" in paths


def test_for_option_keeps_the_common_part_and_that_option() -> None:
    ref = referential()
    a = ref.for_option("A")
    assert [b.id for b in a.blocs] == ["COMMUN", "UA"]
    assert [e.code for e in a.epreuves] == ["EP1", "EP2A"]
    assert ref.for_option(None) is ref


def test_progress_follows_the_trainee_s_option(tmp_path: Path) -> None:
    with open_journal(tmp_path / "j.db", create=True, today=TODAY, registry=registry()) as j:
        j.add_trainee("Alice", diploma="cap-options", option="A")
        j.add_trainee("Basile", diploma="cap-options", option="B")
        j.add_trainee("Camille", diploma="cap-options")
        alice = j.progress("Alice")
        assert [b.id for b in alice.blocs] == ["COMMUN", "UA"]
        assert [e.code for e in alice.epreuves] == ["EP1", "EP2A"]
        basile = j.progress("Basile")
        assert [b.id for b in basile.blocs] == ["COMMUN", "UB"]
        # Without an option, the whole diploma is shown.
        assert [b.id for b in j.progress("Camille").blocs] == ["COMMUN", "UA", "UB"]
        # Gaps name only what each trainee's option asks of them.
        from ep_skills.views import cohort_gaps

        missing = {g.code: set(g.trainees) for g in cohort_gaps(j)}
        assert missing["C2"] == {"Alice", "Camille"}
        assert missing["C3"] == {"Basile", "Camille"}


def test_an_unknown_option_is_refused(tmp_path: Path) -> None:
    with open_journal(tmp_path / "j.db", create=True, today=TODAY, registry=registry()) as j:
        with pytest.raises(EvidenceError) as caught:
            j.add_trainee("Alice", diploma="cap-options", option="C")
        assert caught.value.field == "option"
        assert "'C'" in str(caught.value) and "A, B" in str(caught.value)
        assert j.trainees() == []


def test_cli_trainee_add_with_an_option_on_the_shipped_cap_rics(tmp_path: Path) -> None:
    db = str(tmp_path / "j.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["--lang", "en", "--db", db, "init"]).exit_code == 0
    added = runner.invoke(
        cli,
        [
            "--lang",
            "en",
            "--db",
            db,
            "trainee",
            "add",
            "Léo",
            "--diploma",
            "cap-rics",
            "--option",
            "A",
        ],
    )
    assert added.exit_code == 0, added.output
    listed = json.loads(
        runner.invoke(
            cli, ["--lang", "en", "--db", db, "trainee", "list", "--format", "json"]
        ).stdout
    )
    assert listed[0]["option"] == "A"
    refused = runner.invoke(
        cli,
        [
            "--lang",
            "en",
            "--db",
            db,
            "trainee",
            "add",
            "Lou",
            "--diploma",
            "cap-rics",
            "--option",
            "Z",
        ],
    )
    assert refused.exit_code == 1
    assert "unknown option 'Z'" in refused.stderr


def test_a_schema_2_journal_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    write_old_journal(
        path,
        2,
        "INSERT INTO trainee (name, name_key, diploma, created_at) "
        "VALUES ('Ana', 'ana', 'cap-options', '2026-01-01')",
    )
    with open_journal(path, today=TODAY, registry=registry()) as j:
        assert j.storage.schema_version == SCHEMA_VERSION  # type: ignore[attr-defined]
        assert j.trainee("Ana").option is None
