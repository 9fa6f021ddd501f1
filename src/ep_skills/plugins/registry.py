"""The diplomas the installed plugins provide, resolved and checked, loaded on first use.

The registry asks the plugins for their referentials, fragments, extra catalogue tasks and
calculation methods, merges included fragments into each referential, and refuses two plugins
that declare the same diploma id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from ep_skills.errors import (
    EpSkillsError,
    PluginError,
    Problem,
    ReferentialError,
    UnknownDiplomaError,
)
from ep_skills.i18n import _
from ep_skills.plugins.cache import cached
from ep_skills.plugins.hookspecs import ReferentialSource
from ep_skills.referential.locate import FragmentFile
from ep_skills.referential.model import CatalogueTask, Fragment, Referential
from ep_skills.referential.settings import CalculationSettings
from ep_skills.referential.source import read_source

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from ep_skills.engine.methods import Method
    from ep_skills.journal.model import Correction, TaskRecord

__all__ = ["Registry", "call_hookimpl"]


@attrs.define
class _Entry:
    referential: Referential
    """As served: fragments merged in, catalogue tasks and overlays applied."""
    own: Referential
    """As registered, with the catalogue tasks: what a new catalogue is checked against."""
    plugin: str
    warnings: list[Problem]


def _source_name(source: ReferentialSource) -> str:
    return source.id if isinstance(source, Referential) else str(source)


def _codec() -> Any:
    # Parsing TOML (and importing cattrs) is only needed when the cache misses.
    from ep_skills.referential import codec

    return codec


def _check_referential(
    referential: Referential, fragments: dict[str, FragmentFile] | None = None
) -> list[Problem]:
    """The problems of a referential object, those inside a fragment located in its file."""
    # The checks run on a parsed referential or an extended catalogue, not at each start.
    from ep_skills.referential.validate import check_referential as check

    plain = None if fragments is None else {k: f.fragment for k, f in fragments.items()}
    problems = check(referential, fragments=plain)
    if not problems or not fragments or not referential.include:
        return problems
    return list(_codec().located_with_fragments(problems, referential, fragments, None, None))


def _fragments_key(fragments: dict[str, FragmentFile]) -> bytes:
    """What a cached referential's checks depended on: every fragment it could include."""
    return b"\0".join(f"{k}\0{f.file}\0{f.text}".encode() for k, f in sorted(fragments.items()))


class Registry:
    """Referentials by diploma id, as the plugins of one plugin manager provide them.

    Every hook is called plugin by plugin, and every answer checked: a plugin that raises,
    returns something it should not, or hands ``register`` a value of the wrong type is a
    :class:`PluginError` naming it and the hook, never a traceback.
    """

    def __init__(self, pm: pluggy.PluginManager, *, overlays: Sequence[str | Path] = ()) -> None:
        """:param overlays: school overlay files applied over the plugins' referentials."""
        self._pm = pm
        self._overlays = tuple(overlays)
        self._entries: dict[str, _Entry] | None = None
        self._methods: dict[str, Method] | None = None
        self._fragments: dict[str, FragmentFile] | None = None

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The plugin manager this registry reads from."""
        return self._pm

    # -- loading ---------------------------------------------------------------------------

    def fragment_files(self) -> dict[str, FragmentFile]:
        """The shared bloc fragments the plugins register, by id, with their files."""
        if self._fragments is not None:
            return self._fragments
        fragments: dict[str, FragmentFile] = {}
        owners: dict[str, str] = {}

        def register_for(plugin: str) -> dict[str, Any]:
            def add_fragment(source: Path | Traversable) -> None:
                _expect(_is_file(source), plugin, _FRAGMENTS, source, _("a Path or a package file"))
                raw = read_source(source)
                fragment: Fragment = cached(
                    "fragment",
                    str(source).encode() + b"\0" + raw,
                    lambda: _codec().load_fragment(source),
                )
                # Read, it is valid UTF-8; its text locates the problems found in it.
                found = FragmentFile(fragment, str(source), raw.decode("utf-8"))
                fragment_id = fragment.id
                if fragment_id in fragments:
                    raise PluginError(
                        _("fragment {id!r} is registered twice: by {first} and by {second}").format(
                            id=fragment_id, first=owners[fragment_id], second=plugin
                        ),
                        plugin=plugin,
                    )
                fragments[fragment_id] = found
                owners[fragment_id] = plugin

            return {"register": add_fragment}

        _call_each(self._pm.hook.ep_skills_register_fragments, register_for)
        self._fragments = fragments
        return fragments

    def _load(
        self, source: ReferentialSource, plugin: str, fragments: dict[str, FragmentFile]
    ) -> tuple[Referential, list[Problem]]:
        """A registered referential, checked with the fragments it includes."""
        if isinstance(source, Referential):
            problems = _check_referential(source, fragments)
            errors = [p for p in problems if p.severity == "error"]
            if errors:
                raise ReferentialError(errors)
            return source, [p for p in problems if p.severity == "warning"]
        accepted = _("a Referential, a Path or a package file")
        _expect(_is_file(source), plugin, _REFERENTIALS, source, accepted)
        raw = read_source(source)
        # The name is part of the key: the warnings name the file they come from.
        loaded: tuple[Referential, list[Problem]] = cached(
            "referential",
            str(source).encode() + b"\0" + raw + b"\0" + _fragments_key(fragments),
            lambda: _codec().load_referential(source, fragments=fragments),
        )
        return loaded

    def _collect(self) -> dict[str, _Entry]:
        if self._entries is not None:
            return self._entries
        from ep_skills.referential.validate import with_fragments

        fragments = self.fragment_files()
        plain = {k: f.fragment for k, f in fragments.items()}
        entries: dict[str, _Entry] = {}

        def register_for(plugin: str) -> dict[str, Any]:
            def add(source: ReferentialSource) -> None:
                referential, warnings = self._load(source, plugin, fragments)
                if referential.id in entries:
                    raise PluginError(
                        _("diploma {id!r} is declared twice: by {first} and by {second}").format(
                            id=referential.id, first=entries[referential.id].plugin, second=plugin
                        ),
                        plugin=plugin,
                    )
                merged = with_fragments(referential, plain)
                entries[referential.id] = _Entry(merged, referential, plugin, warnings)

            return {"register": add}

        # Referentials are registered in the plugins' registration order (docs/hooks.md).
        _call_each(
            self._pm.hook.ep_skills_register_referentials, register_for, registration_order=True
        )

        def tasks_for(plugin: str) -> dict[str, Any]:
            def add_tasks(diploma_id: str, tasks: Sequence[CatalogueTask]) -> None:
                _expect(
                    isinstance(diploma_id, str), plugin, _CATALOGUES, diploma_id, _("a diploma id")
                )
                given = _task_list(tasks)
                _expect(given is not None, plugin, _CATALOGUES, tasks, _("a list of CatalogueTask"))
                assert given is not None
                if diploma_id not in entries:
                    raise UnknownDiplomaError(diploma_id, sorted(entries))
                _add_tasks(entries[diploma_id], given, plugin, fragments)

            return {"register": add_tasks}

        _call_each(self._pm.hook.ep_skills_register_task_catalogues, tasks_for)
        self._apply_overlays(entries)
        self._entries = entries
        return entries

    def _apply_overlays(self, entries: dict[str, _Entry]) -> None:
        for path in self._overlays:
            from ep_skills.referential.overlay import apply_overlay, load_overlay

            overlay, _text = load_overlay(path)
            if overlay.diploma not in entries:
                raise ReferentialError(
                    [
                        Problem(
                            str(UnknownDiplomaError(overlay.diploma, sorted(entries))),
                            "diploma",
                            file=str(path),
                        )
                    ]
                )
            entry = entries[overlay.diploma]
            entry.referential = apply_overlay(entry.referential, overlay, file=str(path))

    # -- queries ---------------------------------------------------------------------------

    def ids(self) -> list[str]:
        """Every diploma id, sorted."""
        return sorted(self._collect())

    def all(self) -> list[Referential]:
        """Every referential, sorted by id."""
        entries = self._collect()
        return [entries[i].referential for i in sorted(entries)]

    def get(self, diploma_id: str) -> Referential:
        """The referential of ``diploma_id``.

        :raises UnknownDiplomaError: no plugin provides it.
        """
        entries = self._collect()
        if diploma_id not in entries:
            raise UnknownDiplomaError(diploma_id, sorted(entries))
        return entries[diploma_id].referential

    def methods(self) -> dict[str, Method]:
        """Calculation methods by name, built-in and from plugins."""
        if self._methods is None:
            methods: dict[str, Method] = {}
            owners: dict[str, str] = {}

            def register_for(plugin: str) -> dict[str, Any]:
                def add(name: str, method: Method) -> None:
                    _expect(
                        isinstance(name, str) and bool(name), plugin, _METHODS, name, _("a name")
                    )
                    _expect(callable(method), plugin, _METHODS, method, _("a function"))
                    if name in methods:
                        raise PluginError(
                            _(
                                "calculation method {name!r} is registered twice: "
                                "by {first} and by {second}"
                            ).format(name=name, first=owners[name], second=plugin),
                            plugin=plugin,
                        )
                    methods[name] = method
                    owners[name] = plugin

                return {"register": add}

            _call_each(self._pm.hook.ep_skills_register_methods, register_for)
            self._methods = methods
        return self._methods

    def settings_layers(self, diploma_id: str) -> list[CalculationSettings]:
        """The plugin-side settings layers of a diploma, lowest first (defaults excluded).

        :raises PluginError: a plugin answered something else than settings or None.
        """
        referential = self.get(diploma_id)
        layers = [referential.settings] if referential.settings else []
        # pluggy calls the last registered plugin first; layer in registration order.
        answers = _each(self._pm.hook.ep_skills_calculation_settings, diploma_id=diploma_id)
        for plugin, answer in reversed(answers):
            if answer is None:
                continue
            if not isinstance(answer, CalculationSettings):
                raise PluginError(
                    _(
                        "plugin {plugin}: ep_skills_calculation_settings must return "
                        "CalculationSettings or None, not {value!r}"
                    ).format(plugin=plugin, value=_Shown(answer)),
                    plugin=plugin,
                )
            layers.append(answer)
        return layers

    def check_evidence(
        self, record: TaskRecord, referential: Referential, correction: Correction | None
    ) -> list[str]:
        """The problems the plugins find in evidence about to be written (none: it is fine).

        :raises PluginError: a plugin failed, or answered something else than messages.
        """
        hook = self._pm.hook.ep_skills_validate_evidence
        if not hook.get_hookimpls():  # no plugin checks evidence: skip the call on every row
            return []
        problems: list[str] = []
        answers = _each(hook, record=record, referential=referential, correction=correction)
        for plugin, answer in answers:
            if answer is None:
                continue
            # A bare string would be read letter by letter as messages: refuse it.
            messages = None if isinstance(answer, str | bytes) else _strings(answer)
            if messages is None:
                raise PluginError(
                    _(
                        "plugin {plugin}: ep_skills_validate_evidence must return a list of "
                        "messages or None, not {value!r}"
                    ).format(plugin=plugin, value=_Shown(answer)),
                    plugin=plugin,
                )
            problems += messages
        return problems

    def plugin_of(self, diploma_id: str) -> str:
        """The name of the plugin that provides ``diploma_id``."""
        self.get(diploma_id)
        assert self._entries is not None
        return self._entries[diploma_id].plugin

    def warnings(self, diploma_id: str) -> list[Problem]:
        """The warnings found when loading ``diploma_id`` (drafts not yet complete…)."""
        self.get(diploma_id)
        assert self._entries is not None
        return list(self._entries[diploma_id].warnings)


_REFERENTIALS = "ep_skills_register_referentials"
_FRAGMENTS = "ep_skills_register_fragments"
_CATALOGUES = "ep_skills_register_task_catalogues"
_METHODS = "ep_skills_register_methods"


class _Shown:
    """A plugin's value in a message: its repr, cut short (a whole referential is huge)."""

    def __init__(self, value: object, limit: int = 80) -> None:
        self.value = value
        self.limit = limit

    def __repr__(self) -> str:
        text = repr(self.value)
        return text if len(text) <= self.limit else text[: self.limit - 1] + "…"


def _expect(ok: bool, plugin: str, hook: str, value: object, expected: str) -> None:
    """Refuse a value a plugin handed to ``register``, naming the plugin and what was expected."""
    if not ok:
        raise PluginError(
            _("plugin {plugin}: in {hook}, register() expects {expected}, not {value!r}").format(
                plugin=plugin, hook=hook, expected=expected, value=_Shown(value)
            ),
            plugin=plugin,
            value=value,
        )


def _is_file(source: object) -> bool:
    """A path or a package resource; a string is refused: relative to what would it be?"""
    if isinstance(source, Path):
        return True
    return not isinstance(source, str | bytes) and callable(getattr(source, "read_bytes", None))


def _task_list(tasks: object) -> tuple[CatalogueTask, ...] | None:
    """The catalogue tasks given, or None when that is not a list of them."""
    if isinstance(tasks, str | bytes) or not isinstance(tasks, Iterable):
        return None
    given = tuple(tasks)
    return given if all(isinstance(t, CatalogueTask) for t in given) else None


def _add_tasks(
    entry: _Entry,
    tasks: tuple[CatalogueTask, ...],
    plugin: str,
    fragments: dict[str, FragmentFile],
) -> None:
    """Add a plugin's catalogue tasks to a referential, checked with its fragments."""
    diploma_id = entry.own.id
    known = {t.id for t in entry.own.tasks}
    clashes = sorted(known & {t.id for t in tasks})
    if clashes:
        message = _("catalogue task ids already used in {id!r}: {ids}").format(
            id=diploma_id, ids=", ".join(clashes)
        )
        raise PluginError(
            _("plugin {name!r}: {error}").format(name=plugin, error=message), plugin=plugin
        )
    own = attrs.evolve(entry.own, tasks=(*entry.own.tasks, *tasks))
    errors = [p for p in _check_referential(own, fragments) if p.severity == "error"]
    if errors:
        raise ReferentialError(errors)
    entry.own = own
    entry.referential = attrs.evolve(entry.referential, tasks=own.tasks)


def _call_each(
    hook: Any,
    arguments: Callable[[str], dict[str, Any]],
    *,
    registration_order: bool = False,
) -> None:
    """Call each implementation of a "register things" hook with its plugin's own arguments.

    Such a hook answers by calling ``register``: any other answer is a plugin's mistake (a
    referential returned instead of registered) and refused. Errors of the library raised
    through ``register`` pass as they are; any other exception names the plugin and the hook.
    Without ``registration_order``, pluggy's order: the last registered plugin first.
    """
    impls = list(hook.get_hookimpls())
    for impl in impls if registration_order else reversed(impls):
        if impl.hookwrapper or impl.wrapper:
            continue  # these hooks answer; wrapping them has no meaning here
        kwargs = arguments(impl.plugin_name)
        answer = call_hookimpl(impl, hook.name, kwargs, pass_library_errors=True)
        if answer is not None:
            raise PluginError(
                _(
                    "plugin {plugin}: {hook} must call register() and return None, not {value!r}"
                ).format(plugin=impl.plugin_name, hook=hook.name, value=_Shown(answer)),
                plugin=impl.plugin_name,
                value=answer,
            )


def call_hookimpl(
    impl: Any, hook_name: str, kwargs: dict[str, Any], *, pass_library_errors: bool = False
) -> Any:
    """One hook implementation's answer; an exception it raises becomes a PluginError naming
    its plugin and the hook (with ``pass_library_errors``, the library's own errors pass)."""
    try:
        return impl.function(*[kwargs[name] for name in impl.argnames])
    except Exception as exc:
        if pass_library_errors and isinstance(exc, EpSkillsError):
            raise
        from ep_skills.plugins.manager import describe_error

        raise PluginError(
            _("plugin {plugin} failed in {hook}: {error}").format(
                plugin=impl.plugin_name, hook=hook_name, error=describe_error(exc)
            ),
            plugin=impl.plugin_name,
        ) from exc


def _each(hook: Any, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call each implementation of a hook, naming its plugin with its answer (last first).

    A plugin that raises is reported by name, as a plugin error, not as a traceback.
    """
    answers = []
    for impl in reversed(hook.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue  # these hooks answer; wrapping them has no meaning here
        answer = call_hookimpl(impl, hook.name, kwargs, pass_library_errors=False)
        answers.append((impl.plugin_name, answer))
    return answers


def _strings(answer: Any) -> list[str] | None:
    try:
        messages = list(answer)
    except TypeError:
        return None
    return messages if all(isinstance(m, str) for m in messages) else None
