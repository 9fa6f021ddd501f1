"""``ep-skills report``: the livret, the workshop view and the CCF grid, as files."""

from __future__ import annotations

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.i18n import _

__all__ = ["register"]


@click.command()
@click.argument("trainee", required=False)
@click.option("--cohort", default=None, help="The workshop view of a cohort instead.")
@click.option(
    "--situation",
    default=None,
    metavar="EPREUVE[/SITUATION]",
    help="The CCF grid of an épreuve situation, e.g. EP1/S1.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("html", "pdf", "xlsx")),
    default="pdf",
    show_default=True,
    help="File format (xlsx: the workshop view only).",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), required=True, help="File to write."
)
@click.option(
    "--period",
    default=None,
    help="As of a closed period (ep-skills period close): the same whatever was written since.",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@pass_app
def report(
    app: AppContext,
    trainee: str | None,
    cohort: str | None,
    situation: str | None,
    fmt: str,
    output: str,
    period: str | None,
    force: bool,
) -> None:
    """Write a trainee's livret (or a CCF grid), or a cohort's workshop view, to a file."""
    from ep_skills import reports
    from ep_skills.errors import EpSkillsError

    if (trainee is None) == (cohort is None):
        raise EpSkillsError(_("name a trainee, or use --cohort NAME (not both)"))
    if fmt == "xlsx" and cohort is None:
        raise EpSkillsError(_("the XLSX format is for the workshop view: use --cohort"))
    if situation and trainee is None:
        raise EpSkillsError(_("a CCF grid is for one trainee"))
    from ep_skills.outputs import check_target, replacing

    check_target(output, force=force)  # before the work, not only at the end
    with app.journal() as opened, replacing(output, force=force) as partial:
        journal = opened
        if period is not None:
            from ep_skills.periods import as_of

            journal = as_of(opened, period)
        # Written next to the target, then moved: a failed report leaves no half-written
        # file, and the file is readable by its owner only (it holds a trainee's data).
        if cohort is not None:
            if fmt == "xlsx":
                reports.cohort_xlsx(journal, cohort, partial)
            elif fmt == "pdf":
                reports.cohort_pdf(journal, cohort, partial)
            else:
                partial.write_text(reports.cohort_html(journal, cohort), encoding="utf-8")
        elif situation:
            if fmt == "pdf":
                reports.grid_pdf(journal, trainee or "", situation, partial)
            else:
                partial.write_text(
                    reports.grid_html(journal, trainee or "", situation), encoding="utf-8"
                )
        elif fmt == "pdf":
            reports.livret_pdf(journal, trainee or "", partial)
        else:
            partial.write_text(reports.livret_html(journal, trainee or ""), encoding="utf-8")
    click.echo(_("Report written: {path}").format(path=output))


def register(cli: click.Group) -> None:
    """Add this module's commands to ``cli``."""
    cli.add_command(report)
