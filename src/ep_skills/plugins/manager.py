"""Building the plugin manager: entry points in group ``ep_skills``, then the built-ins.

Nothing is loaded at import time. ``EP_SKILLS_BLOCK_PLUGINS`` (comma-separated names) keeps
named plugins out, built-ins included, which is how a school turns off a broken plugin.
"""

from __future__ import annotations

import os
from types import ModuleType

import pluggy

from ep_skills.errors import PluginError
from ep_skills.i18n import _
from ep_skills.plugins import hookspecs
from ep_skills.plugins.builtins import BUILTIN_MODULES

__all__ = ["BLOCK_ENV", "ENTRY_POINT_GROUP", "blocked_plugins", "make_plugin_manager"]

ENTRY_POINT_GROUP = "ep_skills"
BLOCK_ENV = "EP_SKILLS_BLOCK_PLUGINS"


def blocked_plugins() -> list[str]:
    """Names listed in ``EP_SKILLS_BLOCK_PLUGINS``."""
    return [n.strip() for n in os.environ.get(BLOCK_ENV, "").split(",") if n.strip()]


def make_plugin_manager(
    *, entry_points: bool = True, extra: tuple[tuple[str, object], ...] = ()
) -> pluggy.PluginManager:
    """A plugin manager with every installed plugin and the built-ins registered.

    :param entry_points: load installed plugins (turn off for isolated tests).
    :param extra: ``(name, plugin)`` pairs to register too, as tests and embedders do.
    :raises PluginError: a plugin fails to import or implements a hook with no spec.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in blocked_plugins():
        pm.set_blocked(name)
    if entry_points:
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:  # a broken third-party plugin must not show a traceback
            raise PluginError(_("a plugin failed to load: {error}").format(error=exc)) from exc
    modules: list[tuple[str, object]] = [*_builtins(), *extra]
    for name, plugin in modules:
        if pm.is_blocked(name):
            continue
        try:
            pm.register(plugin, name=name)
        except ValueError as exc:
            raise PluginError(str(exc)) from exc
        except pluggy.PluginValidationError as exc:
            raise PluginError(_("plugin {name!r}: {error}").format(name=name, error=exc)) from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            _("plugin {name!r} implements a hook that does not exist: {error}").format(
                name=pm.get_name(exc.plugin), error=exc
            )
        ) from exc
    return pm


def _builtins() -> list[tuple[str, ModuleType]]:
    return [(module.__name__, module) for module in BUILTIN_MODULES]
