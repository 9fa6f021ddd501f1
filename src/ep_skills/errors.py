"""The library's own exceptions: everything a user can cause, caught once at the CLI edge."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from attrs import frozen

__all__ = [
    "EpSkillsError",
    "EvidenceError",
    "PluginError",
    "Problem",
    "ReferentialError",
    "Severity",
    "UnknownDiplomaError",
]


class Severity(StrEnum):
    """An error stops loading; a warning is reported and loading goes on."""

    ERROR = "error"
    WARNING = "warning"


@frozen
class Problem:
    """One problem found in a file, located as precisely as the file allows."""

    message: str
    path: str = ""
    """Key path in the document, e.g. ``blocs[2].competencies[0].code``."""
    file: str | None = None
    line: int | None = None
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = self.file or "<referential>"
        if self.line is not None:
            where += f":{self.line}"
        key = f" {self.path}:" if self.path else ""
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        return f"{where}:{key} {prefix}{self.message}"


class EpSkillsError(Exception):
    """Base of every error a user can cause; its message is meant for them."""


class EvidenceError(EpSkillsError):
    """A record or assessment refers to something that does not exist or is not allowed.

    ``field`` names the input at fault (``trainee``, ``task``, ``order``, ``level``,
    ``competencies``, ``date``, ``role``, ``autonomy``, ``minutes``, ``note``…) when one is.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ReferentialError(EpSkillsError):
    """A referential file is malformed; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class PluginError(EpSkillsError):
    """A plugin is broken or two plugins conflict."""


class UnknownDiplomaError(EpSkillsError):
    """No installed plugin provides this diploma."""

    def __init__(self, diploma_id: str, known: Sequence[str]) -> None:
        self.diploma_id = diploma_id
        self.known = tuple(known)
        from ep_skills.i18n import _

        listed = ", ".join(self.known) or "—"
        super().__init__(
            _("unknown diploma {id!r} (installed: {known})").format(id=diploma_id, known=listed)
        )
