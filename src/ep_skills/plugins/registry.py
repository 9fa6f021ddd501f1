"""The diplomas the installed plugins provide, resolved and checked, loaded on first use.

The registry asks the plugins for their referentials, fragments, extra catalogue tasks and
calculation methods, merges included fragments into each referential, and refuses two plugins
that declare the same diploma id.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from ep_skills.errors import PluginError, Problem, ReferentialError, UnknownDiplomaError
from ep_skills.i18n import _
from ep_skills.plugins.cache import cached
from ep_skills.plugins.hookspecs import ReferentialSource
from ep_skills.referential.model import CatalogueTask, Fragment, Referential
from ep_skills.referential.settings import CalculationSettings
from ep_skills.referential.source import read_source

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from ep_skills.engine.methods import Method
    from ep_skills.journal.model import Correction, TaskRecord

__all__ = ["Registry"]


@attrs.define
class _Entry:
    referential: Referential
    plugin: str
    warnings: list[Problem]


def _source_name(source: ReferentialSource) -> str:
    return source.id if isinstance(source, Referential) else str(source)


def _codec() -> Any:
    # Parsing TOML (and importing cattrs) is only needed when the cache misses.
    from ep_skills.referential import codec

    return codec


def _check_referential(referential: Referential) -> list[Problem]:
    # The checks run on a parsed referential or an extended catalogue, not at each start.
    from ep_skills.referential.validate import check_referential as check

    return check(referential)


class Registry:
    """Referentials by diploma id, as the plugins of one plugin manager provide them."""

    def __init__(self, pm: pluggy.PluginManager, *, overlays: Sequence[str | Path] = ()) -> None:
        """:param overlays: school overlay files applied over the plugins' referentials."""
        self._pm = pm
        self._overlays = tuple(overlays)
        self._entries: dict[str, _Entry] | None = None
        self._methods: dict[str, Method] | None = None

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The plugin manager this registry reads from."""
        return self._pm

    # -- loading ---------------------------------------------------------------------------

    def _collect(self) -> dict[str, _Entry]:
        if self._entries is not None:
            return self._entries
        fragments: dict[str, Fragment] = {}

        def add_fragment(source: Path | Traversable) -> None:
            raw = read_source(source)
            fragment = cached(
                "fragment",
                str(source).encode() + b"\0" + raw,
                lambda: _codec().load_fragment(source),
            )
            if fragment.id in fragments:
                raise PluginError(_("fragment {id!r} is registered twice").format(id=fragment.id))
            fragments[fragment.id] = fragment

        self._pm.hook.ep_skills_register_fragments(register=add_fragment)

        entries: dict[str, _Entry] = {}
        for impl in self._pm.hook.ep_skills_register_referentials.get_hookimpls():
            plugin_name = self._pm.get_name(impl.plugin) or repr(impl.plugin)

            def add(source: ReferentialSource, _plugin: str = plugin_name) -> None:
                if isinstance(source, Referential):
                    problems = _check_referential(source)
                    errors = [p for p in problems if p.severity == "error"]
                    if errors:
                        raise ReferentialError(errors)
                    referential = source
                    warnings = [p for p in problems if p.severity == "warning"]
                else:
                    raw = read_source(source)
                    # The name is part of the key: the warnings name the file they come from.
                    referential, warnings = cached(
                        "referential",
                        str(source).encode() + b"\0" + raw,
                        lambda: _codec().load_referential(source),
                    )
                if referential.id in entries:
                    raise PluginError(
                        _("diploma {id!r} is declared twice: by {first} and by {second}").format(
                            id=referential.id, first=entries[referential.id].plugin, second=_plugin
                        )
                    )
                entries[referential.id] = _Entry(referential, _plugin, warnings)

            impl.function(register=add)

        for entry in entries.values():
            entry.referential = _with_fragments(entry.referential, fragments)

        def add_tasks(diploma_id: str, tasks: Sequence[CatalogueTask]) -> None:
            if diploma_id not in entries:
                raise UnknownDiplomaError(diploma_id, sorted(entries))
            entry = entries[diploma_id]
            known = {t.id for t in entry.referential.tasks}
            clashes = sorted(known & {t.id for t in tasks})
            if clashes:
                raise PluginError(
                    _("catalogue task ids already used in {id!r}: {ids}").format(
                        id=diploma_id, ids=", ".join(clashes)
                    )
                )
            merged = attrs.evolve(entry.referential, tasks=(*entry.referential.tasks, *tasks))
            errors = [p for p in _check_referential(merged) if p.severity == "error"]
            if errors:
                raise ReferentialError(errors)
            entry.referential = merged

        self._pm.hook.ep_skills_register_task_catalogues(register=add_tasks)
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
        self._entries = entries
        return entries

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

            def add(name: str, method: Method) -> None:
                if name in methods:
                    raise PluginError(
                        _("calculation method {name!r} is registered twice").format(name=name)
                    )
                methods[name] = method

            self._pm.hook.ep_skills_register_methods(register=add)
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
                    ).format(plugin=plugin, value=answer)
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
                    ).format(plugin=plugin, value=answer)
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


def _each(hook: Any, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call each implementation of a hook, naming its plugin with its answer (last first).

    A plugin that raises is reported by name, as a plugin error, not as a traceback.
    """
    answers = []
    for impl in reversed(hook.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue  # these hooks answer; wrapping them has no meaning here
        try:
            answer = impl.function(*[kwargs[name] for name in impl.argnames])
        except Exception as exc:
            raise PluginError(
                _("plugin {plugin} failed in {hook}: {error}").format(
                    plugin=impl.plugin_name, hook=hook.name, error=exc
                )
            ) from exc
        answers.append((impl.plugin_name, answer))
    return answers


def _strings(answer: Any) -> list[str] | None:
    try:
        messages = list(answer)
    except TypeError:
        return None
    return messages if all(isinstance(m, str) for m in messages) else None


def _with_fragments(referential: Referential, fragments: dict[str, Fragment]) -> Referential:
    """The referential with the blocs (and sources) of its included fragments appended."""
    if not referential.include:
        return referential
    blocs = list(referential.blocs)
    sources = list(referential.sources)
    known_sources = {s.id for s in sources}
    for fragment_id in referential.include:
        fragment = fragments.get(fragment_id)
        if fragment is None:
            raise ReferentialError(
                [
                    Problem(
                        _("unknown fragment {id!r}").format(id=fragment_id),
                        "include",
                        file=referential.id,
                    )
                ]
            )
        for bloc in fragment.blocs:
            blocs.append(attrs.evolve(bloc, provenance=bloc.provenance or fragment.provenance))
        sources += [s for s in fragment.sources if s.id not in known_sources]
        known_sources |= {s.id for s in fragment.sources}
    merged = attrs.evolve(referential, blocs=tuple(blocs), sources=tuple(sources))
    bloc_ids = {b.id for b in merged.blocs}
    problems = [
        Problem(
            _("unknown {what} {code!r}").format(what=_("bloc"), code=e.bloc),
            f"epreuves[{i}].bloc",
            file=referential.id,
        )
        for i, e in enumerate(merged.epreuves)
        if e.bloc is not None and e.bloc not in bloc_ids
    ]
    if problems:
        raise ReferentialError(problems)
    return merged
