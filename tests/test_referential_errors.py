"""Bad referential files: every problem names the file, the line and the key path.

Each bad file is the valid ``BASE`` below with one edit. The expected line is found by
searching the edited text for the offending line, never copied from the code's output; the
expected key path is written by hand from the file's structure. Every case goes through the
library (``load_referential`` and ``loads_referential``) and through ``ep-skills referential
check``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from attrs import frozen
from click.testing import CliRunner, Result

from ep_skills.cli import cli
from ep_skills.errors import Problem, ReferentialError, Severity
from ep_skills.i18n import set_language
from ep_skills.referential.codec import load_referential, loads_referential
from ep_skills.referential.locate import KeyLocator
from ep_skills.referential.model import AssessmentMode, BlocKind, DiplomaKind, ProvenanceStatus

BASE = """\
# Référentiel d'essai : un bloc à sous-compétences, un bloc simple.
id = "cap-essai"
title = "Référentiel d'essai"
kind = "CAP"
level = 3
version = "2024"
legal_source = "Arrêté d'essai du 1er janvier 2024"
provenance = { status = "verified", source = "arrete" }

[[sources]]
id = "arrete"
title = "Arrêté d'essai"

[[savoirs]]
code = "S1"
title = "Savoir un"

[[blocs]]
id = "B1"
title = "Bloc un"

[[blocs.competencies]]
code = "C1"
title = "Compétence un"
savoirs = ["S1"]

[[blocs.competencies.children]]
code = "C1.1"
title = "Sous-compétence un"

[[blocs.competencies.children]]
code = "C1.2"
title = "Sous-compétence deux"

[[blocs]]
id = "B2"
title = "Bloc deux"

[[blocs.competencies]]
code = "C2"
title = "Compétence deux"

[[epreuves]]
code = "EP1"
title = "Épreuve un"
coefficient = 4
modes = ["ccf"]
bloc = "B1"
competencies = ["C1"]

[[epreuves.situations]]
code = "SIT1"
title = "Situation en entreprise"
coefficient = 1
competencies = ["C1.1"]

[[epreuves]]
code = "EP2"
title = "Épreuve deux"
coefficient = 2
bloc = "B2"
competencies = ["C2"]

[[tasks]]
id = "t1"
title = "Tâche un"

[[tasks.competencies]]
code = "C1.1"
level = "V"

[[tasks.competencies]]
code = "C1.2"

[[tasks]]
id = "t2"
title = "Tâche deux"
competencies = [{ code = "C2" }]
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    """``text`` with its only occurrence of ``old`` replaced."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, line: str, *, after: str | None = None) -> int:
    """The 1-based number of the first line equal to ``line`` (after the line ``after``)."""
    lines = text.splitlines()
    start = 0
    if after is not None:
        start = next(i for i, candidate in enumerate(lines) if candidate.strip() == after) + 1
    for number in range(start, len(lines)):
        if lines[number].strip() == line:
            return number + 1
    raise AssertionError(f"no line {line!r} in the text")


@frozen
class Case:
    """A bad file and the problem it must produce."""

    id: str
    raw: bytes
    path: str
    line: int | None
    message: str


def case(id: str, text: str | bytes, path: str, line: int | None, message: str) -> Case:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return Case(id, raw, path, line, message)


def _cases() -> Iterator[Case]:
    # -- unknown keys: the problem points at the misspelt key itself
    text = edit('title = "Bloc deux"', 'title = "Bloc deux"\ncolour = "bleu"')
    yield case("unknown-key", text, "blocs[1].colour", line_of(text, 'colour = "bleu"'), "colour")
    text = edit('version = "2024"', 'version = "2024"\nversoin = "2025"')
    yield case(
        "unknown-key-top-level", text, "versoin", line_of(text, 'versoin = "2025"'), "versoin"
    )
    text = edit(
        'provenance = { status = "verified", source = "arrete" }',
        'provenance = { status = "verified", sourse = "arrete" }',
    )
    yield case(
        "unknown-key-inline-table",
        text,
        "provenance.sourse",
        line_of(text, 'provenance = { status = "verified", sourse = "arrete" }'),
        "sourse",
    )

    # -- wrong types
    text = edit("level = 3", 'level = "trois"')
    yield case("wrong-type-int", text, "level", line_of(text, 'level = "trois"'), "int")
    text = edit("coefficient = 2", 'coefficient = "deux"')
    yield case(
        "wrong-type-float",
        text,
        "epreuves[1].coefficient",
        line_of(text, 'coefficient = "deux"'),
        "float",
    )
    # A string where a list of strings is expected must not become a list of characters.
    text = edit(
        'title = "Compétence deux"', 'title = "Compétence deux"\nalt_titles = "Autre libellé"'
    )
    yield case(
        "wrong-type-string-for-list",
        text,
        "blocs[1].competencies[0].alt_titles",
        line_of(text, 'alt_titles = "Autre libellé"'),
        "invalid value",
    )
    # « non » is not a boolean, and certainly not True.
    text = edit('title = "Bloc deux"', 'title = "Bloc deux"\noptional = "non"')
    yield case(
        "wrong-type-string-for-bool",
        text,
        "blocs[1].optional",
        line_of(text, 'optional = "non"'),
        "invalid value",
    )
    text = edit('title = "Bloc deux"', 'title = ["Bloc deux"]')
    yield case(
        "wrong-type-list-for-string",
        text,
        "blocs[1].title",
        line_of(text, 'title = ["Bloc deux"]'),
        "invalid value",
    )
    # The European level is a whole number; 3.7 must not be silently truncated to 3.
    text = edit("level = 3", "level = 3.7")
    yield case("wrong-type-float-for-int", text, "level", line_of(text, "level = 3.7"), "int")
    text = edit("coefficient = 2", "coefficient = true")
    yield case(
        "wrong-type-bool-for-float",
        text,
        "epreuves[1].coefficient",
        line_of(text, "coefficient = true"),
        "invalid value",
    )

    # -- missing required keys: the line of the table that lacks them
    text = edit('title = "Compétence deux"\n', "")
    yield case(
        "missing-key",
        text,
        "blocs[1].competencies[0].title",
        line_of(text, "[[blocs.competencies]]", after='id = "B2"'),
        "required key missing",
    )
    text = edit('id = "t2"\n', "")
    yield case(
        "missing-key-task-id",
        text,
        "tasks[1].id",
        line_of(text, "[[tasks]]", after='title = "Tâche un"'),
        "required key missing",
    )

    # -- invalid enum values: the message lists the allowed values
    allowed_kinds = ", ".join(repr(k.value) for k in DiplomaKind)
    text = edit('kind = "CAP"', 'kind = "CAPE"')
    yield case("invalid-enum", text, "kind", line_of(text, 'kind = "CAPE"'), allowed_kinds)
    text = edit('title = "Bloc deux"', 'title = "Bloc deux"\nkind = "generale"')
    yield case(
        "invalid-enum-nested",
        text,
        "blocs[1].kind",
        line_of(text, 'kind = "generale"'),
        ", ".join(repr(k.value) for k in BlocKind),
    )
    text = edit(
        'provenance = { status = "verified", source = "arrete" }',
        'provenance = { status = "verifie", source = "arrete" }',
    )
    yield case(
        "invalid-enum-inline-table",
        text,
        "provenance.status",
        line_of(text, 'provenance = { status = "verifie", source = "arrete" }'),
        ", ".join(repr(s.value) for s in ProvenanceStatus),
    )
    text = edit('modes = ["ccf"]', 'modes = ["ccf", "oral"]')
    yield case(
        "invalid-enum-in-list",
        text,
        "epreuves[0].modes[1]",
        line_of(text, 'modes = ["ccf", "oral"]'),
        ", ".join(repr(m.value) for m in AssessmentMode),
    )

    # -- duplicate codes
    text = edit('id = "B2"', 'id = "B1"')
    yield case(
        "duplicate-bloc",
        text,
        "blocs[1].id",
        line_of(text, 'id = "B1"', after='title = "Sous-compétence deux"'),
        "duplicate bloc 'B1'",
    )
    text = edit(
        'title = "Compétence deux"\n',
        'title = "Compétence deux"\n\n[[blocs.competencies]]\ncode = "C1.1"\ntitle = "Doublon"\n',
    )
    yield case(
        "duplicate-competency-across-blocs",
        text,
        "blocs[1].competencies[1].code",
        line_of(text, 'code = "C1.1"', after='title = "Compétence deux"'),
        "duplicate competency 'C1.1'",
    )
    text = edit('code = "EP2"', 'code = "EP1"')
    yield case(
        "duplicate-epreuve",
        text,
        "epreuves[1].code",
        line_of(text, 'code = "EP1"', after='title = "Situation en entreprise"'),
        "duplicate épreuve 'EP1'",
    )
    text = edit('id = "t2"', 'id = "t1"')
    yield case(
        "duplicate-task",
        text,
        "tasks[1].id",
        line_of(text, 'id = "t1"', after='title = "Tâche un"'),
        "duplicate task 't1'",
    )
    text = edit(
        'title = "Arrêté d\'essai"\n',
        'title = "Arrêté d\'essai"\n\n[[sources]]\nid = "arrete"\ntitle = "Copie"\n',
    )
    yield case(
        "duplicate-source",
        text,
        "sources[1].id",
        line_of(text, 'id = "arrete"', after='title = "Arrêté d\'essai"'),
        "duplicate source 'arrete'",
    )

    # -- dangling references
    text = edit('competencies = ["C2"]', 'competencies = ["C9"]')
    yield case(
        "unknown-competency-in-epreuve",
        text,
        "epreuves[1].competencies[0]",
        line_of(text, 'competencies = ["C9"]'),
        "unknown competency 'C9'",
    )
    text = edit('competencies = ["C1.1"]', 'competencies = ["C1.1", "C1.3"]')
    yield case(
        "unknown-competency-in-situation",
        text,
        "epreuves[0].situations[0].competencies[1]",
        line_of(text, 'competencies = ["C1.1", "C1.3"]'),
        "unknown competency 'C1.3'",
    )
    text = edit(
        'code = "C1.2"\n\n[[tasks]]',
        'code = "C1.2"\n\n[[tasks.competencies]]\ncode = "C1.9"\n\n[[tasks]]',
    )
    yield case(
        "unknown-competency-in-task",
        text,
        "tasks[0].competencies[2].code",
        line_of(text, 'code = "C1.9"'),
        "unknown competency 'C1.9'",
    )
    text = edit(
        'competencies = [{ code = "C2" }]', 'competencies = [{ code = "C2" }, { code = "C9" }]'
    )
    yield case(
        "unknown-competency-in-task-inline",
        text,
        "tasks[1].competencies[1].code",
        line_of(text, 'competencies = [{ code = "C2" }, { code = "C9" }]'),
        "unknown competency 'C9'",
    )
    text = edit('level = "V"', 'level = "XX"')
    yield case(
        "unknown-level",
        text,
        "tasks[0].competencies[0].level",
        line_of(text, 'level = "XX"'),
        "unknown level 'XX'",
    )
    text = edit(
        'title = "Bloc deux"',
        'title = "Bloc deux"\nprovenance = { status = "secondary", source = "nulle-part" }',
    )
    yield case(
        "unknown-source",
        text,
        "blocs[1].provenance.source",
        line_of(text, 'provenance = { status = "secondary", source = "nulle-part" }'),
        "unknown source 'nulle-part'",
    )
    text = edit(
        'title = "Sous-compétence deux"',
        'title = "Sous-compétence deux"\n\n[blocs.competencies.children.provenance]\n'
        'status = "secondary"\nsource = "fiche-rncp"',
    )
    yield case(
        "unknown-source-sub-table",
        text,
        "blocs[0].competencies[0].children[1].provenance.source",
        line_of(text, 'source = "fiche-rncp"'),
        "unknown source 'fiche-rncp'",
    )
    text = edit('savoirs = ["S1"]', 'savoirs = ["S1", "S9"]')
    yield case(
        "unknown-savoir",
        text,
        "blocs[0].competencies[0].savoirs[1]",
        line_of(text, 'savoirs = ["S1", "S9"]'),
        "unknown savoir 'S9'",
    )
    text = edit('bloc = "B2"', 'bloc = "B3"')
    yield case("unknown-bloc", text, "epreuves[1].bloc", line_of(text, 'bloc = "B3"'), "'B3'")

    # -- a task mapped to a competency that has sub-competencies
    text = edit(
        'competencies = [{ code = "C2" }]', 'competencies = [{ code = "C2" }, { code = "C1" }]'
    )
    yield case(
        "task-on-parent",
        text,
        "tasks[1].competencies[1].code",
        line_of(text, 'competencies = [{ code = "C2" }, { code = "C1" }]'),
        "'C1' has sub-competencies",
    )

    # -- coefficients
    for value in ("0", "-1", "-0.5"):
        text = edit("coefficient = 2", f"coefficient = {value}")
        yield case(
            f"coefficient-{value}",
            text,
            "epreuves[1].coefficient",
            line_of(text, f"coefficient = {value}"),
            "must be positive",
        )
    text = edit("coefficient = 1\n", "coefficient = 0\n")
    yield case(
        "situation-coefficient-0",
        text,
        "epreuves[0].situations[0].coefficient",
        line_of(text, "coefficient = 0"),
        "must be positive",
    )
    text = edit("coefficient = 2\n", "")
    yield case(
        "missing-coefficient",
        text,
        "epreuves[1].coefficient",
        line_of(text, "[[epreuves]]", after='title = "Situation en entreprise"'),
        "coefficient is missing",
    )

    # -- coverage, for a referential in force
    text = edit('competencies = ["C2"]', "competencies = []")
    yield case(
        "not-assessed",
        text,
        "blocs[1].competencies[0].code",
        line_of(text, 'code = "C2"'),
        "'C2' is not assessed by any épreuve",
    )
    text = edit('competencies = [{ code = "C2" }]', 'competencies = [{ code = "C1.1" }]')
    yield case(
        "not-reachable",
        text,
        "blocs[1].competencies[0].code",
        line_of(text, 'code = "C2"'),
        "'C2' is not reachable from any catalogue task",
    )

    # -- bytes and syntax
    raw = BASE.encode("utf-8").replace(b'"Bloc deux"', b'"Bloc d\xe9ux"')
    yield case(
        "invalid-utf8",
        raw,
        "",
        line_of(BASE, 'title = "Bloc deux"'),
        "not valid UTF-8 (byte 0xe9)",
    )
    text = edit('title = "Bloc deux"', 'title = "Bloc deux')
    yield case(
        "unterminated-string", text, "", line_of(text, 'title = "Bloc deux'), "TOML syntax error"
    )
    text = edit(
        '[[blocs.competencies.children]]\ncode = "C1.2"',
        '[[blocs.competencies.children]\ncode = "C1.2"',
    )
    yield case(
        "unclosed-header",
        text,
        "",
        line_of(text, "[[blocs.competencies.children]"),
        "TOML syntax error",
    )
    text = edit('title = "Bloc deux"', 'title = "Bloc deux"\nid = "B3"')
    yield case("key-written-twice", text, "", line_of(text, 'id = "B3"'), "TOML syntax error")

    yield from _invalid_value_cases()


# A scale like the default one, written as arrays of tables so that each value has its line.
SCALE = """
[scale]
default_level = "V"

[[scale.levels]]
code = "R"
label = "Maîtrise fragile"
value = 33

[[scale.levels]]
code = "V"
label = "Maîtrise satisfaisante"
value = 67

[[scale.states]]
code = "NA"
label = "non acquis"
min_score = 0

[[scale.states]]
code = "A"
label = "acquis"
min_score = 61
acquired = true
"""

WHOLE_0_100 = "must be a whole number from 0 to 100"
COEFFICIENT_RANGE = "must be a positive number, at most 1000000"
CONTROL = "cannot contain control characters, line breaks or invisible spaces"


def _settings_case(id: str, line: str, path: str, message: str) -> Case:
    """BASE with a ``[settings]`` table holding ``line``."""
    text = BASE + f"\n[settings]\n{line}\n"
    return case(id, text, path, line_of(text, line), message)


def _invalid_value_cases() -> Iterator[Case]:
    """Values that used to be accepted by ``referential check`` (fault audit), or to crash."""
    # -- coefficients: NaN, infinities and absurd sizes, like zero and negatives
    for value in ("nan", "+inf", "1e300"):
        text = edit("coefficient = 2", f"coefficient = {value}")
        yield case(
            f"coefficient-{value}",
            text,
            "epreuves[1].coefficient",
            line_of(text, f"coefficient = {value}"),
            COEFFICIENT_RANGE,
        )
    text = edit("coefficient = 2", "coefficient = -inf")
    yield case(
        "coefficient--inf",
        text,
        "epreuves[1].coefficient",
        line_of(text, "coefficient = -inf"),
        "must be positive",
    )
    text = edit("coefficient = 1\n", "coefficient = nan\n")
    yield case(
        "situation-coefficient-nan",
        text,
        "epreuves[0].situations[0].coefficient",
        line_of(text, "coefficient = nan"),
        COEFFICIENT_RANGE,
    )

    # -- the scale: level values and state thresholds are scores from 0 to 100
    for value in ("-5", "101"):
        text = BASE + edit("value = 33", f"value = {value}", SCALE)
        yield case(
            f"level-value-{value}",
            text,
            "scale.levels[0].value",
            line_of(text, f"value = {value}"),
            "a level's value must be between 0 and 100",
        )
    for value in ("500", "-1"):
        text = BASE + edit("min_score = 61", f"min_score = {value}", SCALE)
        yield case(
            f"state-threshold-{value}",
            text,
            "scale.states[1].min_score",
            line_of(text, f"min_score = {value}"),
            WHOLE_0_100,
        )

    # -- codes and ids: never empty, no line break, control character or invisible space
    text = edit('id = "t2"', 'id = ""')
    yield case("empty-task-id", text, "tasks[1].id", line_of(text, 'id = ""'), "cannot be empty")
    text = edit('id = "B2"', 'id = "  "')
    yield case("blank-bloc-id", text, "blocs[1].id", line_of(text, 'id = "  "'), "cannot be empty")
    text = edit('id = "cap-essai"', 'id = ""')
    yield case("empty-referential-id", text, "id", line_of(text, 'id = ""'), "cannot be empty")
    text = edit('code = "EP2"', 'code = ""')
    yield case(
        "empty-epreuve-code",
        text,
        "epreuves[1].code",
        line_of(text, 'code = ""'),
        "cannot be empty",
    )
    text = edit('code = "C1.2"\ntitle', 'code = ""\ntitle')
    yield case(
        "empty-competency-code",
        text,
        "blocs[0].competencies[0].children[1].code",
        line_of(text, 'code = ""'),
        "cannot be empty",
    )
    text = edit('code = "C1.2"\ntitle', 'code = "C1\\n2"\ntitle')
    yield case(
        "newline-in-competency-code",
        text,
        "blocs[0].competencies[0].children[1].code",
        line_of(text, 'code = "C1\\n2"'),
        f"{CONTROL} (found U+000A",
    )
    text = edit('id = "B2"', 'id = "B\\u00012"')
    yield case(
        "control-character-in-bloc-id",
        text,
        "blocs[1].id",
        line_of(text, 'id = "B\\u00012"'),
        "(found U+0001",
    )
    text = edit('code = "EP2"', 'code = "EP\\t2"')
    yield case(
        "tab-in-epreuve-code", text, "epreuves[1].code", line_of(text, 'code = "EP\\t2"'), CONTROL
    )
    text = edit('id = "t2"', 'id = "t\\r\\n2"')
    yield case("newline-in-task-id", text, "tasks[1].id", line_of(text, 'id = "t\\r\\n2"'), CONTROL)
    text = edit('id = "t2"', 'id = "t\u00a02"')
    yield case(
        "invisible-space-in-task-id",
        text,
        "tasks[1].id",
        line_of(text, 'id = "t\u00a02"'),
        "U+00A0 NO-BREAK SPACE",
    )
    text = edit('id = "t2"', 'id = " t2"')
    yield case(
        "space-around-task-id",
        text,
        "tasks[1].id",
        line_of(text, 'id = " t2"'),
        "cannot start or end with a space",
    )
    text = BASE + edit('code = "V"', 'code = "V\\n"', SCALE)
    yield case(
        "newline-in-level-code",
        text,
        "scale.levels[1].code",
        line_of(text, 'code = "V\\n"'),
        CONTROL,
    )

    # -- a catalogue task must have a level to propose for each competency
    text = BASE + edit('default_level = "V"\n', "", SCALE)
    yield case(
        "no-level-to-propose",
        text,
        "tasks[0].competencies[1].level",
        line_of(text, "[[tasks.competencies]]", after='level = "V"'),
        "no level to propose: give one here, or a default_level to the scale",
    )

    # -- unknown keys, whatever they are: one printable line each
    for id, key, shown in [
        ("empty-key", '""', "''"),
        ("key-with-a-comma", '"a,b"', "'a,b'"),
        ("key-with-a-control-character", '"a\\u0001"', "'a\\x01'"),
    ]:
        text = edit('title = "Bloc deux"', f'title = "Bloc deux"\n{key} = 1')
        yield case(
            f"unknown-{id}",
            text,
            f"blocs[1].{shown if id != 'key-with-a-comma' else 'a,b'}",
            line_of(text, f"{key} = 1"),
            f"unknown key {shown}",
        )

    # -- calculation settings, checked as resolve() will: refused here, not at the bench
    settings_cases = [
        ("limit-negative", "limit = -1", "settings.limit", "from 0 to 10000"),
        ("limit-huge", "limit = 9223372036854775807", "settings.limit", "from 0 to 10000"),
        ("limit-float", "limit = 2.5", "settings.limit", "int"),
        ("unknown-method", 'method = "moyenne"', "settings.method", "'moyenne'"),
        ("unknown-scope", 'scope = "trimestre"', "settings.scope", "unknown scope 'trimestre'"),
        ("unknown-rollup", 'rollup = "majority"', "settings.rollup", "unknown roll-up"),
        (
            "unknown-mark-conversion",
            'mark_conversion = "bareme"',
            "settings.mark_conversion",
            "unknown mark conversion 'bareme'",
        ),
        (
            "role-weight-nan",
            "role_weights = { maitre = nan }",
            "settings.role_weights.maitre",
            "from 0.001 to 1000",
        ),
        (
            "role-weight-negative",
            "role_weights = { tuteur = -1.0 }",
            "settings.role_weights.tuteur",
            "from 0.001 to 1000",
        ),
        (
            "role-weight-inf",
            "role_weights = { enseignant = inf }",
            "settings.role_weights.enseignant",
            "from 0.001 to 1000",
        ),
        (
            "role-weights-all-zero",
            "role_weights = { maitre = 0, enseignant = 0, tuteur = 0 }",
            "settings.role_weights.maitre",
            "from 0.001 to 1000",
        ),
        (
            "self-assessment-weight-zero",
            "role_weights = { auto = 0 }",
            "settings.role_weights.auto",
            "from 0.001 to 1000",
        ),
        (
            "unknown-role-weight-nan",
            "role_weights = { stagiaire = nan }",
            "settings.role_weights.stagiaire",
            "from 0 to 1000",
        ),
        (
            "coverage-negative",
            "coverage = { min_assessments = -3 }",
            "settings.coverage.min_assessments",
            "from 0 to 10000",
        ),
        (
            "coverage-max-age-zero",
            "coverage = { max_age_months = 0 }",
            "settings.coverage.max_age_months",
            "from 1 to 1200",
        ),
        (
            "coverage-max-age-huge",
            "coverage = { max_age_months = 100000000000 }",
            "settings.coverage.max_age_months",
            "from 1 to 1200",
        ),
        (
            "coverage-span-negative",
            "coverage = { min_span_weeks = -1 }",
            "settings.coverage.min_span_weeks",
            "from 0 to 5200",
        ),
        (
            "min-autonomy-9",
            "coverage = { min_autonomy = 9 }",
            "settings.coverage.min_autonomy",
            "from 1 to 4",
        ),
        (
            "min-autonomy-0",
            "coverage = { min_autonomy = 0 }",
            "settings.coverage.min_autonomy",
            "from 1 to 4",
        ),
        ("rollup-min-share-nan", "rollup_min_share = nan", "settings.rollup_min_share", "0 to 1"),
        ("rollup-min-share-1.5", "rollup_min_share = 1.5", "settings.rollup_min_share", "0 to 1"),
        (
            "rollup-required-empty-code",
            'rollup_required = ["C1.1", ""]',
            "settings.rollup_required[1]",
            "cannot be empty",
        ),
        (
            "state-points-nan",
            "state_points = { A = nan }",
            "settings.state_points.A",
            "from 0 to 20",
        ),
        (
            "state-points-inf",
            "state_points = { NA = -inf }",
            "settings.state_points.NA",
            "from 0 to 20",
        ),
        (
            "state-points-unknown-state",
            "state_points = { ACQ = 20 }",
            "settings.state_points.ACQ",
            "unknown state 'ACQ'",
        ),
    ]
    for id, line, path, message in settings_cases:
        yield _settings_case(f"settings-{id}", line, path, message)

    # -- RNCP registrations and the European level
    text = BASE + (
        '\n[[rncp]]\nnumber = "RNCP12345"\nvalid_from = 2024-09-01\nvalid_until = 2019-08-31\n'
    )
    yield case(
        "rncp-ends-before-it-starts",
        text,
        "rncp[0].valid_until",
        line_of(text, "valid_until = 2019-08-31"),
        "the registration ends (2019-08-31) before it starts (2024-09-01)",
    )
    text = BASE + '\n[[rncp]]\nnumber = ""\n'
    yield case("rncp-empty-number", text, "rncp[0].number", line_of(text, 'number = ""'), "empty")
    text = edit('version = "2024"', 'version = "2024"\ndate = 2024-01-15T08:00:00')
    yield case(
        "datetime-for-a-date",
        text,
        "date",
        line_of(text, "date = 2024-01-15T08:00:00"),
        "expected a date (YYYY-MM-DD)",
    )
    text = edit("level = 3", "level = 9")
    yield case("european-level-9", text, "level", line_of(text, "level = 9"), "from 0 to 8")

    # -- nesting: refused before anything walks it, never a RecursionError
    deep = "[" * 500 + "]" * 500
    text = edit('title = "Bloc deux"', f'title = "Bloc deux"\nnote = {deep}')
    yield case(
        "nested-500-deep",
        text,
        "",
        line_of(text, f"note = {deep}"),
        "nested too deeply (more than 32 levels of tables and arrays)",
    )
    deep = "[" * 40 + "]" * 40
    text = edit('title = "Bloc deux"', f'title = "Bloc deux"\nnote = {deep}')
    yield case(
        "nested-40-deep",
        text,
        "blocs[1].note" + "[0]" * 29,
        line_of(text, f"note = {deep}"),
        "nested too deeply",
    )
    headers = "".join(
        f'\n[[blocs.competencies{".children" * level}]]\ncode = "D{level}"\ntitle = "x"\n'
        for level in range(20)
    )
    text = edit('title = "Compétence deux"\n', f'title = "Compétence deux"\n{headers}')
    yield case(
        "competencies-20-levels-deep",
        text,
        "blocs[1].competencies[1]" + ".children[0]" * 14,
        line_of(text, "[[blocs.competencies" + ".children" * 14 + "]]"),
        "nested too deeply",
    )
    text = BASE + "\nsize = " + "9" * 5000 + "\n"
    yield case(
        "number-5000-digits", text, "", line_of(text, "size = " + "9" * 5000), "too many digits"
    )


CASES = list(_cases())


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


def check_cli(path: Path) -> Result:
    return CliRunner().invoke(cli, ["--lang", "en", "referential", "check", str(path)])


def located(problem_file: str, line: int | None, path: str) -> str:
    """How a problem starts when printed: ``file:line: key.path:``."""
    where = problem_file if line is None else f"{problem_file}:{line}"
    return f"{where}: {path}:" if path else f"{where}:"


def find(problems: tuple[Problem, ...], path: str, message: str) -> Problem:
    matching = [p for p in problems if p.path == path and message in p.message]
    assert matching, f"no problem at {path!r} saying {message!r} in:\n" + "\n".join(
        map(str, problems)
    )
    return matching[0]


def test_base_is_valid(tmp_path: Path) -> None:
    # The cases below mean something only if the unedited file is accepted.
    file = tmp_path / "base.toml"
    file.write_text(BASE, encoding="utf-8")
    referential, warnings = load_referential(file)
    assert referential.id == "cap-essai"
    assert [b.id for b in referential.blocs] == ["B1", "B2"]
    assert warnings == []
    result = check_cli(file)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{file}: OK"
    assert result.stderr == ""


def test_cases_are_distinct() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    assert all(c.raw != BASE.encode() for c in CASES)


@pytest.mark.parametrize("bad", CASES, ids=lambda c: c.id)
def test_load_referential_rejects(bad: Case, tmp_path: Path) -> None:
    file = tmp_path / "essai.toml"
    file.write_bytes(bad.raw)
    loaded = None
    with pytest.raises(ReferentialError) as caught:
        loaded = load_referential(file)
    assert loaded is None
    problem = find(caught.value.problems, bad.path, bad.message)
    assert problem.severity is Severity.ERROR
    assert problem.file == str(file)
    assert problem.line == bad.line
    assert str(problem).startswith(located(str(file), bad.line, bad.path))


@pytest.mark.parametrize("bad", CASES, ids=lambda c: c.id)
def test_loads_referential_rejects(bad: Case) -> None:
    with pytest.raises(ReferentialError) as caught:
        loads_referential(bad.raw, file="essai.toml")
    problem = find(caught.value.problems, bad.path, bad.message)
    assert problem.file == "essai.toml"
    assert problem.line == bad.line
    assert all(p.severity is Severity.ERROR for p in caught.value.problems)


@pytest.mark.parametrize("bad", CASES, ids=lambda c: c.id)
def test_cli_check_rejects(bad: Case, tmp_path: Path) -> None:
    file = tmp_path / "essai.toml"
    file.write_bytes(bad.raw)
    result = check_cli(file)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    expected = located(str(file), bad.line, bad.path)
    lines = result.stderr.splitlines()
    assert any(line.startswith(expected) and bad.message in line for line in lines), result.stderr
    assert "OK" not in result.stdout


@pytest.mark.parametrize(
    ("raw", "label"), [(b"", "empty"), (b"  \n\n\t \r\n", "whitespace")], ids=["empty", "blank"]
)
def test_empty_file(raw: bytes, label: str, tmp_path: Path) -> None:
    file = tmp_path / f"{label}.toml"
    file.write_bytes(raw)
    with pytest.raises(ReferentialError) as caught:
        load_referential(file)
    (problem,) = caught.value.problems
    assert problem.message == "the file is empty"
    assert problem.file == str(file)
    assert problem.line is None
    assert problem.path == ""
    with pytest.raises(ReferentialError):
        loads_referential(raw)
    result = check_cli(file)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.strip() == f"{file}: the file is empty"


def test_missing_file(tmp_path: Path) -> None:
    file = tmp_path / "absent" / "nulle-part.toml"
    with pytest.raises(ReferentialError) as caught:
        load_referential(file)
    (problem,) = caught.value.problems
    assert problem.file == str(file)
    assert problem.line is None
    assert "cannot read the file" in problem.message
    assert "No such file" in problem.message
    result = check_cli(file)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.startswith(f"{file}: cannot read the file")


def test_missing_top_level_key_names_the_key(tmp_path: Path) -> None:
    # A key missing at the top level has no better line than none; the file and key remain.
    text = edit('legal_source = "Arrêté d\'essai du 1er janvier 2024"\n', "")
    file = tmp_path / "essai.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ReferentialError) as caught:
        load_referential(file)
    problem = find(caught.value.problems, "legal_source", "required key missing")
    assert problem.file == str(file)
    result = check_cli(file)
    assert result.exit_code == 1
    assert f"{file}: legal_source: required key missing" in result.stderr


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = edit('level = "V"', 'level = "XX"')
    text = edit("coefficient = 2", "coefficient = -2", text)
    text = edit('id = "t2"', 'id = "t1"', text)
    file = tmp_path / "essai.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ReferentialError) as caught:
        load_referential(file)
    where = {(p.path, p.line) for p in caught.value.problems}
    assert where == {
        ("tasks[0].competencies[0].level", line_of(text, 'level = "XX"')),
        ("epreuves[1].coefficient", line_of(text, "coefficient = -2")),
        ("tasks[1].id", line_of(text, 'id = "t1"', after='title = "Tâche un"')),
    }
    result = check_cli(file)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 3


def test_draft_epreuve_may_lack_its_coefficient(tmp_path: Path) -> None:
    text = edit("coefficient = 2\n", 'provenance = { status = "draft", source = "arrete" }\n')
    referential, warnings = loads_referential(text)
    assert referential.epreuves[1].coefficient is None
    assert warnings == []


def _draft(text: str) -> str:
    return edit('version = "2024"', 'version = "2024"\nstatus = "draft"', text)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('competencies = ["C2"]', "competencies = []", "'C2' is not assessed by any épreuve"),
        (
            'competencies = [{ code = "C2" }]',
            'competencies = [{ code = "C1.1" }]',
            "'C2' is not reachable from any catalogue task",
        ),
    ],
    ids=["not-assessed", "not-reachable"],
)
def test_coverage_is_a_warning_for_a_draft(
    old: str, new: str, message: str, tmp_path: Path
) -> None:
    text = _draft(edit(old, new))
    file = tmp_path / "brouillon.toml"
    file.write_text(text, encoding="utf-8")
    referential, warnings = load_referential(file)
    assert referential.status == "draft"
    (warning,) = warnings
    assert warning.severity is Severity.WARNING
    assert warning.path == "blocs[1].competencies[0].code"
    assert warning.line == line_of(text, 'code = "C2"')
    assert warning.file == str(file)
    assert message in warning.message
    result = check_cli(file)
    assert result.exit_code == 0
    assert "Traceback" not in result.output
    expected_line = line_of(text, 'code = "C2"')
    assert result.stderr.strip() == (
        f"{file}:{expected_line}: blocs[1].competencies[0].code: warning: competency {message}"
    )
    assert result.stdout.strip() == f"{file}: OK"


def test_coverage_is_a_warning_for_a_draft_item() -> None:
    # A draft competency in a referential in force is not yet assessed: a warning too.
    text = edit(
        'title = "Compétence deux"',
        'title = "Compétence deux"\nprovenance = { status = "draft", source = "arrete" }',
    )
    text = edit('competencies = ["C2"]', "competencies = []", text)
    _referential, warnings = loads_referential(text)
    assert [(w.path, w.severity) for w in warnings] == [
        ("blocs[1].competencies[0].code", Severity.WARNING)
    ]


def _three_levels(named: str) -> str:
    """BASE with C1.1 split into C1.1.a and C1.1.b, EP1 naming ``named`` and no situation."""
    text = edit(
        'title = "Sous-compétence un"\n',
        'title = "Sous-compétence un"\n\n'
        '[[blocs.competencies.children.children]]\ncode = "C1.1.a"\ntitle = "Partie a"\n\n'
        '[[blocs.competencies.children.children]]\ncode = "C1.1.b"\ntitle = "Partie b"\n',
    )
    text = edit(
        '[[tasks.competencies]]\ncode = "C1.1"\nlevel = "V"',
        '[[tasks.competencies]]\ncode = "C1.1.a"\nlevel = "V"\n\n'
        '[[tasks.competencies]]\ncode = "C1.1.b"',
        text,
    )
    situation = (
        '[[epreuves.situations]]\ncode = "SIT1"\ntitle = "Situation en entreprise"\n'
        'coefficient = 1\ncompetencies = ["C1.1"]\n\n'
    )
    text = edit(situation, "", text)
    return edit('competencies = ["C1"]', f"competencies = {named}", text)


@pytest.mark.parametrize(
    "named",
    ['["C1"]', '["C1.1", "C1.2"]', '["C1.1.a", "C1.1.b", "C1.2"]'],
    ids=["the-parent", "every-child", "every-leaf"],
)
def test_naming_every_child_assesses_the_parent(named: str) -> None:
    # validate.py: "an épreuve that names a parent assesses its sub-competencies, and one
    # that names every child of a parent assesses the parent" — at any depth.
    referential, warnings = loads_referential(_three_levels(named))
    assert [c.code for c in referential.blocs[0].competencies[0].children[0].children] == [
        "C1.1.a",
        "C1.1.b",
    ]
    assert warnings == []


def test_a_grandparent_with_one_child_not_assessed_is_not_assessed() -> None:
    # The other side of the rule: C1.2 is named by nothing, so C1 is not fully assessed.
    text = _three_levels('["C1.1"]')
    with pytest.raises(ReferentialError) as caught:
        loads_referential(text)
    paths = {p.path for p in caught.value.problems if "not assessed" in p.message}
    assert paths == {
        "blocs[0].competencies[0].code",
        "blocs[0].competencies[0].children[1].code",
    }


# -- KeyLocator -----------------------------------------------------------------------------

NESTED = """\
title = "racine"

[[blocs]]
id = "B1"

[[blocs.competencies]]
code = "C1"

[[blocs.competencies.children]]
code = "C1.1"

[[blocs.competencies.children.children]]
code = "C1.1.1"

[[blocs.competencies.children.children]]
code = "C1.1.2"

[[blocs.competencies.children]]
code = "C1.2"

[blocs.competencies.children.provenance]
status = "draft"

[[blocs.competencies]]
code = "C2"

[[blocs.competencies.children]]
code = "C2.1"

[blocs.provenance]
status = "verified"

[[blocs]]   # second bloc
id = "B2"

[[ blocs.competencies ]]
code = "C3"
savoirs = ["S1", "S2"]

[[blocs.competencies.children]]
"code" = "C3.1"

[[epreuves]]
code = "EP1"

[[epreuves.situations]]
code = "S1"

[[epreuves]]
code = "EP2"

[[epreuves.situations]]
code = "S1"
competencies = [
    "C1",
    "C3",
]

[[tasks]]
id = "t1"
competencies = [{ code = "C1.1" }, { code = "C2.1", level = "V" }]
context.process = ["injection"]
"""


@pytest.mark.parametrize(
    ("path", "line", "after"),
    [
        ("title", 'title = "racine"', None),
        ("blocs[0]", "[[blocs]]", None),
        ("blocs[0].id", 'id = "B1"', None),
        ("blocs[0].competencies[0].code", 'code = "C1"', None),
        ("blocs[0].competencies[0].children[0].code", 'code = "C1.1"', None),
        ("blocs[0].competencies[0].children[0].children[0].code", 'code = "C1.1.1"', None),
        ("blocs[0].competencies[0].children[0].children[1].code", 'code = "C1.1.2"', None),
        ("blocs[0].competencies[0].children[1].code", 'code = "C1.2"', None),
        ("blocs[0].competencies[0].children[1].provenance.status", 'status = "draft"', None),
        ("blocs[0].competencies[1].code", 'code = "C2"', None),
        ("blocs[0].competencies[1].children[0].code", 'code = "C2.1"', None),
        ("blocs[0].provenance.status", 'status = "verified"', None),
        ("blocs[1]", "[[blocs]]   # second bloc", None),
        ("blocs[1].id", 'id = "B2"', None),
        ("blocs[1].competencies[0]", "[[ blocs.competencies ]]", None),
        ("blocs[1].competencies[0].code", 'code = "C3"', None),
        ("blocs[1].competencies[0].children[0].code", '"code" = "C3.1"', None),
        ("epreuves[0].code", 'code = "EP1"', None),
        ("epreuves[0].situations[0].code", 'code = "S1"', None),
        ("epreuves[1].code", 'code = "EP2"', None),
        ("epreuves[1].situations[0].code", 'code = "S1"', 'code = "EP2"'),
        ("tasks[0].id", 'id = "t1"', None),
        ("tasks[0].context.process", 'context.process = ["injection"]', None),
    ],
)
def test_locator_finds_keys_in_nested_arrays_of_tables(
    path: str, line: str, after: str | None
) -> None:
    assert KeyLocator(NESTED).line_of(path) == line_of(NESTED, line, after=after)


def test_locator_answers_the_nearest_known_ancestor() -> None:
    locator = KeyLocator(NESTED)
    # A value inside a one-line array or inline table: the line of its key.
    assert locator.line_of("blocs[1].competencies[0].savoirs[1]") == line_of(
        NESTED, 'savoirs = ["S1", "S2"]'
    )
    tasks_line = line_of(
        NESTED, 'competencies = [{ code = "C1.1" }, { code = "C2.1", level = "V" }]'
    )
    assert locator.line_of("tasks[0].competencies[1].level") == tasks_line
    # A key that is absent: the line of the table that should hold it.
    assert locator.line_of("blocs[1].competencies[0].children[0].title") == line_of(
        NESTED, "[[blocs.competencies.children]]", after='code = "C3"'
    )
    assert locator.line_of("epreuves[1].coefficient") == line_of(
        NESTED, "[[epreuves]]", after='code = "EP1"'
    )
    # The root has no line.
    assert locator.line_of("") is None
    assert locator.line_of("missing") is None


def test_locator_multi_line_array_points_into_the_array() -> None:
    # Documented approximation: somewhere between the key and the value's own line.
    line = KeyLocator(NESTED).line_of("epreuves[1].situations[0].competencies[1]")
    assert line is not None
    assert line_of(NESTED, "competencies = [") <= line <= line_of(NESTED, '"C3",')


def test_locator_ignores_text_inside_multi_line_strings() -> None:
    # A note quoting the exam rules must not be taken for the épreuve's own keys.
    text = (
        "[[epreuves]]\n"
        'code = "EP1"\n'
        'note = """Extrait du règlement :\n'
        "coefficient = 8 + 1 PSE\n"
        '"""\n'
        "coefficient = 9\n"
    )
    assert KeyLocator(text).line_of("epreuves[0].coefficient") == line_of(text, "coefficient = 9")


def test_a_level_code_with_a_control_character_is_refused() -> None:
    # The journal stores level codes and the recompute packs them with control characters.
    from attrs import evolve

    from ep_skills.referential.defaults import DEFAULT_SCALE
    from ep_skills.referential.settings import Level
    from ep_skills.referential.validate import check_referential

    referential, _warnings = loads_referential(BASE)
    levels = (Level("V\x1f", "Satisfaisant", 67), *DEFAULT_SCALE.levels[:2])
    scale = evolve(DEFAULT_SCALE, levels=levels)
    problems = tuple(check_referential(evolve(referential, scale=scale)))
    find(problems, "scale.levels[0].code", "control characters")
    assert not [
        p
        for p in check_referential(evolve(referential, scale=DEFAULT_SCALE))
        if "control" in p.message
    ]
