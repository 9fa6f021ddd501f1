"""Calculation methods, limit, rounding, thresholds and role weights.

Every expected number is SACoche's worked example, computed by hand in the comments with the
default codes RR/R/V/VV = 0/33/67/100 and the default thresholds (NA from 0, VA from 40,
A from 61). Nothing here was copied from running the code.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from ep_skills.api import open_journal
from ep_skills.engine.compute import CompetencyState, _method_weights, compute_state
from ep_skills.engine.layers import EffectiveSettings, SchoolConfig, resolve
from ep_skills.engine.methods import BUILTIN_METHODS, round_score
from ep_skills.journal.model import Assessment, Role
from ep_skills.referential.defaults import DEFAULT_SCALE
from ep_skills.referential.settings import CalculationSettings, Coverage

TODAY = date(2026, 11, 20)
FIRST_DAY = date(2026, 10, 1)
VALUE = {"RR": 0, "R": 33, "V": 67, "VV": 100}

SACOCHE = ["R", "R", "V", "VV"]  # oldest → newest


def settings(**changes: object) -> EffectiveSettings:
    return resolve([CalculationSettings(**changes)], BUILTIN_METHODS)  # type: ignore[arg-type]


def rows(levels: Sequence[str], roles: Sequence[Role] | None = None) -> list[Assessment]:
    """One assessment per level, one day apart, oldest first, each on its own order."""
    roles = roles or [Role.MAITRE] * len(levels)
    return [
        Assessment(
            id=i + 1,
            record=i + 1,
            trainee=1,
            competency="C1",
            level=level,
            day=FIRST_DAY + timedelta(days=i),
            role=role,
            order=f"O{i + 1}",
        )
        for i, (level, role) in enumerate(zip(levels, roles, strict=True))
    ]


def state_of(levels: Sequence[str], **changes: object) -> CompetencyState:
    return compute_state(
        "C1",
        rows(levels),
        scale=DEFAULT_SCALE,
        settings=settings(**changes),
        methods=BUILTIN_METHODS,
        today=TODAY,
    )


# -- SACoche's worked example R, R, V, VV ------------------------------------------------------


def test_geometric_is_the_default_and_gives_78_acquis() -> None:
    # Weights 1, 2, 4, 8 (sum 15): (33·1 + 33·2 + 67·4 + 100·8) / 15
    # = (33 + 66 + 268 + 800) / 15 = 1167 / 15 = 77.8 → 78 ≥ 61 → « acquis ».
    state = compute_state(
        "C1",
        rows(SACOCHE),
        scale=DEFAULT_SCALE,
        settings=resolve([], BUILTIN_METHODS),
        methods=BUILTIN_METHODS,
        today=TODAY,
    )
    assert state.method == "geometrique"
    assert state.score == 78
    assert state.state == "A"
    assert state.acquired is True
    assert state.count == 4


def test_classique_gives_58_en_cours() -> None:
    # (33 + 33 + 67 + 100) / 4 = 233 / 4 = 58.25 → 58; 40 ≤ 58 < 61 → « en cours d'acquisition ».
    state = state_of(SACOCHE, method="classique")
    assert state.score == 58
    assert state.state == "VA"
    assert state.acquired is False
    label = next(s.label for s in DEFAULT_SCALE.states if s.code == state.state)
    assert label == "en cours d'acquisition"


def test_arithmetique_gives_70_acquis() -> None:
    # Weights 1, 2, 3, 4 (sum 10): (33 + 66 + 201 + 400) / 10 = 700 / 10 = 70 → « acquis ».
    state = state_of(SACOCHE, method="arithmetique")
    assert state.score == 70
    assert state.state == "A"


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("bestof1", 100),  # the best: VV = 100
        ("bestof2", 84),  # (100 + 67) / 2 = 83.5 → half up → 84
        ("bestof3", 67),  # (100 + 67 + 33) / 3 = 200 / 3 = 66.67 → 67
    ],
)
def test_bestof(method: str, expected: int) -> None:
    assert state_of(SACOCHE, method=method).score == expected


@pytest.mark.parametrize(
    ("method", "levels", "expected"),
    [
        ("frequencemin", ["R", "R", "V", "V"], 33),  # tie 2 × 33 / 2 × 67 → the lower
        ("frequencemax", ["R", "R", "V", "V"], 67),  # tie → the higher
        ("frequencemin", ["R", "R", "V"], 33),  # 33 twice, 67 once
        ("frequencemax", ["R", "R", "V"], 33),  # no tie: the most frequent whatever the rule
    ],
)
def test_frequence(method: str, levels: list[str], expected: int) -> None:
    assert state_of(levels, method=method).score == expected


# -- the same methods called directly -----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("geometrique", 1167 / 15),  # 77.8
        ("arithmetique", 70.0),
        ("classique", 58.25),
        ("bestof1", 100.0),
        ("bestof2", 83.5),
        ("bestof3", 200 / 3),
        ("frequencemin", 33.0),  # 33 appears twice, 67 and 100 once each
        ("frequencemax", 33.0),
    ],
)
def test_methods_called_directly(method: str, expected: float) -> None:
    values = [VALUE[code] for code in SACOCHE]
    assert BUILTIN_METHODS[method](values, [1.0] * len(values)) == pytest.approx(expected)


def test_bestof_with_fewer_values_than_n_takes_them_all() -> None:
    # bestof3 on (33, 100): (33 + 100) / 2 = 66.5.
    assert BUILTIN_METHODS["bestof3"]([33, 100], [1.0, 1.0]) == pytest.approx(66.5)


def test_a_single_value_is_its_own_score_whatever_the_method() -> None:
    for name, method in BUILTIN_METHODS.items():
        assert method([67], [1.0]) == pytest.approx(67.0), name


# -- the limit ------------------------------------------------------------------------------------


def test_limit_5_drops_the_oldest_of_6() -> None:
    # classique on RR, V, V, V, V, V (oldest first):
    # limit 5 keeps the five V: 67 → A;
    # all six: (0 + 5·67) / 6 = 335 / 6 = 55.83 → 56 → VA.
    levels = ["RR", "V", "V", "V", "V", "V"]
    limited = state_of(levels, method="classique", limit=5)
    assert limited.score == 67
    assert limited.state == "A"
    assert limited.count == 6  # every scoring assessment in scope is counted …
    assert len(limited.used) == 5  # … but only the last five enter the calculation
    assert [u.id for u in limited.used] == [2, 3, 4, 5, 6]

    everything = state_of(levels, method="classique", limit=0)
    assert everything.score == 56
    assert everything.state == "VA"
    assert len(everything.used) == 6


def test_limit_with_geometric_weights_restarts_at_1_for_the_oldest_kept() -> None:
    # limit 2 on R, R, V, VV keeps V, VV with weights 1, 2: (67 + 200) / 3 = 89 → A.
    assert state_of(SACOCHE, limit=2).score == 89
    # limit 1 keeps VV only: 100.
    assert state_of(SACOCHE, limit=1).score == 100


def test_limit_counts_scoring_assessments_only() -> None:
    # limit 2 over R, V, ABS, NE: the non-scoring codes take no place in the window:
    # geometric on R, V: (33 + 134) / 3 = 55.67 → 56.
    state = state_of(["R", "V", "ABS", "NE"], limit=2)
    assert state.score == 56
    assert state.non_scoring == 2
    assert state.count == 2


# -- rounding and thresholds -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "expected"),
    [(58.5, 59), (58.49, 58), (66.5, 67), (0.5, 1), (2.5, 3), (83.5, 84), (100.0, 100)],
)
def test_round_half_up(score: float, expected: int) -> None:
    # Python's round() would give 58 for 58.5, 66 for 66.5, 0 for 0.5 and 2 for 2.5.
    assert round_score(score) == expected


def test_round_half_up_through_compute_state() -> None:
    # classique on R, VV: (33 + 100) / 2 = 66.5 → 67 (banker's rounding would say 66) → A.
    state = state_of(["R", "VV"], method="classique")
    assert state.score == 67
    assert state.state == "A"


@pytest.mark.parametrize(
    ("score", "state"),
    [(0, "NA"), (39, "NA"), (40, "VA"), (60, "VA"), (61, "A"), (100, "A")],
)
def test_thresholds(score: int, state: str) -> None:
    assert DEFAULT_SCALE.state_for(score).code == state


def test_non_scoring_codes_alone_give_no_state() -> None:
    state = state_of(["ABS", "NE", "DISP", "REQ"])
    assert state.score is None
    assert state.state is None
    assert state.acquired is False
    assert state.non_scoring == 4
    assert state.assessed is False


# -- role weights ----------------------------------------------------------------------------


def test_role_weights_change_the_geometric_score() -> None:
    # RR by the tutor, then VV by the instructor (a day later).
    # Equal weights: position weights 1, 2 → (0·1 + 100·2) / 3 = 66.67 → 67 → A.
    # Tutor weighs 2: weights 1·2, 2·1 = 2, 2 → (0·2 + 100·2) / 4 = 50 → VA.
    history = rows(["RR", "VV"], [Role.TUTEUR, Role.MAITRE])
    equal = compute_state(
        "C1",
        history,
        scale=DEFAULT_SCALE,
        settings=settings(),
        methods=BUILTIN_METHODS,
        today=TODAY,
    )
    assert equal.score == 67
    assert equal.state == "A"

    weighted = compute_state(
        "C1",
        history,
        scale=DEFAULT_SCALE,
        settings=settings(role_weights={"maitre": 1.0, "tuteur": 2.0}),
        methods=BUILTIN_METHODS,
        today=TODAY,
    )
    assert weighted.score == 50
    assert weighted.state == "VA"
    # The explanation's weights are position weight × role weight: 1·2 and 2·1.
    assert [u.weight for u in weighted.used] == [2.0, 2.0]


def test_role_weights_three_assessments() -> None:
    # R (maitre), V (tuteur), VV (maitre), geometric.
    # Equal: weights 1, 2, 4 (sum 7): (33 + 134 + 400) / 7 = 567 / 7 = 81 → 81.
    # Tutor 2: weights 1, 4, 4 (sum 9): (33 + 268 + 400) / 9 = 701 / 9 = 77.89 → 78.
    history = rows(["R", "V", "VV"], [Role.MAITRE, Role.TUTEUR, Role.MAITRE])
    kwargs = {"scale": DEFAULT_SCALE, "methods": BUILTIN_METHODS, "today": TODAY}
    assert compute_state("C1", history, settings=settings(), **kwargs).score == 81
    tutor = settings(role_weights={"maitre": 1.0, "tuteur": 2.0})
    assert compute_state("C1", history, settings=tutor, **kwargs).score == 78


def test_role_weights_called_directly() -> None:
    # geometrique([0, 100], role weights [2, 1]) = (0·2 + 100·2) / 4 = 50.
    assert BUILTIN_METHODS["geometrique"]([0, 100], [2.0, 1.0]) == pytest.approx(50.0)
    # arithmetique: weights 1·2, 2·1 → (0 + 200) / 4 = 50.
    assert BUILTIN_METHODS["arithmetique"]([0, 100], [2.0, 1.0]) == pytest.approx(50.0)
    # classique: (0·2 + 100·1) / 3 = 33.33.
    assert BUILTIN_METHODS["classique"]([0, 100], [2.0, 1.0]) == pytest.approx(100 / 3)
    # frequencemax: 0 weighs 2, 100 weighs 1 → 0 is the most frequent.
    assert BUILTIN_METHODS["frequencemax"]([0, 100], [2.0, 1.0]) == 0.0


def test_self_assessments_never_change_the_official_score() -> None:
    # Official: R, V (maitre) → (33 + 134) / 3 = 55.67 → 56 → VA.
    # Self-assessments VV, VV interleaved → they must not move the official 56;
    # on their own: geometric (100 + 200) / 3 = 100 → self state A.
    official = rows(["R", "V"])
    own = [
        Assessment(
            id=10 + i,
            record=10 + i,
            trainee=1,
            competency="C1",
            level="VV",
            day=FIRST_DAY + timedelta(days=i),
            role=Role.AUTO,
        )
        for i in range(2)
    ]
    kwargs = {
        "scale": DEFAULT_SCALE,
        "settings": settings(),
        "methods": BUILTIN_METHODS,
        "today": TODAY,
    }
    alone = compute_state("C1", official, **kwargs)
    mixed = compute_state("C1", official + own, **kwargs)
    assert alone.score == 56
    assert mixed.score == 56
    assert mixed.state == "VA"
    assert mixed.count == 2
    assert all(u.role != "auto" for u in mixed.used)
    assert alone.self_score is None
    assert mixed.self_score == 100
    assert mixed.self_state == "A"


def test_self_assessments_only_give_a_self_score_and_no_state() -> None:
    own = rows(["R", "R"], [Role.AUTO, Role.AUTO])
    state = compute_state(
        "C1",
        own,
        scale=DEFAULT_SCALE,
        settings=settings(),
        methods=BUILTIN_METHODS,
        today=TODAY,
    )
    assert state.score is None
    assert state.state is None
    assert state.acquired is False
    assert state.self_score == 33  # (33 + 66) / 3 = 33
    assert state.self_state == "NA"


# -- geometric weights with no limit: thousands of assessments --------------------------------
#
# With ``limit = 0`` every scoring assessment counts, with weights 1, 2, 4 … 2**4999 on a long
# history: such weights do not fit a float (past 2**1023). The expected score is computed
# exactly with fractions — Σ v·w·2**i / Σ w·2**i, rounded half up — which is SACoche's result
# by definition, whatever the number of assessments.

GEOMETRIC_VALUES = (0, 33, 67, 100)
ROLE_WEIGHTS = (0.5, 1.0, 2.0)


def exact_geometric(values: Sequence[int], weights: Sequence[float]) -> int:
    """The geometric score computed exactly, rounded half up."""
    numerator = Fraction(0)
    denominator = Fraction(0)
    for i, (value, weight) in enumerate(zip(values, weights, strict=True)):
        w = Fraction(weight) * 2**i
        numerator += value * w
        denominator += w
    return math.floor(numerator / denominator + Fraction(1, 2))


def random_history(n: int, rng: random.Random) -> tuple[list[int], list[float]]:
    return (
        [rng.choice(GEOMETRIC_VALUES) for _ in range(n)],
        [rng.choice(ROLE_WEIGHTS) for _ in range(n)],
    )


def test_exact_geometric_is_sacoches_worked_example() -> None:
    # The reference itself: R, R, V, VV → 1167 / 15 = 77.8 → 78; (33 + 100) / 2 = 66.5 → 67.
    assert exact_geometric([33, 33, 67, 100], [1.0] * 4) == 78
    assert exact_geometric([33, 100], [2.0, 1.0]) == 67


def exact_geometric_fraction(values: Sequence[int], weights: Sequence[float]) -> Fraction:
    numerator = Fraction(0)
    denominator = Fraction(0)
    for i, (value, weight) in enumerate(zip(values, weights, strict=True)):
        w = Fraction(weight) * 2**i
        numerator += value * w
        denominator += w
    return numerator / denominator


@examples(max_examples=60, deadline=None)
@given(n=st.integers(1, 5000), seed=st.integers(0, 2**32 - 1))
def test_geometric_without_limit_gives_sacoches_result_on_5000_assessments(
    n: int, seed: int
) -> None:
    # Random sequences (each drawn from its seed): values 0/33/67/100, role weights 0.5/1/2.
    values, weights = random_history(n, random.Random(seed))
    score = BUILTIN_METHODS["geometrique"](values, weights)
    assert math.isfinite(score)
    assert round_score(score) == exact_geometric(values, weights)


def test_geometric_without_limit_on_exactly_5000_assessments() -> None:
    for seed in range(5):
        values, weights = random_history(5000, random.Random(seed))
        score = BUILTIN_METHODS["geometrique"](values, weights)
        assert round_score(score) == exact_geometric(values, weights), seed


@examples(max_examples=100, deadline=None)
@given(
    history=st.lists(
        st.tuples(st.sampled_from(GEOMETRIC_VALUES), st.sampled_from(ROLE_WEIGHTS)),
        min_size=1,
        max_size=80,
    ),
    padding=st.sampled_from((0, 1000, 1100, 4920)),
    old=st.sampled_from(GEOMETRIC_VALUES),
)
def test_geometric_without_limit_is_exact_to_float_precision_whatever_the_old_history(
    history: list[tuple[int, float]], padding: int, old: int
) -> None:
    # A recent pattern drawn freely (and shrunk by Hypothesis) after a long, flat past whose
    # oldest weights are far below what a float holds next to the newest.
    values = [old] * padding + [v for v, _w in history]
    weights = [1.0] * padding + [w for _v, w in history]
    score = BUILTIN_METHODS["geometrique"](values, weights)
    exact = exact_geometric_fraction(values, weights)
    assert abs(Fraction(score) - exact) < Fraction(1, 10**9)
    # The rounding agrees unless the exact score lies within a float's reach of a half (see
    # the test below).
    if abs(exact - math.floor(exact) - Fraction(1, 2)) > Fraction(1, 10**9):
        assert round_score(score) == exact_geometric(values, weights)


def sacoche_geometric(values: list[int]) -> float:
    """SACoche's own computation: PHP floats, weights 2**i summed from the oldest."""
    total = numerator = 0.0
    for i, value in enumerate(values):
        numerator += value * 2.0**i
        total += 2.0**i
    return numerator / total


@pytest.mark.parametrize("padding", [60, 1000])
def test_geometric_is_sacoches_float_sum_even_just_below_a_half(padding: int) -> None:
    # VV × padding then one R: exactly (100·(2**p − 1) + 33·2**p) / (2**(p+1) − 1)
    # = 66.5 − 33.5 / (2**(p+1) − 1), a hair below 66.5, so exactly 66. SACoche sums floats,
    # which cannot see the hair: it says 66.5 → 67. We promise SACoche's results, so we say
    # 67 too (the two differ only within 10⁻¹⁵ of a half; docs/engine.md says so).
    values = [100] * padding + [33]
    weights = [1.0] * (padding + 1)
    assert exact_geometric(values, weights) == 66
    assert round_score(sacoche_geometric(values)) == 67
    assert BUILTIN_METHODS["geometrique"](values, weights) == sacoche_geometric(values)


def test_geometric_on_5000_assessments_through_compute_state() -> None:
    rng = random.Random(5000)
    levels = [rng.choice(list(VALUE)) for _ in range(5000)]
    roles = [rng.choice([Role.MAITRE, Role.TUTEUR, Role.ENSEIGNANT]) for _ in range(5000)]
    role_weights = {"maitre": 1.0, "tuteur": 2.0, "enseignant": 0.5}
    state = compute_state(
        "C1",
        rows(levels, roles),
        scale=DEFAULT_SCALE,
        settings=settings(limit=0, role_weights=role_weights),
        methods=BUILTIN_METHODS,
        today=FIRST_DAY + timedelta(days=5000),
    )
    expected = exact_geometric([VALUE[c] for c in levels], [role_weights[r] for r in roles])
    assert state.score == expected
    assert state.count == 5000
    assert len(state.used) == 5000


def test_method_weights_do_not_overflow_on_5000_assessments() -> None:
    # The explanation's weights: 2**i overflowed a float from i = 1024 on.
    assert _method_weights("geometrique", 4) == [1.0, 2.0, 4.0, 8.0]
    weights = _method_weights("geometrique", 5000)
    assert len(weights) == 5000
    assert all(w > 0 for w in weights[-1000:])
    assert all(a <= b for a, b in itertools.pairwise(weights))
    assert _method_weights("arithmetique", 5000)[-1] == 5000.0


# -- the same through the journal: a trainee with 5,000 assessments, limit = 0 -----------------

LONG_ROLES = {"maitre": 1.0, "tuteur": 2.0, "enseignant": 0.5}


@pytest.fixture(scope="module")
def long_history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SchoolConfig, date]:
    """Léa Martin (cap-cip) with 5,000 assessments on CP04 over four years, four a day."""
    path = tmp_path_factory.mktemp("long") / "j.db"
    school = SchoolConfig(
        settings=CalculationSettings(
            method="geometrique",
            limit=0,
            scope="all",
            coverage=Coverage(min_assessments=3, min_contexts=2),
            role_weights=LONG_ROLES,
        )
    )
    start = date(2022, 9, 1)
    today = start + timedelta(days=1300)
    rng = random.Random(2026)
    with open_journal(path, create=True, today=today, school=school) as journal:
        journal.add_trainee("Léa Martin", diploma="cap-cip", start_date=start)
        for ref in ("O1", "O2", "O3"):
            journal.add_order(ref, customer="Client", title="Série")
        with journal.deferred_states():
            records = [
                journal.build_record(
                    ["Léa Martin"],
                    description="série",
                    order=rng.choice(("O1", "O2", "O3")),
                    day=start + timedelta(days=i // 4),
                    levels={"CP04": rng.choice(list(VALUE))},
                    role=rng.choice(list(LONG_ROLES)),
                )
                for i in range(4999)
            ]
            journal.write_records(records)
        # The last one through the incremental path.
        journal.record(
            ["Léa Martin"], description="série", order="O1", day=today, levels={"CP04": "V"}
        )
    return path, school, today


def test_5000_assessments_through_the_journal(
    long_history: tuple[Path, SchoolConfig, date],
) -> None:
    path, school, today = long_history
    with open_journal(path, today=today, school=school) as journal:
        lea = journal.trainee("Léa Martin")
        rows = journal.storage.assessments(lea.id, "CP04")
        assert len(rows) == 5000
        # The window's order: by day, then by content (value, weight, level).
        ordered = sorted(
            (row.day, VALUE[row.level], LONG_ROLES[str(row.role)], row.level) for row in rows
        )
        expected = exact_geometric([v for _d, v, _w, _l in ordered], [w for *_x, w, _l in ordered])

        stored = {s.competency: s for s in journal.storage.states([lea.id])}
        assert stored["CP04"].score == expected  # the incremental write

        progress = journal.progress("Léa Martin")
        node = progress.node("CP04")
        assert node is not None
        assert node.score == expected
        assert node.acquired == (expected >= 61)

        explanation = journal.explain("Léa Martin", "CP04")
        assert explanation.state is not None
        assert explanation.state.score == expected
        assert len(explanation.state.used) == 5000
        text = explanation.text()
        assert f"Score {expected}/100" in text
        assert "all scoring assessments" in text
        assert sum(line.startswith("  assessment #") for line in text.splitlines()) == 5000
        # As data: valid JSON (no Infinity for the weights past 2**1023), every row once.
        data = json.loads(json.dumps(explanation.data(), allow_nan=False))
        assert data["state"]["score"] == expected
        assert data["state"]["limit"] == 0
        assert len(data["rows"]) == 5000
        assert {r["status"] for r in data["rows"]} == {"counts"}

        def saved() -> list[tuple[object, ...]]:
            return sorted(
                (s.trainee, s.competency, s.state, s.score, s.acquired, s.assessments)
                for s in journal.storage.states([lea.id])
            )

        before = saved()
        assert journal.recompute() == len(before)
        assert saved() == before
        assert journal.leaf_states("Léa Martin")["CP04"].score == expected
