"""SACoche's calculation methods, registered as the built-in ones."""

from __future__ import annotations

from collections.abc import Callable

from ep_skills.engine.methods import BUILTIN_METHODS, Method
from ep_skills.plugins.hookspecs import hookimpl


@hookimpl
def ep_skills_register_methods(register: Callable[[str, Method], None]) -> None:
    for name, method in BUILTIN_METHODS.items():
        register(name, method)
