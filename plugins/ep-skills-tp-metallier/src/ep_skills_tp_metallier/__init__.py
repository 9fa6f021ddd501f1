"""ep-skills plugin: Titre professionnel Métallier (arrêté du 22 mai 2013).

The referential is kept in the repository's ``referentials/tp-metallier.toml``; the package ships
it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from ep_skills.plugins.kit import PROVEN_OVER_TIME, DiplomaPlugin

DIPLOMA_ID = "tp-metallier"

plugin = DiplomaPlugin(__name__, DIPLOMA_ID, settings=PROVEN_OVER_TIME)
