"""Plugins that cannot hurt: a broken plugin is named and skipped, never takes the others down.

Installed plugins are real: a folder laid out like ``site-packages`` (a module and its
``*.dist-info/entry_points.txt``) is put on ``sys.path``, where ``importlib.metadata`` finds
it beside the plugins installed in the venv; one test runs the real ``ep-skills`` script with
that folder on ``PYTHONPATH``. Other plugins are objects passed to
``make_plugin_manager(extra=...)``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from ep_skills import hookimpl
from ep_skills.cli import cli
from ep_skills.cli.app import (
    BUILTIN_COMMANDS,
    main,
    register_plugin_commands,
    strict_plugins_from_args,
)
from ep_skills.errors import PluginError, ReferentialError
from ep_skills.i18n import current_language, set_language
from ep_skills.plugins import hookspecs
from ep_skills.plugins.manager import (
    BLOCK_ENV,
    hook_names,
    load_problems,
    make_plugin_manager,
    plugin_statuses,
)
from ep_skills.plugins.registry import Registry
from ep_skills.referential.codec import load_referential, read_fragment

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "ep_skills_safety_"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in ("EP_SKILLS_DB", "EP_SKILLS_CONFIG", BLOCK_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EP_SKILLS_CACHE_DIR", str(tmp_path / "cache"))
    before = current_language()
    set_language("en")
    yield
    set_language(before)
    for module in [m for m in sys.modules if m.startswith(PREFIX)]:
        del sys.modules[module]


@pytest.fixture
def pristine_cli() -> Iterator[None]:
    """Takes the commands a test plugin adds out of the global ``cli`` group again."""
    groups = [cli, *(c for c in BUILTIN_COMMANDS.values() if isinstance(c, click.Group))]
    saved = [(group, dict(group.commands)) for group in groups]
    yield
    for group, commands in saved:
        group.commands.clear()
        group.commands.update(commands)


# -- installed plugins, for real --------------------------------------------------------------

BROKEN = 'raise ImportError("the dependency lxml is missing")\n'

GOOD = '''
import click

from ep_skills import hookimpl


@hookimpl
def ep_skills_register_commands(cli):
    @cli.command("atelier-bon")
    def atelier():
        """Print the workshop's name."""
        click.echo("atelier ok")
'''

FORGOTTEN_MARKER = """
def ep_skills_register_methods(register):
    register("oubliee", lambda values, weights: 0.0)
"""

REPLACES_PROGRESS = '''
import click

from ep_skills import hookimpl


@hookimpl
def ep_skills_register_commands(cli):
    @cli.command("progress")
    def progress():
        """Not the real progress."""
        click.echo("hijacked")
'''

TYPO_HOOK = """
from ep_skills import hookimpl


@hookimpl
def ep_skills_register_referential(register):
    pass
"""


def make_site(root: Path, **plugins: str) -> Path:
    """A folder laid out like site-packages: per plugin, a module and its dist-info."""
    root.mkdir(parents=True, exist_ok=True)
    for name, source in plugins.items():
        module = f"{PREFIX}{name}"
        (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = root / f"{module}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: ep-skills-{name}\nVersion: 0.1\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(
            f"[ep_skills]\n{name} = {module}\n", encoding="utf-8"
        )
    return root


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Installs plugins (``name=source``) beside the real ones, for this test only."""

    def installed(**plugins: str) -> Path:
        site = make_site(tmp_path / "site", **plugins)
        monkeypatch.syspath_prepend(str(site))
        return site

    return installed


def run(*args: str, obj: Any = None) -> Result:
    return CliRunner().invoke(cli, ["--lang", "en", *args], obj=obj)


# -- 1. a plugin that fails to load is named and skipped ---------------------------------------


def test_a_plugin_that_fails_to_import_is_skipped_and_the_others_work(
    install: Callable[..., Path],
) -> None:
    install(casse=BROKEN, bon=GOOD)
    pm = make_plugin_manager()
    assert not pm.has_plugin("casse")
    assert pm.has_plugin("bon")
    assert pm.has_plugin("cap_cip")
    (problem,) = [p for p in load_problems(pm) if p.skipped]
    assert problem.plugin == "casse"
    assert problem.distribution == "ep-skills-casse"
    assert problem.version == "0.1"
    assert problem.message == "ImportError: the dependency lxml is missing"
    line = problem.describe()
    assert "casse (ep-skills-casse)" in line
    assert f"{BLOCK_ENV}=casse" in line
    assert "cap-cip" in Registry(pm).ids()


@pytest.mark.parametrize(
    "source",
    ["raise RuntimeError('bug at import')\n", "import sys\nsys.exit(3)\n", "x = 1 / 0\n"],
    ids=["runtime-error", "sys-exit", "zero-division"],
)
def test_any_failure_at_import_is_caught(install: Callable[..., Path], source: str) -> None:
    install(casse=source)
    pm = make_plugin_manager()
    assert [p.plugin for p in load_problems(pm)] == ["casse"]


def test_strict_makes_a_plugin_that_fails_to_load_an_error(
    install: Callable[..., Path],
) -> None:
    install(casse=BROKEN, bon=GOOD)
    with pytest.raises(PluginError) as caught:
        make_plugin_manager(strict=True)
    assert caught.value.plugin == "casse"
    assert "casse" in str(caught.value)
    assert "lxml" in str(caught.value)


def test_a_blocked_plugin_is_not_even_imported(
    install: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    install(casse=BROKEN)
    monkeypatch.setenv(BLOCK_ENV, "casse")
    pm = make_plugin_manager(strict=True)
    assert load_problems(pm) == []
    assert pm.is_blocked("casse")


def test_a_hook_with_a_misspelt_name_skips_the_plugin_and_suggests_the_hook(
    install: Callable[..., Path],
) -> None:
    install(faute=TYPO_HOOK)
    pm = make_plugin_manager()
    (problem,) = load_problems(pm)
    assert problem.plugin == "faute"
    assert problem.skipped
    assert "ep_skills_register_referential implements a hook that does not exist" in (
        problem.message
    )
    assert "(did you mean ep_skills_register_referentials?)" in problem.message
    # Nothing of it stays behind: not the plugin, not the hook it made up.
    assert not pm.has_plugin("faute")
    assert not hasattr(pm.hook, "ep_skills_register_referential")


def test_the_command_line_warns_once_and_goes_on(install: Callable[..., Path]) -> None:
    install(casse=BROKEN)
    result = run("diplomas", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "cap-cip" in {row["id"] for row in json.loads(result.stdout)}
    (line,) = result.stderr.splitlines()
    assert line.startswith("Warning: plugin casse (ep-skills-casse) failed to load")
    assert f"{BLOCK_ENV}=casse" in line


def test_the_command_line_with_strict_plugins_stops(install: Callable[..., Path]) -> None:
    install(casse=BROKEN)
    result = run("--strict-plugins", "diplomas")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: plugin casse failed to load")
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("argv", "strict"),
    [
        (["--strict-plugins", "diplomas"], True),
        (["--lang", "fr", "--db", "x.db", "--strict-plugins", "progress"], True),
        (["diplomas", "--strict-plugins"], False),  # an argument of the command, not ours
        (["--db", "--strict-plugins", "diplomas"], False),  # the value of --db
        (["--lang=fr", "diplomas"], False),
    ],
)
def test_strict_plugins_is_read_before_click_parses(argv: list[str], strict: bool) -> None:
    assert strict_plugins_from_args(argv) is strict


def _script() -> str:
    beside = Path(sys.executable).parent / "ep-skills"
    return str(beside) if beside.exists() else "ep-skills"


def test_the_installed_script_skips_a_broken_plugin(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", casse=BROKEN, oubli=FORGOTTEN_MARKER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EP_SKILLS_")}
    env |= {"PYTHONPATH": str(site), "EP_SKILLS_CACHE_DIR": str(tmp_path / "cache")}

    def script(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_script(), "--lang", "en", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            timeout=120,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    listed = script("diplomas", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert {"cap-cip", "cap-psr"} <= {row["id"] for row in json.loads(listed.stdout)}
    assert "Traceback" not in listed.stderr
    about_casse = [line for line in listed.stderr.splitlines() if "casse" in line]
    assert len(about_casse) == 1
    assert "ImportError: the dependency lxml is missing" in about_casse[0]
    assert "ep_skills_register_methods looks like a hook but is not marked @hookimpl" in (
        listed.stderr
    )

    strict = script("--strict-plugins", "diplomas")
    assert strict.returncode == 1
    assert "casse" in strict.stderr
    assert "Traceback" not in strict.stderr


# -- 2. every hook's answer is checked, and errors name the plugin -----------------------------

REFERENTIAL = """\
id = "cap-essai"
title = "CAP d'essai"
kind = "CAP"
level = 3
version = "2024"
legal_source = "Arrêté d'essai"
provenance = { status = "verified", source = "arrete" }
{include}
[[sources]]
id = "arrete"
title = "Arrêté d'essai"

[[blocs]]
id = "B1"
title = "Réalisation"

[[blocs.competencies]]
code = "C1"
title = "Réaliser"

[[epreuves]]
code = "EP1"
title = "Réalisation"
coefficient = 2
bloc = "B1"
competencies = ["C1"]
{epreuves}
[[tasks]]
id = "t1"
title = "Réaliser une pièce"
competencies = [{ code = "C1", level = "V" }]
{tasks}"""

FRAGMENT = """\
id = "fragment-essai"
title = "Blocs partagés d'essai"
provenance = { status = "secondary", source = "fiche" }

[[sources]]
id = "fiche"
title = "Fiche d'essai"

[[blocs]]
id = "francais"
title = "Français"
kind = "general"

[[blocs.competencies]]
code = "F1"
title = "Rédiger un compte rendu"
{more}"""

USES_THE_FRAGMENT = {
    "include": 'include = ["fragment-essai"]\n',
    "epreuves": (
        '\n[[epreuves]]\ncode = "EG1"\ntitle = "Français"\ncoefficient = 1\n'
        'bloc = "francais"\ncompetencies = ["F1"]\n'
    ),
    "tasks": '\n[[tasks]]\nid = "t2"\ntitle = "Rédiger"\ncompetencies = [{ code = "F1" }]\n',
}


def write_referential(path: Path, **parts: str) -> Path:
    text = REFERENTIAL
    for name in ("include", "epreuves", "tasks"):
        text = text.replace("{" + name + "}", parts.get(name, ""))
    path.write_text(text, encoding="utf-8")
    return path


def write_fragment(path: Path, more: str = "") -> Path:
    path.write_text(FRAGMENT.replace("{more}", more), encoding="utf-8")
    return path


class Provides:
    def __init__(self, *sources: Path) -> None:
        self.sources = sources

    @hookimpl
    def ep_skills_register_referentials(self, register: Callable[[Path], None]) -> None:
        for source in self.sources:
            register(source)


class ProvidesFragments:
    def __init__(self, *paths: Path) -> None:
        self.paths = paths

    @hookimpl
    def ep_skills_register_fragments(self, register: Callable[[Path], None]) -> None:
        for path in self.paths:
            register(path)


def _raise(*_args: Any) -> Any:
    raise RuntimeError("boom")


def plugin_with(hook: str, function: Callable[..., Any]) -> types.ModuleType:
    """A plugin module implementing ``hook`` with ``function``."""
    module = types.ModuleType("mauvais")
    setattr(module, hook, hookimpl(specname=hook)(function))
    return module


def _each_registers(*values: Any) -> Callable[..., None]:
    def register_them(register: Callable[..., None]) -> None:
        register(*values)

    return register_them


BAD_HOOKS: list[tuple[str, Callable[..., Any], str]] = [
    # (hook, implementation, what makes the registry call it)
    ("ep_skills_register_referentials", lambda register: "referential.toml", "ids"),
    ("ep_skills_register_referentials", _each_registers(42), "ids"),
    ("ep_skills_register_referentials", _each_registers("referential.toml"), "ids"),
    ("ep_skills_register_referentials", lambda register: _raise(), "ids"),
    ("ep_skills_register_fragments", _each_registers(3.5), "ids"),
    ("ep_skills_register_fragments", lambda register: Path("fragment.toml"), "ids"),
    ("ep_skills_register_fragments", lambda register: _raise(), "ids"),
    ("ep_skills_register_task_catalogues", _each_registers(42, []), "ids"),
    ("ep_skills_register_task_catalogues", _each_registers("cap-essai", "t9"), "ids"),
    ("ep_skills_register_task_catalogues", _each_registers("cap-essai", [object()]), "ids"),
    ("ep_skills_register_task_catalogues", lambda register: _raise(), "ids"),
    ("ep_skills_register_methods", _each_registers(3, lambda v, w: 0.0), "methods"),
    ("ep_skills_register_methods", _each_registers("m", "not a function"), "methods"),
    ("ep_skills_register_methods", lambda register: {"m": max}, "methods"),
    ("ep_skills_register_methods", lambda register: _raise(), "methods"),
    ("ep_skills_calculation_settings", lambda diploma_id: "limit = 3", "settings"),
    ("ep_skills_calculation_settings", lambda diploma_id: _raise(), "settings"),
    ("ep_skills_validate_evidence", lambda record: [1, 2], "evidence"),
    ("ep_skills_validate_evidence", lambda record: "one message", "evidence"),
    ("ep_skills_validate_evidence", lambda record: _raise(), "evidence"),
]


def _ask(registry: Registry, what: str) -> None:
    if what == "ids":
        registry.ids()
    elif what == "methods":
        registry.methods()
    elif what == "settings":
        registry.settings_layers("cap-essai")
    else:
        registry.check_evidence(None, registry.get("cap-essai"), None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("hook", "function", "what"), BAD_HOOKS)
def test_a_wrong_answer_or_an_exception_is_a_plugin_error_naming_the_plugin(
    hook: str, function: Callable[..., Any], what: str, tmp_path: Path
) -> None:
    essai = write_referential(tmp_path / "referential.toml")
    pm = make_plugin_manager(
        entry_points=False,
        extra=(("essai", Provides(essai)), ("mauvais", plugin_with(hook, function))),
    )
    with pytest.raises(PluginError) as caught:
        _ask(Registry(pm), what)
    assert caught.value.plugin == "mauvais"
    assert "plugin mauvais" in str(caught.value)
    assert hook in str(caught.value)
    assert "\n" not in str(caught.value)


def test_every_hook_has_a_wrong_answer_tested() -> None:
    tested = {hook for hook, _function, _what in BAD_HOOKS}
    tested.add("ep_skills_register_commands")  # below, through the command line
    assert tested == set(hook_names())


def test_a_hook_that_raises_is_one_line_on_the_command_line(tmp_path: Path) -> None:
    essai = write_referential(tmp_path / "referential.toml")
    raising = plugin_with("ep_skills_register_referentials", lambda register: _raise())
    pm = make_plugin_manager(
        entry_points=False, extra=(("essai", Provides(essai)), ("mauvais", raising))
    )
    result = run("diplomas", obj=pm)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr == (
        "Error: plugin mauvais failed in ep_skills_register_referentials: RuntimeError: boom\n"
    )


# -- 3. a plugin's command cannot replace a built-in one ----------------------------------------


class Replaces:
    """Replaces ``progress``, removes ``diplomas``, replaces ``referential check``, and adds
    a command of its own."""

    @hookimpl
    def ep_skills_register_commands(self, cli: click.Group) -> None:
        @click.command("progress")
        def fake() -> None:
            click.echo("hijacked")

        cli.add_command(fake)
        cli.commands.pop("diplomas")
        referential = cli.commands["referential"]
        assert isinstance(referential, click.Group)
        referential.add_command(fake, "check")

        @cli.command("atelier-propre")
        def atelier() -> None:
            click.echo("atelier ok")


class FailsToRegister:
    @hookimpl
    def ep_skills_register_commands(self, cli: click.Group) -> None:
        raise KeyError("no such group")


@pytest.mark.usefixtures("pristine_cli")
def test_built_in_commands_are_put_back_and_the_plugin_named() -> None:
    pm = make_plugin_manager(entry_points=False, extra=(("remplace", Replaces()),))
    problems = register_plugin_commands(pm, cli, strict=False)
    assert [p.plugin for p in problems] == ["remplace"] * 3
    lines = sorted(p.describe() for p in problems)
    kept = "cannot be replaced or removed: it is kept"
    assert lines == [
        f"plugin remplace: the built-in command 'diplomas' {kept}",
        f"plugin remplace: the built-in command 'progress' {kept}",
        f"plugin remplace: the built-in command 'referential check' {kept}",
    ]
    for path, command in BUILTIN_COMMANDS.items():
        group = cli
        for name in path[:-1]:
            group = group.commands[name]  # type: ignore[assignment]
        assert group.commands[path[-1]] is command
    assert "hijacked" not in run("progress", "--help").output
    assert run("diplomas", "--format", "json").exit_code == 0
    own = run("atelier-propre")  # the plugin's own command works
    assert own.exit_code == 0
    assert own.stdout == "atelier ok\n"


@pytest.mark.usefixtures("pristine_cli")
def test_strict_refuses_a_plugin_that_replaces_a_built_in_command() -> None:
    pm = make_plugin_manager(entry_points=False, extra=(("remplace", Replaces()),))
    with pytest.raises(PluginError) as caught:
        register_plugin_commands(pm, cli, strict=True)
    assert caught.value.plugin == "remplace"
    assert "'diplomas'" in str(caught.value)
    assert cli.commands["diplomas"] is BUILTIN_COMMANDS[("diplomas",)]


@pytest.mark.usefixtures("pristine_cli")
def test_a_command_hook_that_raises_is_a_warning_naming_plugin_and_hook() -> None:
    pm = make_plugin_manager(entry_points=False, extra=(("rate", FailsToRegister()),))
    (problem,) = register_plugin_commands(pm, cli, strict=False)
    assert problem.describe() == (
        "plugin rate: plugin rate failed in ep_skills_register_commands: KeyError: 'no such group'"
    )
    with pytest.raises(PluginError, match="ep_skills_register_commands"):
        register_plugin_commands(pm, cli, strict=True)


@pytest.mark.usefixtures("pristine_cli")
def test_main_keeps_the_built_in_command_and_says_so(
    install: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    install(remplace=REPLACES_PROGRESS, bon=GOOD)
    with pytest.raises(SystemExit) as caught:
        main(["--lang", "en", "progress", "--help"])
    assert caught.value.code == 0
    out, err = capsys.readouterr()
    assert "hijacked" not in out
    assert "Not the real progress" not in out
    assert err == (
        "Warning: plugin remplace: the built-in command 'progress' cannot be replaced or "
        "removed: it is kept\n"
    )
    with pytest.raises(SystemExit) as caught:
        main(["--lang", "en", "atelier-bon"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == "atelier ok\n"
    with pytest.raises(SystemExit) as caught:
        main(["--lang", "en", "--strict-plugins", "progress", "--help"])
    assert caught.value.code == 1
    assert "remplace" in capsys.readouterr().err


# -- 4. a function that looks like a hook but is not one is warned about ------------------------


def _module(name: str, **attributes: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in attributes.items():
        setattr(module, key, value)
    return module


def test_a_hook_without_its_marker_is_warned_about() -> None:
    def ep_skills_register_referentials(register: Callable[..., None]) -> None:
        pass

    def ep_skills_register_referential(register: Callable[..., None]) -> None:
        pass

    def ep_skills_rien_du_tout() -> None:
        pass

    module = _module(
        "oubli",
        ep_skills_register_referentials=ep_skills_register_referentials,
        ep_skills_register_referential=ep_skills_register_referential,
        ep_skills_rien_du_tout=ep_skills_rien_du_tout,
        ep_skills_version="1.0",  # not a function: no hook could be meant
    )
    pm = make_plugin_manager(entry_points=False, extra=(("oubli", module),))
    assert pm.has_plugin("oubli")
    warnings = {p.message for p in load_problems(pm) if p.plugin == "oubli"}
    assert not any(p.skipped for p in load_problems(pm))
    assert warnings == {
        "ep_skills_register_referentials looks like a hook but is not marked @hookimpl: "
        "it is ignored",
        "ep_skills_register_referential looks like a hook but no hook has this name: it is "
        "ignored (did you mean ep_skills_register_referentials?)",
        "ep_skills_rien_du_tout looks like a hook but no hook has this name: it is ignored",
    }


class HalfMarked:
    @hookimpl
    def ep_skills_register_methods(self, register: Callable[..., None]) -> None:
        pass

    def ep_skills_calculation_settings(self, diploma_id: str) -> None:
        return None


def test_an_unmarked_method_of_a_plugin_object_is_warned_about() -> None:
    pm = make_plugin_manager(entry_points=False, extra=(("moitie", HalfMarked()),))
    (problem,) = load_problems(pm)
    assert problem.plugin == "moitie"
    assert problem.message.startswith("ep_skills_calculation_settings looks like a hook")
    assert not problem.skipped


def test_strict_makes_a_forgotten_marker_an_error(install: Callable[..., Path]) -> None:
    install(oubli=FORGOTTEN_MARKER)
    assert [p.plugin for p in load_problems(make_plugin_manager())] == ["oubli"]
    with pytest.raises(PluginError) as caught:
        make_plugin_manager(strict=True)
    assert caught.value.plugin == "oubli"
    assert "ep_skills_register_methods looks like a hook" in str(caught.value)


def test_the_shipped_plugins_and_the_built_ins_raise_no_warning() -> None:
    assert load_problems(make_plugin_manager()) == []


# -- 5. ``ep-skills plugins`` tells loaded, blocked and failed apart ----------------------------


def test_plugins_lists_the_status_of_each(
    install: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    install(casse=BROKEN, bon=GOOD, oubli=FORGOTTEN_MARKER)
    monkeypatch.setenv(BLOCK_ENV, "cap_cip, absent")
    result = run("plugins")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["cap_cip"] == {
        "name": "cap_cip",
        "status": "blocked",
        "hooks": [],
        "version": rows["cap_cip"]["version"],
        "distribution": "ep-skills-cap-cip",
    }
    assert rows["cap_cip"]["version"]
    assert rows["absent"]["status"] == "blocked"  # blocked, though not installed
    assert rows["casse"] == {
        "name": "casse",
        "status": "failed",
        "hooks": [],
        "version": "0.1",
        "distribution": "ep-skills-casse",
        "error": "ImportError: the dependency lxml is missing",
    }
    assert rows["bon"] == {
        "name": "bon",
        "status": "loaded",
        "hooks": ["ep_skills_register_commands"],
        "version": "0.1",
        "distribution": "ep-skills-bon",
    }
    assert rows["oubli"]["status"] == "loaded"
    assert rows["oubli"]["hooks"] == []
    (warning,) = rows["oubli"]["warnings"]
    assert "not marked @hookimpl" in warning
    builtin = rows["ep_skills.plugins.builtins.methods"]
    assert (builtin["status"], builtin["distribution"]) == ("loaded", None)
    assert rows["cap_psr"]["status"] == "loaded"
    assert list(rows) == sorted(rows)
    # The warnings went to stderr, one line per plugin.
    assert len([line for line in result.stderr.splitlines() if "casse" in line]) == 1


def test_plugin_statuses_of_a_plain_pluggy_manager() -> None:
    # An embedder's own manager: no problems known, still listed.
    import pluggy

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(HalfMarked(), name="moitie")
    pm.set_blocked("bloque")
    statuses = {s.name: s.status for s in plugin_statuses(pm)}
    assert statuses == {"bloque": "blocked", "moitie": "loaded"}
    assert load_problems(pm) == []


# -- 6. fragments: checked as loading resolves them, their competencies usable ------------------


def test_a_referential_can_name_the_competencies_of_a_fragment(tmp_path: Path) -> None:
    essai = write_referential(tmp_path / "referential.toml", **USES_THE_FRAGMENT)
    fragment = write_fragment(tmp_path / "fragment.toml")
    pm = make_plugin_manager(
        entry_points=False,
        extra=(("essai", Provides(essai)), ("partage", ProvidesFragments(fragment))),
    )
    referential = Registry(pm).get("cap-essai")
    assert [b.id for b in referential.blocs] == ["B1", "francais"]
    assert referential.epreuves[1].competencies == ("F1",)
    assert [link.code for link in referential.tasks[1].competencies] == ["F1"]


def test_without_its_fragments_the_same_file_names_unknown_competencies(tmp_path: Path) -> None:
    essai = write_referential(tmp_path / "referential.toml", **USES_THE_FRAGMENT)
    with pytest.raises(ReferentialError) as caught:
        load_referential(essai)
    assert {p.path for p in caught.value.problems} == {
        "epreuves[1].competencies[0]",
        "tasks[1].competencies[0].code",
    }
    fragments = {"fragment-essai": read_fragment(write_fragment(tmp_path / "fragment.toml"))}
    referential, warnings = load_referential(essai, fragments=fragments)
    assert (referential.include, warnings) == (("fragment-essai",), [])


def test_check_resolves_the_fragments_of_the_installed_plugins(tmp_path: Path) -> None:
    essai = write_referential(tmp_path / "referential.toml", **USES_THE_FRAGMENT)
    fragment = write_fragment(tmp_path / "fragment.toml")
    installed = make_plugin_manager(
        entry_points=False, extra=(("partage", ProvidesFragments(fragment)),)
    )
    ok = run("referential", "check", str(essai), obj=installed)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout == f"{essai}: OK\n"
    # Without the plugin that registers it, the fragment is unknown.
    bare = run("referential", "check", str(essai), obj=make_plugin_manager(entry_points=False))
    assert bare.exit_code == 1
    assert f"{essai}:8: include: unknown fragment 'fragment-essai' (known: cap-general-2019)" in (
        bare.stderr
    )
    # --fragment names a fragment file that no plugin registers (yet).
    given = run(
        "referential",
        "check",
        "--fragment",
        str(fragment),
        str(essai),
        obj=make_plugin_manager(entry_points=False),
    )
    assert given.exit_code == 0, given.output


def test_a_problem_in_a_fragment_names_its_file_and_line(tmp_path: Path) -> None:
    essai = write_referential(tmp_path / "referential.toml", **USES_THE_FRAGMENT)
    more = '\n[[blocs.competencies]]\ncode = "F2"\ntitle = "Lire"\n'
    fragment = write_fragment(tmp_path / "fragment.toml", more)
    line_of_f2 = fragment.read_text(encoding="utf-8").splitlines().index('code = "F2"') + 1
    result = run(
        "referential", "check", "--fragment", str(fragment), str(essai),
        obj=make_plugin_manager(entry_points=False),
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{fragment}:{line_of_f2}: blocs[0].competencies[1].code: competency 'F2' is not "
        "assessed by any épreuve",
        f"{fragment}:{line_of_f2}: blocs[0].competencies[1].code: competency 'F2' is not "
        "reachable from any catalogue task",
    ]


def test_a_catalogue_may_map_tasks_to_a_fragment_competency(tmp_path: Path) -> None:
    from ep_skills.referential.model import CatalogueTask, TaskCompetency

    essai = write_referential(tmp_path / "referential.toml", **USES_THE_FRAGMENT)
    fragment = write_fragment(tmp_path / "fragment.toml")
    extra_task = CatalogueTask("t-ecole", "Compte rendu d'atelier", (TaskCompetency("F1", "V"),))
    adds = plugin_with(
        "ep_skills_register_task_catalogues", _each_registers("cap-essai", [extra_task])
    )
    pm = make_plugin_manager(
        entry_points=False,
        extra=(
            ("essai", Provides(essai)),
            ("partage", ProvidesFragments(fragment)),
            ("ecole", adds),
        ),
    )
    referential = Registry(pm).get("cap-essai")
    assert referential.tasks[-1] == extra_task
    assert [b.id for b in referential.blocs] == ["B1", "francais"]


SHIPPED = sorted((ROOT / "plugins").glob("*/src/*/referential.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.parent.name for p in SHIPPED])
def test_check_passes_on_every_shipped_plugin(path: Path) -> None:
    result = run("referential", "check", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}: OK\n"


def test_the_shipped_plugins_are_all_found() -> None:
    assert len(SHIPPED) >= 8
    assert any("include" in p.read_text(encoding="utf-8") for p in SHIPPED)
