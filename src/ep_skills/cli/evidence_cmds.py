"""Commands that write evidence: record, correct, withdraw, import, imports.

Every confirmation says what was understood — the trainees as recorded (and the name as
typed when it was matched loosely), the task, the order, each competency with its level, the
date — and every number says what it numbers: « enregistrement n° 14 » (a task record, all
its trainees), « évaluation n° 59 » (one trainee's level on one competency), « import n° 3 ».
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.cli.output import console
from ep_skills.cli.params import DATE, LEVEL_PAIR, IntRange
from ep_skills.i18n import N_, _, format_day, ngettext

if TYPE_CHECKING:
    from ep_skills.api import Journal
    from ep_skills.journal.model import Assessment, TaskRecord

__all__ = ["register"]

ROLES = ("maitre", "enseignant", "tuteur", "auto")
ROLE_WORDS = {
    "maitre": N_("workshop instructor"),
    "enseignant": N_("teacher"),
    "tuteur": N_("company tutor"),
    "auto": N_("self-assessment"),
}


class LevelsHelp(click.Command):
    """A command whose ``--help`` ends with the level codes it takes and what each means,
    read from the default scale (a diploma may define its own)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        from ep_skills.referential.defaults import DEFAULT_SCALE

        rows = [
            (
                level.code,
                level.label
                if level.scoring
                else _("{label} (recorded, never counted)").format(label=level.label),
            )
            for level in DEFAULT_SCALE.levels
        ]
        with formatter.section(_("Levels (the default scale; a diploma may have its own)")):
            formatter.write_dl(rows)


class ImportHelp(LevelsHelp):
    """``import --help``: the levels, and the columns a file may have, in the user's words."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from ep_skills.importing import column_names

        with formatter.section(_("Columns (French or English headers)")):
            formatter.write_text(", ".join(column_names()))
        super().format_epilog(ctx, formatter)


def _numbers(ids: Sequence[int]) -> str:
    """« évaluation n° 57 » or « évaluations n° 57 à 59 »."""
    if not ids:
        return ""
    if len(ids) == 1:
        return _("assessment #{id}").format(id=ids[0])
    if len(ids) == 2:
        return _("assessments #{first} and #{last}").format(first=ids[0], last=ids[1])
    if list(ids) == list(range(ids[0], ids[0] + len(ids))):
        return _("assessments #{first} to #{last}").format(first=ids[0], last=ids[-1])
    return _("assessments #{ids}").format(ids=", ".join(str(i) for i in ids))


def echo_record(journal: Journal, saved: TaskRecord, typed: Sequence[str] = ()) -> None:
    """Say what a record holds: number, day, task, order, then each trainee's levels."""
    parts = [_("Task record #{id}").format(id=saved.id), format_day(saved.day)]
    if saved.task:
        title = journal.diploma(saved.diploma).tasks[saved.task].title if saved.diploma else ""
        parts.append(_("task {task}").format(task=saved.task) + (f" « {title} »" if title else ""))
    elif saved.description:
        parts.append(f"« {saved.description} »")
    if saved.order:
        parts.append(_("order {ref}").format(ref=saved.order))
    if saved.role == "auto":
        parts.append(_("self-assessment"))
    click.echo(" — ".join(parts))
    levels = ", ".join(f"{a.competency} = {a.level}" for a in saved.assessments)
    per_trainee = len(saved.assessments)
    for index, trainee_id in enumerate(saved.trainees):
        person = journal.trainee(trainee_id)
        name = person.name
        if index < len(typed) and typed[index].strip() != person.name:
            name += " " + _("(typed: {typed})").format(typed=typed[index].strip())
        ids = saved.assessment_ids[index * per_trainee : (index + 1) * per_trainee]
        click.echo(f"  {name} : {levels} ({_numbers(ids)})")
    extras = []
    if saved.assessments and saved.assessments[0].autonomy is not None:
        extras.append(_("autonomy {n}").format(n=saved.assessments[0].autonomy))
    if saved.minutes:
        extras.append(ngettext("{n} minute", "{n} minutes", saved.minutes).format(n=saved.minutes))
    if saved.assessor or saved.role not in ("maitre", "auto"):
        role = _(ROLE_WORDS[str(saved.role)])
        extras.append(
            _("assessed by {name} ({role})").format(name=saved.assessor or "—", role=role)
        )
    if saved.note:
        extras.append(_("note: {note}").format(note=saved.note))
    if extras:
        click.echo("  " + " · ".join(extras))


def _echo_corrections(journal: Journal, rows: Sequence[Assessment]) -> None:
    """One line per correction: whose entry, which competency, which day, old → new."""
    for row in rows:
        before = journal.storage.assessment(row.supersedes) if row.supersedes else None
        who = journal.trainee(row.trainee).name
        old = before.level if before else "?"
        if row.withdrawn:
            line = _(
                "Assessment #{old_id} of {name}, {code} of {day} ({level}): withdrawn "
                "(recorded as assessment #{id})."
            )
        else:
            line = _(
                "Assessment #{old_id} of {name}, {code} of {day}: {level} → {new} "
                "(recorded as assessment #{id})."
            )
        click.echo(
            line.format(
                old_id=row.supersedes,
                name=who,
                code=row.competency,
                day=format_day(row.day),
                level=old,
                new=row.level,
                id=row.id,
            )
        )


@click.command(cls=LevelsHelp)
@click.argument("trainees", nargs=-1, required=True)
@click.option("--task", "task_id", default=None, help="Catalogue task id (see: task list).")
@click.option("--description", default=None, help="What was done, when it is not a catalogue task.")
@click.option("--order", "order_ref", default=None, help="Production order reference.")
@click.option("--date", "day", type=DATE, default=None, help="Day of the work (default: today).")
@click.option("--level", default=None, help="Level for every competency of the task.")
@click.option(
    "--competency",
    "pairs",
    type=LEVEL_PAIR,
    multiple=True,
    help="CODE=LEVEL for one competency (repeatable).",
)
@click.option(
    "--autonomy",
    type=IntRange(1, 4),
    default=None,
    help="Autonomy, 1 (guided) to 4 (autonomous).",
)
@click.option("--assessor", default=None, help="Who assessed.")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="maitre",
    show_default=True,
    help="Role of the assessor (auto = self-assessment).",
)
@click.option("--minutes", type=IntRange(min=1), default=None, help="Time spent.")
@click.option("--note", default=None, help="A short note.")
@pass_app
def record(
    app: AppContext,
    trainees: tuple[str, ...],
    task_id: str | None,
    description: str | None,
    order_ref: str | None,
    day: date | None,
    level: str | None,
    pairs: tuple[tuple[str, str], ...],
    autonomy: int | None,
    assessor: str | None,
    role: str,
    minutes: int | None,
    note: str | None,
) -> None:
    """Record a task done by one or more TRAINEES, with the catalogue's default levels."""
    with app.journal() as journal:
        saved = journal.record(
            list(trainees),
            task=task_id,
            description=description,
            order=order_ref,
            day=day,
            level=level,
            levels=dict(pairs),
            autonomy=autonomy,
            assessor=assessor,
            role=role,
            minutes=minutes,
            note=note,
        )
        echo_record(journal, saved, trainees)
        for warning in journal.regulated_work(saved):
            click.secho(_("Warning: {what}").format(what=warning), fg="yellow", err=True)


@click.command(cls=LevelsHelp)
@click.argument("assessment_id", type=int, required=False)
@click.option(
    "--assessment",
    "assessment",
    type=int,
    default=None,
    help="The assessment number to correct (as shown by record and explain).",
)
@click.option(
    "--record",
    "record_id",
    type=int,
    default=None,
    help="Correct a whole task record: every assessment of every trainee in it.",
)
@click.option("--level", default=None, help="The right level.")
@click.option(
    "--competency",
    "pairs",
    type=LEVEL_PAIR,
    multiple=True,
    help="With --record: CODE=LEVEL for one competency of it (repeatable).",
)
@click.option("--withdraw", is_flag=True, help="Withdraw the assessment altogether.")
@click.option("--assessor", default=None, help="Who corrects.")
@click.option("--note", default=None, help="Why.")
@pass_app
def correct(
    app: AppContext,
    assessment_id: int | None,
    assessment: int | None,
    record_id: int | None,
    level: str | None,
    pairs: tuple[tuple[str, str], ...],
    withdraw: bool,
    assessor: str | None,
    note: str | None,
) -> None:
    """Correct an assessment (its number, as record and explain show it) or a whole task
    record (--record); the original stays in the journal."""
    from ep_skills.errors import EpSkillsError

    targets = [t for t in (assessment_id, assessment, record_id) if t is not None]
    if len(targets) != 1:
        raise EpSkillsError(_("name one assessment number, or one task record with --record"))
    with app.journal() as journal:
        if record_id is not None:
            rows = journal.correct_record(
                record_id,
                level=level,
                levels=dict(pairs),
                withdraw=withdraw,
                assessor=assessor,
                note=note,
            )
        else:
            if pairs:
                raise EpSkillsError(_("--competency goes with --record"))
            rows = [
                journal.correct(
                    targets[0], level=level, withdraw=withdraw, assessor=assessor, note=note
                )
            ]
        _echo_corrections(journal, rows)


@click.command()
@click.option("--assessment", "assessment", type=int, default=None, help="An assessment number.")
@click.option(
    "--record", "record_id", type=int, default=None, help="A task record number: all of it."
)
@click.option(
    "--import",
    "import_id",
    type=int,
    default=None,
    help="An import number (see: ep-skills imports): every record it wrote.",
)
@click.option("--assessor", default=None, help="Who withdraws.")
@click.option("--note", default=None, help="Why.")
@pass_app
def withdraw(
    app: AppContext,
    assessment: int | None,
    record_id: int | None,
    import_id: int | None,
    assessor: str | None,
    note: str | None,
) -> None:
    """Withdraw an assessment, a whole task record or a whole import; the originals stay in
    the journal, with who withdrew them and when."""
    from ep_skills.errors import EpSkillsError

    if sum(t is not None for t in (assessment, record_id, import_id)) != 1:
        raise EpSkillsError(_("name one of --assessment, --record or --import"))
    with app.journal() as journal:
        if import_id is not None:
            rows = journal.withdraw_import(import_id, assessor=assessor, note=note)
            records = len({row.record for row in rows})
            click.echo(
                _("Import #{id} withdrawn: {records}, {assessments}.").format(
                    id=import_id,
                    records=ngettext("{n} task record", "{n} task records", records).format(
                        n=records
                    ),
                    assessments=ngettext("{n} assessment", "{n} assessments", len(rows)).format(
                        n=len(rows)
                    ),
                )
            )
            return
        if record_id is not None:
            rows = journal.withdraw_record(record_id, assessor=assessor, note=note)
        else:
            assert assessment is not None
            rows = [journal.correct(assessment, withdraw=True, assessor=assessor, note=note)]
        _echo_corrections(journal, rows)


@click.command("import", cls=ImportHelp)
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.option(
    "--again",
    is_flag=True,
    help="Write every row, even those already in the journal (a second entry each).",
)
@click.option(
    "--template",
    is_flag=True,
    help="Write a template to FILE (.csv or .xlsx) instead of importing.",
)
@click.option("--force", is_flag=True, help="With --template: replace FILE if it exists.")
@pass_app
def import_(
    app: AppContext, file: str | None, dry_run: bool, again: bool, template: bool, force: bool
) -> None:
    """Import task records from a CSV or XLSX file, all or nothing; rows already in the
    journal are recognised and not written again."""
    from ep_skills.errors import EpSkillsError
    from ep_skills.importing import column_names, import_file, write_template

    if file is None:
        raise EpSkillsError(_("name the file to import (or to write, with --template)"))
    if template:
        write_template(file, force=force)
        click.echo(
            _("Template written: {file} (columns: {columns})").format(
                file=file, columns=", ".join(column_names())
            )
        )
        return
    with app.journal() as journal:
        report = import_file(journal, file, dry_run=dry_run, again=again, progress=_progress_bar())
    for typed, name in report.names:
        click.echo(
            _("Name matched loosely: « {typed} » recorded as {name}.").format(
                typed=typed, name=name
            )
        )
    since = format_day(report.existing_since.date()) if report.existing_since else "—"
    if report.existing:
        click.echo(
            ngettext(
                "{n} row already in the journal (recorded since {day}): not written again.",
                "{n} rows already in the journal (recorded since {day}): not written again.",
                report.existing,
            ).format(n=report.existing, day=since)
        )
    if report.repeated:
        click.echo(
            ngettext(
                "{n} row repeats an earlier row of the file: recorded as a task done again.",
                "{n} rows repeat an earlier row of the file: recorded as tasks done again.",
                report.repeated,
            ).format(n=report.repeated)
        )
    counted = {
        "rows": ngettext("{n} row", "{n} rows", report.rows).format(n=report.rows),
        "records": ngettext("{n} new task record", "{n} new task records", report.records).format(
            n=report.records
        ),
        "assessments": ngettext("{n} assessment", "{n} assessments", report.assessments).format(
            n=report.assessments
        ),
    }
    if dry_run:
        checked = ngettext("{n} row checked", "{n} rows checked", report.rows).format(n=report.rows)
        if report.records:
            found = ngettext(
                "{checked}, no problem: {n} new task record would be written.",
                "{checked}, no problem: {n} new task records would be written.",
                report.records,
            ).format(checked=checked, n=report.records)
        else:
            found = _("{checked}, no problem: nothing new to write.").format(checked=checked)
        click.echo(found + " " + _("Nothing was written (--dry-run)."))
    elif report.batch is None:
        click.echo(_("Nothing new in {file}: nothing was written.").format(file=file))
    else:
        click.echo(
            _(
                "Import #{batch}: {rows}, {records}, {assessments} (to undo: ep-skills "
                "withdraw --import {batch})."
            ).format(batch=report.batch, **counted)
        )


@click.command()
@pass_app
def imports(app: AppContext) -> None:
    """List the imports made so far, with their numbers."""
    from rich.table import Table

    with app.journal() as journal:
        batches = journal.imports()
    if not batches:
        click.echo(_("No import yet."))
        return
    table = Table(title=_("Imports"), title_justify="left")
    for header in ("#", _("date"), _("file"), _("rows"), _("new"), _("already there")):
        table.add_column(header)
    for b in batches:
        table.add_row(
            str(b.id),
            format_day(b.recorded_at.date()) if b.recorded_at else "",
            b.file_name,
            str(b.rows),
            str(b.new_records),
            str(b.existing_records),
        )
    console().print(table)


def _progress_bar() -> Any:
    """A callback drawing a progress bar on a terminal for large files, or None."""
    if not sys.stderr.isatty():
        return None
    from rich.progress import Progress

    bar = Progress(transient=True)
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "task" not in state:
            bar.start()
            state["task"] = bar.add_task(_("Checking rows"), total=total)
        bar.update(state["task"], completed=done)
        if done >= total:
            bar.stop()

    return update


def register(cli: click.Group) -> None:
    """Add this module's commands to ``cli``."""
    for command in (record, correct, withdraw, import_, imports):
        cli.add_command(command)
