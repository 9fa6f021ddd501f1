"""What the planner needs and the plan itself: the orders' tasks (« tâches des commandes »),
each trainee's working time, the register of young workers (« registre des dérogations »),
and ``ep-skills plan``."""

from __future__ import annotations

import getpass
from datetime import date
from typing import Any

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.cli.output import console, echo_json, format_option
from ep_skills.cli.params import DATE, IntRange
from ep_skills.i18n import _, format_day, ngettext

__all__ = ["register"]


class PeriodType(click.ParamType):  # type: ignore[type-arg]
    """``START:END``, two days (both included)."""

    name = "start:end"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[date, date]:
        if isinstance(value, tuple):
            return value
        first, sep, last = str(value).partition(":")
        if not sep:
            self.fail(
                _("{value!r} is not START:END (for example 2027-01-11:2027-02-05)").format(
                    value=value
                ),
                param,
                ctx,
            )
        start, end = DATE.convert(first, param, ctx), DATE.convert(last, param, ctx)
        if end < start:
            self.fail(_("{value!r} ends before it starts").format(value=value), param, ctx)
        return start, end


PERIOD = PeriodType()


# -- the orders' tasks ------------------------------------------------------------------------


@click.group("task")
def order_task() -> None:
    """The tasks each order asks for: what the planner gives out."""


@order_task.command("add")
@click.argument("ref")
@click.argument("task_id", metavar="TASK")
@click.option("--minutes", type=IntRange(min=1), required=True, help="Time per trainee.")
@click.option(
    "--places",
    type=IntRange(1, 100),
    default=1,
    show_default=True,
    help="Trainees it takes at most.",
)
@click.option(
    "--needed",
    type=IntRange(0, 100),
    default=1,
    show_default=True,
    help="Trainees it needs at least.",
)
@click.option(
    "--quantity", type=IntRange(1, 1000), default=1, show_default=True, help="How many times."
)
@click.option("--start", type=DATE, default=None, help="Earliest day it can be done.")
@click.option(
    "--machine",
    default=None,
    help="Regulated work on this dangerous machine (only for those the law allows).",
)
@pass_app
def order_task_add(
    app: AppContext,
    ref: str,
    task_id: str,
    minutes: int,
    places: int,
    needed: int,
    quantity: int,
    start: date | None,
    machine: str | None,
) -> None:
    """Say that order REF asks for catalogue TASK (given again: replaces it)."""
    with app.journal() as journal:
        journal.add_order_task(
            ref,
            task_id,
            minutes=minutes,
            places=places,
            needed=needed,
            quantity=quantity,
            start=start,
            machine=machine,
        )
    click.echo(_("Order {ref}: task {task} added.").format(ref=ref, task=task_id))


@order_task.command("remove")
@click.argument("ref")
@click.argument("task_id", metavar="TASK")
@pass_app
def order_task_remove(app: AppContext, ref: str, task_id: str) -> None:
    """Take TASK off order REF (the journal keeps that it was there)."""
    with app.journal() as journal:
        journal.withdraw_order_task(ref, task_id)
    click.echo(_("Order {ref}: task {task} taken off.").format(ref=ref, task=task_id))


@order_task.command("list")
@click.argument("ref", required=False)
@format_option("json")
@pass_app
def order_task_list(app: AppContext, ref: str | None, fmt: str) -> None:
    """The tasks of every order (or of order REF)."""
    with app.journal() as journal:
        tasks = journal.order_tasks(ref)
    if fmt == "json":
        echo_json([_as_dict(t) for t in tasks])
        return
    if not tasks:
        click.echo(_("No task on the orders yet: add one with ep-skills order task add."))
        return
    from rich.table import Table

    table = Table(title=_("Tasks of the orders"), title_justify="left")
    for header in (
        _("order"),
        _("task"),
        _("minutes"),
        _("trainees"),
        _("times"),
        _("from"),
        _("machine"),
    ):
        table.add_column(header)
    for t in tasks:
        table.add_row(
            t.order,
            t.task,
            str(t.minutes),
            f"{t.needed}–{t.places}",
            str(t.quantity),
            format_day(t.start),
            t.machine or "",
        )
    console().print(table)


def _as_dict(item: Any) -> dict[str, Any]:
    from attrs import asdict

    return asdict(item)


# -- working time -----------------------------------------------------------------------------


@click.command("availability")
@click.argument("name")
@click.option(
    "--hours-per-week", type=click.FloatRange(0, 60), required=True, help="Hours at the workshop."
)
@click.option(
    "--pfmp", "pfmp", type=PERIOD, multiple=True, help="A work placement START:END (repeatable)."
)
@click.option(
    "--away", "away", type=PERIOD, multiple=True, help="An absence START:END (repeatable)."
)
@pass_app
def trainee_availability(
    app: AppContext,
    name: str,
    hours_per_week: float,
    pfmp: tuple[tuple[date, date], ...],
    away: tuple[tuple[date, date], ...],
) -> None:
    """Set NAME's working time: hours per week, work placements and absences."""
    from ep_skills.journal.planning import Away, AwayKind

    periods = [Away(a, b, AwayKind.PFMP) for a, b in pfmp] + [
        Away(a, b, AwayKind.ABSENCE) for a, b in away
    ]
    with app.journal() as journal:
        person = journal.trainee(name)
        journal.set_availability(person, hours_per_week=hours_per_week, away=periods)
    click.echo(
        ngettext(
            "{name}: {hours} h a week, {n} period away.",
            "{name}: {hours} h a week, {n} periods away.",
            len(periods),
        ).format(name=person.name, hours=f"{hours_per_week:g}", n=len(periods))
    )


# -- the register of young workers ------------------------------------------------------------


@click.group("register")
def register_group() -> None:
    """The register of young workers: birth dates, dérogations, medical opinions, safety
    training (Code du travail R.4153-38 ff.)."""


@register_group.command("birth")
@click.argument("name")
@click.argument("day", type=DATE)
@pass_app
def register_birth(app: AppContext, name: str, day: date) -> None:
    """Record NAME's birth DAY."""
    with app.journal() as journal:
        journal.set_birth_date(name, day)
    click.echo(_("Birth date recorded."))


@register_group.command("derogation")
@click.argument("machine")
@click.option("--declared", type=DATE, required=True, help="Day the declaration was sent.")
@click.option("--place", default=None, help="The places of training it lists.")
@click.option(
    "--supervisor", default=None, help="Quality or function of the person who supervises."
)
@pass_app
def register_derogation(
    app: AppContext, machine: str, declared: date, place: str | None, supervisor: str | None
) -> None:
    """Record the school's declaration of dérogation for regulated work on MACHINE."""
    with app.journal() as journal:
        entry = journal.declare_derogation(machine, declared, place=place, supervisor=supervisor)
    click.echo(
        _("Dérogation for {machine}: valid from {start} to {end}.").format(
            machine=entry.machine, start=format_day(entry.declared), end=format_day(entry.until)
        )
    )


@register_group.command("medical")
@click.argument("name")
@click.option("--given", type=DATE, required=True, help="Day of the medical opinion.")
@click.option("--until", type=DATE, default=None, help="Last day it is valid (default: a year).")
@pass_app
def register_medical(app: AppContext, name: str, given: date, until: date | None) -> None:
    """Record NAME's medical opinion on their fitness for the regulated work."""
    with app.journal() as journal:
        journal.record_medical_opinion(name, given, until=until)
    click.echo(_("Medical opinion recorded."))


@register_group.command("training")
@click.argument("name")
@click.argument("machine")
@click.option(
    "--date", "day", type=DATE, default=None, help="Day of the training (default: today)."
)
@pass_app
def register_training(app: AppContext, name: str, machine: str, day: date | None) -> None:
    """Record the safety training NAME received for MACHINE."""
    with app.journal() as journal:
        journal.record_safety_training(name, machine, day)
    click.echo(_("Safety training recorded."))


@register_group.command("show")
@click.option("--date", "day", type=DATE, default=None, help="The day to check (default: today).")
@pass_app
def register_show(app: AppContext, day: date | None) -> None:
    """Who may do regulated work on which machine, and why not."""
    with app.journal() as journal:
        entries = journal.register()
        when = day or journal.today
        machines = sorted(
            {t.machine for t in journal.order_tasks() if t.machine} | set(entries.derogations)
        )
        for machine in machines:
            derogation = entries.derogations.get(machine)
            click.echo(
                f"{machine} — "
                + (
                    _("dérogation declared {start}, valid until {end}").format(
                        start=format_day(derogation.declared), end=format_day(derogation.until)
                    )
                    if derogation
                    else _("no dérogation declared")
                )
            )
            for person in journal.trainees():
                why = entries.why_not(person.id, machine, when)
                click.echo(f"  {person.name} : " + (why or _("allowed")))
        if not machines:
            click.echo(_("No regulated work: no machine on the orders' tasks, no dérogation."))


# -- the plan ---------------------------------------------------------------------------------


@click.command("plan")
@click.option(
    "--from", "start", type=DATE, default=None, help="First day planned (default: today)."
)
@click.option(
    "--to", "end", type=DATE, default=None, help="Last day planned (default: 4 weeks on)."
)
@click.option("--cohort", default=None, help="Only this cohort's trainees.")
@click.option(
    "--method",
    type=click.Choice(["auto", "exact", "heuristic"]),
    default="auto",
    show_default=True,
    help="exact: proven optimum (slower on a large school); heuristic: fast.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(0.1, 600),
    default=10.0,
    show_default=True,
    help="Seconds the solver may take.",
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the plan as JSON.",
)
@click.option(
    "--xlsx",
    "xlsx_out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the plan as a workbook.",
)
@click.option("--accept", is_flag=True, help="Keep this plan in the journal as the period's plan.")
@click.option("--accepted", "show_accepted", is_flag=True, help="Show the plans accepted so far.")
@pass_app
def plan(
    app: AppContext,
    start: date | None,
    end: date | None,
    cohort: str | None,
    method: str,
    time_limit: float,
    json_out: str | None,
    xlsx_out: str | None,
    accept: bool,
    show_accepted: bool,
) -> None:
    """Propose who does which task of the open orders, to close each trainee's gaps
    before their exam (the law on young workers always kept)."""
    from datetime import timedelta

    from ep_skills.outputs import check_target, replacing
    from ep_skills.planning import proposal as proposals

    for target in (json_out, xlsx_out):
        if target:
            check_target(target)  # before the work, not only at the end
    with app.journal() as journal:
        if show_accepted:
            _show_accepted(proposals.accepted_plans(journal))
            return
        first = start or journal.today
        last = end or first + timedelta(days=27)
        made = proposals.propose(
            journal, first, last, cohort=cohort, method=method, time_limit=time_limit
        )
        _show(made)
        for target, writer in ((json_out, proposals.write_json), (xlsx_out, proposals.write_xlsx)):
            if target:
                with replacing(target) as partial:
                    writer(made, partial)
                click.echo(_("Written: {path}").format(path=target))
        if accept:
            version = proposals.accept(journal, made, by=getpass.getuser())
            click.echo(_("Plan accepted (version {n}).").format(n=version))


def _show(made: Any) -> None:
    from rich.table import Table

    score = made.plan.score
    quality = (
        _("proven optimal")
        if made.plan.optimal
        else _("within {gap:.1%} of the optimum").format(gap=made.plan.gap)
        if made.plan.gap is not None
        else _("fast method, no proof of optimum")
    )
    click.echo(
        _(
            "Plan {start} – {end}: {n} assignments, {closed} gaps closed (weighted), {quality}."
        ).format(
            start=format_day(made.start),
            end=format_day(made.end),
            n=len(made.lines),
            closed=score.closed,
            quality=quality,
        )
    )
    if made.lines:
        table = Table(title_justify="left")
        for header in (_("trainee"), _("order"), _("task"), _("min"), _("why")):
            table.add_column(header)
        for line in made.lines:
            task = line.task + (f" ⚠ {line.machine}" if line.machine else "")
            table.add_row(line.trainee, line.order, task, str(line.minutes), line.why)
        console().print(table)
    for order, task, _title, missing, reason in made.unplaced:
        click.echo(
            _("Not placed: {order} {task} ({n} missing) — {reason}").format(
                order=order, task=task, n=missing, reason=reason
            )
        )
    for warning in made.warnings:
        click.secho(_("Warning: {what}").format(what=warning), fg="yellow", err=True)


def _show_accepted(plans: list[dict[str, Any]]) -> None:
    if not plans:
        click.echo(_("No plan accepted yet: ep-skills plan --accept keeps one."))
        return
    for item in plans:
        click.echo(
            _("{start} – {end}: {n} assignments, accepted {when}").format(
                start=item["start"],
                end=item["end"],
                n=len(item["assignments"]),
                when=item["changed_at"],
            )
        )
        for line in item["assignments"]:
            click.echo(f"  {line['trainee']} — {line['order']} {line['task']} — {line['why']}")


def register(cli: click.Group) -> None:
    """Add the planner's commands to the command line."""
    order = cli.commands["order"]
    trainee = cli.commands["trainee"]
    assert isinstance(order, click.Group)
    assert isinstance(trainee, click.Group)
    order.add_command(order_task)
    trainee.add_command(trainee_availability)
    cli.add_command(register_group)
    cli.add_command(plan)
