"""Moodle competency frameworks (tool_lpimportcsv): a diploma's referential written as the CSV
Moodle imports, and read back — Moodle's own test file included."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ep_skills.cli.app import cli
from ep_skills.errors import InvalidValueError
from ep_skills.exchange.moodle import (
    MOODLE_HEADERS,
    RULE_ALL,
    export_framework,
    format_framework,
    import_framework,
    parse_framework,
)
from ep_skills.plugins.manager import make_plugin_manager
from ep_skills.plugins.registry import Registry
from ep_skills.referential.codec import dumps_referential, loads_referential
from ep_skills.referential.model import (
    Bloc,
    Competency,
    DiplomaKind,
    Provenance,
    ProvenanceStatus,
    Referential,
)

EXAMPLE = Path(__file__).parent / "fixtures" / "exchange" / "moodle" / "example.csv"


@pytest.fixture(scope="module")
def psr() -> Referential:
    return Registry(make_plugin_manager()).get("cap-psr")


def _tree(ref: Referential) -> list[tuple[str, str, str]]:
    """(parent, code, title) of every node, blocs included, in order."""
    found: list[tuple[str, str, str]] = []

    def walk(parent: str, items: tuple[Competency, ...]) -> None:
        for item in items:
            found.append((parent, item.code, item.title))
            walk(item.code, item.children)

    for bloc in ref.blocs:
        found.append(("", bloc.id, bloc.title))
        walk(bloc.id, bloc.competencies)
    return found


def test_moodles_own_fixture_is_read() -> None:
    done = import_framework(EXAMPLE)
    ref = done.referential
    assert (ref.id, ref.title) == ("OECD-CORE", "OECD")
    assert [b.id for b in ref.blocs] == ["levels", "competencies"]
    assert [c.code for c in ref.blocs[1].competencies] == ["delivery", "interpersonal", "strategic"]
    delivery = ref.blocs[1].competencies[0]
    assert delivery.children[0].code == "analytical-thinking"
    assert [c.code for c in delivery.children[0].children] == ["DR-AT1", "DR-AT-2"]
    assert len(ref.all_competencies()) == 62  # 63 rows, 2 of them top-level (blocs)
    # HTML descriptions are descriptions: the title is the short name.
    assert ref.blocs[0].competencies[0].title == "Level 1"
    # Its scale « Not yet competent,Competent », Competent proficient and the default.
    assert ref.scale is not None and ref.scale.default_level == "Competent"
    assert [s.acquired for s in ref.scale.states if s.min_score == 100] == [True]
    # What ep-skills has no place for is said: cross-references (40 rows hold some).
    assert len(done.dropped) == 40 and all("cross-references" in d for d in done.dropped)
    # The TOML codec writes it and reads it back equal (warnings only: a draft).
    again, problems = loads_referential(dumps_referential(ref))
    assert again == ref
    assert all(p.severity == "warning" for p in problems)


def test_a_diploma_is_written_as_moodle_writes_a_framework(psr: Referential) -> None:
    raw = format_framework(psr)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    assert tuple(rows[0]) == MOODLE_HEADERS
    framework = rows[1]
    assert framework[1] == "cap-psr" and framework[12] == "1"
    assert framework[5] == "RR,R,V,VV"
    config = json.loads(framework[6])
    # V and VV reach « acquis » (61): proficient; V is the scale's default level.
    assert config[1:] == [
        {"id": 1, "scaledefault": 0, "proficient": 0},
        {"id": 2, "scaledefault": 0, "proficient": 0},
        {"id": 3, "scaledefault": 1, "proficient": 1},
        {"id": 4, "scaledefault": 0, "proficient": 1},
    ]
    by_code = {row[1]: row for row in rows[2:]}
    assert len(by_code) == len(psr.blocs) + len(psr.all_competencies())
    assert by_code["C1.1"][0] == "C1" and by_code["C1"][0] == "B1" and by_code["B1"][0] == ""
    assert by_code["C1"][7] == RULE_ALL and by_code["C1"][8] == "2"
    assert by_code["B1"][7] == "" and by_code["C1.1"][7] == ""
    assert all(len(row[2]) <= 100 for row in rows[1:])
    # PHP's fputcsv quotes a field holding a space: the header line is Moodle's.
    assert raw.startswith(b'"Parent ID number","ID number","Short name",Description,')


def test_round_trip_keeps_codes_titles_and_hierarchy(psr: Referential, tmp_path: Path) -> None:
    path = export_framework(psr, tmp_path / "psr.csv")
    with pytest.raises(Exception, match="already exists"):
        export_framework(psr, path)
    back = import_framework(path, kind=DiplomaKind.CAP, level=3)
    assert back.dropped == ()
    assert back.referential.id == psr.id and back.referential.title == psr.title
    assert _tree(back.referential) == _tree(psr)
    assert back.referential.scale is None  # RR,R,V,VV: ep-skills's own
    again, _problems = loads_referential(dumps_referential(back.referential))
    assert _tree(again) == _tree(psr)


_words = (
    st.text(alphabet="abcdefghij ÉéàKLM,\"'-", min_size=1, max_size=140)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)


@st.composite
def _referentials(draw: st.DrawFn) -> Referential:
    codes = iter(f"K{i}" for i in range(10_000))

    def competencies(depth: int) -> tuple[Competency, ...]:
        n = draw(st.integers(0, 3 if depth < 3 else 0))
        return tuple(
            Competency(code=next(codes), title=draw(_words), children=competencies(depth + 1))
            for _ in range(n)
        )

    blocs = tuple(
        Bloc(id=f"B{i}", title=draw(_words), competencies=competencies(1))
        for i in range(draw(st.integers(1, 3)))
    )
    return Referential(
        id="x-test",
        title=draw(_words),
        kind=DiplomaKind.OTHER,
        level=0,
        version="1",
        legal_source="test",
        provenance=Provenance(ProvenanceStatus.DRAFT),
        blocs=blocs,
    )


@settings(max_examples=60, deadline=None)
@given(_referentials())
def test_any_tree_survives_the_round_trip(ref: Referential) -> None:
    back = parse_framework(format_framework(ref), "f.csv").referential
    assert back.title == ref.title
    assert _tree(back) == _tree(ref)


def test_bad_files_are_refused_with_the_line() -> None:
    header = ",".join(f'"{h}"' for h in MOODLE_HEADERS) + "\n"
    framework = ",fw,FW,,2,,,,,,,,1,\n"
    with pytest.raises(InvalidValueError, match="line 1: not a Moodle competency framework"):
        parse_framework(b"a,b,c\n1,2,3\n", "f.csv")
    with pytest.raises(InvalidValueError, match="no row has « Is framework »"):
        parse_framework((header + ",a,A,,2,,,,0,null,,1,,\n").encode(), "f.csv")
    orphan = header + framework + "zz,a,A,,2,,,,0,null,,1,,\n"
    with pytest.raises(InvalidValueError, match="line 3: the parent 'zz'"):
        parse_framework(orphan.encode(), "f.csv")
    twice = header + framework + ",a,A,,2,,,,0,null,,1,,\n,a,B,,2,,,,0,null,,2,,\n"
    with pytest.raises(InvalidValueError, match="line 4: the id number 'a' is given twice"):
        parse_framework(twice.encode(), "f.csv")
    loop = header + framework + "b,a,A,,2,,,,0,null,,1,,\na,b,B,,2,,,,0,null,,2,,\n"
    with pytest.raises(InvalidValueError, match="its own ancestor"):
        parse_framework(loop.encode(), "f.csv")
    with pytest.raises(InvalidValueError, match="not UTF-8"):
        parse_framework(header.encode("utf-16"), "f.csv")


def test_cli_export_import_and_a_bad_file(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--lang", "en", "--db", str(tmp_path / "j.db"), "exchange", "moodle"]
    csv_path, toml_path = tmp_path / "psr.csv", tmp_path / "psr.toml"
    done = runner.invoke(cli, [*base, "export", "cap-psr", "--out", str(csv_path)])
    assert done.exit_code == 0, done.output
    back = runner.invoke(
        cli, [*base, "import", str(csv_path), "--out", str(toml_path), "--level", "3"]
    )
    assert back.exit_code == 0, back.output
    ref, _problems = loads_referential(toml_path.read_bytes())
    assert ref.id == "cap-psr" and ref.level == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\nC1,x\n", encoding="utf-8")
    refused = runner.invoke(cli, [*base, "import", str(bad), "--out", str(tmp_path / "b.toml")])
    assert refused.exit_code == 1
    assert refused.output.strip() == (
        f"Error: {bad}, line 1: not a Moodle competency framework: 2 columns, 14 expected"
    )
    assert not (tmp_path / "b.toml").exists()
