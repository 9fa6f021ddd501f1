"""The library's defaults: SACoche's rating scale and calculation settings.

SACoche is the reference French competency tool; reproducing its defaults exactly lets a
school compare. Its four codes carry the four levels used across French schools (maîtrise
insuffisante / fragile / satisfaisante / très bonne). A diploma plugin or a school file
overrides any of this.
"""

from __future__ import annotations

from ep_skills.referential.settings import (
    AcquisitionState,
    CalculationSettings,
    Coverage,
    Level,
    Scale,
)

__all__ = ["DEFAULT_SCALE", "DEFAULT_SETTINGS", "FOUR_LEVEL_SCALE"]

DEFAULT_SCALE = Scale(
    levels=(
        Level("RR", "Maîtrise insuffisante", 0, "−−"),
        Level("R", "Maîtrise fragile", 33, "−"),
        Level("V", "Maîtrise satisfaisante", 67, "+"),
        Level("VV", "Très bonne maîtrise", 100, "++"),
        # Non-scoring codes: recorded, shown, never calculated.
        Level("ABS", "Absent"),
        Level("NE", "Non évalué"),
        Level("DISP", "Dispensé"),
        Level("REQ", "Demande d'évaluation"),
    ),
    states=(
        AcquisitionState("NA", "non acquis", 0, symbol="✗", colour="red"),
        AcquisitionState("VA", "en cours d'acquisition", 40, symbol="◐", colour="yellow"),
        AcquisitionState("A", "acquis", 61, acquired=True, symbol="✓", colour="green"),
    ),
    default_level="V",
)

# The same four levels under the names the « livret » uses, for plugins that prefer them.
FOUR_LEVEL_SCALE = Scale(
    levels=(
        Level("MI", "Maîtrise insuffisante", 0, "1"),
        Level("MF", "Maîtrise fragile", 33, "2"),
        Level("MS", "Maîtrise satisfaisante", 67, "3"),
        Level("TBM", "Très bonne maîtrise", 100, "4"),
        Level("ABS", "Absent"),
        Level("NE", "Non évalué"),
        Level("DISP", "Dispensé"),
        Level("REQ", "Demande d'évaluation"),
    ),
    states=DEFAULT_SCALE.states,
    default_level="MS",
)

DEFAULT_SETTINGS = CalculationSettings(
    method="geometrique",
    limit=5,
    scope="all",
    rollup="all-children",
    rollup_min_share=1.0,
    coverage=Coverage(),
    role_weights={"maitre": 1.0, "enseignant": 1.0, "tuteur": 1.0},
    mark_conversion="score",
    state_points={"NA": 0.0, "VA": 10.0, "A": 20.0},
)
