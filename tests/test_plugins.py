"""The plugin manager, the registry and every hook, each with a fresh plugin manager.

Plugins here are small objects or modules with ``@hookimpl`` functions, registered with
``make_plugin_manager(entry_points=False, extra=...)``; installed plugins are faked by
replacing ``importlib.metadata.distributions``, which is what pluggy reads entry points from.
The last tests run the command line against the plugins really installed in the venv.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import json
import sys
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

import attrs
import click
import pluggy
import pytest
from click.testing import CliRunner, Result

from ep_skills import hookimpl
from ep_skills.api import EvidenceError, open_journal
from ep_skills.cli import cli
from ep_skills.cli.app import main
from ep_skills.engine.layers import resolve
from ep_skills.errors import PluginError, ReferentialError, Severity, UnknownDiplomaError
from ep_skills.i18n import set_language
from ep_skills.journal.model import TaskRecord
from ep_skills.plugins import hookspecs
from ep_skills.plugins.builtins import BUILTIN_MODULES
from ep_skills.plugins.manager import (
    BLOCK_ENV,
    ENTRY_POINT_GROUP,
    load_problems,
    make_plugin_manager,
)
from ep_skills.plugins.registry import Registry
from ep_skills.referential.codec import dumps_referential, load_fragment, loads_referential
from ep_skills.referential.model import (
    Bloc,
    CatalogueTask,
    Competency,
    DiplomaKind,
    Epreuve,
    Provenance,
    ProvenanceStatus,
    Referential,
    ReferentialStatus,
    Source,
    TaskCompetency,
)
from ep_skills.referential.provenance import count_by_status
from ep_skills.referential.settings import CalculationSettings

TODAY = date(2026, 1, 15)


def small_referential(**changes: Any) -> Referential:
    """A valid referential: bloc B1, C1 → C1.1 (secondary), C1.2 (draft), EP1, task t1."""
    referential = Referential(
        id="cap-essai",
        title="Essai de référentiel",
        kind=DiplomaKind.CAP,
        level=3,
        version="2024",
        legal_source="Arrêté d'essai du 1er janvier 2024",
        provenance=Provenance(ProvenanceStatus.VERIFIED, "arrete"),
        sources=(Source("arrete", "Arrêté d'essai"),),
        blocs=(
            Bloc(
                "B1",
                "Bloc un",
                competencies=(
                    Competency(
                        "C1",
                        "Compétence un",
                        children=(
                            Competency(
                                "C1.1",
                                "Sous-compétence un",
                                provenance=Provenance(ProvenanceStatus.SECONDARY, "arrete"),
                            ),
                            Competency(
                                "C1.2",
                                "Sous-compétence deux",
                                provenance=Provenance(ProvenanceStatus.DRAFT, "arrete"),
                            ),
                        ),
                    ),
                ),
            ),
        ),
        epreuves=(Epreuve("EP1", "Épreuve un", coefficient=4.0, bloc="B1", competencies=("C1",)),),
        tasks=(
            CatalogueTask("t1", "Tâche un", (TaskCompetency("C1.1", "VV"), TaskCompetency("C1.2"))),
        ),
    )
    return attrs.evolve(referential, **changes)


# -- plugins -------------------------------------------------------------------------------


class Provides:
    """Registers the referentials (objects or files) it is given."""

    def __init__(self, *sources: object) -> None:
        self.sources = sources

    @hookimpl
    def ep_skills_register_referentials(self, register: Callable[[object], None]) -> None:
        for source in self.sources:
            register(source)


class ProvidesFragments:
    def __init__(self, *paths: Path) -> None:
        self.paths = paths

    @hookimpl
    def ep_skills_register_fragments(self, register: Callable[[Path], None]) -> None:
        for path in self.paths:
            register(path)


class AddsTasks:
    def __init__(self, diploma_id: str, *tasks: CatalogueTask) -> None:
        self.diploma_id = diploma_id
        self.tasks = tasks

    @hookimpl
    def ep_skills_register_task_catalogues(
        self, register: Callable[[str, Sequence[CatalogueTask]], None]
    ) -> None:
        register(self.diploma_id, self.tasks)


class Settles:
    """Answers calculation settings for one diploma and None for the others."""

    def __init__(self, diploma_id: str, settings: CalculationSettings | None) -> None:
        self.diploma_id = diploma_id
        self.settings = settings
        self.asked: list[str] = []

    @hookimpl
    def ep_skills_calculation_settings(self, diploma_id: str) -> CalculationSettings | None:
        self.asked.append(diploma_id)
        return self.settings if diploma_id == self.diploma_id else None


def median(values: Sequence[int], weights: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


class AddsMethod:
    def __init__(self, name: str, method: Callable[[Sequence[int], Sequence[float]], float]):
        self.name = name
        self.method = method

    @hookimpl
    def ep_skills_register_methods(self, register: Callable[[str, Any], None]) -> None:
        register(self.name, self.method)


class RequiresANote:
    """Refuses every record without a note, and remembers what it was shown."""

    def __init__(self) -> None:
        self.seen: list[tuple[TaskRecord, str]] = []

    @hookimpl
    def ep_skills_validate_evidence(
        self, record: TaskRecord, referential: Referential
    ) -> Iterable[str] | None:
        self.seen.append((record, referential.id))
        if not record.note:
            return [f"une note est obligatoire (tâche {record.task})"]
        return None


class Greets:
    @hookimpl
    def ep_skills_register_commands(self, cli: click.Group) -> None:
        @cli.command("bonjour")
        @click.option("--nom", default="tout le monde")
        def bonjour(nom: str) -> None:
            """Say hello."""
            click.echo(f"Bonjour {nom} !")


def make_pm(*plugins: tuple[str, object]) -> pluggy.PluginManager:
    return make_plugin_manager(entry_points=False, extra=tuple(plugins))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(BLOCK_ENV, raising=False)
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def greeting_command() -> Iterator[None]:
    """Removes the command a test plugin adds to the global ``cli`` group."""
    yield
    cli.commands.pop("bonjour", None)


# -- one test per hook -----------------------------------------------------------------------


def test_hook_register_referentials() -> None:
    referential = small_referential()
    registry = Registry(make_pm(("essai", Provides(referential))))
    assert registry.ids() == ["cap-essai"]
    assert registry.get("cap-essai") == referential
    assert registry.all() == [referential]
    assert registry.plugin_of("cap-essai") == "essai"
    assert registry.warnings("cap-essai") == []
    with pytest.raises(UnknownDiplomaError) as caught:
        registry.get("cap-absent")
    assert caught.value.known == ("cap-essai",)


def test_hook_register_referentials_with_a_path(tmp_path: Path) -> None:
    # A draft whose épreuve names only C1.1: C1 and C1.2 are not assessed, which is a
    # warning for a draft, kept with the file name and line.
    referential = small_referential(
        status=ReferentialStatus.DRAFT,
        epreuves=(Epreuve("EP1", "Épreuve un", coefficient=4.0, competencies=("C1.1",)),),
    )
    text = dumps_referential(referential)
    file = tmp_path / "essai.toml"
    file.write_text(text, encoding="utf-8")
    registry = Registry(make_pm(("essai", Provides(file))))
    assert registry.get("cap-essai") == referential
    lines = text.splitlines()
    warnings = registry.warnings("cap-essai")
    assert {(w.path, w.severity) for w in warnings} == {
        ("blocs[0].competencies[0].code", Severity.WARNING),
        ("blocs[0].competencies[0].children[1].code", Severity.WARNING),
    }
    for warning in warnings:
        assert warning.file == str(file)
        assert warning.line is not None
        code = "C1" if warning.path == "blocs[0].competencies[0].code" else "C1.2"
        assert lines[warning.line - 1] == f'code = "{code}"'


def test_hook_register_referentials_keeps_the_warnings_of_an_object(tmp_path: Path) -> None:
    # The same draft, registered as an object or as a file, has the same warnings: a plugin
    # that builds its referential in Python must not hide that it is incomplete.
    draft = small_referential(
        status=ReferentialStatus.DRAFT,
        epreuves=(Epreuve("EP1", "Épreuve un", coefficient=4.0, competencies=("C1.1",)),),
    )
    file = tmp_path / "essai.toml"
    file.write_text(dumps_referential(draft), encoding="utf-8")
    from_file = Registry(make_pm(("essai", Provides(file)))).warnings("cap-essai")
    from_object = Registry(make_pm(("essai", Provides(draft)))).warnings("cap-essai")
    assert len(from_file) == 2
    assert sorted((w.path, w.message, w.severity) for w in from_object) == sorted(
        (w.path, w.message, w.severity) for w in from_file
    )


def test_hook_register_referentials_with_a_package_resource() -> None:
    resource = files("ep_skills_cap_cip") / "referential.toml"
    registry = Registry(make_pm(("copie", Provides(resource))))
    assert registry.ids() == ["cap-cip"]
    assert registry.plugin_of("cap-cip") == "copie"


def test_hook_register_referentials_checks_objects() -> None:
    broken = small_referential(
        tasks=(CatalogueTask("t1", "Tâche un", (TaskCompetency("C9"),)),),
    )
    registry = Registry(make_pm(("essai", Provides(broken))))
    with pytest.raises(ReferentialError) as caught:
        registry.ids()
    assert "tasks[0].competencies[0].code" in {p.path for p in caught.value.problems}


def test_hook_register_referentials_checks_files(tmp_path: Path) -> None:
    file = tmp_path / "casse.toml"
    file.write_text(dumps_referential(small_referential()).replace('"VV"', '"ZZ"'), "utf-8")
    registry = Registry(make_pm(("essai", Provides(file))))
    with pytest.raises(ReferentialError) as caught:
        registry.get("cap-essai")
    (problem,) = caught.value.problems
    assert problem.path == "tasks[0].competencies[0].level"
    assert problem.file == str(file)


FRAGMENT = """\
id = "fragment-essai"
title = "Blocs partagés d'essai"
provenance = { status = "secondary", source = "fiche" }

[[sources]]
id = "fiche"
title = "Fiche RNCP d'essai"

[[blocs]]
id = "francais"
title = "Français"
kind = "general"

[[blocs]]
id = "maths"
title = "Mathématiques"
kind = "general"
provenance = { status = "verified", source = "fiche" }
"""


def test_hook_register_fragments(tmp_path: Path) -> None:
    fragment_file = tmp_path / "fragment.toml"
    fragment_file.write_text(FRAGMENT, encoding="utf-8")
    general = Epreuve("EG1", "Français", coefficient=3.0, bloc="francais")
    referential = small_referential(
        include=("fragment-essai",), epreuves=(*small_referential().epreuves, general)
    )
    registry = Registry(
        make_pm(("essai", Provides(referential)), ("partage", ProvidesFragments(fragment_file)))
    )
    merged = registry.get("cap-essai")
    assert [b.id for b in merged.blocs] == ["B1", "francais", "maths"]
    francais, maths = merged.blocs[1:]
    # A fragment bloc without its own provenance takes the fragment's.
    assert francais.provenance == Provenance(ProvenanceStatus.SECONDARY, "fiche")
    assert maths.provenance == Provenance(ProvenanceStatus.VERIFIED, "fiche")
    assert [s.id for s in merged.sources] == ["arrete", "fiche"]
    assert merged.epreuves == referential.epreuves
    assert load_fragment(fragment_file).id == "fragment-essai"


def test_hook_register_fragments_unknown_include() -> None:
    referential = small_referential(include=("fragment-absent",))
    registry = Registry(make_pm(("essai", Provides(referential))))
    with pytest.raises(ReferentialError) as caught:
        registry.get("cap-essai")
    (problem,) = caught.value.problems
    assert problem.path == "include"
    assert "'fragment-absent'" in problem.message


def test_hook_register_fragments_bloc_missing_from_the_fragment(tmp_path: Path) -> None:
    fragment_file = tmp_path / "fragment.toml"
    fragment_file.write_text(FRAGMENT, encoding="utf-8")
    wrong = Epreuve("EG2", "Histoire", coefficient=1.0, bloc="histoire")
    referential = small_referential(
        include=("fragment-essai",), epreuves=(*small_referential().epreuves, wrong)
    )
    registry = Registry(
        make_pm(("essai", Provides(referential)), ("partage", ProvidesFragments(fragment_file)))
    )
    with pytest.raises(ReferentialError) as caught:
        registry.get("cap-essai")
    (problem,) = caught.value.problems
    assert problem.path == "epreuves[1].bloc"
    assert "'histoire'" in problem.message


def test_builtin_fragment_gives_the_general_blocs() -> None:
    general = Epreuve("EG1", "Français", coefficient=3.0, bloc="francais-hg-emc")
    referential = small_referential(
        include=("cap-general-2019",), epreuves=(*small_referential().epreuves, general)
    )
    merged = Registry(make_pm(("essai", Provides(referential)))).get("cap-essai")
    bloc_ids = [b.id for b in merged.blocs]
    assert bloc_ids[0] == "B1"
    assert "francais-hg-emc" in bloc_ids
    assert all(b.kind == "general" for b in merged.blocs[1:])


EXTRA_TASK = CatalogueTask("t-extra", "Tâche ajoutée", (TaskCompetency("C1.2", "R"),))


def test_hook_register_task_catalogues() -> None:
    referential = small_referential()
    registry = Registry(
        make_pm(("essai", Provides(referential)), ("ecole", AddsTasks("cap-essai", EXTRA_TASK)))
    )
    assert registry.get("cap-essai").tasks == (*referential.tasks, EXTRA_TASK)
    # The same plugin manager, read again, adds nothing twice.
    assert len(registry.get("cap-essai").tasks) == 2


def test_hook_register_task_catalogues_refuses_clashing_ids() -> None:
    clash = CatalogueTask("t1", "Autre tâche un", (TaskCompetency("C1.1"),))
    registry = Registry(
        make_pm(("essai", Provides(small_referential())), ("ecole", AddsTasks("cap-essai", clash)))
    )
    with pytest.raises(PluginError) as caught:
        registry.get("cap-essai")
    assert "'cap-essai'" in str(caught.value)
    assert "t1" in str(caught.value)


def test_hook_register_task_catalogues_unknown_diploma() -> None:
    registry = Registry(
        make_pm(
            ("essai", Provides(small_referential())), ("ecole", AddsTasks("cap-absent", EXTRA_TASK))
        )
    )
    with pytest.raises(UnknownDiplomaError) as caught:
        registry.ids()
    assert caught.value.diploma_id == "cap-absent"


def test_hook_register_task_catalogues_checks_the_tasks() -> None:
    on_parent = CatalogueTask("t-parent", "Sur le parent", (TaskCompetency("C1"),))
    registry = Registry(
        make_pm(
            ("essai", Provides(small_referential())), ("ecole", AddsTasks("cap-essai", on_parent))
        )
    )
    with pytest.raises(ReferentialError) as caught:
        registry.get("cap-essai")
    assert [p.path for p in caught.value.problems] == ["tasks[1].competencies[0].code"]


@pytest.mark.parametrize("reverse", [False, True], ids=["a-then-b", "b-then-a"])
def test_hook_calculation_settings(reverse: bool) -> None:
    own = CalculationSettings(limit=3, scope="school-year")
    first = Settles("cap-essai", CalculationSettings(method="classique", limit=4))
    second = Settles("cap-essai", CalculationSettings(method="bestof1"))
    silent = Settles("cap-autre", CalculationSettings(method="arithmetique"))
    plugins = [("a", first), ("silent", silent), ("b", second)]
    if reverse:
        plugins.reverse()
    registry = Registry(make_pm(("essai", Provides(small_referential(settings=own))), *plugins))
    layers = registry.settings_layers("cap-essai")
    # The referential's own settings first, then the plugins in registration order.
    expected_plugins = (
        [second.settings, first.settings] if reverse else [first.settings, second.settings]
    )
    assert layers == [own, *expected_plugins]
    assert first.asked == second.asked == silent.asked == ["cap-essai"]
    effective = resolve(layers, registry.methods())
    assert effective.method == ("classique" if reverse else "bestof1")
    assert effective.limit == 4
    assert effective.scope == "school-year"


def test_hook_register_methods() -> None:
    registry = Registry(make_pm(("mediane", AddsMethod("mediane", median))))
    methods = registry.methods()
    assert methods["mediane"] is median
    assert "geometrique" in methods
    assert methods["mediane"]([0, 33, 100], [1.0, 1.0, 1.0]) == 33
    effective = resolve([CalculationSettings(method="mediane")], methods)
    assert effective.method == "mediane"


def test_hook_register_methods_refuses_a_second_method_of_the_same_name() -> None:
    registry = Registry(make_pm(("double", AddsMethod("classique", median))))
    with pytest.raises(PluginError, match="'classique'"):
        registry.methods()


def _count(db: Path, table: str) -> int:
    with open_journal(db) as journal:
        connection = journal.storage.connection  # type: ignore[attr-defined]
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_hook_validate_evidence(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    validator = RequiresANote()
    registry = Registry(make_pm(("essai", Provides(small_referential())), ("note", validator)))
    with open_journal(db, create=True, registry=registry, today=TODAY) as journal:
        journal.add_trainee("Léa Martin", diploma="cap-essai")
        with pytest.raises(EvidenceError) as caught:
            journal.record(["Léa Martin"], task="t1", day=TODAY)
        assert "une note est obligatoire (tâche t1)" in str(caught.value)
    record, diploma = validator.seen[-1]
    assert diploma == "cap-essai"
    assert record.task == "t1"
    # The task's proposed levels, C1.2 taking the scale's default level V.
    assert {(a.competency, a.level) for a in record.assessments} == {
        ("C1.1", "VV"),
        ("C1.2", "V"),
    }
    assert _count(db, "trainee") == 1
    assert _count(db, "task_record") == 0
    assert _count(db, "assessment") == 0

    # With a note the same record is accepted and written: the refusal was the plugin's.
    with open_journal(db, registry=registry, today=TODAY) as journal:
        journal.record(["Léa Martin"], task="t1", day=TODAY, note="vu en atelier")
    assert _count(db, "task_record") == 1
    assert _count(db, "assessment") == 2


def test_hook_register_commands(greeting_command: None) -> None:
    pm = make_pm(("salut", Greets()))
    assert "bonjour" not in cli.commands
    pm.hook.ep_skills_register_commands(cli=cli)
    result = CliRunner().invoke(cli, ["--lang", "en", "bonjour", "--nom", "Léa"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Bonjour Léa !\n"


def test_every_hook_has_a_test() -> None:
    hooks = [name for name, value in vars(hookspecs).items() if hasattr(value, "ep_skills_spec")]
    assert len(hooks) >= 7
    tests = {name for name, value in globals().items() if inspect.isfunction(value)}
    missing = [h for h in hooks if f"test_hook_{h.removeprefix('ep_skills_')}" not in tests]
    assert missing == []


def test_every_hook_is_a_hook_of_the_manager() -> None:
    pm = make_pm()
    spec_names = {
        name for name, value in vars(hookspecs).items() if hasattr(value, "ep_skills_spec")
    }
    assert spec_names == {name for name in vars(pm.hook) if name.startswith("ep_skills_")}


# -- conflicts and broken plugins ------------------------------------------------------------


def test_same_diploma_from_two_plugins() -> None:
    registry = Registry(
        make_pm(("alpha", Provides(small_referential())), ("beta", Provides(small_referential())))
    )
    with pytest.raises(PluginError) as caught:
        registry.ids()
    message = str(caught.value)
    assert "'cap-essai'" in message
    assert "alpha" in message
    assert "beta" in message


class Misnamed:
    @hookimpl
    def ep_skills_register_thing(self, register: Callable[[object], None]) -> None:
        register("chose")


def test_hookimpl_without_a_spec() -> None:
    with pytest.raises(PluginError) as caught:
        make_pm(("bizarre", Misnamed()))
    assert "bizarre" in str(caught.value)
    assert "ep_skills_register_thing" in str(caught.value)


class WrongArgument:
    @hookimpl
    def ep_skills_register_referentials(self, registre: Callable[[object], None]) -> None:
        registre(small_referential())


def test_hookimpl_with_an_unknown_argument() -> None:
    with pytest.raises(PluginError) as caught:
        make_pm(("mal-ecrit", WrongArgument()))
    assert "mal-ecrit" in str(caught.value)
    assert "registre" in str(caught.value)


def test_two_plugins_with_the_same_name() -> None:
    with pytest.raises(PluginError):
        make_pm(("essai", Provides(small_referential())), ("essai", Provides()))


def test_block_env_blocks_a_named_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BLOCK_ENV, " essai , autre")
    pm = make_pm(("essai", Provides(small_referential())), ("gardé", AddsMethod("m", median)))
    assert not pm.has_plugin("essai")
    assert pm.has_plugin("gardé")
    registry = Registry(pm)
    assert registry.ids() == []
    assert "m" in registry.methods()


def test_block_env_blocks_a_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BLOCK_ENV, "ep_skills.plugins.builtins.methods")
    registry = Registry(make_pm(("mediane", AddsMethod("mediane", median))))
    assert registry.methods() == {"mediane": median}


def test_block_env_blocks_an_installed_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BLOCK_ENV, "cap_cip")
    pm = make_plugin_manager()
    assert not pm.has_plugin("cap_cip")
    ids = Registry(pm).ids()
    assert "cap-cip" not in ids
    assert "cap-psr" in ids


# -- installed plugins, faked -----------------------------------------------------------------


@hookimpl
def _register_small(register: Callable[[object], None]) -> None:
    register(small_referential())


class FakeDistribution:
    """What pluggy reads of an installed distribution: its entry points and metadata."""

    def __init__(self, name: str, version: str, entry_points: list[Any]) -> None:
        self.metadata = {"name": name}
        self.version = version
        self.entry_points = entry_points


@pytest.fixture
def fake_installed(monkeypatch: pytest.MonkeyPatch) -> Callable[..., types.ModuleType]:
    """Install a fake distribution whose ``ep_skills`` entry point is a module of hooks."""

    def install(**hooks: Callable[..., Any]) -> types.ModuleType:
        module = types.ModuleType("ep_skills_essai_fake")
        for name, function in hooks.items():
            setattr(module, name, function)
        monkeypatch.setitem(sys.modules, module.__name__, module)
        entry_points = [
            importlib.metadata.EntryPoint("essai", module.__name__, ENTRY_POINT_GROUP),
            # Another group: must not be loaded (its module does not even exist).
            importlib.metadata.EntryPoint(
                "essai-cli", "module_qui_n_existe_pas", "console_scripts"
            ),
        ]
        dist = FakeDistribution("ep-skills-essai", "9.8.7", entry_points)
        monkeypatch.setattr(importlib.metadata, "distributions", lambda **_kw: [dist])
        return module

    return install


def test_plugin_from_an_entry_point(fake_installed: Callable[..., types.ModuleType]) -> None:
    module = fake_installed(ep_skills_register_referentials=_register_small)
    pm = make_plugin_manager()
    assert pm.get_plugin("essai") is module
    assert not pm.has_plugin("essai-cli")
    ((plugin, dist),) = pm.list_plugin_distinfo()
    assert plugin is module
    assert dist.project_name == "ep-skills-essai"
    registry = Registry(pm)
    assert registry.ids() == ["cap-essai"]
    assert registry.plugin_of("cap-essai") == "essai"


def test_broken_entry_point_is_a_plugin_error(
    fake_installed: Callable[..., types.ModuleType],
) -> None:
    fake_installed(ep_skills_register_thing=Misnamed().ep_skills_register_thing)
    with pytest.raises(PluginError) as caught:
        make_plugin_manager(strict=True)
    assert "ep_skills_register_thing" in str(caught.value)
    # Not strict: the plugin is left out and the problem kept.
    pm = make_plugin_manager()
    assert not pm.has_plugin("essai")
    (problem,) = load_problems(pm)
    assert problem.plugin == "essai"
    assert "ep_skills_register_thing" in problem.message


def test_entry_point_that_cannot_be_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = importlib.metadata.EntryPoint("casse", "ep_skills_module_absent", ENTRY_POINT_GROUP)
    dist = FakeDistribution("ep-skills-casse", "0.0.1", [broken])
    monkeypatch.setattr(importlib.metadata, "distributions", lambda **_kw: [dist])
    with pytest.raises(PluginError) as caught:
        make_plugin_manager(strict=True)
    assert "ep_skills_module_absent" in str(caught.value)
    # The command line warns in one line, without a traceback, and goes on.
    result = CliRunner().invoke(cli, ["--lang", "en", "diplomas"])
    assert result.exit_code == 0
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Warning: plugin casse (ep-skills-casse) failed to load")
    assert len(result.stderr.strip().splitlines()) == 1
    # With --strict-plugins it is an error: one line, exit code 1.
    result = CliRunner().invoke(cli, ["--lang", "en", "--strict-plugins", "diplomas"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: plugin casse failed to load")


def test_plugin_commands_reach_main(
    fake_installed: Callable[..., types.ModuleType],
    greeting_command: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_installed(ep_skills_register_commands=Greets().ep_skills_register_commands)
    with pytest.raises(SystemExit) as caught:
        main(["--lang", "en", "bonjour", "--nom", "Zoé"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == "Bonjour Zoé !\n"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--lang", "en", *args])


def test_cli_plugins_lists_a_fake_distribution(
    fake_installed: Callable[..., types.ModuleType],
) -> None:
    fake_installed(ep_skills_register_referentials=_register_small)
    result = run("plugins")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows == sorted(
        [
            {
                "name": "essai",
                "status": "loaded",
                "hooks": ["ep_skills_register_referentials"],
                "version": "9.8.7",
                "distribution": "ep-skills-essai",
            },
            {
                "name": "ep_skills.plugins.builtins.fragments",
                "status": "loaded",
                "hooks": ["ep_skills_register_fragments"],
                "version": None,
                "distribution": None,
            },
            {
                "name": "ep_skills.plugins.builtins.methods",
                "status": "loaded",
                "hooks": ["ep_skills_register_methods"],
                "version": None,
                "distribution": None,
            },
        ],
        key=lambda row: row["name"],
    )


def test_cli_diplomas_counts_by_hand(fake_installed: Callable[..., types.ModuleType]) -> None:
    # small_referential: B1, C1 and EP1 inherit "verified"; C1.1 is secondary, C1.2 draft.
    fake_installed(ep_skills_register_referentials=_register_small)
    result = run("diplomas", "--format", "json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["id"] == "cap-essai"
    assert row["plugin"] == "essai"
    assert row["provenance"] == {"verified": 3, "secondary": 1, "draft": 1, "school": 0}
    assert row["tasks"] == 1
    assert row["status"] == "in-force"
    assert row["rncp"] == ""


# -- the command line against the installed plugins ---------------------------------------------


def _hooks_of(module: object) -> list[str]:
    return sorted(
        name
        for name in dir(module)
        if name.startswith("ep_skills_") and hasattr(getattr(module, name), "ep_skills_impl")
    )


def test_cli_plugins() -> None:
    result = run("plugins")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    expected = [
        {
            "name": ep.name,
            "status": "loaded",
            "hooks": _hooks_of(ep.load()),
            "version": ep.dist.version,
            "distribution": ep.dist.metadata["Name"],
        }
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        if ep.dist is not None
    ]
    expected += [
        {
            "name": module.__name__,
            "status": "loaded",
            "hooks": _hooks_of(module),
            "version": None,
            "distribution": None,
        }
        for module in BUILTIN_MODULES
    ]
    assert {"cap_cip", "cap_psr"} <= {row["name"] for row in expected}
    assert rows == sorted(expected, key=lambda row: row["name"])


def test_cli_diplomas() -> None:
    result = run("diplomas", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    ids = [row["id"] for row in rows]
    assert ids == sorted(ids)
    assert {"cap-cip", "cap-psr"} <= set(ids)
    registry = Registry(make_plugin_manager())
    for row in rows:
        referential = registry.get(row["id"])
        counts = count_by_status(referential)
        assert row["provenance"] == {
            status.value: counts.get(status, 0)
            for status in ProvenanceStatus
            if status is not ProvenanceStatus.AUTHORED
        }
        assert sum(row["provenance"].values()) > 0
        assert row["tasks"] == len(referential.tasks)
        assert row["plugin"] == row["id"].replace("-", "_")


def test_cli_referential_show_json() -> None:
    result = run("referential", "show", "cap-cip", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id"] == "cap-cip"
    assert [bloc["id"] for bloc in data["blocs"]] == ["UP1", "UP2"]
    codes = {bloc["id"]: [c["code"] for c in bloc["competencies"]] for bloc in data["blocs"]}
    assert codes == {
        "UP1": ["CP01", "CP02", "CP03", "CP04", "CP05"],
        "UP2": ["CP06", "CP07"],
    }


@pytest.mark.parametrize("diploma", ["cap-cip", "cap-psr"])
def test_cli_referential_show_toml(diploma: str) -> None:
    result = run("referential", "show", diploma, "--format", "toml")
    assert result.exit_code == 0, result.output
    shown, _warnings = loads_referential(result.stdout, check=False)
    assert shown == Registry(make_plugin_manager()).get(diploma)


def test_cli_unknown_diploma() -> None:
    result = run("referential", "show", "cap-inconnu")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "unknown diploma 'cap-inconnu'" in result.stderr
    assert "cap-cip" in result.stderr
