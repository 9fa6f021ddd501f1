"""Commands about diplomas and their referentials: ``diplomas``, ``referential``, ``plugins``."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.cli.output import console, echo_json, format_option
from ep_skills.i18n import N_, _, ngettext

__all__ = ["register"]

_STATUS = {"in-force": N_("in force"), "draft": N_("draft"), "replaced": N_("replaced")}


def _current_rncp(referential: Any, today: date) -> str:
    """The RNCP number valid today, else the most recent one, else an empty string."""
    registrations = list(referential.rncp)
    for reg in registrations:
        starts = reg.valid_from is None or reg.valid_from <= today
        ends = reg.valid_until is None or today <= reg.valid_until
        if starts and ends:
            return str(reg.number)
    dated = sorted(registrations, key=lambda r: r.valid_until or date.max)
    return str(dated[-1].number) if dated else ""


def _summary(app: AppContext, referential: Any) -> dict[str, Any]:
    from ep_skills.referential.model import ProvenanceStatus
    from ep_skills.referential.provenance import count_by_status

    counts = count_by_status(referential)
    return {
        "id": referential.id,
        "title": referential.title,
        "kind": str(referential.kind),
        "level": referential.level,
        "rncp": _current_rncp(referential, date.today()),
        "version": referential.version,
        "status": str(referential.status),
        "plugin": app.registry.plugin_of(referential.id),
        "provenance": {str(s): counts.get(s, 0) for s in ProvenanceStatus if s != "authored"},
        "tasks": len(referential.tasks),
        "competencies": sum(1 for c in referential.all_competencies() if not c.children),
        "replaced_by": referential.replaced_by,
        "meanwhile": referential.meanwhile,
        "pfmp_weeks": referential.pfmp_weeks,
    }


def _status_text(row: dict[str, Any]) -> str:
    """The status as an instructor needs it: what replaced a text, what to use meanwhile."""
    text = _(_STATUS.get(row["status"], row["status"]))
    if not row["competencies"]:
        text = _("{status}, no competency yet").format(status=text)
    if row["status"] == "replaced" and row["replaced_by"]:
        text = _("{status} by {what}").format(status=text, what=row["replaced_by"])
    if row["meanwhile"]:
        text = _("{status}; meanwhile use {id}").format(status=text, id=row["meanwhile"])
    return text


@click.command()
@format_option("json")
@pass_app
def diplomas(app: AppContext, fmt: str) -> None:
    """List the installed diplomas and how much of each referential is verified."""
    rows = [_summary(app, r) for r in app.registry.all()]
    if fmt == "json":
        echo_json(rows)
        return
    from rich.table import Table

    table = Table(title=_("Installed diplomas"), title_justify="left")
    school = any(row["provenance"]["school"] for row in rows)
    counts_header = _("verified / secondary / draft") + (" / " + _("school") if school else "")
    for header in (
        _("id"),
        _("diploma"),
        "RNCP",
        _("version"),
        _("status"),
        counts_header,
        _("tasks"),
    ):
        wide = header == _("diploma")
        table.add_column(
            header,
            no_wrap=header in (_("id"), "RNCP"),
            ratio=1 if wide else None,
            min_width=30 if wide else None,
        )
    for row in rows:
        p = row["provenance"]
        counts = [p["verified"], p["secondary"], p["draft"], *([p["school"]] if school else [])]
        table.add_row(
            row["id"],
            f"{row['kind']} {row['title']} ({_('level')} {row['level']})",
            row["rncp"] or "—",
            row["version"],
            _status_text(row),
            " / ".join(str(n) for n in counts),
            str(row["tasks"]),
        )
    console().print(table)


@click.group()
def referential() -> None:
    """Show and check diploma referentials."""


@referential.command("show")
@click.argument("diploma")
@format_option("json", "toml")
@pass_app
def show(app: AppContext, diploma: str, fmt: str) -> None:
    """Show the referential of DIPLOMA: blocs, competencies, épreuves, tasks."""
    ref = app.registry.get(diploma)
    if fmt == "json":
        from ep_skills.referential.codec import unstructure

        echo_json(unstructure(ref))
    elif fmt == "toml":
        from ep_skills.referential.codec import dumps_referential

        click.echo(dumps_referential(ref), nl=False)
    else:
        _print_referential(ref)


def _print_referential(ref: Any) -> None:
    from rich.text import Text
    from rich.tree import Tree

    from ep_skills.referential.provenance import effective_provenance_map

    provenance = effective_provenance_map(ref)
    marks = {
        "verified": "",
        "secondary": " [" + _("secondary") + "]",
        "draft": " [" + _("draft") + "]",
        "school": " [" + _("school") + "]",
        "authored": "",
    }

    def mark(path: str) -> str:
        return marks.get(str(provenance[path].status), "")

    root = Tree(Text(f"{ref.kind} {ref.title} — {ref.legal_source}"))
    for b, bloc in enumerate(ref.blocs):
        node = root.add(Text(f"{bloc.id} {bloc.title}{mark(f'blocs[{b}]')}"))

        def add(parent: Any, items: Any, prefix: str) -> None:
            for i, c in enumerate(items):
                here = f"{prefix}[{i}]"
                child = parent.add(Text(f"{c.code} {c.title}{mark(here)}"))
                add(child, c.children, f"{here}.children")

        add(node, bloc.competencies, f"blocs[{b}].competencies")
    exams = root.add(_("Épreuves"))
    for e, ep in enumerate(ref.epreuves):
        coef = ep.coefficient_note or (f"{ep.coefficient:g}" if ep.coefficient else "?")
        codes = ", ".join(ep.competencies)
        exams.add(
            Text(
                f"{ep.code} {ep.title} (coef. {coef}){' — ' + codes if codes else ''}"
                f"{mark(f'epreuves[{e}]')}"
            )
        )
    tasks = root.add(_("Catalogue tasks ({n})").format(n=len(ref.tasks)))
    for task in ref.tasks:
        codes = ", ".join(f"{link.code}" for link in task.competencies)
        tasks.add(Text(f"{task.id}: {task.title} → {codes}"))
    console(width=1000).print(root)  # in a pipe: one line per item, easy to grep


class _InstalledFragments(Mapping[str, Any]):
    """The fragments of the installed plugins, and those given with ``--fragment``, by id:
    what loading the referential would find. Plugins are only asked when a file includes one."""

    def __init__(self, app: AppContext, given: dict[str, Any]) -> None:
        self._app = app
        self._given = given
        self._found: dict[str, Any] | None = None

    def _all(self) -> dict[str, Any]:
        if self._found is None:
            from ep_skills.plugins.registry import Registry

            # The school's overlays do not change fragments: a registry without them.
            installed = Registry(self._app.plugin_manager).fragment_files()
            self._found = {**installed, **self._given}  # a file given wins: it is being edited
        return self._found

    def __getitem__(self, key: str) -> Any:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def _read_fragments(paths: tuple[str, ...]) -> dict[str, Any] | None:
    """The fragments given with ``--fragment`` by id; None when one cannot be read (said)."""
    from ep_skills.errors import ReferentialError
    from ep_skills.referential.codec import read_fragment

    found = {}
    for path in paths:
        try:
            fragment = read_fragment(path)
        except ReferentialError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            return None
        found[fragment.fragment.id] = fragment
    return found


@referential.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--fragment",
    "fragment_paths",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A fragment file the referentials may include, besides the installed plugins' ones.",
)
@pass_app
def check(app: AppContext, files: tuple[str, ...], fragment_paths: tuple[str, ...]) -> None:
    """Check referential TOML files; print every problem, exit 1 if any file has an error."""
    # Included fragments are resolved as loading does: among those the installed plugins
    # register, and the --fragment files.
    from ep_skills.errors import ReferentialError
    from ep_skills.referential.codec import load_referential

    given = _read_fragments(fragment_paths)
    if given is None:
        sys.exit(1)
    fragments = _InstalledFragments(app, given)
    failed = False
    for name in files:
        try:
            _ref, warnings = load_referential(name, fragments=fragments)
        except ReferentialError as exc:
            failed = True
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            continue
        for problem in warnings:
            click.echo(str(problem), err=True)
        click.echo(_("{file}: OK").format(file=name))
    if failed:
        sys.exit(1)


@referential.command("import-rncp")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--fiche", required=True, help="RNCP number of the fiche, e.g. RNCP38568.")
@click.option("--id", "diploma_id", default=None, help="Diploma id (default: from the title).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the TOML to this file (default: print it).",
)
def import_rncp(file: str, fiche: str, diploma_id: str | None, output: str | None) -> None:
    """Start a referential from France compétences' RNCP export (XML, CSV or zip)."""
    from pathlib import Path

    from ep_skills.errors import EpSkillsError
    from ep_skills.referential.codec import dumps_referential
    from ep_skills.rncp import read_fiche, skeleton

    found = read_fiche(file, fiche)
    text = dumps_referential(skeleton(found, diploma_id=diploma_id))
    if output is None:
        click.echo(text, nl=False)
        return
    target = Path(output)
    if target.exists():
        raise EpSkillsError(_("{path} already exists").format(path=output))
    target.write_text(text, encoding="utf-8")
    click.echo(
        ngettext(
            "{n} bloc of {fiche} written to {path}; complete it, then: ep-skills "
            "referential check {path}",
            "{n} blocs of {fiche} written to {path}; complete it, then: ep-skills "
            "referential check {path}",
            len(found.blocs),
        ).format(n=len(found.blocs), fiche=found.number, path=output)
    )


@click.group("plugin")
def plugin_group() -> None:
    """Tools for plugin authors."""


@plugin_group.command("new")
@click.argument("name")
@click.option("--rncp", default=None, help="RNCP number of the diploma, e.g. RNCP38568.")
@click.option(
    "--from-export",
    "export",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="RNCP export file to take the blocs from (needs --rncp).",
)
@click.option(
    "--directory",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Where to create the plugin folder.",
)
def plugin_new(name: str, rncp: str | None, export: str | None, directory: str) -> None:
    """Create a diploma plugin NAME (e.g. "CAP Ébéniste") that installs and passes its tests."""
    from ep_skills.scaffold import new_plugin

    made = new_plugin(name, directory=directory, rncp=rncp, export=export)
    click.echo(
        _("Plugin {distribution} created in {path} (diploma id: {id}).").format(
            distribution=made.distribution, path=made.directory, id=made.diploma_id
        )
    )
    click.echo(
        _('Next: pip install -e "{path}[test]" && pytest {path}').format(path=made.directory)
    )


@click.command()
@pass_app
def plugins(app: AppContext) -> None:
    """List the plugins, loaded, blocked or failed, and the hooks each implements, as JSON."""
    from ep_skills.plugins.manager import plugin_statuses

    rows = []
    for status in plugin_statuses(app.plugin_manager):
        row: dict[str, Any] = {
            "name": status.name,
            "status": status.status,
            "hooks": list(status.hooks),
            "version": status.version,
            "distribution": status.distribution,
        }
        if status.error is not None:
            row["error"] = status.error
        if status.warnings:
            row["warnings"] = list(status.warnings)
        rows.append(row)
    echo_json(rows)


def register(cli: click.Group) -> None:
    """Add this module's commands to ``cli``."""
    cli.add_command(diplomas)
    cli.add_command(referential)
    cli.add_command(plugins)
    cli.add_command(plugin_group)
