"""SACoche's « saisie déportée » and students' list: read and written as SACoche does, into
and out of the journal, all or nothing, and twice without writing twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
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
    # No correspondence file: each item carries its rank, which SACoche cannot file: said.
    assert made.items_by_rank == ("C1.1", "C1.2", "C2.1")
    mapped = Correspondences(items={7001: "C1.1", 7002: "C1.2", 7003: "C2.1"}, students={})
    assert (
        export_saisie(journal, ["Léa Martin"], day=DAY, correspondences=mapped).items_by_rank == ()
    )
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
    # Léa and Noah, recognised by name, now carry their SACoche ids (once: the import again
    # links no one), each change in their history and the audit; an export names them so.
    assert [t.name for t in done.linked] == ["Léa Martin", "Noah Petit"]
    assert journal.trainee("Léa Martin").metadata["sacoche_id"] == "1201"
    assert journal.trainee("Noah Petit").metadata["sacoche_login"] == "npetit"
    assert again.linked == ()
    assert journal.trainee_changes("Léa Martin")[-1].kind == "update"
    assert "trainee.change" in [e.action for e in journal.audit("Léa Martin")]
    made = export_saisie(journal, [journal.trainee("Léa Martin")], day=TODAY, blank=True)
    assert made.without_sacoche_id == ()


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
    assert "1 item × 2 students" in made.output
    french = runner.invoke(
        cli,
        [
            "--lang",
            "fr",
            "--db",
            db,
            "exchange",
            "sacoche",
            "export",
            "--cohort",
            "2026",
            "--date",
            "03/11/2026",
            "--out",
            str(tmp_path / "fr.csv"),
        ],
    )
    assert french.exit_code == 0, french.output
    assert "1 item × 2 élèves" in french.output and "(s)" not in french.output
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
    assert "1 trainee added, 2 already there." in users.output


# -- the review's findings -----------------------------------------------------------------


def _cli(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--lang", "en", "--db", str(db), "exchange", "sacoche", *args])


def test_sacoches_other_exports_of_people_are_refused(journal: Journal, tmp_path: Path) -> None:
    # export_fichier.ajax.php, infos_eleves: it starts with SACOCHE_ID too, other columns.
    infos = tmp_path / "infos.csv"
    infos.write_text(
        "SACOCHE_ID;ID_ENT;ID_GEPI;SCONET_ID;SCONET_NUM;REFERENCE;LOGIN;GENRE;NOM;PRENOM;"
        "DATE_NAISSANCE;COURRIEL;CLASSE_REF;CLASSE_NOM\r\n\r\n"
        "301;ent42;;1234567;8901;R301;lmartin;Fille;MARTIN;Léa;01/02/2009;;CAP1;CAP 1\r\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidValueError, match=r"infos.csv, line 1: not a SACoche students'"):
        import_users(journal, infos, diploma="cap-psr")
    short = tmp_path / "short.csv"
    short.write_text("nom;prenom;classe\r\nMartin;Zoé;X\r\n", encoding="utf-8")
    with pytest.raises(InvalidValueError, match="SACOCHE_ID;LOGIN;GENRE;NOM;PRENOM"):
        import_users(journal, short, diploma="cap-psr")
    assert len(journal.trainees()) == 2


def _marks_file(tmp_path: Path, lines: str, name: str = "s.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(lines.replace("\n", "\r\n").encode("cp1252"))
    return path


_TRAILER = ';"Léa MARTIN";\n\nG\n03/11/2026\nDevoir\n\nCODAGES AUTORISÉS : {keys}A,D,E,F,N,R,P\n'


def test_two_items_of_one_competency_marked_differently_are_refused(
    journal: Journal, tmp_path: Path
) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text("type;sacoche;ep-skills\r\nitem;501;C1.1\r\nitem;502;C1.1\r\n")
    trailer = _TRAILER.format(keys="1,2,3,4,")
    differ = _marks_file(tmp_path, ";7;\n501;1;A\n502;4;B\n" + trailer)
    corr = read_correspondences(mapping)
    with pytest.raises(
        InvalidValueError,
        match=r"s.csv, lines 2 and 3: items 501 and 502 are both C1.1, and Léa Martin has a "
        r"different mark on each \(1 and 4\)",
    ):
        import_saisie(journal, differ, correspondences=corr)
    assert journal.imports() == []
    # By reference too: C1.1 and PRO.C1.1 are the same competency.
    by_ref = _marks_file(tmp_path, ";7;\n1;2;C1.1 [S] [1] a\n2;3;PRO.C1.1 [S] [1] b\n" + trailer)
    with pytest.raises(InvalidValueError, match=r"items 1 and 2 are both C1\.1"):
        import_saisie(journal, by_ref)
    same = _marks_file(tmp_path, ";7;\n501;3;A\n502;3;B\n" + trailer, "same.csv")
    done = import_saisie(journal, same, correspondences=corr)
    assert _levels(journal, "Léa Martin") == {"C1.1": ["V"]} and len(done.result.written) == 1


def test_a_file_whose_mark_keys_are_not_the_scales_levels_is_refused(
    journal: Journal, tmp_path: Path
) -> None:
    three = _marks_file(tmp_path, ";7;\n1;3;C1.1 [S] [1] a\n" + _TRAILER.format(keys="1,2,3,"))
    assert parse_saisie(three.read_bytes()).scoring_keys == 3
    with pytest.raises(InvalidValueError, match="gives 3 mark keys, the scale of cap-psr has 4"):
        import_saisie(journal, three)
    assert journal.imports() == [] and _levels(journal, "Léa Martin") == {}
    # A file with no codes line says nothing of its keys: SACoche's default, 1 to 4.
    bare = _marks_file(tmp_path, ';7;\n1;3;C1.1 [S] [1] a\n;"Léa MARTIN";\n\nG\n03/11/2026\n')
    assert parse_saisie(bare.read_bytes()).scoring_keys is None
    import_saisie(journal, bare)
    assert _levels(journal, "Léa Martin") == {"C1.1": ["V"]}


def test_ids_are_ascii_digits_of_bounded_length(journal: Journal, tmp_path: Path) -> None:
    # « ² » is a digit to str.isdigit; 5000 digits are past int()'s limit: neither is an id.
    saisie = parse_saisie(";²;7;\n1;3;3;C1.1 [S] [1] a\n".encode(), "f.csv")
    assert [s.id for s in saisie.students] == [7]
    with pytest.raises(InvalidValueError, match="no student id"):
        parse_saisie(b";" + b"9" * 5000 + b";\r\n1;3;x\r\n", "f.csv")
    with pytest.raises(InvalidValueError, match="give a SACoche id"):
        read_correspondences(
            _marks_file(tmp_path, "type;sacoche;ep-skills\nitem;" + "1" * 19 + ";C1.1\n", "m.csv")
        )
    listing = tmp_path / "listing.csv"
    listing.write_text(
        "SACOCHE_ID;LOGIN;GENRE;NOM;PRENOM;DATE_NAISSANCE;GROUPE\r\n\r\n²;z;F;ZED;Ann;;G\r\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidValueError, match=r"line 3: '²' is not a SACoche id"):
        import_users(journal, listing, diploma="cap-psr")
    assert len(journal.trainees()) == 2
    listing.write_text(
        "SACOCHE_ID;LOGIN;GENRE;NOM;PRENOM;DATE_NAISSANCE;GROUPE\r\n\r\n0042;z;F;ZED;Ann;;G\r\n",
        encoding="utf-8",
    )
    assert read_users(listing)[0].sacoche_id == "42"
    journal.update_trainee("Léa Martin", external_id="²")
    journal.update_trainee("Noah Petit", metadata={"sacoche_id": "9" * 1900})
    made = export_saisie(journal, ["Léa Martin", "Noah Petit"], day=DAY, blank=True)
    assert made.without_sacoche_id == ("Léa Martin", "Noah Petit")


def test_a_tab_separated_file_is_read_in_its_columns(journal: Journal, tmp_path: Path) -> None:
    raw = (FIXTURES / "saisie_deportee_rempli.csv").read_bytes()
    assert b"\t" not in raw
    tabbed = raw.replace(b";", b"\t")
    assert tabbed.startswith(b"\t1201\t")
    assert parse_saisie(tabbed, "t.csv") == parse_saisie(raw, "f.csv")
    path = tmp_path / "t.csv"
    path.write_bytes(tabbed)
    import_saisie(
        journal, path, correspondences=read_correspondences(FIXTURES / "correspondances.csv")
    )
    assert _levels(journal, "Léa Martin") == {"C1.1": ["V"], "C1.2": ["ABS"], "C1.3": ["VV"]}


def test_export_writes_a_trainee_named_twice_once(journal: Journal, tmp_path: Path) -> None:
    made = export_saisie(journal, ["Noah Petit", "Léa Martin", "Noah Petit"], day=DAY, blank=True)
    assert [s.name for s in made.saisie.students] == ["Noah PETIT", "Léa MARTIN"]
    journal.close()
    out = tmp_path / "s.csv"
    done = _cli(
        tmp_path / "j.db",
        "export",
        "Noah Petit",
        "--cohort",
        "2026",
        "--blank",
        "--date",
        "03/11/2026",
        "--out",
        str(out),
    )
    assert done.exit_code == 0, done.output
    assert [s.name for s in parse_saisie(out.read_bytes()).students] == [
        "Noah PETIT",
        "Léa MARTIN",
    ]


def test_a_group_or_description_opening_with_a_quote_is_read(
    journal: Journal, tmp_path: Path
) -> None:
    # evaluation_gestion.ajax.php writes $groupe_nom and $description bare.
    raw = (FIXTURES / "saisie_deportee_rempli.csv").read_bytes()
    quoted = raw.replace(b"R\xe9ception", '"Équerres" série 2'.encode("cp1252")).replace(
        b"CAP PSR 1", b'"CAP" 1; B'
    )
    saisie = parse_saisie(quoted, "q.csv")
    assert (saisie.group, saisie.description) == ('"CAP" 1; B', '"Équerres" série 2')
    assert saisie.day == DAY and saisie.scoring_keys == 4
    path = tmp_path / "q.csv"
    path.write_bytes(quoted)
    done = import_saisie(
        journal, path, correspondences=read_correspondences(FIXTURES / "correspondances.csv")
    )
    assert len(done.result.written) == 2
    # ep-skills writes such a text quoted whole (or a spreadsheet adds separators): the same.
    again = SaisieFile(saisie.students, saisie.items, saisie.group, DAY, saisie.description)
    assert parse_saisie(format_saisie(again)) == again
    assert parse_saisie(quoted.replace(b"03/11/2026", b"03/11/2026;;;")).day == DAY


def test_a_date_given_against_the_files_own_is_refused(journal: Journal, tmp_path: Path) -> None:
    fixture = FIXTURES / "saisie_deportee_rempli.csv"
    corr = read_correspondences(FIXTURES / "correspondances.csv")
    with pytest.raises(InvalidValueError, match="the file's date is 2026-11-03, not 2026-11-04"):
        import_saisie(journal, fixture, correspondences=corr, day=date(2026, 11, 4))
    assert journal.imports() == []
    assert import_saisie(journal, fixture, correspondences=corr, day=DAY).day == DAY
    undated = tmp_path / "u.csv"
    undated.write_bytes(fixture.read_bytes().replace(b"03/11/2026", b""))
    done = import_saisie(journal, undated, correspondences=corr, day=date(2026, 11, 4))
    assert done.day == date(2026, 11, 4)


def test_messages_say_what_happened(journal: Journal, tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    journal.close()
    unheld = _marks_file(tmp_path, ";7;\n1;F;C1.1 [S] [1] a\n" + _TRAILER.format(keys="1,2,3,4,"))
    done = _cli(db, "import", str(unheld), "--map", str(FIXTURES / "correspondances.csv"))
    assert done.exit_code == 0, done.output
    assert "Nothing new" not in done.output
    assert f"{unheld}: no mark ep-skills can write was found: nothing was written." in done.output
    assert "F (not done) not carried over" in done.output
    for command in ("users-export", "export"):
        nope = _cli(db, command, "--cohort", "nope", "--out", str(tmp_path / "n.csv"))
        assert nope.exit_code != 0
        assert nope.output.strip() == "Error: no trainee in cohort 'nope'"
        assert not (tmp_path / "n.csv").exists()
    empty = tmp_path / "empty.csv"
    empty.write_text("REFERENCE;GENRE;NOM;PRENOM;DATE_NAISSANCE;COURRIEL;CLASSE;GROUPES\r\n")
    refused = _cli(db, "users-import", str(empty), "--diploma", "cap-psr")
    assert refused.exit_code != 0
    assert refused.output.strip() == f"Error: {empty}: the file holds no student"
    listing = str(FIXTURES / "export_listing-eleves.csv")
    dry = _cli(db, "users-import", listing, "--diploma", "cap-psr", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[-2:] == [
        "Dry run: 1 trainee would be added, 2 already there.",
        "2 trainees already there would be given their SACoche id.",
    ]
    done = _cli(db, "users-import", listing, "--diploma", "cap-psr")
    assert done.output.splitlines()[-2:] == [
        "1 trainee added, 2 already there.",
        "2 trainees already there now carry their SACoche id.",
    ]
    written = _cli(db, "users-export", "--out", str(tmp_path / "u.csv"))
    assert written.output.splitlines() == [f"3 students written: {tmp_path / 'u.csv'}"]


def test_an_unknown_competency_of_the_correspondences_names_their_line(
    journal: Journal, tmp_path: Path
) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text("type;sacoche;ep-skills\r\neleve;9;Noah Petit\r\nitem;1;ZZ99\r\n")
    marks = _marks_file(tmp_path, ";7;\n1;3;C1.1 [S] [1] a\n" + _TRAILER.format(keys="1,2,3,4,"))
    with pytest.raises(InvalidValueError) as refused:
        import_saisie(journal, marks, correspondences=read_correspondences(mapping))
    assert str(refused.value) == f"{mapping}, line 3: 'ZZ99' is no competency of cap-psr " + (
        "(SACoche item 1)"
    )
    with pytest.raises(InvalidValueError, match="map SACoche item 1 to 'ZZ99'"):
        import_saisie(journal, marks, correspondences=Correspondences(items={1: "ZZ99"}))


def test_users_export_warns_of_what_sacoche_cuts(journal: Journal, tmp_path: Path) -> None:
    # administrateur_fichier_user.ajax.step20.php: a class of 8 characters, a reference of 11.
    journal.update_trainee("Léa Martin", cohort="demo-cap-cip", external_id="INE-123456789")
    journal.close()
    out = tmp_path / "u.csv"
    done = _cli(tmp_path / "j.db", "users-export", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert done.stderr.splitlines() == [
        "Warning: SACoche keeps 8 characters of a class, upper-cased: demo-cap-cip → DEMO-CAP "
        "(shorten the cohort to keep its name)",
        "Warning: SACoche keeps 11 characters of a reference, upper-cased: INE-123456789 → "
        "INE-1234567 (shorten the external id to keep it)",
    ]
    assert done.stdout.splitlines() == [f"2 students written: {out}"]
