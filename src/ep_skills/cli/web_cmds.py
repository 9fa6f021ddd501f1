"""The bench page from the command line: ``ep-skills serve`` and its accounts."""

from __future__ import annotations

import sys

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.errors import EpSkillsError
from ep_skills.i18n import _

__all__ = ["register"]


def _password(given_on_stdin: bool) -> str:
    if given_on_stdin:
        # Software that creates accounts gives the password on standard input, never on the
        # command line (where other users of the computer see it in the process list).
        line: str = sys.stdin.readline()
        return line.rstrip("\r\n")
    answer: object = click.prompt(
        _("Password"), hide_input=True, confirmation_prompt=_("Password, again")
    )
    return str(answer)


@click.group()
def account() -> None:
    """Who may sign in to the bench page: instructors, and trainees for their own page."""


@account.command("add")
@click.argument("login")
@click.option("--name", help="The name shown as the assessor of what this account records.")
@click.option(
    "--trainee",
    metavar="NAME",
    help="Make it this trainee's own account: their page and self-assessments only.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (one line)."
)
@pass_app
def account_add(
    app: AppContext, login: str, name: str | None, trainee: str | None, password_stdin: bool
) -> None:
    """Create an account for the bench page (an instructor's, unless --trainee)."""
    from ep_skills.web.accounts import AccountKind, add_account

    with app.journal() as journal:
        if trainee is not None:
            journal.trainee(trainee)  # an unknown trainee is said before the password is asked
        created = add_account(journal, login, _password(password_stdin), name=name, trainee=trainee)
    kind = (
        _("trainee's account") if created.kind is AccountKind.TRAINEE else _("instructor's account")
    )
    click.echo(
        _("Account {login} created ({kind}, shown as « {name} »).").format(
            login=created.login, kind=kind, name=created.name
        )
    )


@account.command("list")
@pass_app
def account_list(app: AppContext) -> None:
    """The accounts of the bench page."""
    from ep_skills.web.accounts import AccountKind, accounts

    with app.journal() as journal:
        found = accounts(journal)
        if not found:
            click.echo(_("No account yet: create one with ep-skills account add LOGIN."))
            return
        for item in found:
            kind = (
                _("trainee: {name}").format(name=journal.trainee(item.trainee).name)
                if item.kind is AccountKind.TRAINEE and item.trainee is not None
                else _("instructor")
            )
            state = _(" (disabled)") if item.disabled else ""
            click.echo(f"{item.login}  {item.name}  · {kind}{state}")


@account.command("password")
@click.argument("login")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (one line)."
)
@pass_app
def account_password(app: AppContext, login: str, password_stdin: bool) -> None:
    """Give an account a new password (it is enabled again if it was disabled)."""
    from ep_skills.web.accounts import accounts, set_password

    with app.journal() as journal:
        if login not in {a.login for a in accounts(journal)}:
            raise EpSkillsError(_("no account {login!r}").format(login=login))
        set_password(journal, login, _password(password_stdin))
    click.echo(_("New password saved for {login}.").format(login=login))


@account.command("disable")
@click.argument("login")
@pass_app
def account_disable(app: AppContext, login: str) -> None:
    """Stop an account from signing in; what it recorded keeps its name."""
    from ep_skills.web.accounts import disable_account

    with app.journal() as journal:
        disable_account(journal, login)
    click.echo(_("Account {login} disabled.").format(login=login))


def _check_free(host: str, port: int) -> None:
    """Say so in the user's language when the port is taken (uvicorn would, in English)."""
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise EpSkillsError(
            _("cannot listen on {host}:{port} ({reason}): choose another --port").format(
                host=host, port=port, reason=error.strerror or error
            )
        ) from None


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port."
)
@pass_app
def serve(app: AppContext, host: str, port: int) -> None:
    """Serve the bench page for a tablet or the office PC (Ctrl+C stops it).

    By default only this computer reaches it (127.0.0.1); --host 0.0.0.0 opens it to the
    workshop's network: then put it behind HTTPS (docs/guide-atelier.md).
    """
    from ep_skills.web import serve as run
    from ep_skills.web.accounts import accounts

    journal = app.journal()
    if not accounts(journal):
        journal.close()
        raise EpSkillsError(
            _(
                "no account can sign in yet: create one first with "
                'ep-skills account add LOGIN --name "First Last"'
            )
        )
    _check_free(host, port)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    click.echo(
        _("Bench page on http://{host}:{port}/ for {journal} (Ctrl+C stops it).").format(
            host=shown, port=port, journal=app.db_shown
        )
    )
    try:
        run(journal, host=host, port=port)
    finally:
        journal.close()


def register(cli: click.Group) -> None:
    """Add the bench page's commands to the command line."""
    cli.add_command(serve)
    cli.add_command(account)
