"""Output helpers: rich tables on a terminal, plain text in pipes, JSON for scripts."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click

__all__ = [
    "command_hint",
    "console",
    "csv_writer",
    "echo_json",
    "format_option",
    "inert",
    "neutralised_output",
    "use_colour",
]

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


def command_hint() -> str:
    """How to type ``ep-skills`` here, for the commands a message suggests: the bare name when
    it is on the PATH, else the script installed beside this Python (``.venv/bin/ep-skills``
    after ``python3 dev.py demo``), so that the suggestion runs as shown."""
    if shutil.which("ep-skills"):
        return "ep-skills"
    script = shutil.which("ep-skills", path=str(Path(sys.executable).parent))
    if script is None:
        return "ep-skills"
    shown = os.path.relpath(script)
    return shlex.quote(script if shown.startswith("..") else shown)


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


# -- text at the output edge -------------------------------------------------------------------

# What a terminal may receive: colours (SGR), and the few cursor moves rich's progress bar uses.
_ALLOWED = re.compile(r"\x1b\[\??[0-9;]*[mKAGlh]")
# Everything else that drives a terminal: escape sequences (a window title, the clipboard…) and
# C0/C1 control characters other than tab, newline and carriage return.
_CONTROL = re.compile(r"\x1b\[\??[0-9;]*[mKAGlh]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _neutralise(text: str, terminal: bool) -> str:
    if not _CONTROL.search(text):
        return text  # the usual case, one scan

    def replace(match: re.Match[str]) -> str:
        found = match.group()
        return found if terminal and _ALLOWED.fullmatch(found) else "\N{REPLACEMENT CHARACTER}"

    return _CONTROL.sub(replace, text)


class _Neutralising:
    """A text stream that lets no escape sequence of the user's text reach the terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        try:
            self._terminal = stream.isatty()
        except (AttributeError, ValueError):
            self._terminal = False

    def write(self, text: str) -> int:
        self._stream.write(_neutralise(text, self._terminal))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def neutralised_output() -> Iterator[None]:
    """For the length of a command: names, notes and labels printed on stdout and stderr carry
    no control or escape character of their own (a window title, a cleared screen…)."""
    saved = sys.stdout, sys.stderr
    sys.stdout = _Neutralising(sys.stdout)
    sys.stderr = _Neutralising(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


_NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")


def inert(cell: object) -> object:
    """A CSV cell a spreadsheet will show, never run: text starting with = + - @ or a control
    character gets a leading apostrophe (as the XLSX export stores text as text)."""
    risky = isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r", "|")
    if risky and not _NUMBER.fullmatch(str(cell)):
        return "'" + str(cell)
    return cell


class _InertWriter:
    def __init__(self, stream: TextIO) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([inert(cell) for cell in row])


def csv_writer(stream: TextIO | None = None) -> _InertWriter:
    """A CSV writer whose cells cannot be run as formulas by a spreadsheet."""
    return _InertWriter(stream or sys.stdout)
