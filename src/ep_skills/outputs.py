"""Writing files the user names (a template, a report): never replacing one by accident.

One rule for every command that writes a file: an existing file is replaced only when the user
says so (``--force``), a special file (a device, a FIFO, a directory) never; the new content is
written to a temporary file in the same folder and moved into place at the end, so that an
interrupted write leaves the old file whole and never a half-written one. Files that hold
trainees' data are created readable by their owner only (and the group, when the school
configures a umask that lets it).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ep_skills.errors import EpSkillsError
from ep_skills.i18n import _

__all__ = ["OutputError", "check_target", "replacing"]


class OutputError(EpSkillsError):
    """A file cannot be written where the user asked."""


def check_target(path: str | Path, *, force: bool = False) -> Path:
    """The path, if a new file may be written there.

    :raises OutputError: the path is a folder or a special file, or an existing file and
        ``force`` was not given.
    """
    target = Path(path)
    try:
        found = target.lstat()
    except FileNotFoundError:
        if not target.parent.is_dir():
            raise OutputError(
                _("cannot write {file}: the folder {folder} does not exist").format(
                    file=target, folder=target.parent
                )
            ) from None
        return target
    except OSError as exc:
        raise OutputError(
            _("cannot write {file}: {reason}").format(file=target, reason=exc.strerror or exc)
        ) from None
    if not stat.S_ISREG(found.st_mode):
        raise OutputError(
            _("{file} is not a regular file: ep-skills never writes over it").format(file=target)
        )
    if not found.st_mode & 0o222 or found.st_uid != os.getuid():
        # Read-only, or someone else's: not ours to replace, even with --force (as root too).
        raise OutputError(
            _(
                "{file} is read-only or belongs to another user: ep-skills does not replace it"
            ).format(file=target)
        )
    if not force:
        raise OutputError(
            _("{file} already exists: choose another name, or add --force to replace it").format(
                file=target
            )
        )
    return target


@contextmanager
def replacing(path: str | Path, *, force: bool = False, private: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` in one step.

    :param private: create the file readable by its owner only (trainees' data).
    :raises OutputError: see :func:`check_target`; also when the file cannot be written.
    """
    target = check_target(path, force=force)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or Path("."))
    os.close(handle)  # mkstemp creates it 0600: readable by its owner only
    scratch = Path(name)
    try:
        yield scratch
        if not private:
            scratch.chmod(0o666 & ~_umask())
        # Checked again at the end: the target may have appeared meanwhile.
        check_target(target, force=force)
        os.replace(scratch, target)
    except OSError as exc:
        raise OutputError(
            _("cannot write {file}: {reason}").format(file=target, reason=exc.strerror or exc)
        ) from None
    finally:
        scratch.unlink(missing_ok=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
