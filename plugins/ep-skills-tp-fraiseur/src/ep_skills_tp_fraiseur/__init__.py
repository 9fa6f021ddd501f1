"""ep-skills plugin: Titre professionnel Fraiseur(se) sur machines conventionnelles et à CN.

Titre professionnel « fraiseur(se) sur machines conventionnelles et à commande numérique »,
arrêté du 23 mars 2007 (version modifiée). The referential is kept in the repository's
``referentials/tp-fraiseur.toml``; the package ships it as ``referential.toml`` so that an
installed wheel finds it.
"""

from __future__ import annotations

from ep_skills.plugins.kit import PROVEN_OVER_TIME, DiplomaPlugin

DIPLOMA_ID = "tp-fraiseur"

plugin = DiplomaPlugin(__name__, DIPLOMA_ID, settings=PROVEN_OVER_TIME)
