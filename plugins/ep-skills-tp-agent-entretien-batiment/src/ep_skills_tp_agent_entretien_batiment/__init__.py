"""ep-skills plugin: Titre professionnel agent d'entretien du bâtiment.

The version shipped is the arrêté du 4 septembre 2003 as modified by the arrêté du 8 mars 2006
(four units and two certificats complémentaires de spécialisation). The referential is kept in the
repository's ``referentials/tp-agent-entretien-batiment.toml``; the package ships it as
``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from ep_skills.plugins.kit import PROVEN_OVER_TIME, DiplomaPlugin

DIPLOMA_ID = "tp-agent-entretien-batiment"

plugin = DiplomaPlugin(__name__, DIPLOMA_ID, settings=PROVEN_OVER_TIME)
