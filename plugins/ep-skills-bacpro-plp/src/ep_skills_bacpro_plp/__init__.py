"""ep-skills plugin: Bac Pro Pilote de ligne de production (arrêté du 30 mars 2012).

The referential is kept in the repository's ``referentials/bacpro-plp.toml``; the package ships
it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from ep_skills.plugins.kit import PROVEN_OVER_TIME, DiplomaPlugin

DIPLOMA_ID = "bacpro-plp"

plugin = DiplomaPlugin(__name__, DIPLOMA_ID, settings=PROVEN_OVER_TIME)
