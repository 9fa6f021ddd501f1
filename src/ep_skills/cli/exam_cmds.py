"""Exam sessions (« sessions d'examen »): when and how each cohort, or a trainee, sits it."""

from __future__ import annotations

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.cli.params import DATE
from ep_skills.i18n import _, format_day

__all__ = ["register"]


@click.group()
def exam() -> None:
    """When and how each cohort sits the exam: what « on track » is measured against."""


@exam.command("set")
@click.option("--cohort", help="The cohort whose exam session it is.")
@click.option(
    "--trainee", metavar="NAME", help="A trainee whose session differs from the cohort's."
)
@click.option("--date", "day", type=DATE, required=True, help="The first day of the session.")
@click.option(
    "--mode",
    type=click.Choice(["ponctuel", "ccf"]),
    default="ponctuel",
    show_default=True,
    help="Ponctuel (at the session) or CCF (in the course of training).",
)
@pass_app
def exam_set(
    app: AppContext, cohort: str | None, trainee: str | None, day: object, mode: str
) -> None:
    """Set the exam session of a cohort (or of one trainee)."""
    with app.journal() as journal:
        session = journal.set_exam_session(day, mode=mode, cohort=cohort, trainee=trainee)
        who = (
            _("cohort {cohort}").format(cohort=session.cohort)
            if session.cohort is not None
            else journal.trainee(session.trainee).name
        )
    click.echo(
        _("Exam session of {who}: {day} ({mode}).").format(
            who=who, day=format_day(session.day), mode=session.mode
        )
    )


@exam.command("list")
@pass_app
def exam_list(app: AppContext) -> None:
    """The exam sessions set, by cohort, then the trainees who have their own."""
    from ep_skills.journal.exams import exam_sessions

    with app.journal() as journal:
        cohorts, trainees = exam_sessions(journal.storage)
        if not cohorts and not trainees:
            click.echo(_("No exam session yet: set one with ep-skills exam set."))
            return
        for cohort, session in sorted(cohorts.items()):
            click.echo(
                _("cohort {cohort}: {day} ({mode})").format(
                    cohort=cohort, day=format_day(session.day), mode=session.mode
                )
            )
        for trainee_id, session in sorted(trainees.items()):
            click.echo(
                f"{journal.trainee(trainee_id).name}: {format_day(session.day)} ({session.mode})"
            )


def register(cli: click.Group) -> None:
    """Add the exam commands to the command line."""
    cli.add_command(exam)
