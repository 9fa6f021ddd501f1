"""``ep-skills exchange moodle``: a diploma's referential as a Moodle competency framework."""

from __future__ import annotations

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.i18n import _, ngettext

__all__ = ["moodle"]


@click.group("moodle")
def moodle() -> None:
    """Moodle competency frameworks (admin tool « Import competency framework »)."""


@moodle.command("export")
@click.argument("diploma")
@click.option("--out", "target", type=click.Path(dir_okay=False), required=True, help="File.")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@pass_app
def moodle_export(app: AppContext, diploma: str, target: str, force: bool) -> None:
    """Write DIPLOMA's referential as the CSV Moodle imports: blocs, competencies and
    sub-competencies, with the diploma's scale."""
    from ep_skills.exchange.moodle import export_framework

    referential = app.registry.get(diploma)
    export_framework(referential, target, force=force)
    click.echo(
        _("{diploma}: {n} competencies written: {path}").format(
            diploma=referential.id, n=len(referential.all_competencies()), path=target
        )
    )


@moodle.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--out", "target", type=click.Path(dir_okay=False), required=True, help="TOML.")
@click.option("--id", "diploma_id", default=None, help="The diploma id (default: its id number).")
@click.option("--level", type=click.IntRange(0, 8), default=0, help="European level (3: CAP).")
@click.option("--version", "version", default="1", show_default=True, help="Its version.")
@click.option(
    "--delimiter",
    type=click.Choice([",", ";", "tab"]),
    default=",",
    show_default=True,
    help="The CSV separator chosen in Moodle.",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
def moodle_import(
    file: str,
    target: str,
    diploma_id: str | None,
    level: int,
    version: str,
    delimiter: str,
    force: bool,
) -> None:
    """Read a Moodle competency framework CSV into a referential TOML file: a draft for a
    diploma plugin, its items marked « secondary »."""
    from ep_skills.exchange.moodle import import_framework
    from ep_skills.outputs import check_target, replacing
    from ep_skills.referential.codec import dumps_referential

    check_target(target, force=force)
    done = import_framework(
        file,
        diploma_id=diploma_id,
        level=level,
        version=version,
        delimiter="\t" if delimiter == "tab" else delimiter,
    )
    with replacing(target, force=force, private=False) as scratch:
        scratch.write_text(dumps_referential(done.referential), encoding="utf-8")
    blocs, leaves = len(done.referential.blocs), len(done.referential.all_competencies())
    click.echo(
        _("{id}: {blocs}, {competencies} written: {path}").format(
            id=done.referential.id,
            blocs=ngettext("{n} bloc", "{n} blocs", blocs).format(n=blocs),
            competencies=ngettext("{n} competency", "{n} competencies", leaves).format(n=leaves),
            path=target,
        )
    )
    for what in done.dropped:
        click.echo(_("Not kept: {what}").format(what=what), err=True)
