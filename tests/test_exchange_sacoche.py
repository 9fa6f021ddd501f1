"""SACoche's « saisie déportée » and students' list: read and written as SACoche does, into
and out of the journal, all or nothing, and twice without writing twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ep_skills.api import Journal, open_journal
from ep_skills.cli.app import cli
from ep_skills.errors import InvalidValueError
from ep_skills.exchange.sacoche import (
    Correspondences,
    SaisieFile,
    SaisieItem,
    SaisieStudent,
    export_saisie,
    format_saisie,
    import_saisie,
    import_users,
    parse_saisie,
    read_correspondences,
    read_users,
    sacoche_keys,
    students_of,
    write_saisie,
    write_users,
)
from ep_skills.referential.defaults import DEFAULT_SCALE, FOUR_LEVEL_SCALE

FIXTURES = Path(__file__).parent / "fixtures" / "exchange" / "sacoche"
TODAY = date(2026, 11, 20)
DAY = date(2026, 11, 3)


def _journal(path: Path) -> Journal:
    j = open_journal(path, create=True, today=TODAY)
    j.add_trainee("Léa Martin", diploma="cap-psr", cohort="2026")
    j.add_trainee("Noah Petit", diploma="cap-psr", cohort="2026")
    return j


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = _journal(tmp_path / "j.db")
    yield j
    j.close()


def _levels(journal: Journal, name: str) -> dict[str, list[str]]:
    return {
        code: [row.level for row in rows]
        for code, rows in journal.evidence_by_competency(name).items()
    }


# -- the codes -----------------------------------------------------------------------------


def test_codes_are_sacoches_defaults_on_the_default_scale() -> None:
    # sacoche_parametre_note.sql: keys 1–4 are RR, R, V, VV; A, D, E, P the special codes.
    assert sacoche_keys(DEFAULT_SCALE) == {
        "RR": "1",
        "R": "2",
        "V": "3",
        "VV": "4",
        "ABS": "A",
        "DISP": "D",
        "NE": "E",
        "REQ": "P",
    }
    assert sacoche_keys(FOUR_LEVEL_SCALE)["MI"] == "1"
    assert sacoche_keys(FOUR_LEVEL_SCALE)["TBM"] == "4"


# -- the file as SACoche writes and reads it -----------------------------------------------


def test_sacoches_own_file_is_read(journal: Journal) -> None:
    saisie = parse_saisie((FIXTURES / "saisie_deportee_rempli.csv").read_bytes(), "f.csv")
    assert [s.id for s in saisie.students] == [1201, 1202, 1203]
    assert saisie.students[0].name == "Léa MARTIN"
    assert [i.id for i in saisie.items] == [3410, 3411, 3412]
    assert saisie.items[1].reference == "PRO.C1.2"
    assert saisie.items[0].codes == ("3", "1", None)
    assert (saisie.group, saisie.day, saisie.description) == ("CAP PSR 1", DAY, "Réception")


def test_an_unknown_code_is_refused_naming_line_and_column() -> None:
    raw = b";7;\r\n12;X;C1.1 [-] [1] t\r\n"
    with pytest.raises(InvalidValueError, match=r"line 2, column 2: 'X'"):
        parse_saisie(raw, "f.csv")


def test_a_file_without_student_ids_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="not a SACoche"):
        parse_saisie(b"nom;prenom\r\nMartin;Lea\r\n", "f.csv")


_text = (
    st.text(
        alphabet=st.sampled_from(
            "abcdefghijklmnopqrstuvwxyzéèàçôÉ ABCDEFGHIJKLMNOPQRSTUVWXYZ-'.;\""
        ),
        min_size=1,
        max_size=20,
    )
    .map(str.strip)
    .filter(lambda s: s and not s.upper().startswith("CODAGES"))
)
_code = st.one_of(st.none(), st.sampled_from(list("1234ADEFNRP")))


@st.composite
def _saisies(draw: st.DrawFn) -> SaisieFile:
    ids = draw(st.lists(st.integers(1, 10**6), min_size=1, max_size=5, unique=True))
    item_ids = draw(st.lists(st.integers(1, 10**6), min_size=0, max_size=6, unique=True))
    students = tuple(SaisieStudent(i, draw(_text)) for i in ids)
    items = tuple(SaisieItem(i, draw(_text), tuple(draw(_code) for _ in ids)) for i in item_ids)
    day = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
    return SaisieFile(students, items, draw(_text), day, draw(_text))


@settings(max_examples=150, deadline=None)
@given(_saisies())
def test_format_then_parse_is_the_same_saisie(saisie: SaisieFile) -> None:
    raw = format_saisie(saisie)
    assert raw.endswith(b"\r\n") and b"CODAGES AUTORIS\xc9S : 1,2,3,4,A,D,E,F,N,R,P" in raw
    assert parse_saisie(raw, "f.csv") == saisie


# -- into and out of the journal -----------------------------------------------------------


def test_import_maps_every_code_and_reports_the_ones_ep_skills_cannot_hold(
    journal: Journal,
) -> None:
    done = import_saisie(
        journal,
        FIXTURES / "saisie_deportee_rempli.csv",
        correspondences=read_correspondences(FIXTURES / "correspondances.csv"),
    )
    assert done.day == DAY
    assert len(done.result.written) == 2  # Hugo (column 4) has no mark
    assert _levels(journal, "Léa Martin") == {"C1.1": ["V"], "C1.2": ["ABS"], "C1.3": ["VV"]}
    assert _levels(journal, "Noah Petit") == {"C1.1": ["RR"], "C1.3": ["REQ"]}
    # « N » (non noté) has no ep-skills level: reported with where it is, never dropped silently.
    assert [(u.trainee, u.competency, u.code, u.line, u.column) for u in done.unheld] == [
        ("Noah Petit", "C1.2", "N", 3, 3)
    ]
    again = import_saisie(
        journal,
        FIXTURES / "saisie_deportee_rempli.csv",
        correspondences=read_correspondences(FIXTURES / "correspondances.csv"),
    )
    assert again.result.batch is None and again.result.written == () and again.already == 5
    assert _levels(journal, "Léa Martin")["C1.1"] == ["V"]


def test_an_unknown_student_or_item_writes_nothing(journal: Journal, tmp_path: Path) -> None:
    raw = (FIXTURES / "saisie_deportee_rempli.csv").read_bytes()
    # Without the correspondence file, PRO.C1.2 still resolves (after the subject's
    # reference), but SACoche item 3410's reference « ZZ9 » is no competency.
    bad = tmp_path / "bad.csv"
    bad.write_bytes(raw.replace(b"3410;3;1;;PRO.C1.1", b"3410;3;1;;ZZ9"))
    with pytest.raises(InvalidValueError, match=r"line 2: item 3410 \(ZZ9\) is no competency"):
        import_saisie(journal, bad)
    assert journal.imports() == []
    stranger = tmp_path / "stranger.csv"
    stranger.write_bytes(raw.replace(b'"Noah PETIT"', b'"Inconnu TOTAL"'))
    with pytest.raises(InvalidValueError, match="column 3"):
        import_saisie(journal, stranger)
    assert journal.imports() == [] and _levels(journal, "Léa Martin") == {}


def test_a_sacoche_id_that_names_someone_else_is_refused(journal: Journal) -> None:
    journal.update_trainee("Noah Petit", metadata={"sacoche_id": "1201"})
    with pytest.raises(InvalidValueError, match="1201 is Léa MARTIN in the file but Noah Petit"):
        import_saisie(journal, FIXTURES / "saisie_deportee_rempli.csv")


def test_export_then_import_carries_the_days_levels(journal: Journal, tmp_path: Path) -> None:
    journal.record(
        ["Léa Martin"], description="banc", levels={"C1.1": "V", "C1.2": "DISP"}, day=DAY
    )
    journal.record(["Noah Petit"], description="banc", levels={"C2.1": "RR"}, day=DAY)
    journal.record(["Noah Petit"], description="banc", levels={"C2.1": "VV"}, day=DAY)
    journal.record(["Noah Petit"], description="autre jour", levels={"C3.1": "R"}, day=TODAY)
    journal.record(["Léa Martin"], description="moi", levels={"C1.3": "VV"}, day=DAY, role="auto")
    made = export_saisie(journal, ["Léa Martin", "Noah Petit"], day=DAY, description="Devoir")
    assert [i.text.split(" ")[0] for i in made.saisie.items] == ["C1.1", "C1.2", "C2.1"]
    assert made.without_sacoche_id == ("Léa Martin", "Noah Petit")
    path = write_saisie(made.saisie, tmp_path / "s.csv")
    with pytest.raises(Exception, match="already exists"):
        write_saisie(made.saisie, path)
    other = _journal(tmp_path / "other.db")
    done = import_saisie(other, path)
    # The day's latest level, self-assessments and other days left out.
    assert _levels(other, "Léa Martin") == {"C1.1": ["V"], "C1.2": ["DISP"]}
    assert _levels(other, "Noah Petit") == {"C2.1": ["VV"]}
    assert done.unheld == ()
    assert import_saisie(other, path).result.written == ()
    blank = export_saisie(journal, ["Noah Petit"], day=DAY, blank=True)
    assert all(code is None for item in blank.saisie.items for code in item.codes)
    assert len(blank.saisie.items) == len(journal.diploma("cap-psr").leaves)
    other.close()


@settings(max_examples=25, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["C1.1", "C1.2", "C2.1", "C3.2", "C8.4"]),
        st.tuples(
            st.sampled_from(["RR", "R", "V", "VV", "ABS", "NE", "DISP", "REQ"]), st.booleans()
        ),
        min_size=1,
    )
)
def test_journal_to_sacoche_to_journal_keeps_every_level(
    tmp_path_factory: pytest.TempPathFactory, marks: dict[str, tuple[str, bool]]
) -> None:
    base = tmp_path_factory.mktemp("rt")
    source = _journal(base / "a.db")
    target = _journal(base / "b.db")
    try:
        for name, keep in (("Léa Martin", True), ("Noah Petit", False)):
            levels = {code: level for code, (level, who) in marks.items() if who == keep}
            if levels:
                source.record([name], description="d", levels=levels, day=DAY)
        made = export_saisie(source, ["Léa Martin", "Noah Petit"], day=DAY)
        import_saisie(target, write_saisie(made.saisie, base / "s.csv"))
        for name in ("Léa Martin", "Noah Petit"):
            assert _levels(target, name) == _levels(source, name)
    finally:
        source.close()
        target.close()


def test_correspondences_are_checked(tmp_path: Path) -> None:
    found = read_correspondences(FIXTURES / "correspondances.csv")
    assert found == Correspondences(
        items={3410: "C1.1", 3411: "C1.2", 3412: "C1.3"}, students={1202: "Noah Petit"}
    )
    bad = tmp_path / "c.csv"
    bad.write_text("type;sacoche;ep-skills\r\nitem;abc;C1.1\r\n", encoding="utf-8")
    with pytest.raises(InvalidValueError, match="line 2: give a SACoche id"):
        read_correspondences(bad)
    bad.write_text("sacoche;code\r\n", encoding="utf-8")
    with pytest.raises(InvalidValueError, match="line 1: the header"):
        read_correspondences(bad)


# -- the students' list --------------------------------------------------------------------


def test_sacoches_listing_export_creates_the_missing_trainees_once(journal: Journal) -> None:
    path = FIXTURES / "export_listing-eleves.csv"
    assert [s.sacoche_id for s in read_users(path)] == ["1201", "1202", "1203"]
    done = import_users(journal, path, diploma="cap-psr")
    # Léa and Noah are recognised by name (case aside): only Hugo is new.
    assert [t.name for t in done.added] == ["Hugo BERNARD"]
    assert [(line, t.name) for line, t in done.existing] == [(3, "Léa Martin"), (4, "Noah Petit")]
    hugo = journal.trainee("Hugo Bernard")
    assert hugo.cohort == "CAP PSR" and hugo.metadata["sacoche_id"] == "1203"
    assert hugo.metadata["sacoche_login"] == "hbernard"
    again = import_users(journal, path, diploma="cap-psr")
    assert again.added == () and len(again.existing) == 3
    assert len(journal.trainees()) == 3


def test_homonyms_in_the_file_need_references(journal: Journal, tmp_path: Path) -> None:
    twins = tmp_path / "twins.csv"
    twins.write_text(
        "ref;genre;nom;prenom;naissance;courriel;classe;groupes\r\n"
        ";;DUPONT;Sam;;;C1;\r\n;;Dupont;Sam;;;C1;\r\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidValueError, match="lines 2 and 3: two students named Sam"):
        import_users(journal, twins, diploma="cap-psr")
    assert len(journal.trainees()) == 2  # nothing half-written
    twins.write_text(
        "ref;genre;nom;prenom;naissance;courriel;classe;groupes\r\n"
        "A1;;DUPONT;Sam;;;C1;\r\nA2;;Dupont;Sam;;;C1;\r\n",
        encoding="utf-8",
    )
    done = import_users(journal, twins, diploma="cap-psr")
    assert sorted(t.external_id or "" for t in done.added) == ["A1", "A2"]
    assert import_users(journal, twins, diploma="cap-psr").added == ()


def test_users_export_then_import_recognises_everyone(journal: Journal, tmp_path: Path) -> None:
    journal.update_trainee("Noah Petit", external_id="E-77")
    path = write_users(students_of(journal), tmp_path / "eleves.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfREFERENCE;GENRE;NOM;PRENOM;")
    assert b"E-77;;Petit;Noah;;;2026;\r\n" in raw
    other = open_journal(tmp_path / "o.db", create=True, today=TODAY)
    first = import_users(other, path, diploma="cap-psr")
    assert sorted(t.name for t in first.added) == ["Léa Martin", "Noah Petit"]
    assert other.trainee(external_id="E-77").name == "Noah Petit"
    assert import_users(other, path, diploma="cap-psr").added == ()
    other.close()


# -- the command line ----------------------------------------------------------------------


def test_cli_round_trip_and_a_bad_file(journal: Journal, tmp_path: Path) -> None:
    journal.record(["Léa Martin"], description="banc", levels={"C1.1": "V"}, day=DAY)
    db = str(tmp_path / "j.db")
    base = ["--lang", "en", "--db", db, "exchange", "sacoche"]
    out = tmp_path / "s.csv"
    runner = CliRunner()
    made = runner.invoke(
        cli, [*base, "export", "--cohort", "2026", "--date", "03/11/2026", "--out", str(out)]
    )
    assert made.exit_code == 0, made.output
    assert "1 item(s) × 2 student(s)" in made.output
    done = runner.invoke(cli, [*base, "import", str(out)])
    assert done.exit_code == 0, done.output
    assert "Nothing new" in done.output  # the marks came from this journal
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b";1;\r\n5;Z;x\r\n")
    refused = runner.invoke(cli, [*base, "import", str(bad)])
    assert refused.exit_code == 1
    assert refused.output.strip().splitlines() == [
        f"Error: {bad}, line 2, column 2: 'Z' is not a SACoche code (0–9 A D E F N R P)"
    ]
    users = runner.invoke(
        cli,
        [
            *base,
            "users-import",
            str(FIXTURES / "export_listing-eleves.csv"),
            "--diploma",
            "cap-psr",
        ],
    )
    assert users.exit_code == 0, users.output
    assert "1 trainee(s) added, 2 already there." in users.output
