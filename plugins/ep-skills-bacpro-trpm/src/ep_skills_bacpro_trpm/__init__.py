"""ep-skills plugin: Bac Pro Technicien en réalisation de produits mécaniques (options RSP et RMO).

Draft: the creation arrêté, the competencies and the professional units were not found;
the file ships the identity of the diploma, its options, its RNCP registration and the
professional épreuves E2, E31, E32 named by a secondary source.

The referential is kept in the repository's ``referentials/bacpro-trpm.toml``; the package ships
it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files

from ep_skills import hookimpl
from ep_skills.plugins.hookspecs import ReferentialSource
from ep_skills.referential.settings import CalculationSettings, Coverage

DIPLOMA_ID = "bacpro-trpm"


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
