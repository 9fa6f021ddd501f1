"""ep-skills plugin: CAP Métiers de la mode - vêtement flou.

Draft: competencies C1 to C4 and the épreuves EP1 and EP2 come from non-official pages
(secondary); the arrêté that defines the referential was not found.

The referential is kept in the repository's ``referentials/cap-mode-vetement-flou.toml``;
the package ships it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files

from ep_skills import hookimpl
from ep_skills.plugins.hookspecs import ReferentialSource
from ep_skills.referential.settings import CalculationSettings, Coverage

DIPLOMA_ID = "cap-mode-vetement-flou"


@hookimpl
def ep_skills_register_referentials(register: Callable[[ReferentialSource], None]) -> None:
    register(files(__name__) / "referential.toml")


@hookimpl
def ep_skills_calculation_settings(diploma_id: str) -> CalculationSettings | None:
    # Not official: the plugin's choice, overridable by a school. A competency seen once on a
    # lucky day is not proven: ask for three assessments on at least two different orders.
    if diploma_id != DIPLOMA_ID:
        return None
    return CalculationSettings(coverage=Coverage(min_assessments=3, min_contexts=2))
