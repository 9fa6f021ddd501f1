"""``case``: a diploma's referential as a 1EdTech CASE 1.1 package (JSON), and back to TOML.

The maintainer wires :data:`case` under ``ep-skills exchange``: ``ep-skills exchange case
export DIPLOMA`` and ``ep-skills exchange case import FILE``. The format itself is in
:mod:`ep_skills.exchange.case`.
"""

from __future__ import annotations

import json
from typing import Any

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.i18n import _

__all__ = ["case"]


@click.group("case")
def case() -> None:
    """Share referentials as 1EdTech CASE 1.1 packages (CFPackage JSON)."""


@case.command("export")
@click.argument("diploma")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="JSON file to write (default: print the package).",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@click.option(
    "--base-uri",
    metavar="URL",
    help="Base URL of the CASE server that will publish it (default: urn:uuid: URIs).",
)
@pass_app
def case_export(
    app: AppContext, diploma: str, out: str | None, force: bool, base_uri: str | None
) -> None:
    """Write the referential of DIPLOMA as a CASE 1.1 package: the diploma, its blocs,
    competencies and épreuves, with identifiers that stay the same at each export."""
    import attrs

    from ep_skills.exchange.case import export_case
    from ep_skills.outputs import check_target, replacing

    if base_uri is not None and not base_uri.startswith(("https://", "http://")):
        from ep_skills.errors import InvalidValueError

        raise InvalidValueError(
            _("--base-uri must be a web address (https://…), not {value!r}").format(value=base_uri),
            field="base_uri",
        )
    if out is not None:
        check_target(out, force=force)  # before the work, not only at the end
    # The registry merges the included fragments' blocs: the package holds them itself.
    referential = attrs.evolve(app.registry.get(diploma), include=())
    package = export_case(referential, base_uri=base_uri)
    text = json.dumps(package, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    # A referential is public: the file is readable by all, as the school's umask says.
    with replacing(out, force=force, private=False) as scratch:
        scratch.write_text(text, encoding="utf-8")
    click.echo(
        _(
            "CASE package of {diploma} written to {file}: {items} items, {links} associations."
        ).format(
            diploma=diploma,
            file=out,
            items=len(package["CFItems"]),
            links=len(package["CFAssociations"]),
        )
    )


@case.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="TOML file to write, e.g. in a plugin's referentials/ folder (default: print it).",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@click.option("--id", "diploma_id", metavar="ID", help="Id to give the diploma.")
def case_import(file: str, out: str | None, force: bool, diploma_id: str | None) -> None:
    """Read the CASE 1.1 package FILE and write the referential it describes as TOML,
    checked as the plugins' referentials are."""
    from ep_skills.exchange.case import import_case
    from ep_skills.outputs import check_target, replacing
    from ep_skills.referential.codec import dumps_referential

    if out is not None:
        check_target(out, force=force)
    referential = import_case(_read_json(file), diploma_id=diploma_id, name=file)
    text = dumps_referential(referential)
    if out is None:
        click.echo(text, nl=False)
        return
    with replacing(out, force=force, private=False) as scratch:
        scratch.write_text(text, encoding="utf-8")
    click.echo(
        _(
            "Referential {id} written to {file}: {blocs} blocs, {competencies} competencies, "
            "{epreuves} épreuves."
        ).format(
            id=referential.id,
            file=out,
            blocs=len(referential.blocs),
            competencies=len(referential.all_competencies()),
            epreuves=len(referential.epreuves),
        )
    )


def _read_json(file: str) -> Any:
    """The JSON document in ``file``; every failure is one message naming the file."""
    from ep_skills.errors import InvalidValueError
    from ep_skills.importing import read_bytes

    raw = read_bytes(file, 64 * 1024 * 1024)
    try:
        return json.loads(raw.decode("utf-8-sig"))  # a byte order mark, as some editors add
    except UnicodeDecodeError:
        raise InvalidValueError(
            _("{file} is not UTF-8 text: save it as UTF-8").format(file=file),
            field="file",
            value=file,
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidValueError(
            _("{file}, line {line}: not valid JSON ({error})").format(
                file=file, line=exc.lineno, error=exc.msg
            ),
            field="file",
            value=file,
        ) from None
    except RecursionError:
        raise InvalidValueError(
            _("{file}: nested too deeply to be a CASE package").format(file=file),
            field="file",
            value=file,
        ) from None
