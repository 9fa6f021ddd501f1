"""The root command group, its shared context, and the one place errors are printed.

Commands live in one module per noun (``referential_cmds``, ``journal_cmds``…) and only call
the library. A user error is an :class:`~ep_skills.errors.EpSkillsError`: it is printed as one
line in the user's language with exit code 1; click's own usage errors exit with 2.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ep_skills.errors import EpSkillsError
from ep_skills.i18n import LANGUAGES, _, detect_language, set_language

__all__ = ["AppContext", "cli", "main", "pass_app"]


class AppContext:
    """What every command shares: the plugin registry and the journal location, built lazily."""

    def __init__(self, db: str | None) -> None:
        self.db_option = db
        self._registry: Any = None

    @property
    def registry(self) -> Any:
        """The registry of installed diplomas (loaded on first use)."""
        if self._registry is None:
            from ep_skills.plugins.manager import make_plugin_manager
            from ep_skills.plugins.registry import Registry

            self._registry = Registry(make_plugin_manager())
        return self._registry

    @property
    def db_path(self) -> str:
        """``--db``, else ``EP_SKILLS_DB``, else ``./ep-skills.db``."""
        return self.db_option or os.environ.get("EP_SKILLS_DB") or "ep-skills.db"


pass_app = click.make_pass_decorator(AppContext)


def _early_language(argv: list[str]) -> str:
    """The language asked for on the command line, read before click parses it.

    Help texts are translated when the commands are built, so the language must be known
    before parsing.
    """
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGUAGES:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg.split("=", 1)[1] in LANGUAGES:
            return arg.split("=", 1)[1]
    return detect_language()


class EpSkillsGroup(click.Group):
    """A group that turns library errors into one translated line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EpSkillsError as exc:
            click.echo(_("Error: {message}").format(message=exc), err=True)
            ctx.exit(1)


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
@click.version_option(package_name="ep-skills", prog_name="ep-skills")
@click.pass_context
def cli(ctx: click.Context, lang: str | None, db: str | None) -> None:
    """Track what trainees have proven on real orders, against their diploma's referential."""
    set_language(lang or detect_language())
    ctx.obj = AppContext(db)


def _register_commands() -> None:
    from ep_skills.cli import referential_cmds

    referential_cmds.register(cli)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``ep-skills`` command."""
    args = sys.argv[1:] if argv is None else argv
    set_language(_early_language(args))
    _add_plugin_commands()
    cli.main(args=args, prog_name="ep-skills")


def _add_plugin_commands() -> None:
    try:
        from ep_skills.plugins.manager import make_plugin_manager

        make_plugin_manager().hook.ep_skills_register_commands(cli=cli)
    except EpSkillsError as exc:
        click.echo(_("Error: {message}").format(message=exc), err=True)
        sys.exit(1)
