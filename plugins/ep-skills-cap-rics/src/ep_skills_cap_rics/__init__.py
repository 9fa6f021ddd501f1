"""ep-skills plugin: CAP Réalisations industrielles en chaudronnerie ou soudage (2017).

Arrêté du 3 janvier 2017, options A chaudronnerie and B soudage; a draft referential.

The referential is kept in the repository's ``referentials/cap-rics.toml``; the package ships
it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from ep_skills.plugins.kit import PROVEN_OVER_TIME, DiplomaPlugin

DIPLOMA_ID = "cap-rics"

plugin = DiplomaPlugin(__name__, DIPLOMA_ID, settings=PROVEN_OVER_TIME)
