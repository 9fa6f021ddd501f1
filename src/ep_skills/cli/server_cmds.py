"""Commands for a school's or a network's PostgreSQL server: set it up, bind a login to a school."""

from __future__ import annotations

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.i18n import _

__all__ = ["register"]


@click.group()
def server() -> None:
    """Set up a PostgreSQL server for ep-skills (the school's or the network's IT person)."""


def _server_address(app: AppContext) -> str:
    from ep_skills.errors import EpSkillsError

    if not app.on_server:
        raise EpSkillsError(
            _("give the server's address with --db postgresql://user@host:port/database")
        )
    return app.db_path


@server.command()
@pass_app
def setup(app: AppContext) -> None:
    """Create the roles, the schema, the privileges and the network's views, or upgrade them.

    Run it with the address of an administrator (PostgreSQL's superuser, or a role that may
    create roles), once, then after each upgrade of ep-skills: it changes only what is missing.
    """
    from ep_skills.journal.postgres import set_up

    def upgrading(found: int, new: int) -> None:
        click.echo(
            _("Upgrading the server's schema ({found} → {new})…").format(found=found, new=new),
            err=True,
        )

    for line in set_up(_server_address(app), on_upgrade=upgrading):
        click.echo(line)
    click.echo(_("Server {address} ready for ep-skills.").format(address=app.db_shown))


@server.command()
@click.argument("login")
@click.argument("school")
@pass_app
def bind(app: AppContext, login: str, school: str) -> None:
    """Bind a login role to one school: it then reads and writes that school's rows only,
    whatever school it asks for (a school's own software on the network's server)."""
    from ep_skills.journal.postgres import add_school_login

    add_school_login(_server_address(app), login, school)
    click.echo(
        _("{login} now reads and writes the school {school} only.").format(
            login=login, school=school
        )
    )


@click.command()
@click.option(
    "--to",
    "other",
    required=True,
    metavar="ADDRESS",
    help="The other journal: the school's server (postgresql://…?school=ID) or a file.",
)
@pass_app
def sync(app: AppContext, other: str) -> None:
    """Send this journal's new entries to another (the school's server) and receive its own.

    Entries travel with a global id: syncing twice sends nothing twice, an interrupted sync
    resumes, a correction follows its original wherever that was recorded.
    """
    from ep_skills.api import open_journal
    from ep_skills.journal.connect import shown_address
    from ep_skills.sync import sync as run_sync

    with (
        app.journal() as local,
        open_journal(other, registry=app.registry, school=app.school) as remote,
    ):
        report = run_sync(local, remote)
    where = shown_address(other)
    sent, received = report.sent.lines(), report.received.lines()
    click.echo(
        _("Sent to {address}: {what}.").format(
            address=where, what=", ".join(sent) if sent else _("nothing new")
        )
    )
    click.echo(
        _("Received from {address}: {what}.").format(
            address=where, what=", ".join(received) if received else _("nothing new")
        )
    )
    for line in report.review:
        click.echo(_("To look at: {what}").format(what=line), err=True)


def register(cli: click.Group) -> None:
    """Add this module's commands to ``cli``."""
    cli.add_command(server)
    cli.add_command(sync)
