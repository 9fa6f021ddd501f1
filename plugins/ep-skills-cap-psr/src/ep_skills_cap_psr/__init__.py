"""ep-skills plugin: CAP Production et service en restaurations (rapide, collective, cafétéria) (arrêté du 29 octobre 2019).

The referential is kept in the repository's ``referentials/cap-psr.toml``; the package ships
it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files

from ep_skills import hookimpl
from ep_skills.plugins.hookspecs import ReferentialSource

DIPLOMA_ID = "cap-psr"


@hookimpl
def ep_skills_register_referentials(register: Callable[[ReferentialSource], None]) -> None:
    register(files(__name__) / "referential.toml")
