"""Find every message the program can show, to keep the ``.po`` catalogues complete.

Run ``python -m ep_skills.i18n_extract`` after adding messages: it adds the new ones to
``locale/fr.po`` (empty, to translate) and rewrites ``locale/en.po``. The test suite checks
that both catalogues hold every message, translated, with the same ``{placeholders}``.
Sources: ``_()`` and ``ngettext()`` calls in the package, the help texts and placeholders
(``FILE``, ``TRAINEES``) of every command and option, and the messages of click itself (usage
errors, help headings).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from ep_skills.i18n import parse_po

__all__ = ["extract", "main", "write_po"]

PACKAGE = Path(__file__).resolve().parent
_SKIP = {"i18n_extract.py"}
# Click translates these, but from a variable (``_(extra["required"])``): no call names them.
_CLICK_INDIRECT = {"required"}


def _calls(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        strings = [
            a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
        if name in ("_", "N_") and strings:
            yield strings[0]
        elif name == "ngettext" and len(strings) >= 2:
            yield f"{strings[0]}\0{strings[1]}"


def _code_messages(root: Path) -> set[str]:
    found: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        if path.name not in _SKIP:
            found.update(_calls(path))
    return found


def _help_messages() -> set[str]:
    from ep_skills.cli.app import _walk, cli
    from ep_skills.cli.metavars import metavar_msgids

    found: set[str] = set()
    for command in _walk(cli):
        found.update(metavar_msgids(command))
        originals = command.__dict__.get("_ep_msgids", {})
        for attr in ("help", "short_help", "epilog"):
            text = originals.get(attr, getattr(command, attr))
            if text:
                found.add(text)
        for param in command.params:
            if isinstance(param, click.Option):
                text = originals.get(f"param:{param.name}", param.help)
                if text:
                    found.add(text)
    return found


def _template_messages(root: Path) -> set[str]:
    from jinja2 import Environment
    from jinja2.ext import extract_from_ast

    environment = Environment()
    found: set[str] = set()
    for path in sorted(root.rglob("*.j2")):
        tree = environment.parse(path.read_text(encoding="utf-8"))
        for _line, _function, message in extract_from_ast(tree, ("_",)):
            if isinstance(message, str):
                found.add(message)
    return found


def extract() -> set[str]:
    """Every msgid: our code and report templates, our help texts, click's own messages."""
    click_root = Path(click.__file__).resolve().parent
    return (
        _code_messages(PACKAGE)
        | _template_messages(PACKAGE)
        | _help_messages()
        | _code_messages(click_root)
        | _CLICK_INDIRECT
    )


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def write_po(path: Path, messages: set[str], translations: dict[str, str], language: str) -> None:
    """Write a catalogue: every message, with its translation (or an empty one to fill)."""
    lines = [
        f"# ep-skills messages, language: {language}",
        'msgid ""',
        'msgstr ""',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        f'"Language: {language}\\n"',
        "",
    ]
    for message in sorted(messages, key=lambda m: (m.lower(), m)):  # stable between runs
        text = translations.get(message, "")
        if "\0" in message:
            singular, plural = message.split("\0")
            one, _sep, many = text.partition("\0")
            lines += [
                f"msgid {_quote(singular)}",
                f"msgid_plural {_quote(plural)}",
                f"msgstr[0] {_quote(one)}",
                f"msgstr[1] {_quote(many)}",
                "",
            ]
        else:
            lines += [f"msgid {_quote(message)}", f"msgstr {_quote(text)}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    """Update the catalogues; print how many French messages still need a translation."""
    messages = extract()
    locale = PACKAGE / "locale"
    locale.mkdir(exist_ok=True)
    french_path = locale / "fr.po"
    french = parse_po(french_path.read_text(encoding="utf-8")) if french_path.exists() else {}
    write_po(french_path, messages, french, "fr")
    write_po(locale / "en.po", messages, {m: m for m in messages}, "en")
    missing = sorted(m for m in messages if not french.get(m))
    print(f"{len(messages)} messages, {len(missing)} to translate in {french_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
