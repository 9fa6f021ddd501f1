"""``ep-skills exchange sacoche``: SACoche's « saisie déportée » and students' list."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.cli.params import DATE
from ep_skills.i18n import _, format_day, ngettext

__all__ = ["sacoche"]

_MAP_HELP = (
    "Correspondence file (type;sacoche;ep-skills): SACoche items to competency codes, "
    "SACoche students to trainees."
)


def _records(n: int) -> str:
    return ngettext("{n} record", "{n} records", n).format(n=n)


def _marks(n: int) -> str:
    return ngettext("{n} mark", "{n} marks", n).format(n=n)


@click.group("sacoche")
def sacoche() -> None:
    """SACoche (Sésamath): marks entered offline (« saisie déportée ») and the students'
    list."""


@sacoche.command("export")
@click.argument("trainees", nargs=-1)
@click.option("--cohort", default=None, help="Every trainee of this cohort.")
@click.option("--out", "target", type=click.Path(dir_okay=False), required=True, help="File.")
@click.option("--date", "day", type=DATE, default=None, help="The devoir's day (default: today).")
@click.option("--competency", "competencies", multiple=True, help="An item (repeatable).")
@click.option("--blank", is_flag=True, help="No marks: a file to fill in offline.")
@click.option("--map", "mapping", type=click.Path(dir_okay=False), help=_MAP_HELP)
@click.option("--group", default="", help="The group's name written in the file.")
@click.option("--description", default="", help="The devoir's description.")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@pass_app
def sacoche_export(
    app: AppContext,
    trainees: tuple[str, ...],
    cohort: str | None,
    target: str,
    day: date | None,
    competencies: tuple[str, ...],
    blank: bool,
    mapping: str | None,
    group: str,
    description: str,
    force: bool,
) -> None:
    """Write a group's assessments of one day as SACoche's « saisie déportée » CSV."""
    from ep_skills.errors import InvalidValueError, NotFoundError
    from ep_skills.exchange.sacoche import export_saisie, read_correspondences, write_saisie
    from ep_skills.outputs import check_target

    check_target(target, force=force)
    with app.journal() as journal:
        people: list[str | int] = list(trainees)
        if cohort is not None:
            members = journal.trainees(cohort)
            if not members:
                raise NotFoundError(
                    _("no trainee in cohort {cohort!r}").format(cohort=cohort),
                    field="cohort",
                    value=cohort,
                )
            people += [t.id for t in members]
        if not people:
            raise InvalidValueError(_("name trainees or a cohort (--cohort)"), field="trainee")
        made = export_saisie(
            journal,
            people,
            day=day,
            competencies=list(competencies) or None,
            blank=blank,
            correspondences=read_correspondences(mapping) if mapping else None,
            group=group or cohort or "",
            description=description,
        )
    write_saisie(made.saisie, target, force=force)
    items, students = len(made.saisie.items), len(made.saisie.students)
    click.echo(
        _("{items} × {students} of {day} written: {path}").format(
            items=ngettext("{n} item", "{n} items", items).format(n=items),
            students=ngettext("{n} student", "{n} students", students).format(n=students),
            day=format_day(made.saisie.day) if made.saisie.day else "—",
            path=target,
        )
    )
    for entry in made.unheld:
        click.echo(_("Warning: {what}").format(what=entry.text()), err=True)
    if made.without_sacoche_id:
        click.echo(
            _(
                "Warning: SACoche does not know {names} (no SACoche id): import the students' "
                "list into SACoche, then ep-skills exchange sacoche users-import its export"
            ).format(names=", ".join(made.without_sacoche_id)),
            err=True,
        )
    if made.items_by_rank and not blank:
        click.echo(
            _(
                "Warning: no SACoche item is given for {codes}: their rows carry their rank, "
                "which SACoche files under no item of the devoir; give each its SACoche item in "
                "a correspondence file (--map)"
            ).format(codes=", ".join(made.items_by_rank)),
            err=True,
        )


@sacoche.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--map", "mapping", type=click.Path(dir_okay=False, exists=True), help=_MAP_HELP)
@click.option("--date", "day", type=DATE, default=None, help="The day, if the file has none.")
@click.option("--assessor", default=None, help="Who assessed.")
@click.option(
    "--role",
    type=click.Choice(["maitre", "enseignant", "tuteur"]),
    default="maitre",
    show_default=True,
    help="The assessor's role.",
)
@click.option("--note", default=None, help="A note kept with each record.")
@click.option("--again", is_flag=True, help="Write every mark, even those already there.")
@click.option("--dry-run", is_flag=True, help="Check and say what would be written.")
@pass_app
def sacoche_import(
    app: AppContext,
    file: str,
    mapping: str | None,
    day: date | None,
    assessor: str | None,
    role: str,
    note: str | None,
    again: bool,
    dry_run: bool,
) -> None:
    """Import a « saisie déportée » CSV filled in SACoche or offline: one record per trainee,
    all or nothing; importing it again writes nothing new."""
    from ep_skills.exchange.sacoche import import_saisie, read_correspondences

    correspondences = read_correspondences(mapping) if mapping else None
    with app.journal() as journal:
        done = import_saisie(
            journal,
            file,
            correspondences=correspondences,
            day=day,
            assessor=assessor,
            role=role,
            note=note,
            again=again,
            dry_run=dry_run,
        )
    result = done.result
    marks = sum(len(r.assessments) for r in result.written)
    if dry_run:
        message = _("Dry run: {records} and {marks} of {day} would be written.")
    elif result.batch is not None:
        message = _("Import #{id}: {records} and {marks} of {day} written.")
    elif result.existing or done.already:
        message = _("Nothing new: the marks of {day} are already in the journal.")
    else:  # every mark of the file is one ep-skills has no level for: see the warnings
        message = _("{file}: no mark ep-skills can write was found: nothing was written.")
    click.echo(
        message.format(
            id=result.batch.id if result.batch else 0,
            records=_records(len(result.written)),
            marks=_marks(marks),
            day=format_day(done.day),
            file=file,
        )
    )
    if result.existing or done.already:
        click.echo(
            _("Already in the journal: {records}, {marks}.").format(
                records=_records(len(result.existing)), marks=_marks(done.already)
            )
        )
    for entry in done.unheld:
        click.echo(_("Warning: {what}").format(what=entry.text()), err=True)


@sacoche.command("users-export")
@click.option("--cohort", default=None, help="Only this cohort.")
@click.option("--out", "target", type=click.Path(dir_okay=False), required=True, help="File.")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@pass_app
def sacoche_users_export(app: AppContext, cohort: str | None, target: str, force: bool) -> None:
    """Write the trainees as the students' file SACoche's administrator imports."""
    from ep_skills.exchange.sacoche import sacoche_cuts, students_of, write_users
    from ep_skills.outputs import check_target

    check_target(target, force=force)
    with app.journal() as journal:
        students = students_of(journal, cohort)
    write_users(students, target, force=force)
    click.echo(
        ngettext(
            "{n} student written: {path}", "{n} students written: {path}", len(students)
        ).format(n=len(students), path=Path(target))
    )
    classes, references = sacoche_cuts(students)
    if classes:
        click.echo(
            _(
                "Warning: SACoche keeps 8 characters of a class, upper-cased: {changes} "
                "(shorten the cohort to keep its name)"
            ).format(changes=", ".join(f"{a} → {b}" for a, b in classes.items())),
            err=True,
        )
    if references:
        click.echo(
            _(
                "Warning: SACoche keeps 11 characters of a reference, upper-cased: {changes} "
                "(shorten the external id to keep it)"
            ).format(changes=", ".join(f"{a} → {b}" for a, b in references.items())),
            err=True,
        )


@sacoche.command("users-import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--diploma", required=True, help="The diploma the new trainees prepare.")
@click.option("--cohort", default=None, help="Their cohort (default: their SACoche class).")
@click.option("--start", "start_date", type=DATE, default=None, help="Their start date.")
@click.option("--dry-run", is_flag=True, help="Check and say who would be added.")
@pass_app
def sacoche_users_import(
    app: AppContext,
    file: str,
    diploma: str,
    cohort: str | None,
    start_date: date | None,
    dry_run: bool,
) -> None:
    """Add the students of a SACoche file the journal does not have yet (SACoche's export of
    a group's students, or its import layout)."""
    from ep_skills.exchange.sacoche import import_users

    with app.journal() as journal:
        done = import_users(
            journal, file, diploma=diploma, cohort=cohort, start_date=start_date, dry_run=dry_run
        )
    for person in done.added:
        click.echo(
            (_("would add {name}") if dry_run else _("added {name}")).format(name=person.name)
        )
    added = len(done.added)
    if dry_run:
        summary = ngettext(
            "Dry run: {added} trainee would be added, {existing} already there.",
            "Dry run: {added} trainees would be added, {existing} already there.",
            added,
        )
    else:
        summary = ngettext(
            "{added} trainee added, {existing} already there.",
            "{added} trainees added, {existing} already there.",
            added,
        )
    click.echo(summary.format(added=added, existing=len(done.existing)))
    if done.linked:
        click.echo(
            ngettext(
                "{n} trainee already there now carries their SACoche id.",
                "{n} trainees already there now carry their SACoche id.",
                len(done.linked),
            ).format(n=len(done.linked))
            if not dry_run
            else ngettext(
                "{n} trainee already there would be given their SACoche id.",
                "{n} trainees already there would be given their SACoche id.",
                len(done.linked),
            ).format(n=len(done.linked))
        )
