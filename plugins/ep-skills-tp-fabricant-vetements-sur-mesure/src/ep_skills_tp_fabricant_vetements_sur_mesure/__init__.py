"""ep-skills plugin: Titre professionnel Fabricant(e) de vêtements sur mesure.

Arrêté du 27 août 2014.

The referential is kept in the repository's ``referentials/tp-fabricant-vetements-sur-mesure.toml``;
the package ships it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from ep_skills.plugins.kit import PROVEN_OVER_TIME, DiplomaPlugin

DIPLOMA_ID = "tp-fabricant-vetements-sur-mesure"

plugin = DiplomaPlugin(__name__, DIPLOMA_ID, settings=PROVEN_OVER_TIME)
