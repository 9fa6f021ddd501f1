"""ep-skills plugin: CAP Conducteur d'installations de production (arrêté du 30 mars 2012).

The referential is kept in the repository's ``referentials/cap-cip.toml``; the package ships
it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from ep_skills.plugins.kit import PROVEN_OVER_TIME, DiplomaPlugin

DIPLOMA_ID = "cap-cip"

plugin = DiplomaPlugin(__name__, DIPLOMA_ID, settings=PROVEN_OVER_TIME)
