"""Building the plugin manager: entry points in group ``ep_skills``, then the built-ins.

Nothing is loaded at import time. ``EP_SKILLS_BLOCK_PLUGINS`` (comma-separated names) keeps
named plugins out, built-ins included, which is how a school turns off a broken plugin.

One broken plugin must not stop the others: an installed plugin that fails to import or to
register is left out and kept as a :class:`PluginProblem` (read them with
:func:`load_problems`), unless ``strict=True`` asks for an error. Plugins passed in ``extra``
are the caller's own code: any problem with them is a :class:`PluginError` at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from ep_skills.errors import PluginError
from ep_skills.i18n import _
from ep_skills.plugins import hookspecs
from ep_skills.plugins.builtins import BUILTIN_MODULES

if TYPE_CHECKING:
    from importlib.metadata import Distribution, EntryPoint
    from types import ModuleType

__all__ = [
    "BLOCK_ENV",
    "ENTRY_POINT_GROUP",
    "PluginManager",
    "PluginProblem",
    "PluginStatus",
    "blocked_plugins",
    "describe_error",
    "hook_names",
    "load_problems",
    "make_plugin_manager",
    "plugin_statuses",
]

ENTRY_POINT_GROUP = "ep_skills"
BLOCK_ENV = "EP_SKILLS_BLOCK_PLUGINS"
_HOOK_PREFIX = "ep_skills_"


@attrs.frozen
class PluginProblem:
    """Something wrong with one plugin, found while building the plugin manager."""

    plugin: str
    message: str
    distribution: str | None = None
    version: str | None = None
    skipped: bool = True
    """True: the plugin failed to load and is left out. False: a warning, the plugin works."""

    def describe(self) -> str:
        """One line for the user, in the current language."""
        if not self.skipped:
            return _("plugin {name}: {message}").format(name=self.plugin, message=self.message)
        who = self.plugin if self.distribution is None else f"{self.plugin} ({self.distribution})"
        return _(
            "plugin {name} failed to load and is skipped: {error} "
            "(to stop this warning: {env}={plugin})"
        ).format(name=who, error=self.message, env=BLOCK_ENV, plugin=self.plugin)


@attrs.frozen
class PluginStatus:
    """One plugin as ``ep-skills plugins`` lists it."""

    name: str
    status: str
    """``loaded``, ``blocked`` (by ``EP_SKILLS_BLOCK_PLUGINS``) or ``failed`` (see ``error``)."""
    hooks: tuple[str, ...] = ()
    version: str | None = None
    distribution: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()


def _dist_facade(dist: Any) -> Any:
    # pluggy hands out distributions wrapped for pkg_resources compatibility; the wrapper
    # moved from pluggy._manager (1.5) to pluggy._compat (1.6).
    try:
        from pluggy._compat import DistFacade
    except ImportError:  # pragma: no cover - pluggy 1.5
        from pluggy import _manager

        return _manager.DistFacade(dist)  # type: ignore[attr-defined]
    return DistFacade(dist)


class PluginManager(pluggy.PluginManager):
    """pluggy's plugin manager, which also keeps what went wrong while loading the plugins."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.problems: list[PluginProblem] = []
        """Plugins left out, and warnings about loaded ones, in the order they were found."""
        self.blocked_distributions: dict[str, Any] = {}
        """The distribution of each installed plugin that ``EP_SKILLS_BLOCK_PLUGINS`` blocked."""
        self._distributions: list[tuple[object, Distribution]] = []

    def list_plugin_distinfo(self) -> list[tuple[Any, Any]]:
        """``(plugin, distribution)`` for each plugin loaded from an entry point."""
        return [(plugin, _dist_facade(dist)) for plugin, dist in self._distributions]

    def list_plugin_distributions(self) -> list[tuple[Any, Distribution]]:
        """``(plugin, importlib.metadata distribution)`` for each plugin of an entry point."""
        return list(self._distributions)


def blocked_plugins() -> list[str]:
    """Names listed in ``EP_SKILLS_BLOCK_PLUGINS``."""
    return [n.strip() for n in os.environ.get(BLOCK_ENV, "").split(",") if n.strip()]


def hook_names() -> list[str]:
    """The names of every hook a plugin can implement, sorted."""
    return sorted(name for name, value in vars(hookspecs).items() if _is_spec(value))


def _is_spec(value: object) -> bool:
    return hasattr(value, f"{hookspecs.PROJECT}_spec")


def load_problems(pm: pluggy.PluginManager) -> list[PluginProblem]:
    """What went wrong while ``pm`` loaded its plugins: none for another kind of manager."""
    return list(pm.problems) if isinstance(pm, PluginManager) else []


def make_plugin_manager(
    *,
    entry_points: bool = True,
    extra: tuple[tuple[str, object], ...] = (),
    strict: bool = False,
) -> PluginManager:
    """A plugin manager with every installed plugin and the built-ins registered.

    :param entry_points: load installed plugins (turn off for isolated tests).
    :param extra: ``(name, plugin)`` pairs to register too, as tests and embedders do.
    :param strict: an installed plugin that fails to load, or a function named like a hook
        but not marked as one, is a :class:`PluginError`, instead of being left out (or
        warned about) and listed in :func:`load_problems`.
    :raises PluginError: a plugin of ``extra`` (or, when ``strict``, an installed one) fails
        to import, to register, or implements a hook that does not exist.
    """
    pm = PluginManager()
    pm.add_hookspecs(hookspecs)
    for name in blocked_plugins():
        pm.set_blocked(name)
    if entry_points:
        _load_entry_points(pm, strict=strict)
    _register_own(pm, [*_builtins(), *extra])
    _look_for_unmarked_hooks(pm, strict=strict)
    return pm


def _builtins() -> list[tuple[str, ModuleType]]:
    return [(module.__name__, module) for module in BUILTIN_MODULES]


def _register_own(pm: PluginManager, plugins: list[tuple[str, object]]) -> None:
    """Register the built-ins and the caller's plugins: their problems are errors at once."""
    for name, plugin in plugins:
        if pm.is_blocked(name):
            continue
        error = _register(pm, name, plugin)
        if error is not None:
            raise PluginError(
                _("plugin {name!r}: {error}").format(name=name, error=error), plugin=name
            )


def _look_for_unmarked_hooks(pm: PluginManager, *, strict: bool) -> None:
    """Warn about (or, when ``strict``, refuse) hook-like functions pluggy ignores."""
    for name, plugin in pm.list_name_plugin():
        if plugin is None:  # blocked
            continue
        warnings = _unmarked_hooks(pm, name, plugin)
        if strict and warnings:
            raise PluginError(warnings[0].describe(), plugin=name)
        pm.problems += warnings


# -- installed plugins -----------------------------------------------------------------------------


def _entry_points() -> Iterator[tuple[Distribution, EntryPoint]]:
    """Every entry point of the group, with its distribution, as pluggy lists them."""
    import importlib.metadata

    for dist in list(importlib.metadata.distributions()):
        for entry_point in dist.entry_points:
            if entry_point.group == ENTRY_POINT_GROUP:
                yield dist, entry_point


def _load_entry_points(pm: PluginManager, *, strict: bool) -> None:
    """Import and register each installed plugin on its own, so that one failure stays its own."""
    for dist, entry_point in _entry_points():
        name = entry_point.name
        if pm.is_blocked(name):
            pm.blocked_distributions.setdefault(name, dist)
            continue
        if pm.has_plugin(name) or _already_failed(pm, name):  # first one wins, as in pluggy
            continue
        try:
            plugin = entry_point.load()
            error = _register(pm, name, plugin)
        except (Exception, SystemExit) as exc:  # an import can fail in any way; sys.exit too
            error = describe_error(exc)
        if error is None:
            pm._distributions.append((plugin, dist))
            continue
        if strict:
            raise PluginError(
                _("plugin {name} failed to load: {error}").format(name=name, error=error),
                plugin=name,
            )
        pm.problems.append(PluginProblem(name, error, _dist_name(dist), _dist_version(dist)))


def _already_failed(pm: PluginManager, name: str) -> bool:
    # A distribution found twice on sys.path must not be reported twice.
    return any(problem.plugin == name and problem.skipped for problem in pm.problems)


def describe_error(exc: BaseException) -> str:
    """An exception in one line: its type tells an ImportError from a plugin's own bug."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _dist_name(dist: Any) -> str | None:
    try:
        name = dist.metadata["name"]
    except (KeyError, AttributeError, TypeError):
        return None
    return str(name) if name else None


def _dist_version(dist: Any) -> str | None:
    version = getattr(dist, "version", None)
    return str(version) if version else None


# -- registering one plugin ------------------------------------------------------------------------


def _register(pm: PluginManager, name: str, plugin: object) -> str | None:
    """Register ``plugin``; the reason it cannot be, with nothing of it left registered."""
    if plugin is None:
        return _("the entry point names None, not a module or an object")
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        _forget(pm, name, plugin)
        return " ".join(str(exc).split())  # the wrong parameter is on its second line
    except ValueError as exc:
        _forget(pm, name, plugin)
        # A name or plugin taken twice: pluggy lists every plugin after the first line.
        return (str(exc).splitlines() or [type(exc).__name__])[0]
    unknown = _unknown_hooks(pm, plugin)
    if unknown:
        _forget(pm, name, plugin)
        return "; ".join(unknown)
    return None


def _forget(pm: PluginManager, name: str, plugin: object) -> None:
    """Undo a registration that went wrong half-way (older pluggy leaves parts behind)."""
    if pm.get_plugin(name) is plugin:
        pm.unregister(plugin=plugin, name=name)
    # A hook with no specification stays behind, empty, once its only implementation is gone.
    for hook_name, caller in list(vars(pm.hook).items()):
        spare = isinstance(caller, pluggy.HookCaller) and not caller.has_spec()
        if spare and not caller.get_hookimpls():
            delattr(pm.hook, hook_name)


def _unknown_hooks(pm: PluginManager, plugin: object) -> list[str]:
    """Messages for the hooks ``plugin`` implements that no specification declares."""
    messages = []
    for caller in pm.get_hookcallers(plugin) or []:
        if caller.has_spec():
            continue
        if all(impl.optionalhook for impl in caller.get_hookimpls() if impl.plugin is plugin):
            continue
        messages.append(
            _("{function} implements a hook that does not exist").format(function=caller.name)
            + _suggestion(caller.name)
        )
    return messages


def _suggestion(name: str) -> str:
    """`` (did you mean …?)`` when a hook's name is close to ``name``, else nothing."""
    from difflib import get_close_matches

    # Every name shares the prefix: compared with it, anything would look close.
    hooks = {hook.removeprefix(_HOOK_PREFIX): hook for hook in hook_names()}
    close = get_close_matches(name.removeprefix(_HOOK_PREFIX), list(hooks), n=1)
    return " " + _("(did you mean {hook}?)").format(hook=hooks[close[0]]) if close else ""


def _unmarked_hooks(pm: PluginManager, name: str, plugin: object) -> list[PluginProblem]:
    """Warnings for functions named like hooks that pluggy ignores: no ``@hookimpl`` marker."""
    import inspect

    hooks = hook_names()
    problems = []
    for attribute in dir(plugin):
        if not attribute.startswith(_HOOK_PREFIX) or pm.parse_hookimpl_opts(plugin, attribute):
            continue
        try:
            value = inspect.getattr_static(plugin, attribute)
        except AttributeError:
            continue
        if not _is_function_like(value):
            continue
        if attribute in hooks:
            message = _(
                "{function} looks like a hook but is not marked @hookimpl: it is ignored"
            ).format(function=attribute)
        else:
            message = _("{function} looks like a hook but no hook has this name: it is ignored")
            message = message.format(function=attribute) + _suggestion(attribute)
        problems.append(PluginProblem(name, message, skipped=False))
    return problems


def _is_function_like(value: object) -> bool:
    import inspect

    if isinstance(value, staticmethod | classmethod):
        return True
    return callable(value) and not inspect.isclass(value)


# -- what ``ep-skills plugins`` shows --------------------------------------------------------------


def plugin_statuses(pm: pluggy.PluginManager) -> list[PluginStatus]:
    """Every plugin ``pm`` knows of, loaded, blocked or failed, sorted by name."""
    problems = load_problems(pm)
    blocked = pm.blocked_distributions if isinstance(pm, PluginManager) else {}
    distinfo = pm.list_plugin_distinfo()
    rows = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            dist = blocked.get(name)
            rows.append(PluginStatus(name, "blocked", (), *_dist_fields(dist)))
            continue
        hooks = tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or []))
        dist = next((d for p, d in distinfo if p is plugin), None)
        warnings = tuple(p.message for p in problems if p.plugin == name and not p.skipped)
        rows.append(PluginStatus(name, "loaded", hooks, *_dist_fields(dist), warnings=warnings))
    for problem in problems:
        if problem.skipped:
            rows.append(
                PluginStatus(
                    problem.plugin,
                    "failed",
                    version=problem.version,
                    distribution=problem.distribution,
                    error=problem.message,
                )
            )
    return sorted(rows, key=lambda row: (row.name, row.status))


def _dist_fields(dist: Any) -> tuple[str | None, str | None]:
    """``(version, distribution name)``, both None for a plugin that is no distribution's."""
    if dist is None:
        return None, None
    return _dist_version(dist), _dist_name(dist)
