"""Invalid values are refused where they enter, with one clear message, never deep inside.

The referential file cases (``referential check``) are in ``test_referential_errors.py``; here
are the other doors: calculation settings given through the API or a plugin hook (checked by
:func:`ep_skills.engine.layers.resolve`, the one place every layer passes through), a school's
settings file, overlays and fragments, referential objects registered by a plugin, and the
calculation methods a referential may name at check time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pluggy
import pytest
from click.testing import CliRunner
from tests.test_referential_errors import BASE, edit, line_of

from ep_skills import hookimpl
from ep_skills.api import open_journal
from ep_skills.cli import cli
from ep_skills.engine.compute import compute_state
from ep_skills.engine.layers import SchoolConfig, load_school_config, resolve
from ep_skills.engine.methods import BUILTIN_METHODS
from ep_skills.errors import EpSkillsError, ReferentialError
from ep_skills.i18n import set_language
from ep_skills.journal.model import Assessment, Role
from ep_skills.plugins import manager
from ep_skills.plugins.manager import make_plugin_manager
from ep_skills.plugins.registry import Registry
from ep_skills.referential.codec import MAX_DEPTH, load_fragment, loads_referential
from ep_skills.referential.defaults import DEFAULT_SCALE
from ep_skills.referential.model import Competency, Referential
from ep_skills.referential.overlay import Overlay, apply_overlay, load_overlay
from ep_skills.referential.settings import ROLES, CalculationSettings, Coverage
from ep_skills.referential.source import read_source
from ep_skills.referential.validate import MAX_TREE_DEPTH, check_referential

TODAY = date(2026, 1, 15)


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("EP_SKILLS_DB", "EP_SKILLS_CONFIG", "EP_SKILLS_BLOCK_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    set_language("en")
    yield
    set_language("en")


def essai() -> Referential:
    referential, _warnings = loads_referential(BASE)
    return referential


class Provides:
    def __init__(self, *sources: object) -> None:
        self.sources = sources

    @hookimpl
    def ep_skills_register_referentials(self, register: Callable[[object], None]) -> None:
        for source in self.sources:
            register(source)


class Settles:
    def __init__(self, settings: object) -> None:
        self.settings = settings

    @hookimpl
    def ep_skills_calculation_settings(self, diploma_id: str) -> object:
        return self.settings


class AddsMethod:
    def __init__(self, name: str) -> None:
        self.name = name

    @hookimpl
    def ep_skills_register_methods(self, register: Callable[[str, Any], None]) -> None:
        register(self.name, lambda values, weights: float(max(values)))


def make_pm(*plugins: tuple[str, object]) -> pluggy.PluginManager:
    return make_plugin_manager(entry_points=False, extra=tuple(plugins))


# -- settings through the API: resolve() refuses them, whatever their type ---------------------

BAD_LAYERS = [
    ("nan-weight", CalculationSettings(role_weights={"maitre": math.nan}), "role_weights.maitre"),
    ("inf-weight", CalculationSettings(role_weights={"tuteur": math.inf}), "role_weights.tuteur"),
    (
        "all-zero-weights",
        CalculationSettings(role_weights={"maitre": 0.0, "enseignant": 0.0, "tuteur": 0.0}),
        "role_weights.maitre",
    ),
    ("zero-auto-weight", CalculationSettings(role_weights={"auto": 0}), "role_weights.auto"),
    ("negative-weight", CalculationSettings(role_weights={"maitre": -1.0}), "role_weights.maitre"),
    ("text-weight", CalculationSettings(role_weights={"maitre": "1"}), "role_weights.maitre"),  # type: ignore[dict-item]
    ("bool-weight", CalculationSettings(role_weights={"maitre": True}), "role_weights.maitre"),
    ("weights-not-a-table", CalculationSettings(role_weights=[1.0]), "role_weights"),  # type: ignore[arg-type]
    ("coverage-not-coverage", CalculationSettings(coverage="3"), "coverage"),  # type: ignore[arg-type]
    (
        "min-autonomy-9",
        CalculationSettings(coverage=Coverage(min_autonomy=9)),
        "coverage.min_autonomy",
    ),
    (
        "max-age-huge",
        CalculationSettings(coverage=Coverage(max_age_months=10**11)),
        "coverage.max_age_months",
    ),
    ("limit-true", CalculationSettings(limit=True), "limit"),
    ("limit-huge", CalculationSettings(limit=2**70), "limit"),
    ("limit-text", CalculationSettings(limit="5"), "limit"),  # type: ignore[arg-type]
    ("share-nan", CalculationSettings(rollup_min_share=math.nan), "rollup_min_share"),
    ("state-points-inf", CalculationSettings(state_points={"A": math.inf}), "state_points.A"),
    ("rollup-required-a-string", CalculationSettings(rollup_required="C1"), "rollup_required"),  # type: ignore[arg-type]
    ("scope-a-number", CalculationSettings(scope=3), "unknown scope 3"),  # type: ignore[arg-type]
    ("not-settings", "geometrique", "expected CalculationSettings, not 'geometrique'"),
]


@pytest.mark.parametrize(
    ("layer", "words"), [b[1:] for b in BAD_LAYERS], ids=[b[0] for b in BAD_LAYERS]
)
def test_resolve_refuses_invalid_settings(layer: Any, words: str) -> None:
    with pytest.raises(EpSkillsError) as caught:
        resolve([layer], BUILTIN_METHODS)
    assert type(caught.value) is EpSkillsError
    message = str(caught.value)
    assert message.startswith("invalid calculation settings: ")
    assert words in message
    assert "\n" not in message


def _tutor_rows(n: int) -> list[Assessment]:
    return [
        Assessment(
            id=i + 1,
            record=i + 1,
            trainee=1,
            competency="C1",
            level="V",
            day=date(2026, 1, 1 + i),
            role=Role.TUTEUR,
        )
        for i in range(n)
    ]


def test_a_role_weight_of_zero_is_refused_because_its_assessments_alone_have_no_score() -> None:
    # What zero used to do: a trainee assessed by tutors only got 0 / 0 deep in the method.
    with pytest.raises(EpSkillsError, match=r"role_weights\.tuteur: must be a number from 0.001"):
        resolve([CalculationSettings(role_weights={"tuteur": 0.0})], BUILTIN_METHODS)
    # The smallest weight allowed keeps every window's total positive.
    settings = resolve([CalculationSettings(role_weights={"tuteur": 0.001})], BUILTIN_METHODS)
    state = compute_state(
        "C1",
        _tutor_rows(3),
        scale=DEFAULT_SCALE,
        settings=settings,
        methods=BUILTIN_METHODS,
        today=TODAY,
    )
    assert state.score == 67


def test_the_roles_are_the_journal_roles() -> None:
    assert set(ROLES) == {str(role) for role in Role}


def test_a_bad_lower_layer_replaced_by_a_higher_one_is_fine() -> None:
    settings = resolve(
        [
            CalculationSettings(role_weights={"maitre": math.nan}, limit=-1),
            CalculationSettings(role_weights={"maitre": 2.0}, limit=3),
        ],
        BUILTIN_METHODS,
    )
    assert settings.role_weights["maitre"] == 2.0
    assert settings.limit == 3


def test_settings_from_a_plugin_hook_are_refused_with_a_clear_error() -> None:
    bad = CalculationSettings(role_weights={"maitre": math.nan, "tuteur": math.inf})
    registry = Registry(make_pm(("essai", Provides(essai())), ("bad", Settles(bad))))
    with open_journal(":memory:", create=True, registry=registry, today=TODAY) as journal:
        journal.add_trainee("Léa Martin", diploma="cap-essai")
        with pytest.raises(EpSkillsError) as caught:
            journal.record(["Léa Martin"], task="t1", day=TODAY)
    assert type(caught.value) is EpSkillsError
    assert "role_weights.maitre: must be a number from 0.001 to 1000" in str(caught.value)
    assert "role_weights.tuteur" in str(caught.value)


def test_settings_given_as_a_school_config_object_are_refused() -> None:
    school = SchoolConfig(settings=CalculationSettings(role_weights=dict.fromkeys(ROLES, 0.0)))
    registry = Registry(make_pm(("essai", Provides(essai()))))
    journal = open_journal(":memory:", create=True, registry=registry, school=school)
    with journal, pytest.raises(EpSkillsError, match="invalid calculation settings"):
        journal.settings("cap-essai")


# -- a school's settings file: refused at load, with the file, the line and the key ------------


@pytest.mark.parametrize(
    ("text", "path", "line", "words"),
    [
        (
            "[settings]\nrole_weights = { maitre = nan }\n",
            "settings.role_weights.maitre",
            "role_weights = { maitre = nan }",
            "must be a number from 0.001 to 1000",
        ),
        (
            "[settings]\nrole_weights = { maitre = 0, enseignant = 0, tuteur = 0 }\n",
            "settings.role_weights.maitre",
            "role_weights = { maitre = 0, enseignant = 0, tuteur = 0 }",
            "must be a number from 0.001 to 1000",
        ),
        (
            "[settings]\nlimit = 4\n\n[diplomas.cap-essai]\nlimit = -1\n",
            "diplomas.cap-essai.limit",
            "limit = -1",
            "must be a whole number from 0 to 10000",
        ),
        (
            "[diplomas.cap-essai]\ncoverage = { min_autonomy = 9 }\n",
            "diplomas.cap-essai.coverage.min_autonomy",
            "coverage = { min_autonomy = 9 }",
            "must be a whole number from 1 to 4",
        ),
        (
            '[settings]\nmethod = "moyenne"\n',
            "settings.method",
            'method = "moyenne"',
            "unknown calculation method 'moyenne'",
        ),
        (
            "[settings]\nrollup_min_share = nan\n",
            "settings.rollup_min_share",
            "rollup_min_share = nan",
            "must be a number from 0 to 1",
        ),
        (
            "[settings]\nstate_points = { A = inf }\n",
            "settings.state_points.A",
            "state_points = { A = inf }",
            "must be a number from 0 to 20",
        ),
    ],
    ids=[
        "nan-weight",
        "all-zero-weights",
        "negative-limit",
        "autonomy-9",
        "unknown-method",
        "nan-share",
        "inf-points",
    ],
)
def test_school_file_refuses_invalid_settings(
    text: str, path: str, line: str, words: str, tmp_path: Path
) -> None:
    file = tmp_path / "ecole.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ReferentialError) as caught:
        load_school_config(file)
    (problem,) = [p for p in caught.value.problems if p.path == path]
    assert words in problem.message
    assert problem.file == str(file)
    assert problem.line == line_of(text, line)
    result = CliRunner().invoke(cli, ["--lang", "en", "--config", str(file), "diplomas"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{file}:{problem.line}: {path}: {words}" in result.stderr


def test_school_file_nested_too_deeply(tmp_path: Path) -> None:
    file = tmp_path / "ecole.toml"
    file.write_text("[settings]\nnote = " + "[" * 500 + "]" * 500 + "\n", encoding="utf-8")
    with pytest.raises(ReferentialError) as caught:
        load_school_config(file)
    (problem,) = caught.value.problems
    assert (
        problem.message == f"nested too deeply (more than {MAX_DEPTH} levels of tables and arrays)"
    )
    assert (problem.file, problem.line) == (str(file), 2)


def test_a_nul_in_a_path_is_a_clear_error() -> None:
    with pytest.raises(EpSkillsError, match="cannot read the file"):
        load_school_config("ecole\0.toml")
    with pytest.raises(ReferentialError, match="cannot read the file"):
        read_source("essai\0.toml")


# -- overlays and fragments ----------------------------------------------------------------------

HEAD = 'diploma = "cap-essai"\nschool = "École d\'essai"\n'


def refused_overlay(tmp_path: Path, text: str) -> ReferentialError:
    path = tmp_path / "overlay.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReferentialError) as caught:
        Registry(make_pm(("essai", Provides(essai()))), overlays=[path]).get("cap-essai")
    assert all(p.file == str(path) for p in caught.value.problems)
    return caught.value


@pytest.mark.parametrize(
    ("text", "path", "line", "words"),
    [
        (
            HEAD + '[[tasks]]\nid = ""\ntitle = "x"\ncompetencies = [{ code = "C2" }]\n',
            "tasks[0].id",
            'id = ""',
            "cannot be empty",
        ),
        (
            HEAD + '[[epreuves]]\ncode = "EP9"\ntitle = "x"\ncoefficient = nan\n',
            "epreuves[0].coefficient",
            "coefficient = nan",
            "must be a positive number, at most 1000000",
        ),
        (
            HEAD + '[[competencies]]\nbloc = "B2"\ncompetency = { code = "C\\n3", title = "x" }\n',
            "competencies[0].competency.code",
            'competency = { code = "C\\n3", title = "x" }',
            "line breaks",
        ),
        (
            HEAD + '[[blocs]]\nid = "B\\t3"\ntitle = "x"\n',
            "blocs[0].id",
            'id = "B\\t3"',
            "(found U+0009",
        ),
        (
            # Checked once merged, and still located in the overlay.
            HEAD + '[[tasks]]\nid = "t9"\ntitle = "x"\ncompetencies = [{ code = "C9" }]\n',
            "tasks[0].competencies[0].code",
            'competencies = [{ code = "C9" }]',
            "unknown competency 'C9'",
        ),
    ],
    ids=["empty-task-id", "nan-coefficient", "newline-in-code", "tab-in-bloc-id", "merged"],
)
def test_overlay_refuses_invalid_values(
    text: str, path: str, line: str, words: str, tmp_path: Path
) -> None:
    error = refused_overlay(tmp_path, text)
    (problem,) = [p for p in error.problems if p.path == path]
    assert words in problem.message
    assert problem.line == line_of(text, line)


def test_overlay_nested_too_deeply(tmp_path: Path) -> None:
    error = refused_overlay(tmp_path, HEAD + "note = " + "{ a = " * 300 + "1" + " }" * 300 + "\n")
    (problem,) = error.problems
    assert "nested too deeply" in problem.message
    assert problem.line == 3


def test_overlay_object_from_the_api_is_checked_too() -> None:
    bad = Overlay(
        diploma="cap-essai", school="École", tasks=(attrs.evolve(essai().tasks[1], id=""),)
    )
    with pytest.raises(ReferentialError) as caught:
        apply_overlay(essai(), bad)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("tasks[0].id", "cannot be empty")
    ]


def test_load_overlay_checks_codes(tmp_path: Path) -> None:
    path = tmp_path / "overlay.toml"
    path.write_text('diploma = ""\nschool = "x"\n', encoding="utf-8")
    with pytest.raises(ReferentialError) as caught:
        load_overlay(path)
    assert [(p.path, p.line) for p in caught.value.problems] == [("diploma", 1)]


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ('id = "B9"', 'id = ""', "blocs[0].id"),
        ('code = "G1"', 'code = "G\\u0000"', "blocs[0].competencies[0].code"),
        ('id = "commun"', 'id = " commun"', "id"),
    ],
    ids=["empty-bloc-id", "nul-in-code", "space-in-id"],
)
def test_fragment_refuses_invalid_codes(old: str, new: str, path: str, tmp_path: Path) -> None:
    text = (
        'id = "commun"\ntitle = "Commun"\nprovenance = { status = "verified" }\n\n'
        '[[blocs]]\nid = "B9"\ntitle = "Bloc commun"\n\n'
        '[[blocs.competencies]]\ncode = "G1"\ntitle = "Générale"\n'
    )
    text = edit(old, new, text)
    file = tmp_path / "fragment.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ReferentialError) as caught:
        load_fragment(file)
    (problem,) = caught.value.problems
    assert (problem.path, problem.file, problem.line) == (path, str(file), line_of(text, new))


# -- referential objects: a plugin may register one built in Python ------------------------------


def _chain(depth: int) -> Competency:
    competency = Competency(f"D{depth}", "x")
    for level in range(depth - 1, 0, -1):
        competency = Competency(f"D{level}", "x", children=(competency,))
    return competency


def test_a_referential_object_nested_500_deep_is_refused_not_a_recursion_error() -> None:
    referential = essai()
    bloc = attrs.evolve(referential.blocs[1], competencies=(_chain(500),))
    deep = attrs.evolve(referential, blocs=(referential.blocs[0], bloc))
    (problem,) = check_referential(deep)
    assert problem.message == f"nested too deeply (more than {MAX_TREE_DEPTH} levels)"
    assert problem.path == "blocs[1].competencies[0]" + ".children[0]" * MAX_TREE_DEPTH
    with pytest.raises(ReferentialError, match="nested too deeply"):
        Registry(make_pm(("deep", Provides(deep)))).get("cap-essai")


def test_a_referential_object_with_a_nan_coefficient_is_refused_by_the_registry() -> None:
    referential = essai()
    epreuves = (
        referential.epreuves[0],
        attrs.evolve(referential.epreuves[1], coefficient=math.nan),
    )
    bad = attrs.evolve(referential, epreuves=epreuves)
    with pytest.raises(ReferentialError, match=r"epreuves\[1\]\.coefficient: must be a positive"):
        Registry(make_pm(("nan", Provides(bad)))).get("cap-essai")


# -- calculation methods at check time ------------------------------------------------------------


def _with_method(name: str) -> str:
    return BASE + f'\n[settings]\nmethod = "{name}"\n'


def test_a_method_no_plugin_registers_is_refused_at_check_time() -> None:
    with pytest.raises(ReferentialError) as caught:
        loads_referential(_with_method("mediane"), file="essai.toml")
    (problem,) = caught.value.problems
    assert problem.path == "settings.method"
    assert problem.line == line_of(_with_method("mediane"), 'method = "mediane"')
    assert "unknown calculation method 'mediane' (known: arithmetique, bestof1" in problem.message


def test_a_method_an_installed_plugin_registers_is_accepted_at_check_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Installed plugins are found through their entry points: fake one that adds a method.
    real = manager.make_plugin_manager

    def installed(**kwargs: Any) -> pluggy.PluginManager:
        return real(entry_points=False, extra=(("mediane", AddsMethod("mediane")),))

    monkeypatch.setattr(manager, "make_plugin_manager", installed)
    referential, _warnings = loads_referential(_with_method("mediane"))
    assert referential.settings is not None
    assert referential.settings.method == "mediane"
    with pytest.raises(ReferentialError, match="'moyenne'"):
        loads_referential(_with_method("moyenne"))


def test_the_methods_a_caller_knows_can_be_given() -> None:
    referential, _warnings = loads_referential(
        _with_method("mediane"), methods=[*BUILTIN_METHODS, "mediane"]
    )
    assert referential.settings is not None
    with pytest.raises(ReferentialError, match="'geometrique'"):
        loads_referential(_with_method("geometrique"), methods=["classique"])


def test_a_builtin_method_never_loads_the_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(**kwargs: Any) -> Sequence[object]:
        raise AssertionError("the plugins were loaded to check a built-in method")

    monkeypatch.setattr(manager, "make_plugin_manager", forbidden)
    loads_referential(_with_method("bestof2"))
    loads_referential(BASE)
