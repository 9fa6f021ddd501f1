"""A French-speaking instructor meets no English: every ``--help``, and what the commands print
on a demo workshop (confirmations, lists, tables, errors), is French when ``--lang fr``.

The check is a list of English words that have no business in French text (``required``,
``TEXT``, ``trainee``, ``the``…), looked for once what is typed as it is has been taken out:
commands and options (``ep-skills record --task``), values to choose from
(``[maitre|enseignant]``), identifiers (``cap-cip``, ``conduire-ligne-mode-normal``). Dates are
written 20/11/2026, never 2026-11-20, and a count agrees with its noun (« 1 jeune », never
« 1 jeunes » nor « jeune(s) »). JSON output is for programs: it is not checked.

The import template is French too, and reads back; an English one is still accepted.
"""

from __future__ import annotations

import csv
import re
import traceback
from collections.abc import Collection
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ep_skills.cli import cli
from ep_skills.cli.app import _command_tree
from ep_skills.referential.defaults import DEFAULT_SCALE

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide-atelier.md"

# English words that a French screen must not show. Words French shares with English (date,
# note, minutes, description, import, options, version, absent, a, on) are not listed.
_ENGLISH = re.compile(
    r"\b("
    r"required|default|text|integer|range|name|names|path|directory|file|files|"
    r"command|args|trainee|trainees|level|levels|record|records|order|orders|"
    r"assessment|assessments|competency|competencies|cohort|diploma|task|tasks|"
    r"assessor|autonomy|school|login|address|key|value|who|usage|error|warning|"
    r"missing|written|row|rows|column|columns|show|exit|see|choose|invalid|unknown|"
    r"nothing|already|found|new|day|the|of|and|not|for|from|is|are|was|this|that|"
    r"which|when|with|has|have|none|to|or|by"
    r")\b",
    re.IGNORECASE,
)
# Words made of words joined by a dash or an underscore: identifiers, typed as they are.
_IDENTIFIER = re.compile(r"\w+(?:[-_./]\w+)+")
_TYPED = [
    re.compile(r"\S*://\S*"),  # an address: postgresql://…?school=ID
    re.compile(r"ep-skills(?: [a-z][a-z-]*)*"),  # a command line: names of commands
    re.compile(r"--?[a-z][\w-]*"),  # options
    re.compile(r"[\[{][^\]}\s]*\|[^\]}\s]*[\]}]"),  # choices: [maitre|enseignant|tuteur|auto]
    re.compile(r"par défaut : \S+?(?=[;\]])"),  # a default value: [par défaut : text]
    re.compile(r"^ {2}[a-z][a-z-]*(?= {2,}|$)", re.MULTILINE),  # the list of commands
]
_ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_BAD_PLURAL = re.compile(
    r"\(s\)|\b[01] (?:jeunes|entrées|lignes|évaluations|enregistrements|commandes|minutes|"
    r"états|blocs|colonnes|problèmes|imports)\b"
)
COMMAND_NAMES = {path[-1] for path in _command_tree(cli)}


def english_in(text: str, *, allowed: Collection[str] = ()) -> list[str]:
    """The English words of ``text`` once commands, options, choices and identifiers are out."""
    for pattern in _TYPED:
        text = pattern.sub(" ", text)
    text = _IDENTIFIER.sub(" ", text)
    return sorted({m.group(0) for m in _ENGLISH.finditer(text)} - set(allowed))


def problems_in(text: str, *, allowed: Collection[str] = ()) -> list[str]:
    """English words, ISO dates and wrong plurals of ``text``."""
    found = [f"English: {w!r}" for w in english_in(text, allowed=allowed)]
    found += [f"ISO date: {d!r}" for d in _ISO_DAY.findall(text)]
    found += [f"plural: {p!r}" for p in _BAD_PLURAL.findall(text)]
    return found


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EP_SKILLS_DB", "EP_SKILLS_CONFIG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, ["--lang", "fr", *args], prog_name="ep-skills")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"ep-skills {' '.join(args)} crashed:\n{trace}")
    return result


# -- the checker itself --------------------------------------------------------------------


def test_the_checker_sees_english() -> None:
    assert english_in("Options:\n  --task TEXT  Catalogue task id.  [required]") == [
        "TEXT",
        "required",
        "task",
    ]
    assert problems_in("le 2026-11-20") == ["ISO date: '2026-11-20'"]
    assert problems_in("pour 1 jeunes") == ["plural: '1 jeunes'"]
    assert problems_in("jeune(s)") == ["plural: '(s)'"]


def test_the_checker_lets_typed_things_through() -> None:
    text = (
        "Utilisation : ep-skills trainee add [OPTIONS] NOM\n"
        "  --role [maitre|enseignant|tuteur|auto]  Rôle.  [par défaut : text]\n"
        '  ep-skills explain "Léa" CP04 — tâche conduire-ligne-mode-normal, demo-cap-cip\n'
        "Commandes :\n  order        Ajouter et lister les commandes.\n"
    )
    assert problems_in(text) == []


# -- help ----------------------------------------------------------------------------------

COMMAND_PATHS = [(), *_command_tree(cli)]


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "ep-skills")
def test_help_is_french(path: tuple[str, ...]) -> None:
    result = run(*path, "--help")
    assert result.exit_code == 0, result.output
    # Help texts name other commands (« tel que record et explain l'affichent »).
    problems = problems_in(result.stdout, allowed=COMMAND_NAMES)
    assert not problems, f"ep-skills --lang fr {' '.join(path)} --help:\n{result.stdout}"


def flat(text: str) -> str:
    """Help text with its line wrapping undone."""
    return " ".join(text.split())


def test_help_placeholders_are_french() -> None:
    text = flat(run("record", "--help").stdout)
    assert "Utilisation : ep-skills record [OPTIONS] JEUNES..." in text
    assert "--competency CODE=NIVEAU" in text
    assert "--task TEXTE" in text
    assert "--autonomy ENTIER" in text
    assert "[de 1 à 4]" in text
    assert "[au moins 1]" in text
    assert "Options :" in text
    assert "[N_ÉVALUATION]" in run("correct", "--help").stdout
    assert "[FICHIER]" in run("import", "--help").stdout
    assert "[obligatoire]" in run("trainee", "add", "--help").stdout


def test_help_placeholders_stay_english_in_english() -> None:
    run("record", "--help")  # French first: the English help must not keep any of it
    english = CliRunner().invoke(cli, ["--lang", "en", "record", "--help"], prog_name="ep-skills")
    text = flat(english.stdout)
    assert "Usage: ep-skills record [OPTIONS] TRAINEES..." in text
    assert "--competency CODE=LEVEL" in text
    assert "--autonomy INTEGER RANGE" in text
    assert "[1<=x<=4]" in text
    assert "Options:" in text
    add = CliRunner().invoke(cli, ["--lang", "en", "trainee", "add", "--help"]).stdout
    assert "[required]" in add


@pytest.mark.parametrize("path", [("record",), ("correct",), ("import",)])
def test_level_codes_are_explained(path: tuple[str, ...]) -> None:
    text = run(*path, "--help").stdout
    for level in DEFAULT_SCALE.levels:
        assert re.search(rf"^ +{level.code} +{re.escape(level.label)}", text, re.MULTILINE), (
            level.code
        )


def test_the_guide_lists_the_levels() -> None:
    section = GUIDE.read_text(encoding="utf-8").split("### Les niveaux", 1)[1].split("\n#", 1)[0]
    for level in DEFAULT_SCALE.levels:
        assert f"| `{level.code}` | {level.label} |" in section


# -- outputs on a demo workshop ------------------------------------------------------------


def _template(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    return path


def test_what_the_commands_print_is_french(tmp_path: Path) -> None:
    db = str(tmp_path / "atelier.db")
    outputs: list[tuple[str, Result]] = []

    def step(*args: str) -> Result:
        result = run("--db", db, *args)
        outputs.append((" ".join(args), result))
        return result

    assert step("demo", "--trainees", "2").exit_code == 0
    people = [
        line.split("│")[2].strip()
        for line in step("trainee", "list").stdout.splitlines()
        if line.startswith("│")
    ]
    first = people[0]
    step("trainee", "add", "Nina Perez", "--diploma", "cap-cip", "--start", "01/09/2026")
    step("trainee", "update", "Nina Perez", "--start", "02/09/2026")
    step("trainee", "archive", "Nina Perez", "--day", "03/09/2026")
    step("trainee", "restore", "Nina Perez")
    step("trainee", "history", "Nina Perez")
    step("trainee", "list", "--archived")
    step(
        "order",
        "add",
        "2026-900",
        "--customer",
        "Client",
        "--title",
        "Pièces",
        "--due",
        "30/11/2026",
    )
    step("order", "list")
    step("task", "list", "--diploma", "cap-cip")
    saved = step(
        "record",
        first,
        "--task",
        "conduire-ligne-mode-normal",
        "--order",
        "2026-900",
        "--date",
        "20/11/2026",
        "--minutes",
        "1",
        "--autonomy",
        "3",
        "--assessor",
        "M. Durand",
        "--role",
        "tuteur",
        "--note",
        "bien",
    )
    assert saved.exit_code == 0, saved.output
    assert "1 minute" in saved.stdout and "1 minutes" not in saved.stdout
    record_id = re.search(r"Enregistrement n° (\d+)", saved.stdout).group(1)  # type: ignore[union-attr]
    assessment_id = re.search(r"évaluations? n° (\d+)", saved.stdout).group(1)  # type: ignore[union-attr]
    step("correct", assessment_id, "--level", "R", "--note", "relu")
    step("withdraw", "--record", record_id, "--note", "erreur")
    template = tmp_path / "modele.csv"
    step("import", "--template", str(template))
    rows = _template(template)
    rows[1][1] = first
    rows[1][3] = "2026-900"
    _write(template, rows)
    step("import", "--dry-run", str(template))
    step("import", str(template))
    step("import", str(template))  # again: already in the journal
    step("imports")
    step("progress", first)
    step("progress", "--all")
    step("explain", first, "CP04")
    step("gaps", "--cohort", "demo-cap-cip")
    step("recompute")
    step("verify")
    step("diplomas")
    step("referential", "show", "cap-cip")
    # Errors, the library's and click's.
    step("record", "Personne Inconnue", "--task", "conduire-ligne-mode-normal")
    step("record", first, "--autonomy", "7")
    step("record", first, "--date", "32/13/2026")
    step("record")
    step("record", first, "--nope")
    step("correct")
    step("trainee", "add", "Sans Diplome")
    step("import", str(_write(tmp_path / "sans-date.csv", [["jeune"], [first]])))
    step(
        "import",
        str(
            _write(
                tmp_path / "texte.csv",
                [["date", "jeune", "autonomie"], ["20/11/2026", first, "4.5"]],
            )
        ),
    )
    step("nope")

    found = []
    for args, result in outputs:
        text = (result.stdout + result.stderr).replace(str(tmp_path), "DOSSIER")
        found += [f"ep-skills {args}: {p}" for p in problems_in(text)]
    assert not found, "\n".join(found)


# -- the import template in French, and English headers ---------------------------------------


def test_french_template_reads_back(tmp_path: Path) -> None:
    db = str(tmp_path / "atelier.db")
    run("--db", db, "demo", "--trainees", "2")
    template = tmp_path / "modele.csv"
    written = run("--db", db, "import", "--template", str(template))
    assert "colonnes : date, jeune, tâche, commande" in written.stdout
    rows = _template(template)
    assert rows[0] == [
        "date",
        "jeune",
        "tâche",
        "commande",
        "niveau",
        "compétences",
        "autonomie",
        "évaluateur",
        "rôle",
        "minutes",
        "note",
        "description",
    ]
    assert rows[1][0] == "20/11/2026"
    name = run("--db", db, "trainee", "list", "--format", "json")
    first = re.search(r'"name": "([^"]+)"', name.stdout).group(1)  # type: ignore[union-attr]
    rows[1][1] = first
    rows[1][3] = ""
    _write(template, rows)
    result = run("--db", db, "import", str(template))
    assert result.exit_code == 0, result.output
    assert "Import n° 1 : 1 ligne, 1 enregistrement nouveau" in result.stdout


def test_french_xlsx_template_has_a_french_sheet(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "modele.xlsx"
    assert run("import", "--template", str(path)).exit_code == 0
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["enregistrements"]
    assert [c.value for c in workbook.active[1]][:3] == ["date", "jeune", "tâche"]


def test_english_headers_are_still_read(tmp_path: Path) -> None:
    db = str(tmp_path / "atelier.db")
    run("--db", db, "demo", "--trainees", "2")
    template = tmp_path / "template.csv"
    CliRunner().invoke(cli, ["--lang", "en", "import", "--template", str(template)])
    rows = _template(template)
    assert rows[0][:4] == ["date", "trainee", "task", "order"]
    name = run("--db", db, "trainee", "list", "--format", "json")
    rows[1][1] = re.search(r'"name": "([^"]+)"', name.stdout).group(1)  # type: ignore[union-attr]
    rows[1][3] = ""
    _write(template, rows)
    result = run("--db", db, "import", str(template))  # a French user, an English file
    assert result.exit_code == 0, result.output


def test_mixed_case_and_accents_in_headers(tmp_path: Path) -> None:
    db = str(tmp_path / "atelier.db")
    run("--db", db, "demo", "--trainees", "2")
    name = run("--db", db, "trainee", "list", "--format", "json")
    first = re.search(r'"name": "([^"]+)"', name.stdout).group(1)  # type: ignore[union-attr]
    path = _write(
        tmp_path / "suivi.csv",
        [
            ["Date", "JEUNE", "Tache", "Évaluateur", "ROLE"],
            ["20/11/2026", first, "conduire-ligne-mode-normal", "M. Durand", "tuteur"],
        ],
    )
    result = run("--db", db, "import", str(path))
    assert result.exit_code == 0, result.output


def test_import_errors_name_the_french_column(tmp_path: Path) -> None:
    db = str(tmp_path / "atelier.db")
    run("--db", db, "demo", "--trainees", "2")
    missing = run("--db", db, "import", str(_write(tmp_path / "a.csv", [["date"], ["20/11/2026"]])))
    assert "colonne manquante jeune" in missing.stderr
    assert "trainee" not in missing.stderr
    english = CliRunner().invoke(
        cli, ["--lang", "en", "--db", db, "import", str(tmp_path / "a.csv")]
    )
    assert "missing column trainee" in english.stderr
