"""Ships the general-education blocs shared by post-2019 CAPs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ep_skills.plugins.hookspecs import hookimpl

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# The package is a folder (wheel or editable install): no need for importlib.resources, which
# costs more to import than the rest of the start-up it would serve.
DATA = Path(__file__).resolve().parents[2] / "data"


@hookimpl
def ep_skills_register_fragments(register: Callable[[Path | Traversable], None]) -> None:
    register(DATA / "cap-general-2019.toml")
