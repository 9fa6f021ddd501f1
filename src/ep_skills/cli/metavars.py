"""The placeholders of ``--help`` (``TEXT``, ``FILE``, ``TRAINEES``…) in the user's language.

Click writes a placeholder from a parameter's type (``INTEGER``, ``FILE``, ``DATE``) or, for an
argument, from its name (``TRAINEES``), in English and outside any catalogue. Here the English
placeholder is the msgid: :func:`translate_metavars` sets each parameter's metavar to its
translation, keeping the brackets and dots click adds (``[FILE]``, ``TRAINEES...``). A choice
is left alone: it lists values (``[maitre|enseignant|tuteur|auto]``) that are typed as shown.
The usage line's ``[OPTIONS]`` and ``COMMAND [ARGS]...`` are translated the same way.
"""

from __future__ import annotations

from collections.abc import Iterator

import click

from ep_skills.i18n import _

__all__ = ["metavar_msgids", "placeholder", "translate_metavars", "type_word"]

_USAGE_ATTRIBUTES = ("options_metavar", "subcommand_metavar")


def _originals(command: click.Command) -> dict[str, str | None]:
    # The same store translate_help keeps its msgids in: the source of every translated text.
    originals: dict[str, str | None] = command.__dict__.setdefault("_ep_msgids", {})
    return originals


def _split(metavar: str) -> tuple[str, str, str]:
    """``[FILE]`` → ``("[", "FILE", "]")``, ``TRAINEES...`` → ``("", "TRAINEES", "...")``."""
    dots = "..." if metavar.endswith("...") else ""
    core = metavar.removesuffix(dots)
    if core.startswith("[") and core.endswith("]"):
        return "[", core[1:-1], "]" + dots
    return "", core, dots


def _english_metavar(command: click.Command, param: click.Parameter) -> str | None:
    """The placeholder click shows for ``param`` untranslated; None for a choice."""
    if isinstance(param.type, click.Choice) or getattr(param, "is_flag", False):
        return None
    originals = _originals(command)
    param.metavar = originals.setdefault(f"metavar:{param.name}", param.metavar)
    return param.make_metavar(click.Context(command, info_name=command.name))


def translate_metavars(command: click.Command) -> None:
    """Put the placeholders of ``command``'s help and usage line in the current language."""
    originals = _originals(command)
    for attribute in _USAGE_ATTRIBUTES:
        if isinstance(getattr(command, attribute, None), str):
            source = originals.setdefault(attribute, getattr(command, attribute))
            setattr(command, attribute, _(source) if source else source)
    for param in command.params:
        english = _english_metavar(command, param)
        if english is not None:
            before, core, after = _split(english)
            param.metavar = f"{before}{_(core)}{after}"


def placeholder(param: click.Parameter, ctx: click.Context) -> str:
    """The placeholder of ``param`` without click's brackets and dots: ``JEUNES``, ``FICHIER``."""
    return _split(param.make_metavar(ctx))[1]


def type_word(param: click.Parameter) -> str:
    """The kind of value ``param`` takes, in a word of the current language: ``entier``."""
    return _(param.type.name.upper()).lower()


def metavar_msgids(command: click.Command) -> Iterator[str]:
    """The English placeholders of ``command``, to translate (:mod:`ep_skills.i18n_extract`)."""
    originals = command.__dict__.get("_ep_msgids", {})
    for attribute in _USAGE_ATTRIBUTES:
        source = originals.get(attribute, getattr(command, attribute, None))
        if isinstance(source, str) and source:
            yield source
    for param in command.params:
        saved = param.metavar
        try:
            english = _english_metavar(command, param)
        finally:
            param.metavar = saved
        if english is not None:
            yield _split(english)[1]
            yield param.type.name.upper()
