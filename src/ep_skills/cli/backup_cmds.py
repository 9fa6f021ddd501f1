"""Backups of the journal and restoring one (« sauvegarde », « restauration »)."""

from __future__ import annotations

from pathlib import Path

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.errors import EpSkillsError
from ep_skills.i18n import _, ngettext

__all__ = ["register"]


def _on_file(app: AppContext) -> Path:
    if app.on_server:
        raise EpSkillsError(
            _(
                "on a server, back up with the server's own tools (pg_dump, or the host's "
                "backups): see docs/network.md"
            )
        )
    return Path(app.db_path)


def _holds(records: int, assessments: int) -> str:
    return (
        ngettext("{n} record", "{n} records", records).format(n=records)
        + ", "
        + ngettext("{n} assessment", "{n} assessments", assessments).format(n=assessments)
    )


@click.command()
@click.argument("target", required=False, type=click.Path(dir_okay=False))
@pass_app
def backup(app: AppContext, target: str | None) -> None:
    """Copy the journal to TARGET (by default beside it, dated), while it stays in use;
    the copy is checked before it is kept."""
    from ep_skills.journal.backup import backup as make

    made = make(_on_file(app), Path(target) if target else None)
    click.echo(
        _("Backup written: {path} ({holds}), checked.").format(
            path=made.path, holds=_holds(made.records, made.assessments)
        )
    )


@click.command()
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Restore without asking.")
@pass_app
def restore(app: AppContext, source: str, yes: bool) -> None:
    """Put the journal back to the backup SOURCE (checked first); the journal as it was is
    kept beside it."""
    from ep_skills.journal.backup import inspect
    from ep_skills.journal.backup import restore as put_back

    journal = _on_file(app)
    found = inspect(Path(source))
    if not yes:
        click.echo(
            _("{source} holds {holds}. The journal {journal} will be put back to it.").format(
                source=source, holds=_holds(found.records, found.assessments), journal=journal
            )
        )
        if not click.confirm(_("Restore?"), default=False):
            raise EpSkillsError(_("nothing restored"))
    restored, kept = put_back(Path(source), journal)
    click.echo(
        _("Journal {journal} restored from {source} ({holds}).").format(
            journal=journal, source=source, holds=_holds(restored.records, restored.assessments)
        )
    )
    if kept is not None:
        click.echo(_("The journal as it was is kept: {path}").format(path=kept))


def register(cli: click.Group) -> None:
    """Add the backup commands to the command line."""
    cli.add_command(backup)
    cli.add_command(restore)
