"""Message translation: English in the code, gettext ``.po`` catalogues in the package.

The library marks user-facing messages with :func:`_`. The command line picks the language
once (``--lang``, else the locale) with :func:`set_language`; a library user gets English
unless they ask. Catalogues are read straight from ``ep_skills/locale/<lang>.po`` (a small,
well-known format that translators' tools edit), so there is no compiled file to keep in sync.
Click's own messages (usage errors, ``--help`` headings) go through the same catalogue.
"""

from __future__ import annotations

import locale
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import cache
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "N_",
    "_",
    "catalogue",
    "current_language",
    "detect_language",
    "format_day",
    "ngettext",
    "parse_po",
    "set_language",
    "using_language",
]

LANGUAGES = ("fr", "en")
_catalogue: dict[str, str] = {}
_language = "en"
# A language asked for one piece of work (an explanation in French for one request of a web
# server) lives in a context variable: each thread or task has its own, and the process's
# language (set_language) stays as it was.
_OVERRIDE: ContextVar[tuple[str, dict[str, str]] | None] = ContextVar(
    "ep_skills_language", default=None
)


def _unquote(quoted: str) -> str:
    # Most strings have no escape: slicing them is what makes reading the catalogue at each
    # start cheap; the others are Python-compatible C escapes.
    if "\\" not in quoted and quoted.count('"') == 2:
        return quoted[1:-1]
    import ast

    return str(ast.literal_eval(quoted))


def parse_po(text: str) -> dict[str, str]:
    """The ``msgid → msgstr`` pairs of a ``.po`` file (plural forms: ``msgid\\0plural``)."""
    entries: dict[str, str] = {}
    fields: dict[str, str] = {}
    current: str | None = None

    def flush() -> None:
        msgid = fields.get("msgid")
        if msgid:
            if "msgid_plural" in fields:
                key = f"{msgid}\0{fields['msgid_plural']}"
                entries[key] = f"{fields.get('msgstr[0]', '')}\0{fields.get('msgstr[1]', '')}"
            elif fields.get("msgstr"):
                entries[msgid] = fields["msgstr"]
        fields.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            if not line and fields:
                flush()
                current = None
            continue
        if line.startswith('"'):
            if current is not None:
                fields[current] += _unquote(line)
            continue
        keyword, _space, value = line.partition(" ")
        if keyword == "msgid" and "msgid" in fields and "msgstr" in fields:
            flush()
        current = keyword
        fields[keyword] = _unquote(value)
    flush()
    return entries


@cache
def catalogue(language: str) -> dict[str, str]:
    """The translations shipped for ``language`` (empty for the source language)."""
    resource = Path(__file__).parent / "locale" / f"{language}.po"
    try:
        return parse_po(resource.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def set_language(language: str) -> None:
    """Translate messages into ``language`` (``fr`` or ``en``) from now on."""
    global _catalogue, _language
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; choose one of {LANGUAGES}")
    _language = language
    # Messages are written in English: the English catalogue is the identity, skip reading it.
    _catalogue = {} if language == "en" else catalogue(language)


def current_language() -> str:
    """The language messages are translated into (here, in this thread or task)."""
    override = _OVERRIDE.get()
    return override[0] if override is not None else _language


@contextmanager
def using_language(language: str | None) -> Iterator[None]:
    """Translate into ``language`` inside the ``with`` block, in this thread or task only
    (None: the current language). Other threads, and this one afterwards, are unchanged."""
    if language is None:
        yield
        return
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; choose one of {LANGUAGES}")
    token = _OVERRIDE.set((language, {} if language == "en" else catalogue(language)))
    try:
        yield
    finally:
        _OVERRIDE.reset(token)


def _active() -> tuple[str, dict[str, str]]:
    override = _OVERRIDE.get()
    return override if override is not None else (_language, _catalogue)


def detect_language() -> str:
    """``fr`` when the user's locale is French, ``en`` otherwise (LC_ALL > LC_MESSAGES > LANG)."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(variable)
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    code = locale.getlocale()[0] or ""
    return "fr" if code.lower().startswith("fr") else "en"


def format_day(day: date | None) -> str:
    """A date as the user writes it: 20/11/2026 in French, 2026-11-20 in English."""
    if day is None:
        return ""
    return day.strftime("%d/%m/%Y") if _active()[0] == "fr" else day.isoformat()


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined; translate it later with ``_``."""
    return message


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return _active()[1].get(message) or message


def ngettext(singular: str, plural: str, count: int) -> str:
    """Translate a message whose form depends on ``count``."""
    language, messages = _active()
    found = messages.get(f"{singular}\0{plural}")
    # French uses the singular for 0 and 1 (« 0 évaluation »), English for 1 only.
    one_form = count in (0, 1) if language == "fr" else count == 1
    if found:
        one, _sep, many = found.partition("\0")
        return (one if one_form else many) or (singular if one_form else plural)
    return singular if one_form else plural
