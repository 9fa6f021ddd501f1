"""ep-skills plugin: Bac Pro Technicien en réalisation de produits mécaniques (options RSP et RMO).

Draft: the creation arrêté, the competencies and the professional units were not found;
the file ships the identity of the diploma, its options, its RNCP registration and the
professional épreuves E2, E31, E32 named by a secondary source.

The referential is kept in the repository's ``referentials/bacpro-trpm.toml``; the package ships
it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from ep_skills.plugins.kit import PROVEN_OVER_TIME, DiplomaPlugin

DIPLOMA_ID = "bacpro-trpm"

plugin = DiplomaPlugin(__name__, DIPLOMA_ID, settings=PROVEN_OVER_TIME)
