"""ep-skills plugin: CAP Production et service en restaurations (rapide, collective, cafétéria).

Arrêté du 29 octobre 2019.

The referential is kept in the repository's ``referentials/cap-psr.toml``; the package ships
it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from ep_skills.plugins.kit import PROVEN_OVER_TIME, DiplomaPlugin

DIPLOMA_ID = "cap-psr"

plugin = DiplomaPlugin(__name__, DIPLOMA_ID, settings=PROVEN_OVER_TIME)
