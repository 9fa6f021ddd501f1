"""Output helpers: rich tables on a terminal, plain text in pipes, JSON for scripts."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["console", "echo_json", "format_option", "use_colour"]

FC = TypeVar("FC", bound=Callable[..., Any])


def use_colour() -> bool:
    """Colours only on a terminal and when ``NO_COLOR`` is not set."""
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


def console(width: int | None = None) -> Any:
    """A rich console writing to click's current stdout (so CliRunner captures it).

    :param width: the width to use when not on a terminal (default 140 columns).
    """
    from rich.console import Console

    stream = sys.stdout  # CliRunner swaps it, so tests capture rich output too
    colour = use_colour()
    return Console(
        file=stream,
        no_color=not colour,
        highlight=False,
        # Names, titles and notes are the user's text: « [école] » or « [b]x » stay literal.
        markup=False,
        soft_wrap=False,
        force_terminal=colour,
        width=None if colour else (width or 140),
    )


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON, keeping accents readable."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def format_option(*choices: str) -> Callable[[FC], FC]:
    """The ``--format`` option of a listing command: ``text`` first, then ``choices``."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(("text", *choices)),
        default="text",
        show_default=True,
        help="Output format.",
    )
