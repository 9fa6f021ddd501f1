"""School overlays: a school completes or corrects a shipped referential without forking it.

Two targets: the shipped ``cap-cip`` plugin (registered alone, so that other plugins being
worked on cannot disturb these tests) and a small hand-built in-force referential registered
through a test plugin. Expected counts are reasoned from what each overlay adds or relabels,
relative to the referential without the overlay, so that they hold whatever the rest of the
shipped file says.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import ep_skills_cap_cip
import pluggy
import pytest
from click.testing import CliRunner, Result

from ep_skills import hookimpl
from ep_skills.cli import cli
from ep_skills.engine.layers import load_school_config
from ep_skills.errors import Problem, ReferentialError, Severity
from ep_skills.i18n import current_language, set_language
from ep_skills.plugins.manager import make_plugin_manager
from ep_skills.plugins.registry import Registry
from ep_skills.referential.model import (
    Bloc,
    CatalogueTask,
    Competency,
    DiplomaKind,
    Epreuve,
    Provenance,
    ProvenanceStatus,
    Referential,
    Source,
    TaskCompetency,
)
from ep_skills.referential.overlay import apply_overlay, load_overlay
from ep_skills.referential.provenance import count_by_status, effective_provenance_map
from ep_skills.referential.validate import check_referential

SCHOOL = "École de production de Saint-Essai"
VERIFIED = ProvenanceStatus.VERIFIED
SCHOOL_STATUS = ProvenanceStatus.SCHOOL


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("EP_SKILLS_DB", "EP_SKILLS_CONFIG", "EP_SKILLS_BLOCK_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    before = current_language()
    set_language("en")
    yield
    set_language(before)


# -- plugins ----------------------------------------------------------------------------------


def essai() -> Referential:
    """In force: B1 { C1 → C1.1, C1.2 ; C2 }, EP1 (B1, coef 4), EP2 (draft, no coef), t1."""
    return Referential(
        id="cap-essai",
        title="Essai",
        kind=DiplomaKind.CAP,
        level=3,
        version="2024",
        legal_source="Arrêté d'essai",
        provenance=Provenance(VERIFIED, "arrete"),
        sources=(Source("arrete", "Arrêté d'essai"),),
        blocs=(
            Bloc(
                "B1",
                "Bloc un",
                competencies=(
                    Competency(
                        "C1",
                        "Compétence un",
                        children=(
                            Competency("C1.1", "Sous-compétence un"),
                            Competency("C1.2", "Sous-compétence deux"),
                        ),
                    ),
                    Competency("C2", "Compétence deux"),
                ),
            ),
        ),
        epreuves=(
            Epreuve("EP1", "Épreuve un", coefficient=4.0, bloc="B1", competencies=("C1", "C2")),
            Epreuve(
                "EP2",
                "Épreuve facultative",
                unit="UF",
                optional=True,
                provenance=Provenance(ProvenanceStatus.DRAFT, "arrete", "coefficient inconnu"),
            ),
        ),
        tasks=(
            CatalogueTask(
                "t1",
                "Tâche un",
                (TaskCompetency("C1.1"), TaskCompetency("C1.2"), TaskCompetency("C2")),
            ),
        ),
    )


class Provides:
    def __init__(self, *referentials: Referential) -> None:
        self.referentials = referentials

    @hookimpl
    def ep_skills_register_referentials(self, register: Callable[[object], None]) -> None:
        for referential in self.referentials:
            register(referential)


def essai_pm() -> pluggy.PluginManager:
    return make_plugin_manager(entry_points=False, extra=(("test", Provides(essai())),))


def cip_pm() -> pluggy.PluginManager:
    return make_plugin_manager(entry_points=False, extra=(("cap_cip", ep_skills_cap_cip.plugin),))


def both_pm() -> pluggy.PluginManager:
    return make_plugin_manager(
        entry_points=False,
        extra=(("cap_cip", ep_skills_cap_cip.plugin), ("test", Provides(essai()))),
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- the hand-built referential ---------------------------------------------------------------

ESSAI_OVERLAY = f"""\
diploma = "cap-essai"
school = "{SCHOOL}"

[[sources]]
id = "livret-ecole"
title = "Livret de l'atelier"

[[blocs]]
id = "B2"
title = "Compétences de l'atelier"

[[blocs.competencies]]
code = "C3"
title = "Conduire la plieuse CN"

[[competencies]]
parent = "C1"
competency = {{ code = "C1.3", title = "Sous-compétence de l'école" }}

[[relabels]]
code = "C2"
title = "Compétence deux, mieux dite"
note = "libellé du livret"

[[relabels]]
code = "B1"
title = "Bloc un, mieux dit"

[[relabels]]
code = "EP1"
title = "Épreuve un, mieux dite"

[[epreuves]]
code = "EP2"
title = "Épreuve facultative"
unit = "UF"
optional = true
coefficient = 1

[[epreuves]]
code = "EP3"
title = "Épreuve d'atelier"
coefficient = 2
bloc = "B2"
competencies = ["C3"]

[[tasks]]
id = "plieuse-ecole"
title = "Plier sur la plieuse CN de l'atelier"
competencies = [{{ code = "C1.3", level = "V" }}, {{ code = "C3" }}]
"""


def test_overlay_on_a_hand_built_referential(tmp_path: Path) -> None:
    path = write(tmp_path / "overlay.toml", ESSAI_OVERLAY)
    base = Registry(essai_pm()).get("cap-essai")
    ref = Registry(essai_pm(), overlays=[path]).get("cap-essai")
    school = Provenance(SCHOOL_STATUS, "livret-ecole", SCHOOL)

    # The new bloc and its competency, marked as the school's.
    assert [b.id for b in ref.blocs] == ["B1", "B2"]
    b2 = ref.blocs[1]
    assert b2.provenance == school
    assert [(c.code, c.provenance) for c in b2.competencies] == [("C3", school)]

    # The sub-competency under the existing C1, after C1.1 and C1.2.
    b1 = ref.blocs[0]
    c1 = b1.competencies[0]
    assert [c.code for c in c1.children] == ["C1.1", "C1.2", "C1.3"]
    assert c1.children[2].provenance == school
    assert c1.children[:2] == base.blocs[0].competencies[0].children  # untouched
    # C1 itself is not the school's: it keeps the provenance it had before the overlay.
    assert c1.provenance in (None, base.blocs[0].competencies[0].provenance or base.provenance)
    assert c1.provenance is None or c1.provenance.status is not SCHOOL_STATUS

    # Relabelled competency: old wording kept, school provenance with the relabel's note.
    c2 = b1.competencies[1]
    assert c2.title == "Compétence deux, mieux dite"
    assert c2.alt_titles == ("Compétence deux",)
    assert c2.provenance == Provenance(SCHOOL_STATUS, "livret-ecole", "libellé du livret")

    # Relabelled bloc and épreuve.
    assert b1.title == "Bloc un, mieux dit"
    assert b1.provenance == school
    ep1 = ref.epreuves[0]
    assert (ep1.code, ep1.title, ep1.coefficient) == ("EP1", "Épreuve un, mieux dite", 4.0)
    assert ep1.provenance == school

    # EP2 replaced in place (its missing coefficient given), EP3 appended.
    assert [e.code for e in ref.epreuves] == ["EP1", "EP2", "EP3"]
    assert ref.epreuves[1].coefficient == 1.0
    assert ref.epreuves[1].provenance == school
    assert ref.epreuves[2].bloc == "B2"

    # The school's task comes after the plugin's; the source is added.
    assert [t.id for t in ref.tasks] == ["t1", "plieuse-ecole"]
    assert ref.tasks[1].provenance == school
    assert [s.id for s in ref.sources] == ["arrete", "livret-ecole"]

    # Everything else is as before, and the result is a valid referential.
    assert (ref.id, ref.version, ref.provenance) == (base.id, base.version, base.provenance)
    assert [p for p in check_referential(ref) if p.severity is Severity.ERROR] == []

    declared = effective_provenance_map(ref, declared_only=True)
    marked = sorted(path for path, p in declared.items() if p.status is SCHOOL_STATUS)
    assert marked == sorted(
        [
            "blocs[0]",  # B1 relabelled
            "blocs[0].competencies[0].children[2]",  # C1.3
            "blocs[0].competencies[1]",  # C2 relabelled
            "blocs[1]",  # B2
            "blocs[1].competencies[0]",  # C3
            "epreuves[0]",  # EP1 relabelled
            "epreuves[1]",  # EP2 replaced
            "epreuves[2]",  # EP3
            "tasks[1]",
        ]
    )
    assert count_by_status(ref)[ProvenanceStatus.DRAFT] == 0  # EP2 was the only draft item


@pytest.mark.parametrize("code", ["B1", "C1"])
def test_a_relabel_claims_only_the_relabelled_item(tmp_path: Path, code: str) -> None:
    # B1 and C1 hold official items that state no provenance of their own: they inherit the
    # referential's « verified ». Correcting the label of B1 (or of C1) is the school's work;
    # the competencies below it are still the official text and must stay « verified », or
    # ``ep-skills diplomas`` would count official items as the school's.
    path = write(
        tmp_path / "overlay.toml",
        f'diploma = "cap-essai"\nschool = "{SCHOOL}"\n\n'
        f'[[relabels]]\ncode = "{code}"\ntitle = "Nouveau libellé"\n',
    )
    base = Registry(essai_pm()).get("cap-essai")
    ref = Registry(essai_pm(), overlays=[path]).get("cap-essai")
    before, after = effective_provenance_map(base), effective_provenance_map(ref)
    relabelled = "blocs[0]" if code == "B1" else "blocs[0].competencies[0]"
    assert after[relabelled].status is SCHOOL_STATUS
    untouched = [
        "blocs[0].competencies[0].children[0]",  # C1.1
        "blocs[0].competencies[0].children[1]",  # C1.2
    ]
    if code == "B1":
        untouched += ["blocs[0].competencies[0]", "blocs[0].competencies[1]"]  # C1, C2
    for item in untouched:
        assert after[item] == before[item], item
    assert count_by_status(ref)[SCHOOL_STATUS] == 1
    assert count_by_status(ref)[VERIFIED] == count_by_status(base)[VERIFIED] - 1


def test_overlays_apply_in_order(tmp_path: Path) -> None:
    first = write(tmp_path / "a.toml", ESSAI_OVERLAY)
    second = write(
        tmp_path / "b.toml",
        'diploma = "cap-essai"\nschool = "Autre"\n\n'
        '[[relabels]]\ncode = "C3"\ntitle = "Conduire la plieuse CN (2e version)"\n',
    )
    ref = Registry(essai_pm(), overlays=[first, second]).get("cap-essai")
    c3 = ref.blocs[1].competencies[0]
    assert c3.title == "Conduire la plieuse CN (2e version)"
    assert c3.alt_titles == ("Conduire la plieuse CN",)
    assert c3.provenance == Provenance(SCHOOL_STATUS, None, "Autre")


def test_load_overlay_returns_the_text(tmp_path: Path) -> None:
    path = write(tmp_path / "overlay.toml", ESSAI_OVERLAY)
    overlay, text = load_overlay(path)
    assert text == ESSAI_OVERLAY
    assert overlay.diploma == "cap-essai"
    assert overlay.school == SCHOOL
    assert [c.parent for c in overlay.competencies] == ["C1"]
    assert [r.code for r in overlay.relabels] == ["C2", "B1", "EP1"]


# -- cap-cip ----------------------------------------------------------------------------------

CIP_OVERLAY = f"""\
diploma = "cap-cip"
school = "{SCHOOL}"

[[sources]]
id = "ecole"
title = "Référentiel interne de l'école"

[[blocs]]
id = "ECOLE"
title = "Compétences propres à l'atelier"

[[blocs.competencies]]
code = "E1"
title = "Régler la presse plieuse CN de l'atelier"

[[blocs.competencies]]
code = "E2"
title = "Tenir le registre de maintenance de l'atelier"

[[competencies]]
parent = "E1"
competency = {{ code = "E1.1", title = "Choisir l'outillage de pliage" }}

[[relabels]]
code = "CP01"
title = "Communiquer et rendre compte (libellé de l'école)"

[[relabels]]
code = "UP2"
title = "Intervention durant la production (libellé de l'école)"

[[relabels]]
code = "EP2"
title = "Épreuve EP2 (libellé de l'école)"

[[epreuves]]
code = "EF"
title = "Langue vivante"
unit = "UF"
coefficient = 1
optional = true

[[epreuves]]
code = "EPE"
title = "Épreuve d'atelier de l'école"
coefficient = 1
bloc = "ECOLE"
competencies = ["E1", "E2"]

[[tasks]]
id = "plieuse-cn-ecole"
title = "Plier sur la presse plieuse CN de l'atelier"
competencies = [
    {{ code = "E1.1", level = "V" }},
    {{ code = "E2" }},
    {{ code = "CP04", level = "R" }},
]
"""


def _find(items: tuple[Competency, ...], code: str) -> Competency:
    for item in items:
        if item.code == code:
            return item
        try:
            return _find(item.children, code)
        except KeyError:
            continue
    raise KeyError(code)


def competency(ref: Referential, code: str) -> Competency:
    for bloc in ref.blocs:
        try:
            return _find(bloc.competencies, code)
        except KeyError:
            continue
    raise KeyError(code)


def test_overlay_on_cap_cip(tmp_path: Path) -> None:
    path = write(tmp_path / "overlay.toml", CIP_OVERLAY)
    base = Registry(cip_pm()).get("cap-cip")
    ref = Registry(cip_pm(), overlays=[path]).get("cap-cip")
    # What the shipped file says of the items the overlay touches (the test relies on it).
    base_cp01 = competency(base, "CP01")
    assert base_cp01.provenance is not None and base_cp01.provenance.status is VERIFIED
    base_ef = next(e for e in base.epreuves if e.code == "EF")
    assert base_ef.coefficient is None
    assert base_ef.provenance is not None
    assert base_ef.provenance.status is ProvenanceStatus.DRAFT

    school = Provenance(SCHOOL_STATUS, "ecole", SCHOOL)
    cp01 = competency(ref, "CP01")
    assert cp01.title == "Communiquer et rendre compte (libellé de l'école)"
    assert cp01.alt_titles == (*base_cp01.alt_titles, base_cp01.title)
    assert cp01.provenance == school
    assert competency(ref, "E1").children == (
        Competency("E1.1", "Choisir l'outillage de pliage", provenance=school),
    )
    up2 = next(b for b in ref.blocs if b.id == "UP2")
    assert up2.title == "Intervention durant la production (libellé de l'école)"
    ef = next(e for e in ref.epreuves if e.code == "EF")
    assert (ef.coefficient, ef.provenance) == (1.0, school)
    assert len(ref.epreuves) == len(base.epreuves) + 1  # EF replaced, EPE added
    assert [t.id for t in ref.tasks] == [*(t.id for t in base.tasks), "plieuse-cn-ecole"]
    assert [p for p in check_referential(ref) if p.severity is Severity.ERROR] == []

    before, after = count_by_status(base), count_by_status(ref)
    assert before[SCHOOL_STATUS] == 0
    # ECOLE, E1, E2, E1.1, CP01, UP2, EP2, EF (replaced), EPE; tasks are not counted. The
    # competencies of UP2 state their own provenance, so they do not follow the relabel.
    assert all(c.provenance is not None for c in up2.competencies)
    assert after[SCHOOL_STATUS] == 9
    assert after[VERIFIED] == before[VERIFIED] - 3  # CP01, UP2, EP2 were verified
    assert after[ProvenanceStatus.DRAFT] == before[ProvenanceStatus.DRAFT] - 1  # EF
    assert after[ProvenanceStatus.SECONDARY] == before[ProvenanceStatus.SECONDARY]

    provenance = effective_provenance_map(ref)
    ecole = len(base.blocs)
    assert provenance[f"blocs[{ecole}]"] == school
    assert provenance[f"blocs[{ecole}].competencies[0].children[0]"] == school
    assert provenance[f"tasks[{len(base.tasks)}]"] == school


# -- configuration file and command line ------------------------------------------------------


def invoke(*args: str, pm: pluggy.PluginManager) -> Result:
    result = CliRunner().invoke(cli, ["--lang", "en", *args], obj=pm)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"ep-skills {' '.join(args)} crashed:\n{trace}")
    return result


def school_files(tmp_path: Path) -> Path:
    folder = tmp_path / "ecole"
    folder.mkdir()
    write(folder / "overlay.toml", CIP_OVERLAY)
    write(folder / "essai.toml", ESSAI_OVERLAY)
    return write(
        folder / "ep-skills.toml",
        'overlays = ["overlay.toml", "essai.toml"]\n\n[settings]\nlimit = 4\n',
    )


def test_config_overlay_paths_are_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = school_files(tmp_path)
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    loaded = load_school_config(config)
    assert [Path(p).resolve() for p in loaded.overlays] == [
        (tmp_path / "ecole" / "overlay.toml").resolve(),
        (tmp_path / "ecole" / "essai.toml").resolve(),
    ]


def test_cli_diplomas_counts_school_items(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = school_files(tmp_path)
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the overlays are found from the config file, not the cwd

    plain = invoke("diplomas", "--format", "json", pm=both_pm())
    assert plain.exit_code == 0, plain.output
    with_school = invoke("--config", str(config), "diplomas", "--format", "json", pm=both_pm())
    assert with_school.exit_code == 0, with_school.output

    before = {row["id"]: row for row in json.loads(plain.stdout)}
    after = {row["id"]: row for row in json.loads(with_school.stdout)}
    assert set(after) == {"cap-cip", "cap-essai"}
    cip_before, cip_after = before["cap-cip"]["provenance"], after["cap-cip"]["provenance"]
    assert cip_before["school"] == 0
    assert cip_after["school"] == 9
    assert cip_after["verified"] == cip_before["verified"] - 3
    assert cip_after["draft"] == cip_before["draft"] - 1
    assert after["cap-cip"]["tasks"] == before["cap-cip"]["tasks"] + 1
    # The command reports what the library counts (see the relabel test for that count).
    essai_ref = Registry(both_pm(), overlays=load_school_config(config).overlays).get("cap-essai")
    assert after["cap-essai"]["provenance"]["school"] == count_by_status(essai_ref)[SCHOOL_STATUS]
    assert after["cap-essai"]["provenance"]["school"] >= 8
    assert after["cap-essai"]["tasks"] == 2


def test_cli_show_marks_school_items(tmp_path: Path) -> None:
    config = school_files(tmp_path)
    result = invoke("--config", str(config), "referential", "show", "cap-essai", pm=both_pm())
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    c3 = next(line for line in lines if "C3 Conduire la plieuse CN" in line)
    assert "[school]" in c3
    c2 = next(line for line in lines if "C2 Compétence deux, mieux dite" in line)
    assert "[school]" in c2
    ep3 = next(line for line in lines if "EP3 Épreuve d'atelier" in line)
    assert "[school]" in ep3
    assert "(coef. 2)" in ep3


def test_cli_broken_overlay_is_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ecole"
    folder.mkdir()
    write(
        folder / "overlay.toml",
        'diploma = "cap-cip"\nschool = "x"\n[[relabels]]\ncode = "ZZ9"\ntitle = "x"\n',
    )
    config = write(folder / "ep-skills.toml", 'overlays = ["overlay.toml"]\n')
    result = invoke("--config", str(config), "diplomas", pm=cip_pm())
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert str(folder / "overlay.toml") in result.stderr
    assert "relabels[0].code" in result.stderr
    assert "ZZ9" in result.stderr


# -- bad overlays -----------------------------------------------------------------------------

HEAD = f'diploma = "cap-cip"\nschool = "{SCHOOL}"\n'


def refused(tmp_path: Path, text: str | bytes) -> list[Problem]:
    path = tmp_path / "overlay.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        write(path, text)
    with pytest.raises(ReferentialError) as caught:
        Registry(cip_pm(), overlays=[path]).get("cap-cip")
    problems = list(caught.value.problems)
    assert problems
    for problem in problems:
        assert problem.file == str(path), problem
        assert problem.severity is Severity.ERROR
    assert str(path) in str(caught.value)
    return problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def test_unknown_top_level_key(tmp_path: Path) -> None:
    problems = refused(tmp_path, HEAD + 'colour = "rouge"\n')
    assert any("colour" in p.path or "colour" in p.message for p in problems), problems


def test_unknown_nested_key(tmp_path: Path) -> None:
    problems = refused(tmp_path, HEAD + '[[relabels]]\ncode = "CP01"\ntitel = "x"\n')
    named = [p for p in problems if "titel" in p.path or "titel" in p.message]
    assert named, problems
    assert all(p.path.startswith("relabels[0]") for p in named)
    # Located in the [[relabels]] table (lines 3–5), on the table or on the key itself.
    assert all(p.line in (3, 5) for p in named), named


def test_overlay_for_another_diploma(tmp_path: Path) -> None:
    path = write(tmp_path / "psr.toml", 'diploma = "cap-psr"\nschool = "x"\n')
    overlay, _text = load_overlay(path)
    with pytest.raises(ReferentialError) as caught:
        apply_overlay(Registry(cip_pm()).get("cap-cip"), overlay, file=str(path))
    problem = only(list(caught.value.problems))
    assert (problem.file, problem.path) == (str(path), "diploma")
    assert "cap-psr" in problem.message and "cap-cip" in problem.message


def test_overlay_for_an_unknown_diploma(tmp_path: Path) -> None:
    path = write(tmp_path / "overlay.toml", 'diploma = "cap-absent"\nschool = "x"\n')
    with pytest.raises(ReferentialError) as caught:
        Registry(cip_pm(), overlays=[path]).get("cap-cip")
    (problem,) = caught.value.problems
    # The message names the overlay file that asked for the missing diploma.
    assert problem.file == str(path)
    assert problem.path == "diploma"
    assert "cap-absent" in problem.message
    assert "cap-cip" in problem.message


def test_unknown_parent(tmp_path: Path) -> None:
    problem = only(
        refused(
            tmp_path,
            HEAD + '[[competencies]]\nparent = "CP99"\n'
            'competency = { code = "X1", title = "Ajout" }\n',
        )
    )
    assert problem.path == "competencies[0].parent"
    assert "CP99" in problem.message


def test_unknown_bloc(tmp_path: Path) -> None:
    problem = only(
        refused(
            tmp_path,
            HEAD
            + '[[competencies]]\nbloc = "UP9"\ncompetency = { code = "X1", title = "Ajout" }\n',
        )
    )
    assert problem.path == "competencies[0].bloc"
    assert "UP9" in problem.message


def test_relabel_of_a_missing_code(tmp_path: Path) -> None:
    problem = only(
        refused(
            tmp_path,
            HEAD + '[[relabels]]\ncode = "CP01"\ntitle = "ok"\n\n'
            '[[relabels]]\ncode = "CP99"\ntitle = "Nouveau libellé"\n',
        )
    )
    assert problem.path == "relabels[1].code"
    assert "CP99" in problem.message


def test_task_id_clash(tmp_path: Path) -> None:
    clash = Registry(cip_pm()).get("cap-cip").tasks[0].id
    problem = only(
        refused(
            tmp_path,
            HEAD + f'[[tasks]]\nid = "{clash}"\ntitle = "Doublon"\n'
            'competencies = [{ code = "CP05" }]\n',
        )
    )
    assert problem.path == "tasks[0].id"
    assert clash in problem.message


def test_added_task_on_an_unknown_competency(tmp_path: Path) -> None:
    # The problem is in the overlay file, whose only task is tasks[0]: the key path must be
    # the overlay's, not the index the task gets once appended to the plugin's catalogue.
    problem = only(
        refused(
            tmp_path,
            HEAD + '[[tasks]]\nid = "tache-ecole"\ntitle = "Nouvelle tâche"\n'
            'competencies = [{ code = "CP99" }]\n',
        )
    )
    assert "CP99" in problem.message
    assert problem.path == "tasks[0].competencies[0].code"


def test_invalid_utf8(tmp_path: Path) -> None:
    problem = only(refused(tmp_path, HEAD.encode() + b'note = "caf\xe9"\n'))
    assert "UTF-8" in problem.message
    assert problem.line == 3


def test_a_refused_overlay_is_refused_on_every_access(tmp_path: Path) -> None:
    # A broken overlay is refused every time it is asked for, never silently dropped.
    path = write(tmp_path / "overlay.toml", HEAD + '[[relabels]]\ncode = "ZZ"\ntitle = "x"\n')
    registry = Registry(cip_pm(), overlays=[path])
    for _attempt in range(2):
        with pytest.raises(ReferentialError):
            registry.get("cap-cip")
