"""``ep-skills plugin new`` in place, without building a wheel (the slow path is in
``test_scaffold_e2e.py``): the files it writes, the referential they hold, the hook that
registers it — imported from the generated folder — and the errors, in English and French.
"""

from __future__ import annotations

import importlib
import sys
import tomllib
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ep_skills.cli import cli
from ep_skills.errors import EpSkillsError, Severity
from ep_skills.i18n import current_language, set_language
from ep_skills.plugins.manager import make_plugin_manager
from ep_skills.plugins.registry import Registry
from ep_skills.referential.codec import load_referential
from ep_skills.referential.model import (
    BlocKind,
    DiplomaKind,
    ProvenanceStatus,
    ReferentialStatus,
)
from ep_skills.referential.provenance import effective_provenance_map
from ep_skills.referential.validate import check_referential
from ep_skills.scaffold import Scaffold, new_plugin

XML = Path(__file__).parent / "fixtures" / "rncp" / "export_fiches_RNCP_V4_1_fixture.xml"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("EP_SKILLS_DB", "EP_SKILLS_CONFIG", "EP_SKILLS_BLOCK_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    before = current_language()
    set_language("en")
    yield
    set_language(before)


def files_of(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_new_plugin_creates_the_expected_files(tmp_path: Path) -> None:
    made = new_plugin("CAP Ébéniste", directory=tmp_path, rncp="rncp12345")
    folder = tmp_path / "ep-skills-cap-ebeniste"
    assert made == Scaffold(
        folder, "ep-skills-cap-ebeniste", "ep_skills_cap_ebeniste", "cap-ebeniste"
    )
    assert files_of(folder) == {
        "pyproject.toml",
        "README.md",
        "src/ep_skills_cap_ebeniste/__init__.py",
        "src/ep_skills_cap_ebeniste/py.typed",
        "src/ep_skills_cap_ebeniste/referential.toml",
        "tests/test_conformance.py",
    }
    project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == "ep-skills-cap-ebeniste"
    assert project["project"]["dependencies"] == ["ep-skills"]
    assert project["project"]["entry-points"]["ep_skills"] == {
        "cap_ebeniste": "ep_skills_cap_ebeniste:plugin"
    }
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [
        "src/ep_skills_cap_ebeniste"
    ]
    conformance = (folder / "tests" / "test_conformance.py").read_text(encoding="utf-8")
    assert 'diploma_id = "cap-ebeniste"' in conformance
    assert "ReferentialConformance" in conformance
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "src/ep_skills_cap_ebeniste/referential.toml" in readme
    # Every generated Python file compiles.
    for path in folder.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_the_generated_referential_loads_and_checks(tmp_path: Path) -> None:
    made = new_plugin("Bac Pro Technicien d'usinage", directory=tmp_path, rncp="RNCP38568")
    path = made.directory / "src" / made.package / "referential.toml"
    referential, warnings = load_referential(path)
    assert warnings == []
    assert check_referential(referential) == []
    assert referential.id == "bac-pro-technicien-d-usinage" == made.diploma_id
    assert referential.kind is DiplomaKind.BAC_PRO
    assert referential.level == 4
    assert referential.title == "Technicien d'usinage"
    assert referential.status is ReferentialStatus.DRAFT
    assert [r.number for r in referential.rncp] == ["RNCP38568"]
    assert referential.provenance.status is ProvenanceStatus.DRAFT
    # The header tells how to check the file, with its path inside the plugin.
    text = path.read_text(encoding="utf-8")
    assert f"ep-skills referential check src/{made.package}/referential.toml" in text


def test_a_name_without_a_known_prefix(tmp_path: Path) -> None:
    made = new_plugin("Soudeur", directory=tmp_path)
    referential, _warnings = load_referential(
        made.directory / "src" / made.package / "referential.toml"
    )
    assert (referential.kind, referential.level, referential.title) == (
        DiplomaKind.OTHER,
        0,
        "Soudeur",
    )
    assert referential.rncp == ()


@pytest.fixture
def imported() -> Iterator[list[str]]:
    """Packages imported from generated folders, forgotten afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        sys.modules.pop(name, None)


def test_the_generated_hook_registers_the_referential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imported: list[str]
) -> None:
    made = new_plugin("CAP Menuisier essai", directory=tmp_path, rncp="RNCP11111")
    monkeypatch.syspath_prepend(str(made.directory / "src"))
    module = importlib.import_module(made.package)
    imported.append(made.package)
    assert made.diploma_id == module.DIPLOMA_ID
    pm = make_plugin_manager(entry_points=False, extra=((made.package, module.plugin),))
    registry = Registry(pm)
    assert made.diploma_id in registry.ids()
    assert registry.plugin_of(made.diploma_id) == made.package
    referential = registry.get(made.diploma_id)
    # What the conformance suite asks: no error, every item's source cited.
    assert [p for p in check_referential(referential) if p.severity is Severity.ERROR] == []
    sources = {s.id for s in referential.sources}
    assert all(
        p.source in sources
        for path, p in effective_provenance_map(referential).items()
        if not path.startswith("tasks")
    )


def test_from_export_builds_the_blocs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imported: list[str]
) -> None:
    made = new_plugin(
        "CAP Métiers de la coiffure", directory=tmp_path, rncp="RNCP34670", export=XML
    )
    assert made.diploma_id == "cap-metiers-de-la-coiffure"
    path = made.directory / "src" / made.package / "referential.toml"
    referential, warnings = load_referential(path)
    assert referential.id == made.diploma_id
    assert [b.id for b in referential.blocs] == [f"BC0{i}" for i in range(1, 9)]
    assert [b.rncp_code for b in referential.blocs] == [f"RNCP34670BC0{i}" for i in range(1, 9)]
    assert referential.blocs[0].title == "Réaliser des prestations de coiffure"
    assert [b.kind for b in referential.blocs[:3]] == [
        BlocKind.PROFESSIONAL,
        BlocKind.PROFESSIONAL,
        BlocKind.GENERAL,
    ]
    assert [c.code for c in referential.blocs[0].competencies] == ["BC01.1", "BC01.2"]
    assert referential.provenance.status is ProvenanceStatus.VERIFIED
    assert referential.provenance.source == "rncp-export"
    assert referential.status is ReferentialStatus.DRAFT
    # A draft: the two unassessed, unmapped competencies are warnings (2 each), not errors.
    assert len(warnings) == 4
    assert all(w.severity is Severity.WARNING for w in warnings)

    monkeypatch.syspath_prepend(str(made.directory / "src"))
    module = importlib.import_module(made.package)
    imported.append(made.package)
    registry = Registry(
        make_plugin_manager(entry_points=False, extra=(("coiffure", module.plugin),))
    )
    assert registry.get(made.diploma_id) == referential
    assert len(registry.warnings(made.diploma_id)) == 4


# -- errors -----------------------------------------------------------------------------------


def error_of(tmp_path: Path, name: str, **kwargs: object) -> str:
    before = files_of(tmp_path)
    with pytest.raises(EpSkillsError) as caught:
        new_plugin(name, directory=tmp_path, **kwargs)  # type: ignore[arg-type]
    assert files_of(tmp_path) == before, "a refused scaffold must write nothing"
    return str(caught.value)


def test_existing_folder(tmp_path: Path) -> None:
    (tmp_path / "ep-skills-cap-ebeniste").mkdir()
    message = error_of(tmp_path, "CAP Ébéniste")
    assert message == f"{tmp_path / 'ep-skills-cap-ebeniste'} already exists"
    assert list((tmp_path / "ep-skills-cap-ebeniste").iterdir()) == []


def test_second_scaffold_of_the_same_name(tmp_path: Path) -> None:
    new_plugin("CAP Ébéniste", directory=tmp_path)
    original = (tmp_path / "ep-skills-cap-ebeniste" / "README.md").read_text(encoding="utf-8")
    assert "already exists" in error_of(tmp_path, "cap ébéniste")
    assert (tmp_path / "ep-skills-cap-ebeniste" / "README.md").read_text(
        encoding="utf-8"
    ) == original


def test_bad_rncp_number(tmp_path: Path) -> None:
    assert error_of(tmp_path, "CAP Ébéniste", rncp="38568") == (
        "'38568' is not an RNCP number (like RNCP38568)"
    )
    assert "is not an RNCP number" in error_of(tmp_path, "CAP Ébéniste", rncp="RNCP38568a")


def test_from_export_without_rncp(tmp_path: Path) -> None:
    message = error_of(tmp_path, "CAP Ébéniste", export=XML)
    assert message == "--from-export needs --rncp to know which fiche to read"


def test_from_export_with_a_fiche_it_does_not_hold(tmp_path: Path) -> None:
    message = error_of(tmp_path, "CAP Ébéniste", rncp="RNCP99999", export=XML)
    assert "no fiche RNCP99999" in message


@pytest.mark.parametrize("name", ["", "   ", "!!!"])
def test_empty_name(tmp_path: Path, name: str) -> None:
    assert error_of(tmp_path, name) == 'give the diploma\'s name, e.g. "CAP Ébéniste"'


# -- command line -----------------------------------------------------------------------------


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"ep-skills {' '.join(args)} crashed:\n{trace}")
    return result


def test_cli_plugin_new_in_english(tmp_path: Path) -> None:
    result = invoke(
        "--lang", "en", "plugin", "new", "CAP Ébéniste", "--rncp", "RNCP12345",
        "--directory", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    folder = tmp_path / "ep-skills-cap-ebeniste"
    assert result.stdout.splitlines() == [
        f"Plugin ep-skills-cap-ebeniste created in {folder} (diploma id: cap-ebeniste).",
        f'Next: pip install -e "{folder}[test]" && pytest {folder}',
    ]
    assert result.stderr == ""
    assert (folder / "src" / "ep_skills_cap_ebeniste" / "referential.toml").is_file()


def test_cli_plugin_new_from_export(tmp_path: Path) -> None:
    result = invoke(
        "--lang", "en", "plugin", "new", "CAP Métiers de la coiffure", "--rncp", "RNCP34670",
        "--from-export", str(XML), "--directory", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    path = tmp_path / "ep-skills-cap-metiers-de-la-coiffure" / "src"
    referential, _warnings = load_referential(
        path / "ep_skills_cap_metiers_de_la_coiffure" / "referential.toml"
    )
    assert len(referential.blocs) == 8


def test_cli_plugin_new_errors_in_english(tmp_path: Path) -> None:
    (tmp_path / "ep-skills-cap-ebeniste").mkdir()
    exists = invoke("--lang", "en", "plugin", "new", "CAP Ébéniste", "--directory", str(tmp_path))
    assert exists.exit_code == 1
    assert exists.stdout == ""
    assert exists.stderr.strip() == f"Error: {tmp_path / 'ep-skills-cap-ebeniste'} already exists"
    no_rncp = invoke(
        "--lang", "en", "plugin", "new", "CAP X", "--from-export", str(XML),
        "--directory", str(tmp_path),
    )  # fmt: skip
    assert no_rncp.exit_code == 1
    assert no_rncp.stderr.strip() == (
        "Error: --from-export needs --rncp to know which fiche to read"
    )


def test_cli_plugin_new_in_french(tmp_path: Path) -> None:
    result = invoke(
        "--lang", "fr", "plugin", "new", "CAP Ébéniste", "--rncp", "RNCP12345",
        "--directory", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    folder = tmp_path / "ep-skills-cap-ebeniste"
    assert folder.is_dir()
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert "ep-skills-cap-ebeniste" in lines[0] and "cap-ebeniste" in lines[0]
    assert str(folder) in lines[1]
    # In French, not the English sentences.
    assert "created in" not in result.stdout
    assert "Next:" not in result.stdout
    assert "diploma id" not in result.stdout


def test_cli_plugin_new_errors_in_french(tmp_path: Path) -> None:
    (tmp_path / "ep-skills-cap-ebeniste").mkdir()
    exists = invoke("--lang", "fr", "plugin", "new", "CAP Ébéniste", "--directory", str(tmp_path))
    assert exists.exit_code == 1
    assert exists.stderr.startswith("Erreur : ")
    assert str(tmp_path / "ep-skills-cap-ebeniste") in exists.stderr
    assert "already exists" not in exists.stderr
    bad = invoke("--lang", "fr", "plugin", "new", "CAP X", "--rncp", "123")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Erreur : ")
    assert "'123'" in bad.stderr
    assert "is not an RNCP number" not in bad.stderr


def test_cli_plugin_new_help_in_french() -> None:
    result = invoke("--lang", "fr", "plugin", "new", "--help")
    assert result.exit_code == 0
    flat = " ".join(result.stdout.split())
    assert "Create a diploma plugin" not in flat
    assert "RNCP number of the diploma" not in flat
