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
    from ep_skills.api import (
        KEEP,
        DiplomaInfo,
        ImportConflicts,
        ImportResult,
        Journal,
        Keep,
        check_usable,
        open_journal,
    )
    from ep_skills.engine.compute import CompetencyState, CoverageCheck
    from ep_skills.engine.explain import Explanation
    from ep_skills.engine.layers import EffectiveSettings, SchoolConfig, load_school_config
    from ep_skills.engine.rollup import BlocProgress, EpreuveReadiness, NodeState, Progress
    from ep_skills.errors import (
        AlreadyExistsError,
        ConflictError,
        EpSkillsError,
        EvidenceError,
        InvalidValueError,
        JournalUnavailableError,
        NotFoundError,
        PluginError,
        Problem,
        ReferentialError,
        Severity,
        UnknownDiplomaError,
    )
    from ep_skills.forms import json_schema, to_dict, to_json
    from ep_skills.i18n import using_language
    from ep_skills.importing import ImportProblems, ImportReport, import_file
    from ep_skills.journal.model import (
        Assessment,
        Correction,
        ImportBatch,
        Order,
        Role,
        TaskRecord,
        Trainee,
        TraineeChange,
    )
    from ep_skills.journal.sqlite import JournalFileError, SqliteStorage
    from ep_skills.journal.storage import PairSummary, StateRow, Storage
    from ep_skills.outputs import OutputError
    from ep_skills.plugins.manager import PluginProblem, load_problems, make_plugin_manager
    from ep_skills.plugins.registry import Registry
    from ep_skills.referential.codec import dumps_referential, load_referential, loads_referential
    from ep_skills.referential.model import (
        Bloc,
        CatalogueTask,
        Competency,
        Context,
        Epreuve,
        Provenance,
        ProvenanceStatus,
        Referential,
        TaskCompetency,
    )
    from ep_skills.referential.settings import CalculationSettings, Coverage, Scale
    from ep_skills.views import Gap, GapTrainee, cohort_gaps

__version__ = "0.1.0"

_LAZY = {
    "AlreadyExistsError": "ep_skills.errors",
    "Assessment": "ep_skills.journal.model",
    "Bloc": "ep_skills.referential.model",
    "BlocProgress": "ep_skills.engine.rollup",
    "CalculationSettings": "ep_skills.referential.settings",
    "CatalogueTask": "ep_skills.referential.model",
    "check_usable": "ep_skills.api",
    "cohort_gaps": "ep_skills.views",
    "Competency": "ep_skills.referential.model",
    "CompetencyState": "ep_skills.engine.compute",
    "ConflictError": "ep_skills.errors",
    "Context": "ep_skills.referential.model",
    "Correction": "ep_skills.journal.model",
    "Coverage": "ep_skills.referential.settings",
    "CoverageCheck": "ep_skills.engine.compute",
    "DiplomaInfo": "ep_skills.api",
    "dumps_referential": "ep_skills.referential.codec",
    "EffectiveSettings": "ep_skills.engine.layers",
    "Epreuve": "ep_skills.referential.model",
    "EpreuveReadiness": "ep_skills.engine.rollup",
    "EpSkillsError": "ep_skills.errors",
    "EvidenceError": "ep_skills.errors",
    "Explanation": "ep_skills.engine.explain",
    "Gap": "ep_skills.views",
    "GapTrainee": "ep_skills.views",
    "import_file": "ep_skills.importing",
    "ImportBatch": "ep_skills.journal.model",
    "ImportConflicts": "ep_skills.api",
    "ImportProblems": "ep_skills.importing",
    "ImportReport": "ep_skills.importing",
    "ImportResult": "ep_skills.api",
    "InvalidValueError": "ep_skills.errors",
    "Journal": "ep_skills.api",
    "JournalFileError": "ep_skills.journal.sqlite",
    "JournalUnavailableError": "ep_skills.errors",
    "json_schema": "ep_skills.forms",
    "KEEP": "ep_skills.api",
    "Keep": "ep_skills.api",
    "load_problems": "ep_skills.plugins.manager",
    "load_referential": "ep_skills.referential.codec",
    "load_school_config": "ep_skills.engine.layers",
    "loads_referential": "ep_skills.referential.codec",
    "make_plugin_manager": "ep_skills.plugins.manager",
    "NodeState": "ep_skills.engine.rollup",
    "NotFoundError": "ep_skills.errors",
    "open_journal": "ep_skills.api",
    "Order": "ep_skills.journal.model",
    "OutputError": "ep_skills.outputs",
    "PairSummary": "ep_skills.journal.storage",
    "PluginError": "ep_skills.errors",
    "PluginProblem": "ep_skills.plugins.manager",
    "Problem": "ep_skills.errors",
    "Progress": "ep_skills.engine.rollup",
    "Provenance": "ep_skills.referential.model",
    "ProvenanceStatus": "ep_skills.referential.model",
    "Referential": "ep_skills.referential.model",
    "ReferentialError": "ep_skills.errors",
    "Registry": "ep_skills.plugins.registry",
    "Role": "ep_skills.journal.model",
    "Scale": "ep_skills.referential.settings",
    "SchoolConfig": "ep_skills.engine.layers",
    "Severity": "ep_skills.errors",
    "SqliteStorage": "ep_skills.journal.sqlite",
    "StateRow": "ep_skills.journal.storage",
    "Storage": "ep_skills.journal.storage",
    "TaskCompetency": "ep_skills.referential.model",
    "TaskRecord": "ep_skills.journal.model",
    "to_dict": "ep_skills.forms",
    "to_json": "ep_skills.forms",
    "Trainee": "ep_skills.journal.model",
    "TraineeChange": "ep_skills.journal.model",
    "UnknownDiplomaError": "ep_skills.errors",
    "using_language": "ep_skills.i18n",
}

__all__ = [
    "KEEP",
    "AlreadyExistsError",
    "Assessment",
    "Bloc",
    "BlocProgress",
    "CalculationSettings",
    "CatalogueTask",
    "Competency",
    "CompetencyState",
    "ConflictError",
    "Context",
    "Correction",
    "Coverage",
    "CoverageCheck",
    "DiplomaInfo",
    "EffectiveSettings",
    "EpSkillsError",
    "Epreuve",
    "EpreuveReadiness",
    "EvidenceError",
    "Explanation",
    "Gap",
    "GapTrainee",
    "ImportBatch",
    "ImportConflicts",
    "ImportProblems",
    "ImportReport",
    "ImportResult",
    "InvalidValueError",
    "Journal",
    "JournalFileError",
    "JournalUnavailableError",
    "Keep",
    "NodeState",
    "NotFoundError",
    "Order",
    "OutputError",
    "PairSummary",
    "PluginError",
    "PluginProblem",
    "Problem",
    "Progress",
    "Provenance",
    "ProvenanceStatus",
    "Referential",
    "ReferentialError",
    "Registry",
    "Role",
    "Scale",
    "SchoolConfig",
    "Severity",
    "SqliteStorage",
    "StateRow",
    "Storage",
    "TaskCompetency",
    "TaskRecord",
    "Trainee",
    "TraineeChange",
    "UnknownDiplomaError",
    "__version__",
    "check_usable",
    "cohort_gaps",
    "dumps_referential",
    "hookimpl",
    "hookspec",
    "import_file",
    "json_schema",
    "load_problems",
    "load_referential",
    "load_school_config",
    "loads_referential",
    "make_plugin_manager",
    "open_journal",
    "to_dict",
    "to_json",
    "using_language",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ep_skills' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
