"""Find the line of a key path (``blocs[2].competencies[0].code``) in TOML text.

tomllib keeps no positions, so this reads the text's table headers and keys the way a
person would. It handles ``[[arrays.of.tables]]``, ``[tables]`` and ``key = value`` lines;
for anything deeper (inline tables, multi-line arrays) it answers the line of the nearest
enclosing key it knows.
"""

from __future__ import annotations

import re
import tomllib
from typing import TYPE_CHECKING

import attrs

from ep_skills.referential.settings import path_key

if TYPE_CHECKING:
    from ep_skills.referential.model import Fragment

__all__ = ["FragmentFile", "KeyLocator"]

_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_BARE_OR_QUOTED = r"""(?:[A-Za-z0-9_\-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_KEY_RE = re.compile(rf"^\s*({_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*=")
_SEGMENT_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _split_key(key: str) -> list[str]:
    if '"' not in key and "'" not in key:
        return [part.strip() for part in key.split(".")]
    # Quoted parts may hold dots, escapes, anything: let tomllib read them, as it reads the
    # document, and show them as problems do (quoted when empty or unprintable).
    try:
        table = tomllib.loads(f"{key} = 0")
    except tomllib.TOMLDecodeError:
        return [part.strip().strip("\"'") for part in key.split(".")]
    parts = []
    while isinstance(table, dict) and table:
        name = next(iter(table))
        parts.append(path_key(name))
        table = table[name]
    return parts


class KeyLocator:
    """Maps concrete key paths of a TOML document to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self._lines: dict[str, int] = {}
        counters: dict[str, int] = {}
        last_index: dict[str, int] = {}
        current = ""
        open_quote: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if open_quote is not None:
                # Inside a multi-line string: only its closing quotes matter.
                if line.count(open_quote) % 2 == 1:
                    open_quote = None
                continue
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    open_quote = quote
                    break
            header = _HEADER_RE.match(line)
            if header and not _KEY_RE.match(line):
                is_array = header.group(1) == "[["
                keys = _split_key(header.group(2))
                concrete = ""
                for i, key in enumerate(keys):
                    path = f"{concrete}.{key}" if concrete else key
                    last = i == len(keys) - 1
                    if last and is_array:
                        index = counters.get(path, 0)
                        counters[path] = index + 1
                        last_index[path] = index
                        path = f"{path}[{index}]"
                        # A new element starts fresh counters for its own sub-arrays.
                        for known in [k for k in counters if k.startswith(path + ".")]:
                            del counters[known]
                    elif path in last_index:
                        path = f"{path}[{last_index[path]}]"
                    concrete = path
                current = concrete
                self._lines.setdefault(current, number)
                continue
            assignment = _KEY_RE.match(line)
            if assignment:
                path = ".".join(filter(None, [current, *_split_key(assignment.group(1))]))
                self._lines.setdefault(path, number)

    def line_of(self, path: str) -> int | None:
        """The line of ``path``, or of its nearest known ancestor; None for the root."""
        parts = [m.group(0) for m in _SEGMENT_RE.finditer(path)]
        while parts:
            candidate = "".join(p if p.startswith("[") else f".{p}" for p in parts).lstrip(".")
            if candidate in self._lines:
                return self._lines[candidate]
            parts.pop()
        return None


@attrs.frozen
class FragmentFile:
    """A shared bloc fragment with the name and text of its file, so that a problem found in
    it, when a referential that includes it is checked, names the file and the line.

    It lives here, not in the codec, so that the registry builds one from a cached fragment
    without importing the TOML machinery.
    """

    fragment: Fragment
    file: str
    text: str
