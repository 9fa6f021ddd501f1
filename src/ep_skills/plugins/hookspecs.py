"""The hooks a plugin can implement. Each is documented in ``docs/hooks.md``.

Markers, plugin manager and entry-point group share one name: ``ep_skills``. "Contribute
things" hooks receive a ``register`` callback and return nothing, so every plugin adds to the
pile; none of them is ``firstresult``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import pluggy

from ep_skills.referential.model import CatalogueTask, Referential
from ep_skills.referential.settings import CalculationSettings

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    import click

    from ep_skills.engine.methods import Method
    from ep_skills.journal.model import Correction, TaskRecord

__all__ = [
    "ReferentialSource",
    "hookimpl",
    "hookspec",
]

PROJECT = "ep_skills"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

# A string: importlib.resources costs 10 ms to import, and only type checkers need it here.
ReferentialSource: TypeAlias = "Referential | Path | Traversable"
"""A parsed referential, or a TOML file: a path, or a resource inside a plugin package."""


@hookspec
def ep_skills_register_referentials(register: Callable[[ReferentialSource], None]) -> None:
    """Register the diploma referentials this plugin provides.

    :param register: call it once per referential, with a parsed :class:`Referential` or the
        location of its TOML file; use ``importlib.resources.files(__name__) / "x.toml"`` so
        that the file is found in an installed wheel.
    """


@hookspec
def ep_skills_register_fragments(register: Callable[[Path | Traversable], None]) -> None:
    """Register shared bloc fragments that referentials can ``include``.

    :param register: call it once per fragment TOML file (see :class:`Fragment`).
    """


@hookspec
def ep_skills_register_task_catalogues(
    register: Callable[[str, Sequence[CatalogueTask]], None],
) -> None:
    """Add catalogue tasks to a diploma that another plugin (or this one) provides.

    :param register: call it with the diploma id and the tasks to add; their ids must not
        clash with the referential's own tasks.
    """


@hookspec
def ep_skills_calculation_settings(diploma_id: str) -> CalculationSettings | None:
    """Return calculation settings for a diploma, or None to leave it alone.

    Answers are layered in registration order over the library's defaults and the
    referential's own ``[settings]``; a school's configuration file comes last.

    :param diploma_id: the id of the diploma being computed.
    """


@hookspec
def ep_skills_register_methods(register: Callable[[str, Method], None]) -> None:
    """Register calculation methods that combine assessments into a score.

    :param register: call it with the method's name and a function
        ``(values, weights) -> float`` taking the scoring values oldest first and
        each one's assessor-role weight.
    """


@hookspec
def ep_skills_validate_evidence(
    record: TaskRecord, referential: Referential, correction: Correction | None
) -> Iterable[str] | None:
    """Check evidence before it is written; return problems as messages, or None.

    Called for every new task record, and for every correction and withdrawal, so that a rule
    cannot be bypassed by correcting an entry. Any message rejects the write and nothing is
    written. A plugin may leave out parameters it does not use (``correction`` included).

    :param record: the task record about to be written, with its assessments; for a
        correction, the corrected entry as it will stand (one trainee, one assessment at its
        new level; for a withdrawal, at its current level).
    :param referential: the referential of the trainees' diploma.
    :param correction: None for a new record; for a correction or a withdrawal, the entry
        as it stands and its new level (``correction.withdraw`` tells a withdrawal).
    """


@hookspec
def ep_skills_register_commands(cli: click.Group) -> None:
    """Add commands to the ``ep-skills`` command line.

    :param cli: the top-level click group; call ``cli.add_command(...)`` or use
        ``@cli.command()``.
    """
