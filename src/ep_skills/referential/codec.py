"""Reading and writing referential TOML files.

Reading is strict: invalid UTF-8, a TOML syntax error, an unknown key, a wrong type or a
broken reference are each reported as a :class:`~ep_skills.errors.Problem` naming the file,
the line when it can be known and the key path, and nothing is returned half-loaded.
Writing goes through tomli-w and round-trips: ``loads(dumps(r)) == r``.

A referential that includes fragments (``include``) is checked with them when they are given
(``fragments=``, as the registry and ``ep-skills referential check`` do): a problem inside a
fragment names the fragment's file and line.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_origin

import cattrs
from cattrs.preconf.tomllib import TomllibConverter, make_converter

from ep_skills.errors import Problem, ReferentialError, Severity
from ep_skills.i18n import _
from ep_skills.referential.locate import FragmentFile, KeyLocator
from ep_skills.referential.model import Fragment, Referential
from ep_skills.referential.settings import path_key
from ep_skills.referential.source import read_source

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = [
    "FragmentFile",
    "dumps_referential",
    "load_fragment",
    "load_referential",
    "loads_referential",
    "read_fragment",
    "structure_document",
]

T = TypeVar("T")


def _strict(expected: tuple[type, ...], name: str) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _type: Any) -> Any:
        # bool is an int in Python; TOML keeps them apart, and so do we.
        if isinstance(value, bool) and bool not in expected:
            raise TypeError(f"expected {name}, got a boolean")
        if not isinstance(value, expected):
            raise TypeError(f"expected {name}, got {type(value).__name__}")
        return value

    return structure


@cache
def _converter() -> TomllibConverter:
    # Hand-edited files: a misspelt key must be an error, not silently ignored. Defaults are
    # omitted on writing so that a written file stays as short as a hand-written one.
    converter = make_converter(forbid_extra_keys=True, omit_if_default=True)
    # cattrs converts by default (str(["x"]), bool("non"), int(3.7)): a hand-edited file
    # deserves an error instead.
    converter.register_structure_hook(bool, _strict((bool,), "true or false (bool)"))
    converter.register_structure_hook(int, _strict((int,), "a whole number (int)"))
    as_number = _strict((int, float), "a number (float)")
    converter.register_structure_hook(float, lambda v, t: float(as_number(v, t)))
    as_text = _strict((str,), "text (str)")

    def text_or_enum(value: Any, type_: Any) -> Any:
        # Registered for str, this hook also receives the StrEnums (subclasses of str).
        checked = as_text(value, type_)
        return checked if type_ is str else type_(checked)

    converter.register_structure_hook(str, text_or_enum)

    def day(value: Any, _type: Any) -> Any:
        # A TOML date-time is a datetime, a subclass of date: a day is expected, not a moment.
        if not isinstance(value, date) or isinstance(value, datetime):
            raise TypeError(f"expected a date (YYYY-MM-DD), got {type(value).__name__}")
        return value

    converter.register_structure_hook(date, day)

    def tuples(type_: Any) -> Callable[[Any, Any], Any]:
        def structure(value: Any, _type: Any) -> Any:
            if not isinstance(value, list | tuple):
                raise TypeError(f"expected a list, got {type(value).__name__}")
            return converter._structure_tuple(value, type_)

        return structure

    def is_tuple(type_: Any) -> bool:
        return bool(get_origin(type_) is tuple)

    converter.register_structure_hook_factory(is_tuple, tuples)
    return converter


def _format_leaf(exc: BaseException, type_: Any) -> str:
    if isinstance(type_, type) and issubclass(type_, Enum) and isinstance(exc, ValueError):
        allowed = ", ".join(repr(m.value) for m in type_)
        return _("invalid value, expected one of: {allowed}").format(allowed=allowed)
    if isinstance(exc, KeyError):
        return _("required key missing")
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        # JSON keeps every key whole, even one with a comma in it, or an empty one.
        return _EXTRA + json.dumps(sorted(exc.extra_fields))
    if isinstance(exc, TypeError) and str(exc).startswith("expected "):
        expected = str(exc).removeprefix("expected ").split(", got")[0]
        return _("invalid value: expected {expected}").format(expected=_(expected))
    name = getattr(type_, "__name__", None) or str(type_)
    return _("invalid value for type {type}").format(type=name)


_EXTRA = "\0extra:"  # marks unknown keys between _format_leaf and structure_document
_PATH_RE = re.compile(r"^(?P<message>.*) @ \$(?P<path>.*)$", re.S)


def structure_document(
    data: dict[str, Any], cls: type[T], *, file: str | None = None, text: str | None = None
) -> T:
    """Turn a parsed TOML document into ``cls``, or raise :class:`ReferentialError`."""
    try:
        return _converter().structure(data, cls)
    except RecursionError:  # parse_toml refuses deep documents: only for data from elsewhere
        raise _nested_too_deeply(file) from None
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        locator = KeyLocator(text) if text is not None else None
        problems = []
        if isinstance(exc, cattrs.BaseValidationError):
            messages = cattrs.transform_error(exc, path="$", format_exception=_format_leaf)
        else:
            messages = [f"{exc} @ $"]
        for raw in messages:
            match = _PATH_RE.match(raw)
            message, path = (match["message"], match["path"].lstrip(".")) if match else (raw, "")
            # One problem per unknown key, located on the key's own line.
            extra = message.startswith(_EXTRA)
            keys: list[str | None] = json.loads(message.removeprefix(_EXTRA)) if extra else [None]
            for key in keys:
                where = ".".join(filter(None, [path, None if key is None else path_key(key)]))
                line = locator.line_of(where) if locator else None
                text = message if key is None else _("unknown key {key!r}").format(key=key)
                problems.append(Problem(message=text, path=where, file=file, line=line))
        raise ReferentialError(problems) from None


def _decode(raw: bytes, file: str | None) -> str:
    if not raw.strip():
        raise ReferentialError([Problem(message=_("the file is empty"), file=file)])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = _("not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8").format(
            byte=raw[exc.start]
        )
        raise ReferentialError([Problem(message=message, file=file, line=line)]) from None


_TOML_LINE_RE = re.compile(r"\(at line (\d+), column \d+\)")
_LONG_NUMBER_RE = re.compile(r"[=\[,{]\s*[+-]?(?:0[xob])?[0-9a-fA-F_]{4000,}")

MAX_DEPTH = 32
"""Tables and arrays nested deeper than this are refused before anything reads them.

A referential's deepest values (a sub-competency's provenance, 14 levels of competencies
down) sit well within it; past it, the recursive readers would run out of stack."""


def _too_deep(data: dict[str, Any]) -> str | None:
    """The key path of the first table or array nested deeper than :data:`MAX_DEPTH`."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:  # no recursion: the point is to survive any depth
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return path
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(item, dict | list):
                here = f"{path}[{key}]" if isinstance(value, list) else f"{path}.{path_key(key)}"
                stack.append((item, here.lstrip("."), depth + 1))
    return None


def _line_too_deep(text: str) -> int | None:
    """The line where inline arrays and tables ``[`` ``{`` first nest deeper than
    :data:`MAX_DEPTH` (strings and comments aside), for a document too deep to parse at all."""
    depth = 0
    quote: str | None = None  # the quotes of the string being read, one or three
    i, line = 0, 1
    while i < len(text):
        char = text[i]
        if char == "\n":
            line += 1
        if quote is not None:
            if char == "\\" and quote[0] == '"':  # an escape, maybe a line-ending backslash
                line += text[i + 1 : i + 2] == "\n"
                i += 2
                continue
            if text.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
        elif char == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, i) else char
            i += len(quote)
            continue
        elif char in "[{":
            depth += 1
            if depth >= MAX_DEPTH:
                return line
        elif char in "]}":
            depth -= 1
        i += 1
    return None


def _nested_too_deeply(
    file: str | None, path: str = "", line: int | None = None
) -> ReferentialError:
    message = _("nested too deeply (more than {limit} levels of tables and arrays)").format(
        limit=MAX_DEPTH
    )
    return ReferentialError([Problem(message=message, path=path, file=file, line=line)])


def parse_toml(raw: bytes, file: str | None) -> tuple[dict[str, Any], str]:
    """Decode and parse TOML bytes; every failure is a :class:`ReferentialError`.

    A document nested deeper than :data:`MAX_DEPTH` is refused here, before any reader walks
    it.
    """
    text = _decode(raw, file)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise _nested_too_deeply(file, line=_line_too_deep(text)) from None
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE_RE.search(str(exc))
        message = _TOML_LINE_RE.sub("", str(exc)).strip()
        line = int(match.group(1)) if match else None
        raise ReferentialError(
            [
                Problem(
                    message=_("TOML syntax error: {error}").format(error=message),
                    file=file,
                    line=line,
                )
            ]
        ) from None
    except ValueError:
        # tomllib lets Python's guard against huge integer literals through (4300 digits).
        match = _LONG_NUMBER_RE.search(text)
        line = text.count("\n", 0, match.start()) + 1 if match else None
        raise ReferentialError(
            [Problem(message=_("a number has too many digits"), file=file, line=line)]
        ) from None
    deep = _too_deep(data)
    if deep is not None:
        raise _nested_too_deeply(file, deep, KeyLocator(text).line_of(deep))
    return data, text


def loads_referential(
    raw: bytes | str,
    *,
    file: str | None = None,
    check: bool = True,
    methods: Collection[str] | None = None,
    fragments: Mapping[str, FragmentFile] | None = None,
) -> tuple[Referential, list[Problem]]:
    """Parse a referential and check it; returns it with its warnings.

    The referential is returned as written: its fragments are not merged into it.

    :param methods: the calculation methods its settings may name (default: the built-in
        ones and those of the installed plugins, see :func:`check_referential`).
    :param fragments: the fragments it may ``include``, by id (see :func:`read_fragment`);
        looked into only when it includes some. None: includes are not resolved, and its
        épreuves and tasks can name none of a fragment's competencies.
    :raises ReferentialError: listing every error when the file is not valid.
    """
    from ep_skills.referential.validate import check_referential

    data, text = parse_toml(raw.encode() if isinstance(raw, str) else raw, file)
    referential = structure_document(data, Referential, file=file, text=text)
    if not check:
        return referential, []
    included = dict(fragments) if fragments is not None and referential.include else None
    plain = None if included is None else {k: f.fragment for k, f in included.items()}
    try:
        problems = check_referential(referential, methods=methods, fragments=plain)
    except RecursionError:  # pragma: no cover - parse_toml and the depth check come first
        raise _nested_too_deeply(file) from None
    if not problems:
        return referential, []
    found = located_with_fragments(problems, referential, included or {}, file, text)
    errors = [p for p in found if p.severity is Severity.ERROR]
    if errors:
        raise ReferentialError(errors)
    return referential, found


def load_referential(
    source: str | Path | Traversable,
    *,
    check: bool = True,
    methods: Collection[str] | None = None,
    fragments: Mapping[str, FragmentFile] | None = None,
) -> tuple[Referential, list[Problem]]:
    """Read and check a referential file (a path, or a resource inside a plugin)."""
    return loads_referential(
        read_source(source), file=str(source), check=check, methods=methods, fragments=fragments
    )


def load_fragment(source: str | Path | Traversable) -> Fragment:
    """Read a shared bloc fragment (see :class:`Fragment`)."""
    return read_fragment(source).fragment


def read_fragment(source: str | Path | Traversable) -> FragmentFile:
    """Read and check a shared bloc fragment, keeping its file's name and text."""
    name = str(source)
    data, text = parse_toml(read_source(source), name)
    fragment = structure_document(data, Fragment, file=name, text=text)
    seen: set[str] = set()
    locator = KeyLocator(text)
    for i, bloc in enumerate(fragment.blocs):
        if bloc.id in seen:
            path = f"blocs[{i}].id"
            message = _("duplicate {what} {code!r}").format(what=_("bloc"), code=bloc.id)
            raise ReferentialError([Problem(message, path, name, locator.line_of(path))])
        seen.add(bloc.id)
    from ep_skills.referential.validate import check_fragment

    problems = check_fragment(fragment)
    if problems:
        raise ReferentialError(located(problems, name, text))
    return FragmentFile(fragment, name, text)


def located(problems: Iterable[Problem], file: str | None, text: str) -> list[Problem]:
    """``problems`` with the file and the line of their key path in ``text``."""
    locator = KeyLocator(text)
    return [Problem(p.message, p.path, file, locator.line_of(p.path), p.severity) for p in problems]


def located_with_fragments(
    problems: Iterable[Problem],
    referential: Referential,
    fragments: Mapping[str, FragmentFile],
    file: str | None,
    text: str | None,
) -> list[Problem]:
    """``problems`` of ``referential`` checked with its ``fragments``, each located in the
    file it lies in: the referential's (``file``, ``text``), or the fragment's."""
    from ep_skills.referential.validate import fragment_path

    plain = {k: f.fragment for k, f in fragments.items()}
    locators: dict[str | None, KeyLocator | None] = {
        file: KeyLocator(text) if text is not None else None
    }
    found = []
    for problem in problems:
        where = fragment_path(referential, plain, problem.path) if plain else None
        if where is None:
            path, name, source_text = problem.path, file, text
        else:
            fragment = fragments[where[0]]
            path, name, source_text = where[1], fragment.file, fragment.text
        if name not in locators:
            locators[name] = KeyLocator(source_text) if source_text is not None else None
        locator = locators[name]
        line = locator.line_of(path) if locator is not None else None
        found.append(Problem(problem.message, path, name, line, problem.severity))
    return found


def unstructure(obj: object) -> Any:
    """The plain-data form of a model object, as written to TOML or JSON."""
    return _converter().unstructure(obj)


def dumps_referential(referential: Referential) -> str:
    """Write a referential as TOML; reading it back gives an equal referential."""
    return _converter().dumps(referential)


def warnings_only(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that are warnings."""
    return [p for p in problems if p.severity is Severity.WARNING]
