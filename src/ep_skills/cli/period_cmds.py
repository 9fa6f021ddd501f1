"""Closed periods (« période arrêtée »): ``ep-skills period close|list|show|sign``."""

from __future__ import annotations

from datetime import date

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.cli.params import DATE
from ep_skills.i18n import N_, _, format_day, ngettext

__all__ = ["register"]

SIGNERS = {"trainee": N_("the trainee"), "instructor": N_("the instructor")}


@click.group("period")
def period() -> None:
    """Closed periods: what a jury or a periodic review saw, kept as it was, signed off."""


@period.command("close")
@click.argument("name")
@click.option("--to", "end", type=DATE, required=True, help="The period's last day.")
@click.option("--cohort", default=None, help="Only this group (default: every trainee).")
@pass_app
def period_close(app: AppContext, name: str, end: date, cohort: str | None) -> None:
    """Close the period NAME: each trainee's states and the evidence they rest on, as of its
    last day, kept with their hash; later corrections apply after it."""
    from ep_skills.periods import close_period

    with app.journal() as journal:
        closed = close_period(journal, name, end, cohort=cohort)
    click.echo(
        ngettext(
            "Period « {name} » closed to {end}: {n} trainee, fingerprint {digest}.",
            "Period « {name} » closed to {end}: {n} trainees, fingerprint {digest}.",
            len(closed.digests),
        ).format(
            name=closed.name,
            end=format_day(closed.end),
            n=len(closed.digests),
            digest=closed.digest[:16],
        )
    )


@period.command("list")
@pass_app
def period_list(app: AppContext) -> None:
    """The closed periods, the latest first."""
    from ep_skills.periods import periods

    with app.journal() as journal:
        found = periods(journal)
    if not found:
        click.echo(_("No period closed yet: ep-skills period close NAME --to DAY."))
        return
    for item in found:
        click.echo(
            ngettext(
                "{name}: to {end}, closed on {closed} by {by}, {n} trainee, {digest}",
                "{name}: to {end}, closed on {closed} by {by}, {n} trainees, {digest}",
                len(item.digests),
            ).format(
                name=item.name,
                end=format_day(item.end),
                closed=format_day(item.closed_at.date()),
                by=item.closed_by,
                n=len(item.digests),
                digest=item.digest[:16],
            )
        )


@period.command("show")
@click.argument("name")
@pass_app
def period_show(app: AppContext, name: str) -> None:
    """The period NAME: each trainee, whether their snapshot still matches its hash, and
    who signed it off."""
    from ep_skills.periods import check, get_period, sign_offs

    with app.journal() as journal:
        found = get_period(journal, name)
        changed = set(check(journal, name))
        signed = sign_offs(journal, name)
        names = {t.id: t.name for t in journal.trainees(archived=True)}  # those who left too
    click.echo(
        _("Period « {name} » to {end}, fingerprint {digest}").format(
            name=found.name, end=format_day(found.end), digest=found.digest
        )
    )
    for trainee in sorted(found.digests, key=lambda t: names.get(t, "")):
        verdict = _("changed since it was closed") if trainee in changed else _("intact")
        visas = [
            _("{who}: {by} on {day}").format(
                who=_(SIGNERS[str(s.signer)]), by=s.by, day=format_day(s.at.date())
            )
            for s in signed
            if s.trainee == trainee
        ]
        line = f"{names.get(trainee, f'#{trainee}')} · {verdict}"
        click.echo(" · ".join([line, *visas]) if visas else line)
    if changed:
        raise click.exceptions.Exit(1)


@period.command("sign")
@click.argument("name")
@click.option("--trainee", "who", required=True, help="The trainee whose period is signed.")
@click.option(
    "--as",
    "signer",
    type=click.Choice(sorted(SIGNERS)),
    required=True,
    help="Who signs: the trainee or the instructor.",
)
@click.option("--by", required=True, help="The name of the person who signs.")
@click.option("--note", default=None, help="A word with the signature.")
@pass_app
def period_sign(
    app: AppContext, name: str, who: str, signer: str, by: str, note: str | None
) -> None:
    """Record that the trainee or the instructor signed the period NAME off (the periodic
    review, « bilan périodique »)."""
    from ep_skills.periods import sign_off

    with app.journal() as journal:
        done = sign_off(journal, name, who, signer=signer, by=by, note=note)
        person = journal.trainee(done.trainee)
    click.echo(
        _("Period « {name} » of {trainee} signed off by {who} ({by}).").format(
            name=name, trainee=person.name, who=_(SIGNERS[signer]), by=by
        )
    )


def register(cli: click.Group) -> None:
    """Add ``period`` to the command line."""
    cli.add_command(period)
