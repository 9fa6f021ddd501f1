"""ep-skills plugin: Titre professionnel Technicien(ne) d'atelier en usinage.

Arrêté du 9 septembre 2004.

The referential is kept in the repository's ``referentials/tp-technicien-usinage.toml``; the
package ships it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from ep_skills.plugins.kit import PROVEN_OVER_TIME, DiplomaPlugin

DIPLOMA_ID = "tp-technicien-usinage"

plugin = DiplomaPlugin(__name__, DIPLOMA_ID, settings=PROVEN_OVER_TIME)
