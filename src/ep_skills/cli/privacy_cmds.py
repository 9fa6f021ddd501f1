"""What the school holds about a trainee, for them or their parents (RGPD, right of access)."""

from __future__ import annotations

from pathlib import Path

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.i18n import _

__all__ = ["register"]


@click.command("export")
@click.argument("name")
@click.option(
    "--out",
    "target",
    type=click.Path(dir_okay=False),
    default=None,
    help="The ZIP file to write (default: the trainee's name and today's date).",
)
@pass_app
def trainee_export(app: AppContext, name: str, target: str | None) -> None:
    """Everything held about NAME, for them or their parents: data.json, the same readable
    in data.pdf, their livret and the photos of their work, in one ZIP file."""
    from ep_skills.outputs import check_target
    from ep_skills.privacy import export_trainee

    with app.journal() as journal:
        person = journal.trainee(name)
        path = Path(target) if target else Path(_file_name(person.name, journal.today))
        check_target(path)  # before the work, not only at the end
        export_trainee(journal, person, path)
    click.echo(
        _("Everything held about {name} written: {path}").format(name=person.name, path=path)
    )


def _file_name(name: str, day: object) -> str:
    import re
    import unicodedata

    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower() or "jeune"
    return f"{slug}-{day}.zip"


def register(cli: click.Group) -> None:
    """Add the privacy commands to the command line."""
    trainee = cli.commands["trainee"]
    assert isinstance(trainee, click.Group)
    trainee.add_command(trainee_export)
