"""Message translation: English in the code, French (and English) catalogues in the package.

The library marks user-facing messages with :func:`_`. The CLI picks the language once
(``--lang``, else the locale) with :func:`set_language`; a library user gets English unless
they ask. Catalogues are gettext ``.po`` files under ``ep_skills/locale``, compiled to ``.mo``.
"""

from __future__ import annotations

import gettext
import locale
import os
from importlib.resources import files

__all__ = ["LANGUAGES", "_", "current_language", "detect_language", "ngettext", "set_language"]

LANGUAGES = ("fr", "en")
_DOMAIN = "ep_skills"
_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def _load(language: str) -> gettext.NullTranslations:
    mo = files("ep_skills") / "locale" / language / "LC_MESSAGES" / f"{_DOMAIN}.mo"
    try:
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    except FileNotFoundError:
        return gettext.NullTranslations()


def set_language(language: str) -> None:
    """Translate messages into ``language`` (``fr`` or ``en``) from now on."""
    global _translation, _language
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; choose one of {LANGUAGES}")
    _language = language
    _translation = _load(language)


def current_language() -> str:
    """The language messages are translated into."""
    return _language


def detect_language() -> str:
    """``fr`` when the user's locale is French, ``en`` otherwise (LC_ALL > LC_MESSAGES > LANG)."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(variable)
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    code = locale.getlocale()[0] or ""
    return "fr" if code.lower().startswith("fr") else "en"


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """Translate a message whose form depends on ``count``."""
    return _translation.ngettext(singular, plural, count)
