"""What the school holds about a trainee, for them or their parents (RGPD, right of access)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.cli.params import DATE
from ep_skills.i18n import N_, _, format_day

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


@click.command("erase")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Erase without asking.")
@pass_app
def trainee_erase(app: AppContext, name: str, yes: bool) -> None:
    """Erase NAME's personal data for good (RGPD, right to erasure): their name becomes a
    pseudonym; their levels stay, for the school's statistics. Export their data first
    (ep-skills trainee export) if they or the school need it."""
    from ep_skills.erasure import erase_trainee
    from ep_skills.errors import EpSkillsError

    with app.journal() as journal:
        person = journal.trainee(name)
        if not yes:
            click.echo(
                _(
                    "{name}'s name, notes, photos of their own work, birth date, medical "
                    "opinions, working time and bench account will be erased for good; their "
                    "levels stay, under a pseudonym. This cannot be undone."
                ).format(name=person.name)
            )
            if not click.confirm(_("Erase?"), default=False):
                raise EpSkillsError(_("nothing erased"))
        erased = erase_trainee(journal, person)
    click.echo(
        _(
            "Erased: the trainee #{id} is now {pseudonym} ({rows} values rewritten, "
            "{removed} removed)."
        ).format(
            id=erased.trainee,
            pseudonym=erased.pseudonym,
            rows=erased.rows,
            removed=erased.removed,
        )
    )


def _file_name(name: str, day: object) -> str:
    import re
    import unicodedata

    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower() or "jeune"
    return f"{slug}-{day}.zip"


@click.group("privacy")
def privacy() -> None:
    """The keeping period of trainees' data (« durée de conservation ») and who is past it."""


@privacy.command("retention")
@click.option("--months", type=click.IntRange(1, 1200), required=True, help="How long.")
@click.option(
    "--since",
    type=click.Choice(["leaving", "exam"]),
    default="leaving",
    show_default=True,
    help="Counted from the day they left, or from their exam session.",
)
@pass_app
def privacy_retention(app: AppContext, months: int, since: str) -> None:
    """Set how long the school keeps a trainee's data (its decision)."""
    from ep_skills.privacy import set_retention

    with app.journal() as journal:
        set_retention(journal, months, since)
    click.echo(
        _("Keeping period: {months} months from {since}.").format(
            months=months, since=_(SINCE_WORDS[since])
        )
    )


@privacy.command("due")
@click.option("--date", "day", type=DATE, default=None, help="The day to check (default: today).")
@pass_app
def privacy_due(app: AppContext, day: date | None) -> None:
    """The trainees whose keeping period is over."""
    from ep_skills.privacy import past_retention, retention

    with app.journal() as journal:
        period = retention(journal)
        if period is None:
            click.echo(_("No keeping period set: ep-skills privacy retention --months N."))
            return
        found = past_retention(journal, day)
    if not found:
        click.echo(_("No trainee is past the keeping period."))
        return
    for person, start, over in found:
        click.echo(
            _("{name}: from {start}, over since {over}").format(
                name=person.name, start=format_day(start), over=format_day(over)
            )
        )


SINCE_WORDS = {"leaving": N_("the day they left"), "exam": N_("their exam session")}


def register(cli: click.Group) -> None:
    """Add the privacy commands to the command line."""
    trainee = cli.commands["trainee"]
    assert isinstance(trainee, click.Group)
    trainee.add_command(trainee_export)
    trainee.add_command(trainee_erase)
    cli.add_command(privacy)
