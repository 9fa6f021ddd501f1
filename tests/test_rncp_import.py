"""Reading France compétences' RNCP export (XML, CSV, zip) and turning a fiche into a draft.

The fixtures in ``tests/fixtures/rncp/`` hold a fictional filler fiche RNCP00001 followed by
RNCP34670 (CAP Métiers de la coiffure) with its eight official bloc codes and titles; the CSV
holds two of its blocs. Expected values below are read from those files by eye, not from the
code under test.

The large-file test writes a ~30 MB export and checks, with ``tracemalloc``, that finding the
last fiche allocates at most a few megabytes: a reader that built the whole tree (or forgot to
drop each fiche once read) would hold tens of megabytes of elements and fail.
"""

from __future__ import annotations

import tomllib
import traceback
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner, Result

from ep_skills.cli import cli
from ep_skills.errors import EpSkillsError, Severity
from ep_skills.i18n import current_language, set_language
from ep_skills.referential.codec import dumps_referential, load_referential, loads_referential
from ep_skills.referential.model import (
    BlocKind,
    DiplomaKind,
    ProvenanceStatus,
    ReferentialStatus,
)
from ep_skills.referential.provenance import effective_provenance_map
from ep_skills.referential.validate import check_referential
from ep_skills.rncp import RncpFiche, read_fiche, skeleton, slug

FIXTURES = Path(__file__).parent / "fixtures" / "rncp"
XML = FIXTURES / "export_fiches_RNCP_V4_1_fixture.xml"
CSV = FIXTURES / "export_fiches_CSV_Blocs_De_Compétences_fixture.csv"

TITLES = {
    "RNCP34670BC01": "Réaliser des prestations de coiffure",
    "RNCP34670BC02": (
        "Établir une relation avec la clientèle  et participer à l'activité de l'entreprise"
    ),
    "RNCP34670BC03": "Français et histoire-géographie – enseignement moral et civique",
    "RNCP34670BC04": "Mathématiques –  Physique- chimie",
    "RNCP34670BC05": "Éducation physique et sportive",
    "RNCP34670BC06": "Langues vivantes étrangères",
    "RNCP34670BC07": "Prévention-sécurité-environnement",
    "RNCP34670BC08": "Arts appliqués et cultures artistiques (bloc facultatif)",
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    before = current_language()
    set_language("en")
    yield
    set_language(before)


# -- XML --------------------------------------------------------------------------------------


def test_xml_finds_the_fiche_after_a_non_matching_one() -> None:
    fiche = read_fiche(XML, "RNCP34670")
    assert fiche.number == "RNCP34670"
    assert fiche.title == "Métiers de la coiffure"
    assert fiche.abbreviation == "CAP"
    assert fiche.level == 3  # NIV3
    assert fiche.valid_until == date(2025, 8, 31)  # 31/08/2025
    assert fiche.active is True  # <ACTIF>Oui</ACTIF>
    assert fiche.source_file == XML.name
    assert [b.code for b in fiche.blocs] == list(TITLES)
    assert {b.code: b.title for b in fiche.blocs} == TITLES
    first = fiche.blocs[0]
    # LISTE_COMPETENCES holds « …test&lt;br&gt;Deuxième… »: two lines split on <br>.
    assert first.competencies == ("Première compétence de test", "Deuxième compétence de test")
    assert first.assessment == "Modalité de test"
    # The other blocs have no list and no assessment text.
    assert all(b.competencies == () and b.assessment is None for b in fiche.blocs[1:])


def test_xml_filler_fiche_is_read_too() -> None:
    # The first fiche says <ACTIF>Non</ACTIF>, a TP, no level, no end date.
    fiche = read_fiche(XML, "RNCP00001")
    assert fiche.active is False
    assert fiche.abbreviation == "TP"
    assert fiche.level is None
    assert fiche.valid_until is None
    assert [(b.code, b.title) for b in fiche.blocs] == [("RNCP00001BC01", "Bloc fictif")]


def test_the_number_is_case_and_space_insensitive() -> None:
    assert read_fiche(XML, "  rncp34670 ").number == "RNCP34670"


# -- CSV --------------------------------------------------------------------------------------


def test_csv_gives_the_blocs_of_the_fiche_only() -> None:
    fiche = read_fiche(CSV, "rncp34670")
    assert fiche == RncpFiche(
        number="RNCP34670",
        blocs=fiche.blocs,
        source_file=CSV.name,
    )
    assert [(b.code, b.title) for b in fiche.blocs] == [
        ("RNCP34670BC01", "Réaliser des prestations de coiffure"),
        ("RNCP34670BC05", "Éducation physique et sportive"),
    ]
    # The CSV table has no competency lists nor titles/levels of the fiche.
    assert all(b.competencies == () for b in fiche.blocs)
    assert fiche.title is None and fiche.level is None and fiche.active is None


# -- zip --------------------------------------------------------------------------------------


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_of_the_xml(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "export.zip", {"export_fiches_RNCP_V4_1_2025-01-01.xml": XML.read_bytes()}
    )
    fiche = read_fiche(archive, "RNCP34670")
    # The same fiche as from the bare file; only the member's name differs.
    assert fiche == attrs.evolve(read_fiche(XML, "RNCP34670"), source_file=fiche.source_file)
    assert fiche.source_file == "export_fiches_RNCP_V4_1_2025-01-01.xml"
    assert len(fiche.blocs) == 8


def test_zip_of_the_csv_prefers_the_blocs_table(tmp_path: Path) -> None:
    # The real CSV zip holds several tables; the « Standard » one lacks the bloc columns and
    # comes first in name order: the blocs table must be the one read.
    standard = "Numero_Fiche;Intitule\nRNCP34670;Métiers de la coiffure\n".encode()
    archive = _zip(
        tmp_path / "csv.zip",
        {
            "export_fiches_CSV_Standard_2025.csv": standard,
            "export_fiches_CSV_Blocs_De_Compétences_2025.csv": CSV.read_bytes(),
        },
    )
    fiche = read_fiche(archive, "RNCP34670")
    assert [b.code for b in fiche.blocs] == ["RNCP34670BC01", "RNCP34670BC05"]
    assert fiche.source_file == "export_fiches_CSV_Blocs_De_Compétences_2025.csv"


# -- bad input --------------------------------------------------------------------------------


def _error(file: Path, number: str) -> str:
    with pytest.raises(EpSkillsError) as caught:
        read_fiche(file, number)
    return str(caught.value)


def test_unknown_fiche() -> None:
    message = _error(XML, "RNCP99999")
    assert "RNCP99999" in message
    assert str(XML) in message
    assert "no fiche" in message


def test_unknown_fiche_in_the_csv() -> None:
    message = _error(CSV, "RNCP99999")
    assert "no fiche RNCP99999" in message


def test_malformed_number() -> None:
    message = _error(XML, "38568")
    assert "'38568' is not an RNCP number" in message


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.xml"
    message = _error(missing, "RNCP34670")
    assert message == f"no such file: {missing}"


def test_truncated_xml(tmp_path: Path) -> None:
    data = XML.read_bytes()
    # Cut inside the target fiche's bloc list: it never ends, so it cannot be found.
    cut = data.index(b"RNCP34670BC04")
    truncated = tmp_path / "truncated.xml"
    truncated.write_bytes(data[:cut])
    message = _error(truncated, "RNCP34670")
    assert "truncated.xml" in message
    assert "not a valid RNCP XML export" in message


def test_not_xml_at_all(tmp_path: Path) -> None:
    garbage = tmp_path / "export.xml"
    garbage.write_text("this is <not xml", encoding="utf-8")
    assert "not a valid RNCP XML export" in _error(garbage, "RNCP34670")


def test_csv_without_the_expected_columns(tmp_path: Path) -> None:
    wrong = tmp_path / "blocs.csv"
    wrong.write_text("Fiche;Code;Libelle\nRNCP34670;RNCP34670BC01;Bloc\n", encoding="utf-8")
    message = _error(wrong, "RNCP34670")
    assert "blocs.csv" in message
    for column in ("Numero_Fiche", "Bloc_Competences_Code", "Bloc_Competences_Libelle"):
        assert column in message


def test_zip_without_xml_or_csv(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "export.zip", {"LISEZMOI.txt": b"rien ici"})
    message = _error(archive, "RNCP34670")
    assert str(archive) in message
    assert "no XML or CSV file" in message


# -- skeleton ---------------------------------------------------------------------------------


def test_skeleton_of_the_xml_fiche() -> None:
    fiche = read_fiche(XML, "RNCP34670")
    referential = skeleton(fiche)
    assert referential.id == "cap-metiers-de-la-coiffure"
    assert referential.title == "Métiers de la coiffure"
    assert referential.kind is DiplomaKind.CAP
    assert referential.level == 3
    assert referential.status is ReferentialStatus.DRAFT
    assert [r.number for r in referential.rncp] == ["RNCP34670"]
    assert referential.rncp[0].valid_until == date(2025, 8, 31)

    assert [b.id for b in referential.blocs] == [f"BC0{i}" for i in range(1, 9)]
    assert [b.rncp_code for b in referential.blocs] == list(TITLES)
    assert [b.title for b in referential.blocs] == list(TITLES.values())
    kinds = {b.id: b.kind for b in referential.blocs}
    assert kinds["BC01"] is BlocKind.PROFESSIONAL
    assert kinds["BC02"] is BlocKind.PROFESSIONAL
    for general in ("BC03", "BC04", "BC05", "BC06", "BC07", "BC08"):
        assert kinds[general] is BlocKind.GENERAL, general

    bc01 = referential.blocs[0]
    assert [(c.code, c.title) for c in bc01.competencies] == [
        ("BC01.1", "Première compétence de test"),
        ("BC01.2", "Deuxième compétence de test"),
    ]
    for competency in bc01.competencies:
        assert competency.note is not None
        assert "pas un code officiel" in competency.note
    assert bc01.note == "Modalité de test"
    assert all(b.competencies == () for b in referential.blocs[1:])

    # The export's text is copied as is: verified, from the export, which is cited.
    assert referential.provenance.status is ProvenanceStatus.VERIFIED
    assert referential.provenance.source == "rncp-export"
    assert [s.id for s in referential.sources] == ["rncp-export"]
    assert referential.sources[0].url == "https://www.francecompetences.fr/recherche/rncp/34670/"
    statuses = {p.status for p in effective_provenance_map(referential).values()}
    assert statuses == {ProvenanceStatus.VERIFIED}

    # Nothing invented: no épreuve, no task.
    assert referential.epreuves == ()
    assert referential.tasks == ()

    problems = check_referential(referential)
    assert [p for p in problems if p.severity is Severity.ERROR] == []
    # The two unofficial competencies are neither assessed nor reachable yet: 4 warnings.
    assert sorted((p.path, p.severity) for p in problems) == sorted(
        [
            ("blocs[0].competencies[0].code", Severity.WARNING),
            ("blocs[0].competencies[0].code", Severity.WARNING),
            ("blocs[0].competencies[1].code", Severity.WARNING),
            ("blocs[0].competencies[1].code", Severity.WARNING),
        ]
    )


def test_skeleton_round_trips_through_toml() -> None:
    referential = skeleton(read_fiche(XML, "RNCP34670"), diploma_id="cap-coiffure")
    assert referential.id == "cap-coiffure"
    loaded, warnings = loads_referential(dumps_referential(referential))
    assert loaded == referential
    assert all(w.severity is Severity.WARNING for w in warnings)


def test_skeleton_of_the_csv_fiche() -> None:
    referential = skeleton(read_fiche(CSV, "RNCP34670"))
    # The CSV gives no title nor abbreviation: the number stands in.
    assert referential.title == "RNCP34670"
    assert referential.kind is DiplomaKind.OTHER
    assert referential.id == "rncp34670"
    assert [(b.id, b.kind) for b in referential.blocs] == [
        ("BC01", BlocKind.PROFESSIONAL),
        ("BC05", BlocKind.GENERAL),
    ]
    assert [p for p in check_referential(referential) if p.severity is Severity.ERROR] == []


def test_slug() -> None:
    assert slug("CAP Ébéniste") == "cap-ebeniste"
    assert slug("  Bac Pro — Technicien d'usinage ") == "bac-pro-technicien-d-usinage"
    assert slug("!!!") == ""


# -- bounded memory ---------------------------------------------------------------------------

FILLER_FICHES = 20_000
BLOCS_PER_FICHE = 5
MEMORY_BOUND = 5 * 1024 * 1024


def _write_large_export(path: Path) -> None:
    filler_list = "Compétence de remplissage décrite assez longuement&lt;br&gt;" * 2
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<FICHES>\n')
        out.write("<VERSION_FLUX>4.1</VERSION_FLUX>\n")
        for i in range(1, FILLER_FICHES + 1):
            number = f"RNCP9{i:05d}"
            out.write(
                f"<FICHE><ID_FICHE>{i}</ID_FICHE><NUMERO_FICHE>{number}</NUMERO_FICHE>"
                f"<INTITULE>Certification de remplissage n° {i}</INTITULE>"
                "<ABREGE><CODE>TP</CODE><LIBELLE>Titre professionnel</LIBELLE></ABREGE>"
                "<ACTIF>Non</ACTIF><BLOCS_COMPETENCES>"
            )
            for b in range(1, BLOCS_PER_FICHE + 1):
                out.write(
                    f"<BLOC_COMPETENCES><CODE>{number}BC0{b}</CODE>"
                    f"<LIBELLE>Bloc {b} de la fiche {i}</LIBELLE>"
                    f"<LISTE_COMPETENCES>{filler_list}</LISTE_COMPETENCES>"
                    "<MODALITES_EVALUATION>Mise en situation reconstituée.</MODALITES_EVALUATION>"
                    "</BLOC_COMPETENCES>"
                )
            out.write("</BLOCS_COMPETENCES></FICHE>\n")
        # The fiche looked for comes last, as in the fixture.
        target = XML.read_text(encoding="utf-8")
        start = target.index("<FICHE>", target.index("RNCP00001"))
        end = target.index("</FICHES>")
        out.write(target[start:end])
        out.write("</FICHES>\n")


def test_reading_a_large_export_keeps_memory_bounded(tmp_path: Path) -> None:
    big = tmp_path / "export_fiches_RNCP_V4_1_large.xml"
    _write_large_export(big)
    size = big.stat().st_size
    assert size > 20 * 1024 * 1024, size  # the bound below is far smaller than the file

    tracemalloc.start()
    try:
        fiche = read_fiche(big, "RNCP34670")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [b.code for b in fiche.blocs] == list(TITLES)
    assert fiche.blocs[0].competencies == (
        "Première compétence de test",
        "Deuxième compétence de test",
    )
    assert peak < MEMORY_BOUND, f"peak {peak / 1e6:.1f} MB while reading a {size / 1e6:.0f} MB file"


def test_a_large_zipped_export_keeps_memory_bounded(tmp_path: Path) -> None:
    big = tmp_path / "export.xml"
    _write_large_export(big)
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.write(big, "export_fiches_RNCP_V4_1_large.xml")
    big.unlink()

    tracemalloc.start()
    try:
        fiche = read_fiche(archive, "RNCP34670")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(fiche.blocs) == 8
    assert peak < MEMORY_BOUND, f"peak {peak / 1e6:.1f} MB"


# -- command line -----------------------------------------------------------------------------


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, ["--lang", "en", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"ep-skills {' '.join(args)} crashed:\n{trace}")
    return result


def test_cli_import_writes_a_file_that_check_accepts(tmp_path: Path) -> None:
    out = tmp_path / "out.toml"
    result = invoke("referential", "import-rncp", str(XML), "--fiche", "RNCP34670", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "8 blocs of RNCP34670 written to" in result.stdout
    assert str(out) in result.stdout

    written = out.read_text(encoding="utf-8")
    assert written == dumps_referential(skeleton(read_fiche(XML, "RNCP34670")))
    referential, _warnings = load_referential(out)
    assert [b.rncp_code for b in referential.blocs] == list(TITLES)

    checked = invoke("referential", "check", str(out))
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.strip() == f"{out}: OK"
    # Draft: the unassessed competencies are warnings, on stderr.
    assert "warning:" in checked.stderr
    assert "BC01.1" in checked.stderr


def test_cli_import_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out.toml"
    out.write_text("# mine\n", encoding="utf-8")
    result = invoke("referential", "import-rncp", str(XML), "--fiche", "RNCP34670", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {out} already exists"
    assert out.read_text(encoding="utf-8") == "# mine\n"


def test_cli_import_prints_to_stdout_without_output(tmp_path: Path) -> None:
    result = invoke(
        "referential", "import-rncp", str(CSV), "--fiche", "rncp34670", "--id", "cap-coiffure"
    )
    assert result.exit_code == 0, result.output
    data = tomllib.loads(result.stdout)
    assert data["id"] == "cap-coiffure"
    loaded, _warnings = loads_referential(result.stdout)
    assert loaded == skeleton(read_fiche(CSV, "RNCP34670"), diploma_id="cap-coiffure")
    assert list(tmp_path.iterdir()) == []


def test_cli_import_errors_are_one_line(tmp_path: Path) -> None:
    result = invoke("referential", "import-rncp", str(XML), "--fiche", "RNCP99999")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert "no fiche RNCP99999" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

    bad = invoke("referential", "import-rncp", str(XML), "--fiche", "38568")
    assert bad.exit_code == 1
    assert "is not an RNCP number" in bad.stderr
