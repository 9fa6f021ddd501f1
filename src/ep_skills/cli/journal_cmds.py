"""Commands that set up a journal: init, demo, trainee, order, task (evidence: evidence_cmds)."""

from __future__ import annotations

import shlex
from datetime import date
from typing import Any

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.cli.output import command_hint, console, echo_json, format_option
from ep_skills.cli.params import DATE, LEVEL_PAIR, IntRange
from ep_skills.i18n import N_, _, format_day, ngettext

# The kinds of trainee change, shown in the user's language.
_CHANGE_KINDS = (N_("update"), N_("archive"), N_("restore"))

__all__ = ["register"]


@click.command()
@click.option("--school", default=None, help="Name of the school, kept in the journal.")
@pass_app
def init(app: AppContext, school: str | None) -> None:
    """Create a journal (./ep-skills.db unless --db or $EP_SKILLS_DB says otherwise)."""
    from ep_skills.errors import EpSkillsError

    if app.journal_exists():
        raise EpSkillsError(
            _("a file already exists at {path}").format(path=app.db_path)
            if not app.on_server
            else _("this school already has a journal at {path}").format(path=app.db_shown)
        )
    with app.journal(create=True) as journal:
        if school:
            with journal.storage.transaction():
                journal.storage.set_meta("school", school)
                journal.audit_write("setting", subject="school")
    click.echo(_("Journal created: {path}").format(path=app.db_shown))


@click.command()
@click.option("--diploma", default="cap-cip", show_default=True, help="Diploma of the workshop.")
@click.option(
    "--seed",
    type=int,
    default=2026,
    show_default=True,
    help="Seed: the same seed builds the same workshop.",
)
@click.option(
    "--trainees",
    "size",
    type=IntRange(1, 60),
    default=10,
    show_default=True,
    help="Number of trainees.",
)
@pass_app
def demo(app: AppContext, diploma: str, seed: int, size: int) -> None:
    """Build a demo workshop (fictional trainees, customers and orders), then show it."""
    from ep_skills.demo import build_demo
    from ep_skills.errors import EpSkillsError

    if app.journal_exists():
        raise EpSkillsError(
            _("{path} already exists: choose another file with --db").format(path=app.db_path)
            if not app.on_server
            else _("this school already has a journal at {path}").format(path=app.db_shown)
        )
    from ep_skills.api import check_usable

    check_usable(app.registry.get(diploma))  # before a journal file is created
    with app.journal(create=True) as journal:
        summary = build_demo(journal, diploma=diploma, seed=seed, trainees=size)
        from ep_skills.web.accounts import add_account

        # The demo's bench page opens with known passwords: its people are fictional, and
        # the page listens on this computer only unless told otherwise.
        add_account(journal, DEMO_LOGIN, DEMO_PASSWORD, name=_("Demo instructor"))
        add_account(journal, DEMO_TRAINEE_LOGIN, DEMO_TRAINEE_PASSWORD, trainee=summary["first"])
        counts = {
            key: ngettext(singular, plural, summary[key]).format(n=summary[key])
            for key, singular, plural in (
                ("trainees", "{n} trainee", "{n} trainees"),
                ("orders", "{n} order", "{n} orders"),
                ("records", "{n} task record", "{n} task records"),
                ("assessments", "{n} assessment", "{n} assessments"),
            )
        }
        click.echo(
            _("Demo journal {path}: {trainees}, {orders}, {records}, {assessments}.").format(
                path=app.db_shown, **counts
            )
        )
        click.echo("")
        from ep_skills.cli.view_cmds import print_cohort

        print_cohort(journal, summary["cohort"], by="competency")
        click.echo("")
        click.echo(
            _('Next: {command} --db {path} progress "{name}"').format(
                command=command_hint(), path=shlex.quote(app.db_shown), name=summary["first"]
            )
        )
        click.echo(
            _(
                "The bench page: {command} --db {path} serve, then http://localhost:8000/ "
                "as {login} (password {password}), or {trainee} ({trainee_password}) for "
                "{name}'s own page."
            ).format(
                command=command_hint(),
                path=shlex.quote(app.db_shown),
                login=DEMO_LOGIN,
                password=DEMO_PASSWORD,
                trainee=DEMO_TRAINEE_LOGIN,
                trainee_password=DEMO_TRAINEE_PASSWORD,
                name=summary["first"],
            )
        )


DEMO_LOGIN, DEMO_PASSWORD = "demo", "demo-atelier"
DEMO_TRAINEE_LOGIN, DEMO_TRAINEE_PASSWORD = "jeune", "demo-jeune"


@click.group()
def trainee() -> None:
    """Add, list, change and archive trainees."""


_META = click.option(
    "--meta",
    "meta",
    type=LEVEL_PAIR,
    multiple=True,
    metavar="KEY=VALUE",
    help="Free information kept with the trainee (repeatable).",
)
_EXTERNAL_ID = click.option(
    "--external-id", default=None, help="The trainee's id in the school's other software."
)


@trainee.command("add")
@click.argument("name")
@click.option("--diploma", required=True, help="Diploma id (see: ep-skills diplomas).")
@click.option("--cohort", default=None, help="Cohort or workshop group.")
@click.option("--start", "start", type=DATE, default=None, help="Start date of the training.")
@click.option("--option", "option", default=None, help="The diploma option prepared, if any.")
@_EXTERNAL_ID
@_META
@pass_app
def trainee_add(
    app: AppContext,
    name: str,
    diploma: str,
    cohort: str | None,
    start: date | None,
    option: str | None,
    external_id: str | None,
    meta: tuple[tuple[str, str], ...],
) -> None:
    """Add a trainee NAME preparing a diploma."""
    with app.journal() as journal:
        person = journal.add_trainee(
            name,
            diploma=diploma,
            cohort=cohort,
            start_date=start,
            option=option,
            external_id=external_id,
            metadata=dict(meta),
        )
    click.echo(
        _("Trainee added: {name} (#{id}, {diploma})").format(
            name=person.name, id=person.id, diploma=person.diploma
        )
    )


@trainee.command("list")
@click.option("--cohort", default=None, help="Only this cohort.")
@click.option("--archived", is_flag=True, help="Also those who left (archived).")
@format_option("json")
@pass_app
def trainee_list(app: AppContext, cohort: str | None, archived: bool, fmt: str) -> None:
    """List trainees (those who left only with --archived)."""
    with app.journal() as journal:
        people = journal.trainees(cohort, archived=archived)
    if fmt == "json":
        echo_json([p.to_dict() for p in people])  # the documented form (docs/schema/trainee.json)
        return
    from rich.table import Table

    table = Table(title=_("Trainees"), title_justify="left")
    headers = ["#", _("name"), _("diploma"), _("cohort"), _("start")]
    if any(p.external_id for p in people):
        headers.append(_("external id"))
    if archived:
        headers.append(_("left on"))
    for header in headers:
        table.add_column(header)
    for p in people:
        diploma = f"{p.diploma} ({_('option')} {p.option})" if p.option else p.diploma
        row = [str(p.id), p.name, diploma, p.cohort or "", format_day(p.start_date)]
        if any(q.external_id for q in people):
            row.append(p.external_id or "")
        if archived:
            row.append(format_day(p.archived) if p.archived else "")
        table.add_row(*row)
    console().print(table)


@trainee.command("update")
@click.argument("who")
@click.option("--name", default=None, help="The new name.")
@click.option("--cohort", default=None, help="The new cohort (empty: none).")
@click.option("--start", "start", type=DATE, default=None, help="The new start date.")
@click.option("--option", "option", default=None, help="The new diploma option (empty: none).")
@_EXTERNAL_ID
@_META
@click.option("--author", default=None, help="Who makes the change.")
@click.option("--note", default=None, help="Why.")
@pass_app
def trainee_update(
    app: AppContext,
    who: str,
    name: str | None,
    cohort: str | None,
    start: date | None,
    option: str | None,
    external_id: str | None,
    meta: tuple[tuple[str, str], ...],
    author: str | None,
    note: str | None,
) -> None:
    """Change trainee WHO (a number or a name); kept in their history, evidence untouched."""
    from ep_skills.journal.identity import KEEP

    with app.journal() as journal:
        before = journal.trainee(who)
        person = journal.update_trainee(
            before.id,
            name=KEEP if name is None else name,
            cohort=KEEP if cohort is None else cohort,
            start_date=KEEP if start is None else start,
            option=KEEP if option is None else option,
            external_id=KEEP if external_id is None else external_id,
            metadata=KEEP if not meta else {**before.metadata, **dict(meta)},
            author=author,
            note=note,
        )
        change = journal.trainee_changes(person.id)[-1]
    click.echo(_("{name} (#{id}) changed:").format(name=person.name, id=person.id))
    _print_changes(change.changes)


# What a trainee change may change, in the words of the trainee list.
_FIELD_WORDS = {
    "name": N_("name"),
    "cohort": N_("cohort"),
    "start_date": N_("start"),
    "option": N_("option"),
    "external_id": N_("external id"),
    "metadata": N_("metadata"),
    "archived": N_("left on"),
}


# Changes keep dates as ISO text; they are shown as the user writes dates.
_DATE_FIELDS = frozenset({"start_date", "archived"})


def _shown_value(field: str, value: str | None) -> str:
    if not value:
        return "—"
    if field in _DATE_FIELDS:
        try:
            return format_day(date.fromisoformat(value))
        except ValueError:
            return value
    return value


def _print_changes(changes: tuple[tuple[str, str | None, str | None], ...]) -> None:
    for field, old, new in changes:
        word = _(_FIELD_WORDS.get(field, field))
        click.echo(
            "  "
            + _("{field}: {old} → {new}").format(
                field=word, old=_shown_value(field, old), new=_shown_value(field, new)
            )
        )


@trainee.command("archive")
@click.argument("who")
@click.option("--day", type=DATE, default=None, help="The day the trainee left (today).")
@click.option("--author", default=None, help="Who records it.")
@click.option("--note", default=None, help="Why (end of training, left the school…).")
@pass_app
def trainee_archive(
    app: AppContext, who: str, day: date | None, author: str | None, note: str | None
) -> None:
    """Trainee WHO left: out of lists and matrices, evidence kept."""
    with app.journal() as journal:
        person = journal.archive_trainee(who, day=day, author=author, note=note)
    assert person.archived is not None
    click.echo(
        _("{name} (#{id}) archived on {day}; their evidence is kept.").format(
            name=person.name, id=person.id, day=format_day(person.archived)
        )
    )


@trainee.command("restore")
@click.argument("who")
@click.option("--author", default=None, help="Who records it.")
@click.option("--note", default=None, help="Why.")
@pass_app
def trainee_restore(app: AppContext, who: str, author: str | None, note: str | None) -> None:
    """Trainee WHO, who had left, comes back."""
    with app.journal() as journal:
        person = journal.restore_trainee(who, author=author, note=note)
    click.echo(_("{name} (#{id}) is back in the lists.").format(name=person.name, id=person.id))


@trainee.command("move")
@click.argument("who")
@click.option(
    "--to",
    "other",
    required=True,
    metavar="ADDRESS",
    help="The school's journal they join (postgresql://…?school=ID, or a file).",
)
@click.option("--author", default=None, help="Who records it.")
@click.option("--note", default=None, help="Why.")
@pass_app
def trainee_move(
    app: AppContext, who: str, other: str, author: str | None, note: str | None
) -> None:
    """Trainee WHO moves to another school of the network, with their evidence; here they
    are archived, their evidence kept."""
    from ep_skills.api import open_journal
    from ep_skills.journal.connect import shown_address
    from ep_skills.sync import move_trainee

    with (
        app.journal() as journal,
        open_journal(other, registry=app.registry, school=app.school) as target,
    ):
        person = journal.trainee(who)
        counts, review = move_trainee(journal, target, person.id, author=author, note=note)
    click.echo(
        _("{name} moved to {address}: {what}.").format(
            name=person.name,
            address=shown_address(other),
            what=", ".join(counts.lines()) or _("nothing new"),
        )
    )
    for line in review:
        click.echo(_("To look at: {what}").format(what=line), err=True)


@trainee.command("history")
@click.argument("who")
@format_option("json")
@pass_app
def trainee_history(app: AppContext, who: str, fmt: str) -> None:
    """Every change of trainee WHO: renames, updates, leaving, coming back."""
    with app.journal() as journal:
        person = journal.trainee(who)
        changes = journal.trainee_changes(person.id)
    if fmt == "json":
        echo_json([c.to_dict() for c in changes])  # docs/schema/trainee-change.json
        return
    if not changes:
        click.echo(
            _("{name} (#{id}): no change since they were added.").format(
                name=person.name, id=person.id
            )
        )
        return
    for c in changes:
        # Stored in UTC; shown in the instructor's own time.
        local = c.recorded_at.astimezone()
        who_when = f"{format_day(local.date())} {local:%H:%M}"
        if c.author:
            who_when += f", {c.author}"
        click.echo(f"#{c.id} {_(c.kind)} ({who_when})" + (f" — {c.note}" if c.note else ""))
        _print_changes(c.changes)


@trainee.command("transfer")
@click.argument("name")
@click.option("--diploma", required=True, help="The diploma the trainee now prepares.")
@click.option("--note", default=None, help="Why (reform, change of course…).")
@pass_app
def trainee_transfer(app: AppContext, name: str, diploma: str, note: str | None) -> None:
    """Move trainee NAME to another diploma; mapped evidence carries over."""
    with app.journal() as journal:
        before = journal.trainee(name)
        moved = journal.transfer(name, diploma, note=note)
        tables = [
            t
            for t in journal.diploma(diploma).referential.correspondences
            if t.old_referential == before.diploma and t.competencies
        ]
    click.echo(_("{name} now prepares {diploma}.").format(name=moved.name, diploma=diploma))
    if not tables:
        click.echo(
            _(
                "Warning: {diploma} has no competency correspondence from {old}: the "
                "evidence recorded under {old} does not count for it."
            ).format(diploma=diploma, old=before.diploma),
            err=True,
        )


@click.group()
def order() -> None:
    """Add and list production orders."""


@order.command("add")
@click.argument("ref")
@click.option("--customer", required=True, help="Customer's name.")
@click.option("--title", required=True, help="What is ordered.")
@click.option("--quantity", type=IntRange(min=1), default=None, help="Quantity.")
@click.option("--received", type=DATE, default=None, help="Date the order came in.")
@click.option("--due", type=DATE, default=None, help="Due date.")
@pass_app
def order_add(
    app: AppContext,
    ref: str,
    customer: str,
    title: str,
    quantity: int | None,
    received: date | None,
    due: date | None,
) -> None:
    """Add a production order REF from a customer."""
    with app.journal() as journal:
        journal.add_order(
            ref, customer=customer, title=title, quantity=quantity, received=received, due=due
        )
    click.echo(_("Order added: {ref}").format(ref=ref))


@order.command("list")
@format_option("json")
@pass_app
def order_list(app: AppContext, fmt: str) -> None:
    """List production orders, newest first."""
    with app.journal() as journal:
        orders = journal.orders()
    if fmt == "json":
        echo_json(
            [
                {
                    "ref": o.ref,
                    "customer": o.customer,
                    "title": o.title,
                    "quantity": o.quantity,
                    "received": o.received,
                    "due": o.due,
                }
                for o in orders
            ]
        )
        return
    from rich.table import Table

    table = Table(title=_("Orders"), title_justify="left")
    for header in (_("order"), _("customer"), _("title"), _("quantity"), _("due")):
        table.add_column(header)
    for o in orders:
        table.add_row(o.ref, o.customer, o.title, str(o.quantity or ""), format_day(o.due))
    console().print(table)


@click.group()
def task() -> None:
    """The catalogue of typical tasks of each diploma."""


@task.command("list")
@click.option("--diploma", required=True, help="Diploma id.")
@format_option("json")
@pass_app
def task_list(app: AppContext, diploma: str, fmt: str) -> None:
    """List the catalogue tasks of a diploma and the competencies each mobilises."""
    referential = app.registry.get(diploma)
    if fmt == "json":
        echo_json(
            [
                {
                    "id": t.id,
                    "title": t.title,
                    "competencies": {c.code: c.level for c in t.competencies},
                }
                for t in referential.tasks
            ]
        )
        return
    from rich.table import Table

    table = Table(title=_("Catalogue of {diploma}").format(diploma=diploma), title_justify="left")
    for header in (_("task"), _("title"), _("competencies (default level)")):
        table.add_column(header)
    for t in referential.tasks:
        codes = ", ".join(f"{c.code} ({c.level or '—'})" for c in t.competencies)
        table.add_row(t.id, t.title, codes)
    console().print(table)


@click.command()
@click.option(
    "--repair",
    is_flag=True,
    help="Put back the protections that were removed or altered (what changed stays shown).",
)
@pass_app
def verify(app: AppContext, repair: bool) -> None:
    """Check that the journal was not changed outside ep-skills: protections, the chain of
    seals over the evidence, SQLite's own integrity check."""
    from pathlib import Path

    from ep_skills.errors import EpSkillsError
    from ep_skills.journal.sqlite import SqliteStorage

    if app.on_server:
        _verify_server(app, repair)
        return
    if not Path(app.db_path).exists():
        raise EpSkillsError(_("no journal at {path}").format(path=app.db_path))
    storage = SqliteStorage(app.db_path, check=False)
    try:
        if repair:
            restored = storage.repair()
            click.echo(
                ngettext("{n} protection restored.", "{n} protections restored.", restored).format(
                    n=restored
                )
            )
        problems = storage.verify()
        seals = storage.connection.execute("SELECT count(*) FROM seal").fetchone()
    finally:
        storage.close()
    if not problems:
        click.echo(
            ngettext(
                "Journal {path}: verified ({n} seal), nothing was changed outside ep-skills.",
                "Journal {path}: verified ({n} seals), nothing was changed outside ep-skills.",
                seals[0],
            ).format(path=app.db_path, n=seals[0])
        )
        return
    _problems(app.db_path, problems)
    click.echo(
        _(
            "What changed outside ep-skills stays shown here: restore the journal from a "
            "backup, or correct the entries concerned (ep-skills correct) and keep this "
            "report with the journal."
        ),
        err=True,
    )
    raise SystemExit(1)


def _verify_server(app: AppContext, repair: bool) -> None:
    """On a server, privileges, triggers and row-level security guard the evidence: check
    them (the set-up puts them back)."""
    from ep_skills.journal.connect import open_storage

    storage: Any = open_storage(app.db_path)
    try:
        if repair:
            storage.repair()
        problems = storage.verify()
    finally:
        storage.close()
    if not problems:
        click.echo(
            _(
                "Journal {path}: row-level security, append-only triggers and privileges in place."
            ).format(path=app.db_shown)
        )
        return
    _problems(app.db_shown, problems)
    raise SystemExit(1)


def _problems(path: str, problems: list[str]) -> None:
    click.echo(
        ngettext(
            "Journal {path}: {n} problem found:",
            "Journal {path}: {n} problems found:",
            len(problems),
        ).format(path=path, n=len(problems)),
        err=True,
    )
    for problem in problems:
        click.echo(f"  {problem}", err=True)


def register(cli: click.Group) -> None:
    """Add this module's commands to ``cli``."""
    for command in (init, demo, trainee, order, task, verify):
        cli.add_command(command)
