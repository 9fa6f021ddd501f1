"""Fuzzing the doors: a referential file, a school's settings file, a settings object.

Whatever they hold, each input is either accepted — and then a journal records tasks with it
and computes progress and explanations without any exception — or refused with an
:class:`~ep_skills.errors.EpSkillsError` whose every problem names its file; never another
exception, never a hang (each example has a few seconds).

Referential files are mutations of a valid one (``BASE`` of ``test_referential_errors.py``,
with a scale, settings and an RNCP registration added so that they can be mutated too): random
values of random types at random key paths, values of the right type but out of range (NaN,
infinities, huge and negative numbers, empty codes, control characters), deletions, new keys,
deep nesting and raw bytes. Settings are drawn field by field, mostly of the right type.
"""

from __future__ import annotations

import copy
import math
import os
import signal
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import attrs
import pluggy
import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tests.test_referential_errors import BASE

from ep_skills import hookimpl
from ep_skills.api import open_journal
from ep_skills.engine.layers import SchoolConfig, load_school_config
from ep_skills.engine.methods import BUILTIN_METHODS
from ep_skills.errors import EpSkillsError, ReferentialError
from ep_skills.i18n import set_language
from ep_skills.journal.model import Role
from ep_skills.plugins.manager import make_plugin_manager
from ep_skills.plugins.registry import Registry
from ep_skills.referential import model
from ep_skills.referential.codec import loads_referential, unstructure
from ep_skills.referential.defaults import DEFAULT_SCALE, DEFAULT_SETTINGS
from ep_skills.referential.model import Referential
from ep_skills.referential.settings import (
    MARK_CONVERSIONS,
    ROLES,
    ROLLUPS,
    SCOPES,
    CalculationSettings,
    Coverage,
)
from ep_skills.referential.validate import iter_competencies

TODAY = date(2026, 1, 15)
SECONDS_PER_EXAMPLE = 10

# A longer hunt: EP_SKILLS_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz_referentials.py
fuzz = settings(
    max_examples=int(os.environ.get("EP_SKILLS_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


@contextmanager
def no_hang(seconds: int = SECONDS_PER_EXAMPLE) -> Iterator[None]:
    """Fail the example with TimeoutError if it takes longer than ``seconds``."""
    if not hasattr(signal, "setitimer"):  # Windows: no interval timer, no guard
        yield
        return

    def stop(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- what an accepted input must allow ---------------------------------------------------------


class Provides:
    def __init__(self, referential: Referential) -> None:
        self.referential = referential

    @hookimpl
    def ep_skills_register_referentials(self, register: Callable[[object], None]) -> None:
        register(self.referential)


class Settles:
    def __init__(self, answer: object) -> None:
        self.answer = answer

    @hookimpl
    def ep_skills_calculation_settings(self, diploma_id: str) -> object:
        return self.answer


def make_pm(*plugins: tuple[str, object]) -> pluggy.PluginManager:
    return make_plugin_manager(entry_points=False, extra=tuple(plugins))


def assert_clear(error: EpSkillsError, file: str | None = None) -> None:
    """A refusal: a message for a person, each problem on one line, naming its file."""
    assert str(error).strip()
    if not isinstance(error, ReferentialError):
        assert str(error).isprintable(), error
    else:
        assert error.problems
        for problem in error.problems:
            # One printable line: what came from the file is quoted (repr), never raw.
            assert problem.message.strip()
            assert problem.message.isprintable(), problem
            assert str(problem).isprintable(), problem
            if file is not None:
                assert problem.file == file, problem


def use(registry: Registry, diploma: str, school: SchoolConfig | None = None) -> None:
    """Record tasks for a trainee (several days, roles and a self-assessment), then read."""
    referential = registry.get(diploma)
    scale = referential.scale or DEFAULT_SCALE
    scoring = [level.code for level in scale.levels if level.scoring]
    leaves = [
        competency.code
        for bloc in referential.blocs
        for competency, _path, _ancestors in iter_competencies(bloc.competencies, "")
        if not competency.children
    ]
    with open_journal(":memory:", create=True, registry=registry, school=school, today=TODAY) as j:
        j.add_trainee("Léa Martin", diploma=diploma)
        roles = [Role.MAITRE, Role.TUTEUR, Role.ENSEIGNANT, Role.AUTO]
        for n, role in enumerate(roles):
            day = TODAY - timedelta(days=30 * n)
            level = scoring[n % len(scoring)]
            if referential.tasks:
                task = referential.tasks[n % len(referential.tasks)]
                j.record(["Léa Martin"], task=task.id, day=day, level=level, role=role, autonomy=2)
            elif leaves:
                j.record(
                    ["Léa Martin"],
                    description="libre",
                    day=day,
                    levels={leaves[0]: level},
                    role=role,
                )
        progress = j.progress("Léa Martin")
        assert 0 <= progress.readiness <= 1
        for code in leaves[:3]:
            j.explain("Léa Martin", code).lines()


def accepted_or_refused(raw: bytes) -> str:
    """The property, for the bytes of a referential file; returns which way it went."""
    try:
        referential, _warnings = loads_referential(raw, file="fuzz.toml")
    except EpSkillsError as error:
        assert_clear(error, "fuzz.toml")
        return "refused"
    registry = Registry(make_pm(("fuzz", Provides(referential))))
    try:
        registry.get(referential.id)
    except EpSkillsError as error:  # what only the registry knows: the fragments it includes
        assert_clear(error)
        assert referential.include
        return "refused by the registry"
    use(registry, referential.id)
    return "accepted and used"


# -- random values --------------------------------------------------------------------------------

CONTROL = "".join(chr(c) for c in [*range(0x20), 0x7F, 0x85, 0xA0, 0x2028, 0x2029, 0x200B, 0xFEFF])
_char = st.one_of(st.sampled_from(CONTROL), st.characters(codec="utf-8"), st.sampled_from("C1.V "))
texts = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "C1",
            "C1.1",
            "C2",
            "B1",
            "EP1",
            "t1",
            "V",
            "VV",
            "NA",
            "A",
            "arrete",
            "draft",
            "verified",
            "ccf",
            "pfmp",
            "geometrique",
            "moyenne",
            "points",
            "school-year",
            "states",
            "maitre",
            "auto",
            "cap-general-2019",
            "C1\n",
            "C\x001",
            "\u00a0C1",
        ]
    ),
    st.text(_char, max_size=8),
)
EXTREME_NUMBERS = [
    math.nan,
    math.inf,
    -math.inf,
    -0.0,
    0,
    -1,
    1e-320,
    1e308,
    2**63 - 1,
    -(2**63),
    10**30,
    10**300,
]
extremes = st.sampled_from(EXTREME_NUMBERS)
numbers = st.one_of(
    extremes,
    st.integers(-3, 120),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
)
plausible_numbers = st.integers(0, 100) | st.floats(0, 100)
scalars = st.one_of(
    texts,
    numbers,
    st.booleans(),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(UTC)),
    st.times(),
)


def _field_names() -> list[str]:
    names: set[str] = set()
    for module_class in vars(model).values():
        if isinstance(module_class, type) and attrs.has(module_class):
            names.update(f.name for f in attrs.fields(module_class))
    for cls in (CalculationSettings, Coverage):
        names.update(f.name for f in attrs.fields(cls))
    return sorted(names)


FIELD_NAMES = _field_names()
field_names = st.one_of(st.sampled_from(FIELD_NAMES), texts)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(field_names, inner, max_size=3),
    max_leaves=6,
)


def like(value: object, words: list[str]) -> st.SearchStrategy[Any]:
    """A value of the same TOML type as ``value``: often plausible, often out of range."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int | float):
        return plausible_numbers | numbers
    if isinstance(value, str):
        return st.sampled_from(words) | st.text(max_size=12) | texts
    if isinstance(value, list):
        return (
            st.just([]) | st.just(value + value) | st.just(value[:1]) | st.lists(values, max_size=3)
        )
    if isinstance(value, dict):
        return st.just({}) | st.dictionaries(field_names, values, max_size=3)
    return values


# -- referential files ----------------------------------------------------------------------------


def full_document() -> dict[str, Any]:
    """BASE with a scale, settings and an RNCP registration: every part can be mutated."""
    data = tomllib.loads(BASE)
    data["scale"] = unstructure(DEFAULT_SCALE)
    data["settings"] = unstructure(attrs.evolve(DEFAULT_SETTINGS, rollup_required=("C1.1",)))
    data["rncp"] = [
        {"number": "RNCP12345", "valid_from": date(2024, 9, 1), "valid_until": date(2029, 8, 31)}
    ]
    return data


FULL = full_document()
FULL_TEXT = tomli_w.dumps(FULL)


def _words(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    items = data.values() if isinstance(data, dict) else data if isinstance(data, list) else ()
    for item in items:
        yield from _words(item)


WORDS = sorted(set(_words(FULL)))


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, value in items:
        yield from _paths(value, (*prefix, key))


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


@st.composite
def mutated_documents(draw: st.DrawFn) -> bytes:
    data = copy.deepcopy(FULL)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(data))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _at(data, path[:-1]), path[-1]
        operation = draw(st.sampled_from(["like", "like", "any", "delete", "add"]))
        if operation == "delete":
            del parent[key]
        elif operation == "like":
            parent[key] = draw(like(parent[key], WORDS))
        elif operation == "any":
            parent[key] = draw(values)
        else:
            target = parent[key] if isinstance(parent[key], dict) else parent
            if isinstance(target, dict):
                target[draw(field_names)] = draw(values)
            else:
                target.append(draw(values))
    text = tomli_w.dumps(data)
    extra = draw(st.sampled_from(["none", "none", "deep", "long-number", "raw-char", "raw-byte"]))
    if extra == "deep":
        depth = draw(st.integers(25, 700))
        opening, closing = draw(st.sampled_from([("[", "]"), ("{ a = ", " }")]))
        where = draw(st.sampled_from(["note", "blocs", "coefficient", "a"]))
        value = opening * depth + ("1" if opening == "{ a = " else "") + closing * depth
        text = text + f"\n{where} = {value}\n"
    elif extra == "long-number":  # beyond Python's 4300 digits of int() (tomli_w cannot write it)
        text = text + f"\nlevel = {'9' * draw(st.integers(4000, 6000))}\n"
    raw = text.encode("utf-8")
    if extra == "raw-char":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from(CONTROL)).encode() + raw[at:]
    elif extra == "raw-byte":
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1 :]
    return raw


def test_the_unmutated_document_is_accepted_and_usable() -> None:
    referential, warnings = loads_referential(FULL_TEXT, file="fuzz.toml")
    assert warnings == []
    assert referential.settings is not None
    use(Registry(make_pm(("fuzz", Provides(referential)))), referential.id)


@fuzz
@given(mutated_documents())
def test_a_mutated_referential_is_accepted_and_usable_or_refused(raw: bytes) -> None:
    with no_hang():
        event(accepted_or_refused(raw))


# -- settings: school files and objects -----------------------------------------------------------

# Each field of a settings layer: valid values, the bounds included, and values that are not.
_COUNTS = st.integers(0, 10) | st.sampled_from([0, 10_000])
VALID: dict[str, st.SearchStrategy[Any]] = {
    "method": st.sampled_from(sorted(BUILTIN_METHODS)),
    "limit": st.integers(0, 12) | st.sampled_from([0, 10_000]),
    "scope": st.sampled_from(SCOPES),
    "rollup": st.sampled_from(ROLLUPS),
    "rollup_min_share": st.floats(0, 1),
    "rollup_required": st.lists(st.sampled_from(["C1.1", "C1.2", "C2", "X9"]), max_size=2),
    "coverage": st.fixed_dictionaries(
        {},
        optional={
            "min_assessments": _COUNTS,
            "min_contexts": _COUNTS,
            "max_age_months": st.integers(1, 1200),
            "min_span_weeks": st.integers(0, 8) | st.just(5200),
            "min_autonomy": st.integers(1, 4),
        },
    ),
    "role_weights": st.dictionaries(
        st.sampled_from([*ROLES, "stagiaire"]),
        st.floats(0.001, 1000) | st.sampled_from([0.001, 1, 1000]),
        max_size=4,
    ),
    "mark_conversion": st.sampled_from(MARK_CONVERSIONS),
    "state_points": st.dictionaries(st.sampled_from(["NA", "VA", "A"]), st.floats(0, 20)),
}
INVALID: dict[str, st.SearchStrategy[Any]] = {
    "method": st.sampled_from(["moyenne", "", "Geometrique"]) | texts,
    "limit": st.integers(-2, 12) | extremes | st.just(10_001),
    "scope": st.sampled_from(["trimestre", ""]) | texts,
    "rollup": st.sampled_from(["majority", ""]) | texts,
    "rollup_min_share": numbers,
    "rollup_required": st.lists(texts, max_size=2) | texts,
    "coverage": st.dictionaries(
        st.sampled_from([f.name for f in attrs.fields(Coverage)]) | texts, numbers, max_size=2
    ),
    "role_weights": st.dictionaries(st.sampled_from(ROLES) | texts, numbers, max_size=3),
    "mark_conversion": st.sampled_from(["bareme", ""]) | texts,
    "state_points": st.dictionaries(st.sampled_from(["NA", "VA", "A", "X"]), numbers, max_size=2),
}


@st.composite
def setting_tables(draw: st.DrawFn) -> dict[str, Any]:
    """A settings table: valid, with none to two fields invalid or of any type."""
    table = draw(st.fixed_dictionaries({}, optional=VALID))
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        name = draw(st.sampled_from(sorted(VALID)))
        table[name] = draw(INVALID[name] | values)
    return table


@st.composite
def school_files(draw: st.DrawFn) -> bytes:
    data: dict[str, Any] = {}
    if draw(st.booleans()):
        data["settings"] = draw(setting_tables())
    if draw(st.booleans()):
        diploma = draw(st.sampled_from(["cap-essai", "cap-autre"]))
        data["diplomas"] = {diploma: draw(setting_tables())}
    if draw(st.integers(0, 9)) == 0:
        data[draw(field_names)] = draw(values)
    return tomli_w.dumps(data).encode("utf-8")


def essai_registry(*plugins: tuple[str, object]) -> Registry:
    referential, _warnings = loads_referential(FULL_TEXT)
    return Registry(make_pm(("essai", Provides(referential)), *plugins))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-school")


@fuzz
@given(raw=school_files())
def test_a_school_file_is_accepted_and_usable_or_refused(raw: bytes, folder: Path) -> None:
    file = folder / "ecole.toml"
    file.write_bytes(raw)
    with no_hang():
        try:
            school = load_school_config(file)
        except EpSkillsError as error:
            assert_clear(error, str(file))
            event("refused")
            return
        use(essai_registry(), "cap-essai", school)
        event("accepted and used")


@st.composite
def settings_objects(draw: st.DrawFn) -> Any:
    """A settings object as the API or a plugin hook can give it: fields of any type."""
    table = draw(setting_tables())
    coverage = table.pop("coverage", None)
    if isinstance(coverage, dict):
        names = {f.name for f in attrs.fields(Coverage)}
        coverage = Coverage(**{k: v for k, v in coverage.items() if k in names})
    if isinstance(table.get("rollup_required"), list) and draw(st.booleans()):
        table["rollup_required"] = tuple(table["rollup_required"])
    return draw(st.sampled_from([CalculationSettings(coverage=coverage, **table), None, table]))


@fuzz
@given(
    layers=st.lists(settings_objects(), min_size=1, max_size=2),
    channel=st.sampled_from(["school", "plugin"]),
)
def test_a_settings_object_is_accepted_and_usable_or_refused(
    layers: list[Any], channel: str
) -> None:
    if channel == "school":
        school = SchoolConfig(settings=layers[0], diplomas={"cap-essai": layers[-1]})
        registry = essai_registry()
    else:
        school = None
        registry = essai_registry(
            *((f"settles-{i}", Settles(layer)) for i, layer in enumerate(layers))
        )
    with no_hang():
        try:
            with open_journal(":memory:", create=True, registry=registry, school=school) as journal:
                journal.settings("cap-essai")
        except EpSkillsError as error:
            assert_clear(error)
            event("refused")
            return
        use(registry, "cap-essai", school)
        event("accepted and used")


def test_the_fuzz_reaches_both_outcomes() -> None:
    # Some mutations keep the document valid: these are used, whatever their values.
    for value in (1e-300, 3, 1_000_000):
        data = copy.deepcopy(FULL)
        data["epreuves"][1]["coefficient"] = value
        assert accepted_or_refused(tomli_w.dumps(data).encode()) == "accepted and used"
    data = copy.deepcopy(FULL)
    data["epreuves"][1]["coefficient"] = math.nan
    assert accepted_or_refused(tomli_w.dumps(data).encode()) == "refused"
    # A time of day or a date-time where a date is expected.
    for moment in (time(8, 0), datetime(2024, 1, 1, 8, 0)):
        data = copy.deepcopy(FULL)
        data["rncp"][0]["valid_from"] = moment
        with pytest.raises(ReferentialError, match="expected a date"):
            loads_referential(tomli_w.dumps(data), file="fuzz.toml")
