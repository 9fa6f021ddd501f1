"""Built-in behaviour, registered like any external plugin."""

from ep_skills.plugins.builtins import fragments, methods

BUILTIN_MODULES = (fragments, methods)

__all__ = ["BUILTIN_MODULES"]
