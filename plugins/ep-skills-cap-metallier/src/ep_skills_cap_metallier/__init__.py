"""ep-skills plugin: CAP Métallier (successor of the CAP Serrurier-métallier).

The referential is kept in the repository's ``referentials/cap-metallier.toml``; the package ships
it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from ep_skills.plugins.kit import PROVEN_OVER_TIME, DiplomaPlugin

DIPLOMA_ID = "cap-metallier"

plugin = DiplomaPlugin(__name__, DIPLOMA_ID, settings=PROVEN_OVER_TIME)
