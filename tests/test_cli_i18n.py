"""Both message catalogues are complete and consistent, and the command line speaks the user's
language: French or English help, chosen by ``--lang`` or else by the locale.

Every message the program can show is found by ``ep_skills.i18n_extract.extract()`` (our
``_()`` calls, every help text, click's own messages). Each must have a non-empty translation
in ``locale/fr.po`` and ``locale/en.po``, with exactly the same placeholders (``{name!r}``,
``{share:.0%}``, click's ``%(prog)s``): a placeholder lost or misspelt in a translation is a
crash or a wrong message at run time, only in that language.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ep_skills.cli import cli
from ep_skills.i18n import catalogue, current_language, ngettext, parse_po, set_language
from ep_skills.i18n_extract import extract

LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[a-z]")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("EP_SKILLS_DB", "EP_SKILLS_CONFIG", "EP_SKILLS_BLOCK_PLUGINS", *LOCALE_VARS):
        monkeypatch.delenv(name, raising=False)
    before = current_language()
    yield
    set_language(before)


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"ep-skills {' '.join(args)} crashed:\n{trace}")
    return result


def flat(text: str) -> str:
    """Help text with its line wrapping undone."""
    return " ".join(text.split())


def po(language: str) -> dict[str, str]:
    """The catalogue as the file says now (``catalogue()`` is cached for the process)."""
    text = (files("ep_skills") / "locale" / f"{language}.po").read_text(encoding="utf-8")
    return parse_po(text)


MESSAGES = sorted(extract())


def test_extract_finds_the_messages_of_every_layer() -> None:
    found = set(MESSAGES)
    assert "Error: {message}" in found  # our code
    assert "Show this message and exit." in found  # click
    assert "Level for every competency of the task." in found  # an option's help
    assert any("\0" in m for m in found)  # plural forms (click's ngettext)
    assert "TRAINEES" in found  # an argument's placeholder
    assert "INTEGER" in found  # a type's placeholder
    assert "COMMAND [ARGS]..." in found  # the usage line
    assert "required" in found  # click translates it from a variable


def _pairs(msgid: str, msgstr: str) -> list[tuple[str, str]]:
    """(source, translation) pairs: one, or singular and plural for plural forms."""
    if "\0" not in msgid:
        return [(msgid, msgstr)]
    one, many = msgid.split("\0")
    one_tr, _sep, many_tr = msgstr.partition("\0")
    return [(one, one_tr), (many, many_tr)]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_message_is_translated(language: str) -> None:
    entries = po(language)
    missing = [
        m.replace("\0", " | ")
        for m in MESSAGES
        if not all(text.strip() for _src, text in _pairs(m, entries.get(m, "")))
    ]
    assert not missing, f"{len(missing)} messages without a {language} translation:\n" + "\n".join(
        missing
    )


@pytest.mark.parametrize("language", ["fr", "en"])
def test_placeholders_are_kept(language: str) -> None:
    entries = po(language)
    wrong = []
    for message in MESSAGES:
        if message not in entries:
            continue  # reported by test_every_message_is_translated
        for source, text in _pairs(message, entries[message]):
            if not text:
                continue
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                wrong.append(f"{source!r} -> {text!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_english_catalogue_is_the_identity() -> None:
    entries = po("en")
    different = [m for m in MESSAGES if m in entries and "\0" not in m and entries[m] != m]
    assert not different


def test_the_loaded_catalogue_is_the_file() -> None:
    # catalogue() is what the program uses; it reads the same file.
    assert catalogue("fr")["Error: {message}"] == po("fr")["Error: {message}"]
    assert catalogue("fr")["Error: {message}"].startswith("Erreur")


def test_french_plural_forms_are_used() -> None:
    set_language("fr")
    one = ngettext(
        "Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1
    )
    many = ngettext(
        "Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 2
    )
    assert one != many
    assert "{args}" in one
    assert "{args}" in many
    assert not one.startswith("Got")


# -- help in the user's language -------------------------------------------------------------
#
# Click builds the -h/--help option once per command and keeps it, so within one process its
# text depends on which language came first (see test_help_option_follows_the_language). The
# other tests look at texts that do not depend on that; tests/test_cli_subprocess.py checks
# « Afficher ce message et quitter. » in a fresh process, as users run the program.

FR_LANG_HELP = "Language of messages (default: from the locale)."


def test_help_in_french() -> None:
    result = invoke("--lang", "fr", "--help")
    assert result.exit_code == 0
    text = flat(result.stdout)
    assert text.startswith("Utilisation :")
    french = flat(po("fr")[FR_LANG_HELP])
    assert french != FR_LANG_HELP
    assert french in text
    assert FR_LANG_HELP not in text
    root = "Track what trainees have proven on real orders, against their diploma's referential."
    assert flat(po("fr")[root]) in text
    assert "Track what trainees" not in text


def test_help_in_english() -> None:
    result = invoke("--lang", "en", "--help")
    assert result.exit_code == 0
    text = flat(result.stdout)
    assert text.startswith("Usage:")
    assert FR_LANG_HELP in text
    assert "Track what trainees have proven on real orders" in text
    assert "Utilisation" not in text


def test_help_option_follows_the_language() -> None:
    """One process, two invocations: each help in its own language (tests, docs generators,
    and any program that embeds the command line do this)."""
    for first in ("en", "fr"):
        invoke("--lang", first, "--help")
        english = flat(invoke("--lang", "en", "record", "--help").stdout)
        french = flat(invoke("--lang", "fr", "record", "--help").stdout)
        assert "-h, --help Show this message and exit." in english, f"after {first}"
        assert "-h, --help Afficher ce message et quitter." in french, f"after {first}"


def test_subcommand_help_in_french() -> None:
    result = invoke("--lang", "fr", "record", "--help")
    assert result.exit_code == 0
    text = flat(result.stdout)
    source = "Level for every competency of the task."
    french = flat(po("fr")[source])
    assert french != source
    assert french in text
    assert source not in text


def test_subcommand_help_back_in_english() -> None:
    invoke("--lang", "fr", "record", "--help")
    text = flat(invoke("--lang", "en", "record", "--help").stdout)
    assert "Level for every competency of the task." in text
    assert text.startswith("Usage:")


def test_french_by_default_from_lang(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    result = invoke("--help")
    assert result.exit_code == 0
    assert flat(result.stdout).startswith("Utilisation :")
    assert flat(po("fr")[FR_LANG_HELP]) in flat(result.stdout)


def test_english_by_default_with_the_c_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "C")
    result = invoke("--help")
    assert result.exit_code == 0
    assert flat(result.stdout).startswith("Usage:")
    assert FR_LANG_HELP in flat(result.stdout)


def test_lc_all_wins_over_lang(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert flat(invoke("--help").stdout).startswith("Usage:")


def test_lang_option_wins_over_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert flat(invoke("--lang", "en", "--help").stdout).startswith("Usage:")
    assert flat(invoke("--lang=en", "--help").stdout).startswith("Usage:")


def test_french_locale_for_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    result = invoke("--db", str(tmp_path / "absent.db"), "progress", "Léa Martin")
    assert result.exit_code == 1
    assert result.stderr.startswith("Erreur : aucun journal")


def test_click_usage_errors_in_french() -> None:
    result = invoke("--lang", "fr", "record")
    assert result.exit_code == 2
    assert "Utilisation :" in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Erreur")
    assert "Missing argument" not in result.stderr
