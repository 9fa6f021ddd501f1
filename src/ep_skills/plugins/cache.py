"""A cache of parsed referentials, so that the command line does not re-parse every TOML file.

Parsing and checking a referential costs tens of milliseconds; a command line started many
times a day at the bench should not pay that for every installed diploma at every start. The
cache is keyed by the file's bytes, the ep-skills version and the shape of the model classes,
so any change to one of them is a miss. It lives in ``$EP_SKILLS_CACHE_DIR`` (default: the
user's cache folder); when that folder cannot be written the cache is simply not used.
``EP_SKILLS_CACHE_DIR=off`` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

__all__ = ["cache_dir", "cached"]

T = TypeVar("T")
_VERSION = "2"  # 2: referentials checked by the stricter rules of 0.2 (values, codes, depth)


def cache_dir() -> Path | None:
    """Where parsed referentials are kept, or None when caching is off."""
    configured = os.environ.get("EP_SKILLS_CACHE_DIR")
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ep-skills"


@cache
def _model_shape() -> bytes:
    """The fields of every model class: a cached object of another shape must not be read."""
    import attrs

    from ep_skills.referential import model, settings

    shape = []
    for module in (model, settings):
        for name in sorted(vars(module)):
            value = getattr(module, name)
            if isinstance(value, type) and attrs.has(value):
                shape.append(f"{name}:{','.join(f.name for f in attrs.fields(value))}")
    return ";".join(shape).encode()


def cached(kind: str, raw: bytes, build: Callable[[], T]) -> T:
    """``build()``'s result for these bytes, from the cache when it has it."""
    from ep_skills import __version__

    folder = cache_dir()
    if folder is None:
        return build()
    key = hashlib.sha256(
        b"\0".join([kind.encode(), __version__.encode(), _VERSION.encode(), _model_shape(), raw])
    ).hexdigest()
    path = folder / f"{kind}-{key[:32]}.pickle"
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)  # type: ignore[no-any-return]
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError):
        pass
    value = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        partial.replace(path)  # atomic: a concurrent reader sees all of it or nothing
    except OSError:
        pass
    return value
