"""Who wrote what, and when: ``ep-skills audit``."""

from __future__ import annotations

import json
from datetime import date

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.cli.params import DATE
from ep_skills.i18n import _, format_day

__all__ = ["register"]


@click.command("audit")
@click.option("--trainee", "name", default=None, help="Only the writes about this trainee.")
@click.option(
    "--author",
    default=None,
    help="Only the writes of this author (account:LOGIN for a bench account, os:USER for "
    "a command).",
)
@click.option("--from", "since", type=DATE, default=None, help="From this day (included).")
@click.option("--to", "until", type=DATE, default=None, help="To this day (included).")
@click.option("--last", type=click.IntRange(1), default=None, help="Only the last N lines.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_app
def audit(
    app: AppContext,
    name: str | None,
    author: str | None,
    since: date | None,
    until: date | None,
    last: int | None,
    as_json: bool,
) -> None:
    """Who wrote what, and when (« journal d'audit »): every write of the journal, oldest
    first, with its author — the bench page's account, or the computer's user for a
    command."""
    from ep_skills.journal.audit import ACTIONS

    with app.journal() as journal:
        entries = journal.audit(name, author=author, since=since, until=until, limit=last)
        names = {t.id: t.name for t in journal.trainees(archived=True)}  # those who left too
    if as_json:
        for entry in entries:
            click.echo(json.dumps(entry.to_dict(), ensure_ascii=False, sort_keys=True))
        return
    if not entries:
        click.echo(_("Nothing in the audit for this choice."))
        return
    for entry in entries:
        local = entry.at.astimezone()
        parts = [
            f"{format_day(local.date())} {local:%H:%M:%S}",
            entry.author,
            _(ACTIONS[entry.action]) if entry.action in ACTIONS else entry.action,
        ]
        if entry.trainee is not None:
            parts.append(names.get(entry.trainee, f"#{entry.trainee}"))
        if entry.subject:
            parts.append(entry.subject)
        if entry.detail:
            parts.append(", ".join(f"{k}={v}" for k, v in sorted(entry.detail.items())))
        click.echo(" · ".join(parts))


def register(cli: click.Group) -> None:
    """Add ``audit`` to the command line."""
    cli.add_command(audit)
