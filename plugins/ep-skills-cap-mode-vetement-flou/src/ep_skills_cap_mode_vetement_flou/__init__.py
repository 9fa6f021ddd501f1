"""ep-skills plugin: CAP Métiers de la mode - vêtement flou.

Draft: competencies C1 to C4 and the épreuves EP1 and EP2 come from non-official pages
(secondary); the arrêté that defines the referential was not found.

The referential is kept in the repository's ``referentials/cap-mode-vetement-flou.toml``;
the package ships it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from ep_skills.plugins.kit import PROVEN_OVER_TIME, DiplomaPlugin

DIPLOMA_ID = "cap-mode-vetement-flou"

plugin = DiplomaPlugin(__name__, DIPLOMA_ID, settings=PROVEN_OVER_TIME)
