"""Ships the general-education blocs shared by post-2019 CAPs."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from ep_skills.plugins.hookspecs import hookimpl


@hookimpl
def ep_skills_register_fragments(register: Callable[[Path | Traversable], None]) -> None:
    register(files("ep_skills") / "data" / "cap-general-2019.toml")
