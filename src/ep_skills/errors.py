"""The library's own exceptions: everything a user can cause, caught once at the CLI edge."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from attrs import frozen

__all__ = [
    "AlreadyExistsError",
    "ConflictError",
    "EpSkillsError",
    "EvidenceError",
    "InvalidValueError",
    "JournalUnavailableError",
    "NotFoundError",
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
    """Base of every error a user can cause; its message is meant for them.

    ``field`` names the input at fault (``trainee``, ``task``, ``order``, ``level``,
    ``competencies``, ``date``, ``role``, ``autonomy``, ``minutes``, ``note``…) when one is, and
    ``value`` is the value given for it, so that a program can answer without parsing the
    message (a web API: 404 for :class:`NotFoundError`, 409 for :class:`AlreadyExistsError` and
    :class:`ConflictError`, 422 for :class:`InvalidValueError`, 503 for
    :class:`JournalUnavailableError`).
    """

    def __init__(
        self, message: str = "", *, field: str | None = None, value: object = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class EvidenceError(EpSkillsError):
    """The journal refused a request: the base of the four errors below.

    Catch this one to catch them all; catch one of its subclasses to answer each differently.
    """


class NotFoundError(EvidenceError):
    """The trainee, order, task, competency, record, assessment or import named does not
    exist (« inconnu »). The message suggests close names when there are some."""


class AlreadyExistsError(EvidenceError):
    """What is being added exists already: a trainee's name or external id, an order's
    reference."""


class InvalidValueError(EvidenceError):
    """A value is of the wrong type, out of range, not allowed here, or the request is
    incomplete (no trainee named, no competency assessed…)."""


class ConflictError(EvidenceError):
    """The request contradicts what the journal holds: a name that several trainees share, an
    entry already withdrawn, rows of an import already there with another level."""


class JournalUnavailableError(EpSkillsError):
    """The journal cannot be used: its file is missing, locked, read-only, damaged or not a
    journal, or it is in memory and used from another thread."""


class ReferentialError(EpSkillsError):
    """A referential file is malformed; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class PluginError(EpSkillsError):
    """A plugin is broken, answered a hook wrongly, or conflicts with another; ``plugin``
    names it when it is known."""

    def __init__(
        self,
        message: str = "",
        *,
        plugin: str | None = None,
        field: str | None = None,
        value: object = None,
    ) -> None:
        super().__init__(message, field=field, value=value)
        self.plugin = plugin


class UnknownDiplomaError(NotFoundError):
    """No installed plugin provides this diploma."""

    def __init__(self, diploma_id: str, known: Sequence[str]) -> None:
        self.diploma_id = diploma_id
        self.known = tuple(known)
        from ep_skills.i18n import _

        listed = ", ".join(self.known) or "—"
        super().__init__(
            _("unknown diploma {id!r} (installed: {known})").format(id=diploma_id, known=listed),
            field="diploma",
            value=diploma_id,
        )
