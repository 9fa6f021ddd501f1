"""A testing kit for diploma plugin authors, shipped as a pytest plugin (``pytest11``).

Subclass :class:`ReferentialConformance` in your plugin's tests and set ``diploma_id``: every
test of the conformance suite then runs against your installed plugin. The fixtures
``ep_skills_registry`` (every installed plugin) and ``ep_skills_plugin_manager`` are available
to any test once ep-skills is installed.

pytest is not a dependency of ep-skills: install the kit with ``pip install "ep-skills[testing]"``
(a scaffolded plugin's ``test`` extra asks for it).
"""

from __future__ import annotations

from typing import ClassVar

import pluggy

try:
    import pytest
except ModuleNotFoundError as error:  # pragma: no cover - depends on the environment
    raise ModuleNotFoundError(
        'ep_skills.testing needs pytest: pip install "ep-skills[testing]"', name="pytest"
    ) from error

from ep_skills.errors import Severity
from ep_skills.plugins.manager import make_plugin_manager
from ep_skills.plugins.registry import Registry
from ep_skills.referential.codec import dumps_referential, loads_referential
from ep_skills.referential.defaults import DEFAULT_SCALE
from ep_skills.referential.model import ProvenanceStatus, Referential, ReferentialStatus
from ep_skills.referential.provenance import effective_provenance_map
from ep_skills.referential.validate import check_referential, iter_competencies

__all__ = ["ReferentialConformance"]


@pytest.fixture
def ep_skills_plugin_manager() -> pluggy.PluginManager:
    """A fresh plugin manager with every installed plugin; one that fails to load fails the
    tests with its own error (rather than showing as "not installed")."""
    return make_plugin_manager(strict=True)


@pytest.fixture
def ep_skills_registry(ep_skills_plugin_manager: pluggy.PluginManager) -> Registry:
    """The registry of every installed diploma."""
    return Registry(ep_skills_plugin_manager)


class ReferentialConformance:
    """Checks every diploma plugin must pass. Set ``diploma_id`` in a subclass."""

    diploma_id: ClassVar[str]

    @pytest.fixture
    def referential(self, ep_skills_registry: Registry) -> Referential:
        return ep_skills_registry.get(self.diploma_id)

    def test_is_installed(self, ep_skills_registry: Registry) -> None:
        assert self.diploma_id in ep_skills_registry.ids()

    def test_has_no_errors(self, referential: Referential) -> None:
        errors = [p for p in check_referential(referential) if p.severity is Severity.ERROR]
        assert errors == []

    def test_every_item_has_provenance_with_a_known_source(self, referential: Referential) -> None:
        sources = {s.id for s in referential.sources}
        assert sources, "a referential must cite at least one source"
        for path, provenance in effective_provenance_map(referential).items():
            if path.startswith("tasks"):
                continue
            assert provenance.source in sources, f"{path or 'top level'} has no known source"

    def test_every_competency_is_assessed_and_reachable(self, referential: Referential) -> None:
        # Warnings are allowed for drafts only: check_referential makes them errors otherwise.
        problems = check_referential(referential)
        blocking = [p for p in problems if p.severity is Severity.ERROR]
        assert not blocking

    def test_catalogue_covers_every_leaf_competency(self, referential: Referential) -> None:
        # A draft (the whole referential, or one item) may still lack its tasks.
        if referential.status is ReferentialStatus.DRAFT:
            return
        provenance = effective_provenance_map(referential)
        mapped = {link.code for task in referential.tasks for link in task.competencies}
        leaves = {
            c.code
            for b, bloc in enumerate(referential.blocs)
            for c, path, _ancestors in iter_competencies(
                bloc.competencies, f"blocs[{b}].competencies"
            )
            if not c.children and provenance[path].status is not ProvenanceStatus.DRAFT
        }
        assert leaves <= mapped, f"not reachable from the catalogue: {sorted(leaves - mapped)}"

    def test_round_trips_through_toml(self, referential: Referential) -> None:
        # Included fragments are merged in the registry; compare the file's own content.
        text = dumps_referential(referential)
        again, _warnings = loads_referential(text, check=False)
        assert again == referential

    def test_scale_is_complete(self, referential: Referential) -> None:
        scale = referential.scale or DEFAULT_SCALE
        assert any(level.scoring for level in scale.levels)
        assert any(state.acquired for state in scale.states)
        assert min(state.min_score for state in scale.states) == 0
        default = scale.default_level
        assert default is None or scale.level(default) is not None
        for task in referential.tasks:
            for link in task.competencies:
                assert link.level is None or scale.level(link.level) is not None
