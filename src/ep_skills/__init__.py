"""ep-skills: what trainees have proven on real production orders, against their diploma.

Data flows one way: referential (TOML) → plugins register it → journal records evidence →
engine computes states → views (CLI, reports). The names below are the public API; they are
imported on first use so that ``import ep_skills`` stays cheap for the command line.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ep_skills.plugins.hookspecs import hookimpl, hookspec

if TYPE_CHECKING:
    from ep_skills.errors import (
        EpSkillsError,
        PluginError,
        Problem,
        ReferentialError,
        UnknownDiplomaError,
    )
    from ep_skills.plugins.manager import make_plugin_manager
    from ep_skills.plugins.registry import Registry
    from ep_skills.referential.codec import dumps_referential, load_referential, loads_referential
    from ep_skills.referential.model import (
        Bloc,
        CatalogueTask,
        Competency,
        Epreuve,
        Provenance,
        ProvenanceStatus,
        Referential,
    )
    from ep_skills.referential.settings import CalculationSettings, Coverage, Scale

__version__ = "0.1.0"

_LAZY = {
    "EpSkillsError": "ep_skills.errors",
    "PluginError": "ep_skills.errors",
    "Problem": "ep_skills.errors",
    "ReferentialError": "ep_skills.errors",
    "UnknownDiplomaError": "ep_skills.errors",
    "make_plugin_manager": "ep_skills.plugins.manager",
    "Registry": "ep_skills.plugins.registry",
    "dumps_referential": "ep_skills.referential.codec",
    "load_referential": "ep_skills.referential.codec",
    "loads_referential": "ep_skills.referential.codec",
    "Bloc": "ep_skills.referential.model",
    "CatalogueTask": "ep_skills.referential.model",
    "Competency": "ep_skills.referential.model",
    "Epreuve": "ep_skills.referential.model",
    "Provenance": "ep_skills.referential.model",
    "ProvenanceStatus": "ep_skills.referential.model",
    "Referential": "ep_skills.referential.model",
    "CalculationSettings": "ep_skills.referential.settings",
    "Coverage": "ep_skills.referential.settings",
    "Scale": "ep_skills.referential.settings",
}

__all__ = ["__version__", "hookimpl", "hookspec", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ep_skills' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
