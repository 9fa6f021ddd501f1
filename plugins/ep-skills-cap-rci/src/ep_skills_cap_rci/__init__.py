"""ep-skills plugin: CAP Réalisation en chaudronnerie industrielle (arrêté du 12 mai 2009).

Replaced by the CAP « réalisations industrielles en chaudronnerie ou soudage », option A
chaudronnerie (arrêté du 3 janvier 2017, plugin ``cap-rics``); kept for the trainees and the
evidence recorded under it.

The referential is kept in the repository's ``referentials/cap-rci.toml``; the package ships
it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from ep_skills.plugins.kit import PROVEN_OVER_TIME, DiplomaPlugin

DIPLOMA_ID = "cap-rci"

plugin = DiplomaPlugin(__name__, DIPLOMA_ID, settings=PROVEN_OVER_TIME)
