"""Commands that read progress: progress, explain, gaps, recompute."""

from __future__ import annotations

import sys
from typing import Any

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.cli.output import command_hint, console, csv_writer, echo_json, format_option
from ep_skills.i18n import _, format_day, ngettext
from ep_skills.referential.model import LOCAL_LEGEND, local_codes, shown_code

__all__ = ["print_cohort", "register"]

NOT_ASSESSED = "·"


def _bar(share: float, width: int = 10) -> str:
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled)


def _state_style(scale: Any, code: str | None) -> tuple[str, str, str]:
    """(symbol, label, colour) of a state code; black-and-white readable by the symbol."""
    for state in scale.states:
        if state.code == code:
            return state.symbol or state.code, state.label, state.colour or ""
    return NOT_ASSESSED, _("not assessed"), "dim"


def progress_json(person: Any, progress: Any) -> dict[str, Any]:
    """A trainee's progress as JSON-ready data: the documented form of ``Progress.to_dict``
    (``docs/schema/progress.json``), with the trainee."""
    if progress.trainee is None:
        import attrs

        progress = attrs.evolve(progress, trainee=person)
    data: dict[str, Any] = progress.to_dict()
    return data


def _requirement_met(progress: Any, requirement: str) -> bool:
    if requirement == "all":
        return bool(progress.ready)
    for bloc in progress.blocs:
        if bloc.id == requirement:
            return bool(bloc.total and bloc.acquired == bloc.total)
    for epreuve in progress.epreuves:
        if epreuve.code == requirement:
            return bool(epreuve.ready)
    from ep_skills.errors import EpSkillsError

    known = [b.id for b in progress.blocs] + [e.code for e in progress.epreuves if e.total]
    raise EpSkillsError(
        _("unknown bloc or épreuve {name!r} (known: {known}, all)").format(
            name=requirement, known=", ".join(known)
        )
    )


def _print_trainee(journal: Any, person: Any, progress: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    info = journal.diploma(person.diploma)
    scale = info.scale
    out = console()
    referential = info.referential
    local = local_codes(referential)
    out.print(
        Text(
            f"{person.name} — {referential.kind} {referential.title} ({referential.id})",
            style="bold",
        )
    )
    out.print(
        _("Readiness for the exam: {bar} {share:.0%}").format(
            bar=_bar(progress.readiness), share=progress.readiness
        )
    )
    from ep_skills.engine.missing import missing_short

    missing = journal.still_missing(person)
    flagged: list[str] = []
    for bloc in progress.blocs:
        if not bloc.total:
            continue
        out.print("")
        out.print(
            Text(
                f"{bloc.id} {bloc.title}  {_bar(bloc.share)} {bloc.acquired}/{bloc.total}",
                style="bold",
            )
        )
        table = Table(show_header=False, box=None, padding=(0, 1))

        def add(node: Any, depth: int, table: Any = table) -> None:
            symbol, label, colour = _state_style(scale, node.state)
            score = "" if node.score is None else str(node.score)
            detail = ""
            if node.leaf is not None and node.leaf.count:
                count = ngettext("{n} assessment", "{n} assessments", node.leaf.count)
                contexts = ngettext("{n} order/task", "{n} orders/tasks", node.leaf.contexts)
                detail = (
                    f"{count.format(n=node.leaf.count)}, {contexts.format(n=node.leaf.contexts)}"
                )
                if node.leaf.score_state and node.leaf.score_state != node.leaf.state:
                    detail += " ⚑"
                    flagged.append(node.code)
                if node.leaf.self_state:
                    own = _state_style(scale, node.leaf.self_state)[1]
                    detail += " · " + _("self: {label}").format(label=own)
            if node.leaf is not None and node.code in missing and not node.acquired:
                short = missing_short(missing[node.code])
                if short:
                    detail += (" · " if detail else "") + _("missing: {what}").format(what=short)
            table.add_row(
                Text(symbol, style=colour),
                "  " * depth + shown_code(node.code, local),
                node.title,
                Text(label, style=colour),
                score,
                detail,
            )
            for child in node.children:
                add(child, depth + 1, table)

        for node in bloc.competencies:
            add(node, 0)
        out.print(table)
    if flagged:
        out.print("")
        out.print(
            _(
                "⚑ the score is enough, but a coverage rule is not met yet: "
                '{command} explain "{name}" {code}'
            ).format(command=command_hint(), name=person.name, code=flagged[0])
        )
    from ep_skills.engine.outlook import outlook_words

    session = journal.exam_session(person)
    outlooks = {o.code: o for o in journal.outlook(person)} if session else {}
    out.print("")
    heading = _("Épreuves")
    if session is not None:
        heading += " — " + _("exam session: {day} ({mode})").format(
            day=format_day(session.day), mode=session.mode
        )
    out.print(Text(heading, style="bold"))
    for e in progress.epreuves:
        if not e.total:
            continue
        coef = f"{e.coefficient:g}" if e.coefficient else "?"
        ready = _("ready") if e.ready else _("missing: {codes}").format(codes=", ".join(e.missing))
        code = shown_code(e.code, local)
        out.print(f"  {code} {e.title} (coef. {coef}) {_bar(e.share)} {e.share:.0%} — {ready}")
        if e.code in outlooks and not e.ready:
            out.print("      " + outlook_words(outlooks[e.code], session.day if session else None))
    if local:
        out.print("")
        out.print(_(LOCAL_LEGEND))


def print_cohort(
    journal: Any,
    cohort: str | None,
    *,
    by: str = "competency",
    fmt: str = "text",
    diploma: str | None = None,
) -> list[tuple[Any, Any]]:
    """Print the trainees × competencies (or × blocs) matrix of a cohort."""
    rows: list[tuple[Any, Any]] = journal.cohort_progress(cohort, diploma=diploma)
    if fmt == "json":
        echo_json([progress_json(p, pr) for p, pr in rows])
        return rows
    if not rows:
        click.echo(_("No trainee in this cohort."))
        return rows
    diplomas = sorted({p.diploma for p, _pr in rows})
    for diploma_id in diplomas:
        group = [(p, pr) for p, pr in rows if p.diploma == diploma_id]
        _print_matrix(journal, diploma_id, group, by=by, fmt=fmt)
    return rows


def _columns(progress: Any, by: str) -> list[tuple[str, Any]]:
    if by == "bloc":
        return [(b.id, b) for b in progress.blocs if b.total]
    return [(n.code, n) for b in progress.blocs for n in b.competencies]


def _print_matrix(
    journal: Any, diploma_id: str, group: list[tuple[Any, Any]], *, by: str, fmt: str
) -> None:
    scale = journal.diploma(diploma_id).scale
    headers = [code for code, _item in _columns(group[0][1], by)]
    if fmt == "csv":
        writer = csv_writer()
        writer.writerow([_("trainee"), *headers, _("readiness")])
        for person, progress in group:
            values = []
            for _code, item in _columns(progress, by):
                values.append(f"{item.share:.2f}" if by == "bloc" else (item.state or ""))
            writer.writerow([person.name, *values, f"{progress.readiness:.2f}"])
        return
    from rich.table import Table
    from rich.text import Text

    referential = journal.diploma(diploma_id).referential
    local = local_codes(referential) if by != "bloc" else frozenset()
    table = Table(
        title=f"{referential.kind} {referential.title} ({diploma_id})", title_justify="left"
    )
    table.add_column(_("trainee"))
    for header in headers:
        table.add_column(shown_code(header, local), justify="center")
    table.add_column(_("readiness"), justify="right")
    for person, progress in group:
        cells: list[Any] = [person.name]
        for _code, item in _columns(progress, by):
            if by == "bloc":
                cells.append(f"{item.acquired}/{item.total}")
            else:
                symbol, _label, colour = _state_style(scale, item.state)
                score = "" if item.score is None else f" {item.score}"
                cells.append(Text(symbol + score, style=colour))
        cells.append(f"{progress.readiness:.0%}")
        table.add_row(*cells)
    out = console()
    out.print(table)
    legend = "  ".join(f"{s.symbol or s.code} {s.label}" for s in scale.states)
    out.print(f"{legend}  {NOT_ASSESSED} {_('not assessed')}")
    if any(header in local for header in headers):
        out.print(_(LOCAL_LEGEND))


@click.command()
@click.argument("trainee", required=False)
@click.option("--cohort", default=None, help="Show a whole cohort as a matrix.")
@click.option("--all", "everyone", is_flag=True, help="Show every trainee as a matrix.")
@click.option(
    "--by",
    type=click.Choice(("competency", "bloc")),
    default="competency",
    show_default=True,
    help="Matrix columns.",
)
@format_option("json", "csv")
@click.option(
    "--require",
    default=None,
    metavar="BLOC|EPREUVE|all",
    help="Exit code 0 if ready for this bloc or épreuve (or everything), 1 if not.",
)
@pass_app
def progress(
    app: AppContext,
    trainee: str | None,
    cohort: str | None,
    everyone: bool,
    by: str,
    fmt: str,
    require: str | None,
) -> None:
    """Show a trainee's progress, or a cohort's matrix with --cohort."""
    from ep_skills.errors import EpSkillsError

    if trainee is None and cohort is None and not everyone:
        raise EpSkillsError(_("name a trainee, or use --cohort NAME or --all"))
    with app.journal() as journal:
        if trainee is not None:
            person = journal.trainee(trainee)
            result = journal.progress(person.id)
            if fmt == "json":
                echo_json(progress_json(person, result))
            elif fmt == "csv":
                writer = csv_writer()
                writer.writerow(["bloc", "competency", "state", "score", "acquired"])
                for bloc in result.blocs:
                    for node in bloc.competencies:
                        for leaf in [node, *node.leaves()] if node.children else [node]:
                            writer.writerow(
                                [
                                    bloc.id,
                                    leaf.code,
                                    leaf.state or "",
                                    "" if leaf.score is None else leaf.score,
                                    int(leaf.acquired),
                                ]
                            )
            else:
                _print_trainee(journal, person, result)
            ready = [_requirement_met(result, require)] if require else []
        else:
            rows = print_cohort(journal, cohort, by=by, fmt=fmt)
            ready = [_requirement_met(pr, require) for _p, pr in rows] if require else []
    if require and not all(ready):
        sys.exit(1)


@click.command()
@click.argument("trainee")
@click.argument("competency")
@format_option("json")
@pass_app
def explain(app: AppContext, trainee: str, competency: str, fmt: str) -> None:
    """Explain a trainee's state on a COMPETENCY: evidence, method, weights, score, rules."""
    with app.journal() as journal:
        explanation = journal.explain(trainee, competency)
    if fmt == "json":
        echo_json(explanation.to_dict())
        return
    local = local_codes(explanation.referential)
    code = shown_code(competency, local)
    click.echo(f"{explanation.trainee.name} — {code} {explanation.title}".rstrip())
    for line in explanation.lines():
        click.echo(line)
    if competency in local:
        click.echo(_(LOCAL_LEGEND))


@click.command()
@click.argument("trainee", required=False)
@click.option("--cohort", default=None, help="Cohort (default: every trainee).")
@format_option("json")
@pass_app
def gaps(app: AppContext, trainee: str | None, cohort: str | None, fmt: str) -> None:
    """For each competency, who has not acquired it yet and which tasks would give the chance;
    for one TRAINEE, the tasks that would close their gaps, those of the open orders first."""
    from ep_skills.views import cohort_gaps

    if trainee is not None:
        _trainee_gaps(app, trainee, fmt)
        return
    with app.journal() as journal:
        found = cohort_gaps(journal, cohort, missing=True)
    if fmt == "json":
        echo_json([gap.to_dict() for gap in found])
        return
    if not found:
        click.echo(_("No gap: every trainee has acquired every competency."))
        return
    from rich.text import Text

    from ep_skills.engine.missing import missing_short

    out = console()
    with app.journal() as journal:
        local = frozenset().union(
            *(local_codes(journal.diploma(d).referential) for d in {g.diploma for g in found})
        )
    for gap in found:
        out.print(Text(f"{shown_code(gap.code, local)} {gap.title}", style="bold"))
        names = ", ".join(
            f"{t.name} ({missing_short(t.missing)})" if t.missing is not None else t.name
            for t in gap.missing
        )
        out.print("  " + _("not acquired ({n}): {names}").format(n=len(gap.trainees), names=names))
        if gap.never_assessed:
            out.print(
                "  "
                + ngettext(
                    "never assessed: {names}",
                    "never assessed: {names}",
                    len(gap.never_assessed),
                ).format(names=", ".join(gap.never_assessed))
            )
        if gap.tasks:
            out.print("  " + _("tasks that give the chance:"))
            for t in gap.tasks[:3]:
                out.print(f"    → {t.id} — {t.title}")
        else:
            out.print("  " + _("no catalogue task mobilises it"))
    if any(gap.code in local for gap in found):
        out.print(_(LOCAL_LEGEND))


def _trainee_gaps(app: AppContext, trainee: str, fmt: str) -> None:
    from ep_skills.views import trainee_gaps

    with app.journal() as journal:
        person = journal.trainee(trainee)
        found = trainee_gaps(journal, person.id)
    if fmt == "json":
        echo_json([chance.to_dict() for chance in found])
        return
    if not found:
        click.echo(
            _("{name} has acquired every competency a task mobilises.").format(name=person.name)
        )
        return
    from rich.table import Table

    table = Table(
        title=_("Tasks that would close {name}'s gaps").format(name=person.name),
        title_justify="left",
    )
    for header in (_("task"), _("closes"), _("open orders"), _("due")):
        table.add_column(header)
    for chance in found:
        table.add_row(
            f"{chance.task} — {chance.title}",
            " ".join(chance.closes),
            ", ".join(chance.orders) or "—",
            format_day(chance.due),
        )
    console().print(table)


@click.command()
@pass_app
def recompute(app: AppContext) -> None:
    """Rebuild every stored state from the evidence (after changing the school settings)."""
    with app.journal() as journal:
        count = journal.recompute()
    click.echo(ngettext("{n} state recomputed.", "{n} states recomputed.", count).format(n=count))


def register(cli: click.Group) -> None:
    """Add this module's commands to ``cli``."""
    for command in (progress, explain, gaps, recompute):
        cli.add_command(command)
