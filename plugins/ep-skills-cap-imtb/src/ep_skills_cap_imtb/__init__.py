"""ep-skills plugin: CAP Interventions en maintenance technique des bâtiments.

Arrêté du 30 mars 2021 (according to a secondary source).

Draft: replaces the CAP Maintenance de bâtiments de collectivités. The competencies, the
professional units and the règlement d'examen were not found; the file ships the identity of the
diploma, its RNCP registrations and the general-education units of post-2019 CAPs.

The referential is kept in the repository's ``referentials/cap-imtb.toml``; the package ships
it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files

from ep_skills import hookimpl
from ep_skills.plugins.hookspecs import ReferentialSource
from ep_skills.referential.settings import CalculationSettings, Coverage

DIPLOMA_ID = "cap-imtb"


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
