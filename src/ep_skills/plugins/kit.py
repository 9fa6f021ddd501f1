"""The usual diploma plugin in one line, for plugin authors.

Most diploma plugins do two things: register the ``referential.toml`` shipped in their package,
and perhaps answer calculation settings for their diploma. :class:`DiplomaPlugin` does both::

    # ep_skills_cap_exemple/__init__.py
    from ep_skills.plugins.kit import DiplomaPlugin, PROVEN_OVER_TIME

    plugin = DiplomaPlugin(__name__, "cap-exemple", settings=PROVEN_OVER_TIME)

with the entry point ``cap_exemple = "ep_skills_cap_exemple:plugin"``. A plugin that needs more
implements the hooks itself (see ``docs/hooks.md``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from ep_skills.plugins.hookspecs import ReferentialSource, hookimpl
from ep_skills.referential.settings import CalculationSettings, Coverage

__all__ = ["PROVEN_ON_TWO_ORDERS", "PROVEN_OVER_TIME", "DiplomaPlugin"]

PROVEN_OVER_TIME = CalculationSettings(
    coverage=Coverage(min_assessments=3, min_contexts=2, min_span_weeks=4)
)
"""Not official: the shipped plugins' choice, overridable by a school (``docs/model.md``,
"Believable readiness"). A competency seen once, on a lucky day, is not proven, and neither is
a fortnight of the same routine task: ask for three assessments on at least two different
orders, spread over at least four weeks."""

PROVEN_ON_TWO_ORDERS = CalculationSettings(coverage=Coverage(min_assessments=3, min_contexts=2))
"""The shipped plugins' choice in 0.1: three assessments on two orders, with no minimum
period. Kept for plugins that chose it; it lets two weeks of routine make a trainee « prêt »."""


class DiplomaPlugin:
    """Registers ``<package>/<resource>`` and, for ``diploma_id``, ``settings``."""

    def __init__(
        self,
        package: str,
        diploma_id: str,
        *,
        settings: CalculationSettings | None = None,
        resource: str = "referential.toml",
    ) -> None:
        self.package = package
        self.diploma_id = diploma_id
        self.settings = settings
        self.resource = resource

    def __repr__(self) -> str:
        return f"DiplomaPlugin({self.package!r}, {self.diploma_id!r})"

    @hookimpl
    def ep_skills_register_referentials(
        self, register: Callable[[ReferentialSource], None]
    ) -> None:
        # The TOML sits beside the package's code, installed from a wheel or editable; only a
        # package that is not a folder (a zip) needs importlib.resources, slow to import.
        origin = getattr(sys.modules.get(self.package), "__file__", None)
        folder = Path(origin).parent if origin else None
        if folder is not None and folder.is_dir():
            register(folder / self.resource)
            return
        from importlib.resources import files

        register(files(self.package) / self.resource)

    @hookimpl
    def ep_skills_calculation_settings(self, diploma_id: str) -> CalculationSettings | None:
        return self.settings if diploma_id == self.diploma_id else None
