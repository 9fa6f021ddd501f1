"""The root command group, its shared context, and the one place errors are printed.

Commands live in one module per noun and only call the library. A user error is an
:class:`~ep_skills.errors.EpSkillsError`: it is printed as one line in the user's language with
exit code 1; click's own usage errors exit with 2. Help texts and click's messages are
translated too: the language is read from the arguments before click parses them.

Plugins cannot hurt the command line: one that fails to load is left out with one warning
line, and its commands cannot replace a built-in one. ``--strict-plugins`` (also read before
click parses the arguments, since plugins are loaded first) makes any of this an error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import click

from ep_skills.errors import EpSkillsError
from ep_skills.i18n import LANGUAGES, _, detect_language, ngettext, set_language

__all__ = ["AppContext", "cli", "main", "pass_app"]


class AppContext:
    """What every command shares: registry, journal and school settings, built lazily."""

    def __init__(
        self,
        db: str | None,
        config: str | None,
        plugin_manager: Any = None,
        *,
        strict_plugins: bool = False,
    ) -> None:
        self.db_option = db
        self.config_option = config
        self.strict_plugins = strict_plugins
        self._plugin_manager = plugin_manager
        self._registry: Any = None
        self._school: Any = None
        self._mark: tuple[int, ...] | None = None

    @property
    def school(self) -> Any:
        """The school configuration (``--config`` or ``$EP_SKILLS_CONFIG``), or None."""
        if self._school is None:
            from ep_skills.engine.layers import SchoolConfig, load_school_config

            path = self.config_option or os.environ.get("EP_SKILLS_CONFIG")
            self._school = load_school_config(path) if path else SchoolConfig()
        return self._school

    @property
    def plugin_manager(self) -> Any:
        """The plugin manager ``main()`` built, else one built now (its problems reported)."""
        if self._plugin_manager is None:
            from ep_skills.plugins.manager import load_problems, make_plugin_manager

            self._plugin_manager = make_plugin_manager(strict=self.strict_plugins)
            warn_about_plugins(load_problems(self._plugin_manager))
        return self._plugin_manager

    @property
    def registry(self) -> Any:
        """The registry of installed diplomas (loaded on first use)."""
        if self._registry is None:
            from ep_skills.plugins.registry import Registry

            self._registry = Registry(self.plugin_manager, overlays=self.school.overlays)
        return self._registry

    @property
    def db_path(self) -> str:
        """``--db``, else ``EP_SKILLS_DB``, else ``./ep-skills.db``."""
        return self.db_option or os.environ.get("EP_SKILLS_DB") or "ep-skills.db"

    @property
    def db_shown(self) -> str:
        """The journal's address as it may be printed (a server's without its password)."""
        from ep_skills.journal.connect import shown_address

        return shown_address(self.db_path)

    @property
    def on_server(self) -> bool:
        """Whether the journal is on a PostgreSQL server (not a file)."""
        from ep_skills.journal.connect import is_server_address

        return is_server_address(self.db_path)

    def journal_exists(self) -> bool:
        """Whether a journal is already at the address (a file, or a school on a server)."""
        from ep_skills.journal.connect import journal_exists

        return journal_exists(self.db_path)

    def journal(self, *, create: bool = False) -> Any:
        """Open the journal (a missing one is an error unless ``create``)."""
        from ep_skills.api import open_journal

        def upgrading(found: int, new: int) -> None:
            click.echo(
                _("Upgrading the journal {path} (schema {found} → {new}), once…").format(
                    path=self.db_shown, found=found, new=new
                ),
                err=True,
            )

        journal = open_journal(
            self.db_path,
            create=create,
            registry=self.registry,
            school=self.school,
            on_upgrade=upgrading,
        )
        if self._mark is None:
            self._mark = journal.storage.write_mark()
        return journal

    def written_since_opened(self) -> bool:
        """Whether the journal holds a write committed since this command opened it, read
        afresh from the file (after an interruption, the only trustworthy answer)."""
        if self._mark is None:
            return False
        from ep_skills.journal.connect import open_storage

        try:
            storage = open_storage(self.db_path)
            try:
                return storage.write_mark() != self._mark
            finally:
                storage.close()
        except EpSkillsError:
            return False


pass_app = click.make_pass_decorator(AppContext)


def language_from_args(argv: list[str]) -> str:
    """The language asked for with ``--lang``, else the locale's."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGUAGES:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg.split("=", 1)[1] in LANGUAGES:
            return arg.split("=", 1)[1]
    return detect_language()


def _walk(command: click.Command) -> Iterator[click.Command]:
    yield command
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _walk(sub)


class HelpFormatter(click.HelpFormatter):
    """Click's help formatter, with headings punctuated as the language wants (« Options : »)."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_('{heading}:').format(heading=heading)}\n")


class HelpContext(click.Context):
    """Click's context, formatting help with :class:`HelpFormatter`."""

    formatter_class = HelpFormatter


def translate_help(root: click.Command) -> None:
    """Put every help text of the command tree in the current language (msgids kept aside):
    help texts, placeholders (``FILE`` → ``FICHIER``) and click's ``[required]``."""
    from ep_skills.cli.metavars import translate_metavars

    for command in _walk(root):
        if command.context_class is click.Context:  # a plugin's own context class is kept
            command.context_class = HelpContext
        translate_metavars(command)
        originals = command.__dict__.setdefault("_ep_msgids", {})
        for attr in ("help", "short_help", "epilog"):
            source = originals.setdefault(attr, getattr(command, attr))
            setattr(command, attr, _(source) if source else source)
        for param in command.params:
            if isinstance(param, click.Option):
                source = originals.setdefault(f"param:{param.name}", param.help)
                param.help = _(source) if source else source
        # click builds the help option once and caches it with its text: rebuild it.
        if getattr(command, "_help_option", None) is not None:
            command._help_option = None


def _patch_click_messages() -> None:
    """Route click's own messages (usage errors, help headings) through our catalogue."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types

    for module in (
        click.core,
        click.decorators,
        click.exceptions,
        click.formatting,
        click.parser,
        click.termui,
        click.types,
    ):
        if hasattr(module, "_"):
            module._ = _  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


class EpSkillsGroup(click.Group):
    """The root group: language first, then library errors as one translated line."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        set_language(language_from_args(args))
        _patch_click_messages()
        translate_help(self)
        return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        from ep_skills.cli.output import neutralised_output

        try:
            with neutralised_output():
                return super().invoke(ctx)
        except EpSkillsError as exc:
            click.echo(_("Error: {message}").format(message=exc), err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            app = ctx.find_object(AppContext)
            if app is not None and app.written_since_opened():
                # Ctrl-C came after the commit: the write is in the journal, say so.
                message = _("Interrupted after the write was saved: it is in the journal.")
            else:
                message = _("Interrupted: nothing was written.")
            click.echo(message, err=True)
            ctx.exit(130)


@click.group(cls=EpSkillsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of messages (default: from the locale).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=None,
    help="Journal file (default: $EP_SKILLS_DB or ./ep-skills.db).",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="School settings file (default: $EP_SKILLS_CONFIG).",
)
@click.option(
    "--strict-plugins",
    is_flag=True,
    default=False,
    help="Stop with an error when a plugin fails to load or misbehaves (default: warn, skip it).",
)
@click.version_option(package_name="ep-skills", prog_name="ep-skills")
@click.pass_context
def cli(
    ctx: click.Context, lang: str | None, db: str | None, config: str | None, strict_plugins: bool
) -> None:
    """Track what trainees have proven on real orders, against their diploma's referential."""
    # main() hands over the plugin manager it built to add plugin commands.
    ctx.obj = AppContext(db, config, plugin_manager=ctx.obj, strict_plugins=strict_plugins)


def _register_commands() -> None:
    from ep_skills.cli import (
        audit_cmds,
        backup_cmds,
        evidence_cmds,
        exam_cmds,
        exchange_cmds,
        journal_cmds,
        period_cmds,
        plan_cmds,
        privacy_cmds,
        referential_cmds,
        report_cmds,
        server_cmds,
        view_cmds,
        web_cmds,
    )

    referential_cmds.register(cli)
    journal_cmds.register(cli)
    backup_cmds.register(cli)
    evidence_cmds.register(cli)
    exam_cmds.register(cli)
    plan_cmds.register(cli)
    privacy_cmds.register(cli)
    audit_cmds.register(cli)
    exchange_cmds.register(cli)
    period_cmds.register(cli)
    view_cmds.register(cli)
    report_cmds.register(cli)
    server_cmds.register(cli)
    web_cmds.register(cli)


_register_commands()


def _command_tree(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> dict[tuple[str, ...], click.Command]:
    """Every command under ``group`` by its path of names, each group before its commands."""
    found: dict[tuple[str, ...], click.Command] = {}
    for name, command in group.commands.items():
        found[(*prefix, name)] = command
        if isinstance(command, click.Group):
            found.update(_command_tree(command, (*prefix, name)))
    return found


BUILTIN_COMMANDS = _command_tree(cli)
"""The commands of ep-skills itself, which no plugin may replace or remove."""


def _restore_builtins(root: click.Group) -> list[str]:
    """Put back every built-in command that is missing or replaced; their names."""
    restored = []
    for path, command in BUILTIN_COMMANDS.items():
        # A parent comes first in the tree, so it is the built-in group again by now.
        parent = BUILTIN_COMMANDS[path[:-1]] if len(path) > 1 else root
        assert isinstance(parent, click.Group)
        if parent.commands.get(path[-1]) is not command:
            parent.commands[path[-1]] = command
            restored.append(" ".join(path))
    return restored


def register_plugin_commands(pm: Any, root: click.Group, *, strict: bool) -> list[Any]:
    """Let each plugin add its commands to ``root``, one plugin at a time.

    A plugin that fails, or replaces or removes a built-in command, is reported by name: a
    warning (the built-in command is put back), or with ``strict`` a :class:`PluginError`.

    :returns: the warnings, as :class:`~ep_skills.plugins.manager.PluginProblem`.
    """
    from ep_skills.errors import PluginError
    from ep_skills.plugins.manager import PluginProblem
    from ep_skills.plugins.registry import call_hookimpl

    hook = pm.hook.ep_skills_register_commands
    problems = []
    for impl in reversed(hook.get_hookimpls()):  # pluggy's order: the last registered first
        if impl.hookwrapper or impl.wrapper:
            continue
        messages = []
        try:
            answer = call_hookimpl(impl, hook.name, {"cli": root})
        except PluginError as exc:
            messages.append(str(exc))
        else:
            if answer is not None:
                messages.append(_("{hook} must return None").format(hook=hook.name))
        messages += [
            _("the built-in command {command!r} cannot be replaced or removed: it is kept").format(
                command=name
            )
            for name in _restore_builtins(root)
        ]
        for message in messages:
            problem = PluginProblem(impl.plugin_name, message, skipped=False)
            if strict:
                raise PluginError(problem.describe(), plugin=impl.plugin_name)
            problems.append(problem)
    return problems


def warn_about_plugins(problems: list[Any]) -> None:
    """One line on stderr per plugin problem, in the user's language."""
    for problem in problems:
        click.echo(_("Warning: {message}").format(message=problem.describe()), err=True)


def strict_plugins_from_args(argv: list[str]) -> bool:
    """Whether ``--strict-plugins`` is among the options given before the command's name."""
    takes_value = {
        name
        for param in cli.params
        if isinstance(param, click.Option) and not param.is_flag and not param.count
        for name in param.opts
    }
    i = 0
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "--":
        if argv[i] == "--strict-plugins":
            return True
        i += 2 if argv[i] in takes_value else 1
    return False


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``ep-skills`` command."""
    args = sys.argv[1:] if argv is None else argv
    set_language(language_from_args(args))
    strict = strict_plugins_from_args(args)
    try:
        from ep_skills.plugins.manager import load_problems, make_plugin_manager

        plugin_manager = make_plugin_manager(strict=strict)
        warn_about_plugins(load_problems(plugin_manager))
        warn_about_plugins(register_plugin_commands(plugin_manager, cli, strict=strict))
    except EpSkillsError as exc:
        click.echo(_("Error: {message}").format(message=exc), err=True)
        sys.exit(1)
    cli.main(args=args, prog_name="ep-skills", obj=plugin_manager)
