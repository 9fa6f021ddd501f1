"""Reading a referential file's bytes, from a path or from inside an installed package."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ep_skills.errors import Problem, ReferentialError
from ep_skills.i18n import _

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["read_source"]


def read_source(source: str | Path | Traversable) -> bytes:
    """The bytes of a file or package resource; a read failure is a :class:`ReferentialError`."""
    try:
        return Path(source).read_bytes() if isinstance(source, str | Path) else source.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
        raise ReferentialError(
            [Problem(_("cannot read the file: {reason}").format(reason=reason), file=str(source))]
        ) from None
