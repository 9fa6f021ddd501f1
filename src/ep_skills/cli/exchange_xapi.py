"""``ep-skills exchange xapi``: the assessments as xAPI statements for a school's learning
record store (:mod:`ep_skills.exchange.xapi`)."""

from __future__ import annotations

from datetime import date

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.cli.params import DATE
from ep_skills.i18n import ngettext

__all__ = ["xapi"]


@click.group("xapi")
def xapi() -> None:
    """xAPI (Experience API 1.0.3): the assessments as statements for a learning record
    store (LRS)."""


@xapi.command("export")
@click.option("--trainee", "name", default=None, help="Only this trainee (default: all).")
@click.option(
    "--since",
    type=DATE,
    default=None,
    help="Only what was written to the journal on that day or later.",
)
@click.option(
    "--home",
    required=True,
    help="The school's web address (https://…): the home page of the trainees' accounts.",
)
@click.option(
    "--out",
    "target",
    type=click.Path(dir_okay=False),
    required=True,
    help="The JSON Lines file to write (one statement a line).",
)
@click.option("--force", is_flag=True, default=False, help="Replace an existing file.")
@pass_app
def xapi_export(
    app: AppContext,
    name: str | None,
    since: date | None,
    home: str,
    target: str,
    force: bool,
) -> None:
    """Write the assessments as xAPI statements, the trainees named by opaque ids only."""
    from ep_skills.exchange.xapi import write_statements

    with app.journal() as journal:
        count = write_statements(target, journal, home, name, since, force=force)
    click.echo(
        ngettext(
            "{n} xAPI statement written: {path}", "{n} xAPI statements written: {path}", count
        ).format(n=count, path=target)
    )
