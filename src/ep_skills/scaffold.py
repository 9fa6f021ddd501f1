"""``ep-skills plugin new``: a diploma plugin distribution that installs and passes its tests.

The generated plugin holds a draft referential (from the RNCP export when one is given), the
hook that registers it, the conformance tests of :mod:`ep_skills.testing` and a README saying
what to complete. Its referential is a real file inside the package, so a wheel finds it.
"""

from __future__ import annotations

import re
from pathlib import Path

from attrs import frozen

from ep_skills.errors import EpSkillsError
from ep_skills.i18n import _
from ep_skills.referential.codec import dumps_referential
from ep_skills.referential.model import (
    DiplomaKind,
    Provenance,
    ProvenanceStatus,
    Referential,
    ReferentialStatus,
    RncpRegistration,
    Source,
)
from ep_skills.rncp import read_fiche, skeleton, slug

__all__ = ["Scaffold", "new_plugin"]

_PREFIXES = (
    ("bac pro", DiplomaKind.BAC_PRO, 4),
    ("cap", DiplomaKind.CAP, 3),
    ("bp", DiplomaKind.BP, 4),
    ("mc", DiplomaKind.MC, 3),
    ("tp", DiplomaKind.TITRE_PRO, 3),
    ("titre professionnel", DiplomaKind.TITRE_PRO, 3),
)


@frozen
class Scaffold:
    """What was created."""

    directory: Path
    distribution: str
    package: str
    diploma_id: str


def _kind_and_title(name: str) -> tuple[DiplomaKind, int, str]:
    lowered = name.strip().lower()
    for prefix, kind, level in _PREFIXES:
        if lowered.startswith(prefix + " "):
            return kind, level, name.strip()[len(prefix) :].strip()
    return DiplomaKind.OTHER, 0, name.strip()


def _draft(name: str, rncp: str | None) -> Referential:
    kind, level, title = _kind_and_title(name)
    todo = Provenance(ProvenanceStatus.DRAFT, "a-completer")
    return Referential(
        id=slug(name),
        title=title,
        kind=kind,
        level=level,
        version="à compléter",
        legal_source="Arrêté à citer (intitulé exact, date, NOR)",
        provenance=todo,
        status=ReferentialStatus.DRAFT,
        note="Squelette créé par « ep-skills plugin new ». Complétez-le depuis l'arrêté et ses "
        "annexes : blocs, compétences, épreuves, coefficients, puis le catalogue de tâches.",
        rncp=(RncpRegistration(rncp),) if rncp else (),
        sources=(Source(id="a-completer", title="Texte officiel à citer"),),
    )


_PYPROJECT = """\
[project]
name = "{distribution}"
version = "0.1.0"
description = "ep-skills plugin: {name}"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["ep-skills"]

[project.optional-dependencies]
# pip install -e ".[test]": pytest and the conformance suite of ep_skills.testing
test = ["ep-skills[testing]"]

[project.entry-points.ep_skills]
{entry} = "{package}:plugin"

[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["src/{package}"]
"""

_INIT = '''\
"""ep-skills plugin: {name}."""

from __future__ import annotations

from ep_skills.plugins.kit import DiplomaPlugin

DIPLOMA_ID = "{diploma_id}"

# Registers src/{package}/referential.toml (found inside the installed package, wheel or
# editable). To ask for coverage rules, pass settings=… (see ep_skills.plugins.kit); for more,
# implement the hooks yourself (docs/hooks.md).
plugin = DiplomaPlugin(__name__, DIPLOMA_ID)
'''

_TEST = '''\
"""The conformance suite every diploma plugin runs."""

from ep_skills.testing import ReferentialConformance


class TestConformance(ReferentialConformance):
    diploma_id = "{diploma_id}"
'''

_README = """\
# {distribution}

An ep-skills plugin for the **{name}**.

## Next steps

1. Complete `src/{package}/referential.toml` from the arrêté and its annexes: blocs,
   competencies (codes and wording copied exactly), épreuves and coefficients. Mark each item's
   `provenance`: `verified` (official text), `secondary` (a transcription), `draft` (not found).
   Never invent a code: leave it out and say what is missing in a `note`.
2. Add `[[tasks]]`: the typical tasks of your workshop, each mapped to the competencies it
   mobilises with a default level.
3. Check: `ep-skills referential check src/{package}/referential.toml`.
4. Install and test, in the virtual environment where ep-skills is installed (from its wheel:
   the tutorial's section 1): `pip install -e ".[test]"` (the `test` extra brings pytest),
   then `pytest` (the conformance suite of `ep_skills.testing`), and see it in
   `ep-skills diplomas`.

The tutorial is in ep-skills' `docs/plugins/tutorial.md`.
"""

_HEADER = """\
# Referential of the {name}, for ep-skills.
# Format: docs/referential-format.md of ep-skills; check it with
#   ep-skills referential check {path}
# This file was generated as a draft: complete it from the official text.

"""


def new_plugin(
    name: str,
    *,
    directory: str | Path = ".",
    rncp: str | None = None,
    export: str | Path | None = None,
) -> Scaffold:
    """Create ``ep-skills-<slug>/`` in ``directory`` for the diploma called ``name``.

    :param rncp: the RNCP number, recorded in the referential (and read from ``export``).
    :param export: an RNCP open-data export (XML/CSV/zip) to take the blocs from.
    :raises EpSkillsError: the folder exists, or the export cannot be read.
    """
    if not name.strip() or not slug(name):
        raise EpSkillsError(_('give the diploma\'s name, e.g. "CAP Ébéniste"'))
    if export is not None and rncp is None:
        raise EpSkillsError(_("--from-export needs --rncp to know which fiche to read"))
    if rncp is not None and not re.fullmatch(r"RNCP\d+", rncp.strip().upper()):
        raise EpSkillsError(
            _("{number!r} is not an RNCP number (like RNCP38568)").format(number=rncp)
        )
    diploma_id = slug(name)
    distribution = f"ep-skills-{diploma_id}"
    package = "ep_skills_" + diploma_id.replace("-", "_")
    target = Path(directory) / distribution
    if target.exists():
        raise EpSkillsError(_("{path} already exists").format(path=target))
    if export is not None and rncp is not None:
        fiche = read_fiche(export, rncp)
        referential = skeleton(fiche, diploma_id=diploma_id)
    else:
        referential = _draft(name, rncp.strip().upper() if rncp else None)
    source_dir = target / "src" / package
    (target / "tests").mkdir(parents=True)
    source_dir.mkdir(parents=True)
    values = {
        "name": name.strip(),
        "distribution": distribution,
        "package": package,
        "entry": package.removeprefix("ep_skills_"),
        "diploma_id": referential.id,
        "path": f"src/{package}/referential.toml",
    }
    (target / "pyproject.toml").write_text(_PYPROJECT.format(**values), encoding="utf-8")
    (target / "README.md").write_text(_README.format(**values), encoding="utf-8")
    (source_dir / "__init__.py").write_text(_INIT.format(**values), encoding="utf-8")
    (source_dir / "py.typed").write_text("", encoding="utf-8")
    (source_dir / "referential.toml").write_text(
        _HEADER.format(**values) + dumps_referential(referential), encoding="utf-8"
    )
    (target / "tests" / "test_conformance.py").write_text(_TEST.format(**values), encoding="utf-8")
    return Scaffold(target, distribution, package, referential.id)
