"""ep-skills plugin: CAP Interventions en maintenance technique des bâtiments.

Arrêté du 30 mars 2021 (according to a secondary source).

Draft: replaces the CAP Maintenance de bâtiments de collectivités. The competencies, the
professional units and the règlement d'examen were not found; the file ships the identity of the
diploma, its RNCP registrations and the general-education units of post-2019 CAPs.

The referential is kept in the repository's ``referentials/cap-imtb.toml``; the package ships
it as ``referential.toml`` so that an installed wheel finds it.
"""

from __future__ import annotations

from ep_skills.plugins.kit import PROVEN_OVER_TIME, DiplomaPlugin

DIPLOMA_ID = "cap-imtb"

plugin = DiplomaPlugin(__name__, DIPLOMA_ID, settings=PROVEN_OVER_TIME)
