"""Generate the reference parts of ``docs/`` from the code, so that they cannot drift.

``python -m ep_skills.docgen`` rewrites ``docs/cli.md`` and its French twin ``docs/cli.fr.md``
(every command, its arguments and options, from click and the message catalogue),
``docs/referential-fields.md`` (every TOML key of a referential, from the attrs classes and the
docstrings under their fields) and ``docs/schema/*.json`` (the JSON Schema of each documented
JSON form, from :mod:`ep_skills.forms`). The test suite fails when the files in ``docs/``
differ from what this module generates.
"""

from __future__ import annotations

import functools
import inspect
import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path

import attrs
import click

from ep_skills import forms

__all__ = ["GENERATED", "cli_reference", "fields_reference", "main", "schema_files"]

DOCS = Path(__file__).resolve().parents[2] / "docs"


# -- CLI -----------------------------------------------------------------------------------

# The reference exists in English (cli.md) and French (cli.fr.md): the commands' help texts and
# placeholders come from the message catalogue, these few words of the page itself from here.
_CLI_WORDS = {
    "en": {
        "columns": "| parameter | type | meaning |",
        "argument": "argument",
        "flag": "flag",
        "default": " (default: `{default}`)",
        "repeatable": " Repeatable.",
        "required": " Required.",
    },
    "fr": {
        "columns": "| paramètre | type | rôle |",
        "argument": "argument",
        "flag": "sans valeur",
        "default": " (par défaut : `{default}`)",
        "repeatable": " Répétable.",
        "required": " Obligatoire.",
    },
}

_CLI_HEADERS = {
    "en": [
        "# Command-line reference",
        "",
        "Generated from the code by `python -m ep_skills.docgen`; a test fails when it is out",
        "of date. Every command also answers `--help`, in French with `--lang fr` or a French",
        "locale; this reference is also [in French](cli.fr.md). For a walk through a day at the",
        "workshop, see [une journée à l'atelier](guide-atelier.md).",
        "",
        "**Files the commands write.** No command replaces an existing file unless told to with",
        "`--force` (`import --template`, `report -o`), and none ever writes over a folder, a",
        "device, a FIFO, a read-only file or another user's file, even with `--force`. A file",
        "is written to a temporary file beside it and moved into place at the end, so an",
        "interrupted command leaves the old file whole; reports and journals, which hold",
        "minors' data, are created readable by their owner only.",
        "",
        "**Numbers.** *enregistrement n° 14* is a task record (all its trainees), *évaluation",
        "n° 59* one trainee's level on one competency, *import n° 3* one import; each command",
        "that takes a number says which kind (`correct 59`, `correct --record 14`,",
        "`withdraw --import 3`).",
        "",
    ],
    "fr": [
        "# Référence de la ligne de commande",
        "",
        "Générée à partir du code par `python -m ep_skills.docgen` ; un test échoue quand elle",
        "n'est plus à jour. Chaque commande répond aussi à `--help`, en français avec",
        "`--lang fr` ou des paramètres régionaux français ; cette référence existe aussi",
        "[en anglais](cli.md). Pour le déroulé d'une journée, voir",
        "[une journée à l'atelier](guide-atelier.md).",
        "",
        "**Fichiers écrits par les commandes.** Aucune commande ne remplace un fichier existant",
        "sans `--force` (`import --template`, `report -o`), et aucune n'écrit jamais sur un",
        "dossier, un périphérique, une FIFO, un fichier en lecture seule ou le fichier d'un",
        "autre utilisateur, même avec `--force`. Un fichier est écrit dans un fichier",
        "temporaire à côté, puis mis en place à la fin : une commande interrompue laisse",
        "l'ancien fichier entier. Les livrets et les journaux, qui contiennent des données de",
        "mineurs, ne sont lisibles que par leur propriétaire.",
        "",
        "**Numéros.** *enregistrement n° 14* désigne l'enregistrement d'une tâche (tous ses",
        "jeunes), *évaluation n° 59* le niveau d'un jeune sur une compétence, *import n° 3* un",
        "import ; chaque commande qui prend un numéro dit duquel il s'agit (`correct 59`,",
        "`correct --record 14`, `withdraw --import 3`).",
        "",
    ],
}


def _usage(command: click.Command, path: str) -> str:
    ctx = click.Context(command, info_name=path)
    pieces = command.collect_usage_pieces(ctx)
    return f"{path} {' '.join(pieces)}".strip()


def _param_row(
    param: click.Parameter, ctx: click.Context, words: dict[str, str]
) -> tuple[str, str, str] | None:
    from ep_skills.cli.metavars import placeholder, type_word

    if isinstance(param, click.Argument):
        return (f"`{placeholder(param, ctx)}`", words["argument"], "")
    if not isinstance(param, click.Option):
        return None
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    if isinstance(param.type, click.Choice):
        kind = " \\| ".join(str(c) for c in param.type.choices)
    elif param.is_flag:
        kind = words["flag"]
    else:
        kind = type_word(param)
    help_text = (param.help or "").replace("|", "\\|")
    if param.show_default and param.default not in (None, False, ()):
        help_text += words["default"].format(default=param.default)
    if param.multiple:
        help_text += words["repeatable"]
    if param.required:
        help_text += words["required"]
    return (names, kind, help_text)


def _command_section(
    command: click.Command, path: str, level: int, words: dict[str, str]
) -> list[str]:
    lines = [f"{'#' * level} `{path}`", ""]
    if command.help:
        lines += [inspect.cleandoc(command.help), ""]
    lines += ["```", _usage(command, path), "```", ""]
    ctx = click.Context(command, info_name=path)
    rows = [row for param in command.params if (row := _param_row(param, ctx, words))]
    if rows:
        lines += [words["columns"], "|---|---|---|"]
        lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
        lines.append("")
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            lines += _command_section(command.commands[name], f"{path} {name}", level + 1, words)
    return lines


def cli_reference(language: str = "en") -> str:
    """The CLI reference as Markdown, in ``language`` (``en``: cli.md, ``fr``: cli.fr.md)."""
    from ep_skills.cli.app import cli, translate_help
    from ep_skills.i18n import current_language, set_language

    before = current_language()
    set_language(language)
    try:
        translate_help(cli)
        lines = _CLI_HEADERS[language] + _command_section(cli, "ep-skills", 2, _CLI_WORDS[language])
    finally:
        # The command tree is shared: leave it, and the language, as they were.
        set_language(before)
        translate_help(cli)
    return "\n".join(lines).rstrip() + "\n"


# -- referential fields --------------------------------------------------------------------


_field_docs = forms.field_docs


def _type_name(tp: object) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(names) + (" (optional)" if type(None) in args else "")
    if origin is tuple:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"table of {_type_name(args[1])}"
    if isinstance(tp, type):
        if attrs.has(tp):
            return f"[{tp.__name__}](#{tp.__name__.lower()})"
        from enum import Enum

        if issubclass(tp, Enum):
            return " \\| ".join(f'`"{m.value}"`' for m in tp)
        return {
            "str": "string",
            "int": "integer",
            "float": "number",
            "bool": "boolean",
            "date": "date",
        }.get(tp.__name__, tp.__name__)
    return str(tp)


def _class_section(cls: type) -> list[str]:
    doc = inspect.getdoc(cls) or ""
    lines = [
        f"### {cls.__name__}",
        "",
        doc,
        "",
        "| key | type | required | meaning |",
        "|---|---|---|---|",
    ]
    docs = _field_docs(cls)
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        required = "yes" if field.default is attrs.NOTHING else "no"
        meaning = docs.get(field.name, "").replace("|", "\\|")
        lines.append(
            f"| `{field.name}` | {_type_name(hints[field.name])} | {required} | {meaning} |"
        )
    return [*lines, ""]


def fields_reference() -> str:
    """Every key of the referential TOML format, as Markdown."""
    from ep_skills.engine.layers import SchoolConfig
    from ep_skills.referential import model, settings

    classes = [
        model.Referential,
        model.Provenance,
        model.Source,
        model.RncpRegistration,
        model.Activity,
        model.ActivityTask,
        model.Bloc,
        model.Competency,
        model.Savoir,
        model.Epreuve,
        model.Situation,
        model.CatalogueTask,
        model.TaskCompetency,
        model.Context,
        settings.Scale,
        settings.Level,
        settings.AcquisitionState,
        settings.CalculationSettings,
        settings.Coverage,
        model.Fragment,
        SchoolConfig,
    ]
    lines = [
        "# Referential file: every key",
        "",
        "Generated from the model classes by `python -m ep_skills.docgen`; a test fails when",
        "it is out of date. The narrative guide with a complete example is",
        "[referential-format.md](referential-format.md). Unknown keys are errors.",
        "",
    ]
    for cls in classes:
        lines += _class_section(cls)
    return "\n".join(lines).rstrip() + "\n"


# -- JSON Schema of the JSON forms -----------------------------------------------------------


def schema_files() -> dict[str, Callable[[], str]]:
    """``schema/<form>.json`` → its builder, for every documented form (:data:`forms.FORMS`)."""
    return {
        f"schema/{name}.json": functools.partial(forms.schema_text, name) for name in forms.FORMS
    }


GENERATED: dict[str, Callable[[], str]] = {
    "cli.md": cli_reference,
    "cli.fr.md": functools.partial(cli_reference, "fr"),
    "referential-fields.md": fields_reference,
    **schema_files(),
}
"""Each generated file (a path under ``docs/``) and the function that builds its text."""


def main() -> int:
    """Rewrite the generated files in ``docs/``, and remove schema files of no form."""
    for name, build in GENERATED.items():
        path = DOCS / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(build(), encoding="utf-8")
        print(f"wrote docs/{name}")
    for path in sorted((DOCS / "schema").glob("*.json")):
        if f"schema/{path.name}" not in GENERATED:
            path.unlink()
            print(f"removed docs/schema/{path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
