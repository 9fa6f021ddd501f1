"""Coverage rules, corrections, the school-year scope, settings layering and roll-ups.

Scores use the default codes RR/R/V/VV = 0/33/67/100 and thresholds NA 0 / VA 40 / A 61;
every expected number is worked out by hand in a comment.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pytest

from ep_skills.engine.compute import (
    CompetencyState,
    CoverageCheck,
    compute_state,
    effective_assessments,
    school_year_start,
)
from ep_skills.engine.layers import EffectiveSettings, resolve
from ep_skills.engine.methods import BUILTIN_METHODS
from ep_skills.engine.rollup import build_progress
from ep_skills.errors import EpSkillsError
from ep_skills.journal.model import Assessment, Role
from ep_skills.referential.defaults import DEFAULT_SCALE
from ep_skills.referential.model import (
    Bloc,
    BlocKind,
    Competency,
    DiplomaKind,
    Epreuve,
    Provenance,
    ProvenanceStatus,
    Referential,
)
from ep_skills.referential.settings import CalculationSettings, Coverage

TODAY = date(2026, 11, 20)


def settings(*layers: CalculationSettings) -> EffectiveSettings:
    return resolve(list(layers), BUILTIN_METHODS)


def cov(**rules: int) -> EffectiveSettings:
    return settings(CalculationSettings(coverage=Coverage(**rules)))


def a(
    id: int,
    level: str,
    day: date,
    *,
    order: str | None = None,
    task: str | None = None,
    record: int | None = None,
    autonomy: int | None = None,
    role: Role = Role.MAITRE,
    supersedes: int | None = None,
    withdrawn: bool = False,
) -> Assessment:
    return Assessment(
        id=id,
        record=record if record is not None else id,
        trainee=1,
        competency="C1",
        level=level,
        day=day,
        role=role,
        autonomy=autonomy,
        order=order,
        task=task,
        supersedes=supersedes,
        withdrawn=withdrawn,
    )


def compute(
    rows: Sequence[Assessment], s: EffectiveSettings | None = None, today: date = TODAY
) -> CompetencyState:
    return compute_state(
        "C1",
        rows,
        scale=DEFAULT_SCALE,
        settings=s or settings(),
        methods=BUILTIN_METHODS,
        today=today,
    )


def check(state: CompetencyState, rule: str) -> CoverageCheck:
    found = [c for c in state.coverage if c.rule == rule]
    assert len(found) == 1, state.coverage
    return found[0]


D1, D2, D3 = date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)


# -- coverage rules ----------------------------------------------------------------------------


def test_no_rule_means_no_coverage_check() -> None:
    state = compute([a(1, "VV", D1)])
    assert state.coverage == ()
    assert state.state == "A"


def test_min_assessments_blocks_acquis() -> None:
    # Two VV: score 100 → A by the score alone, but 3 assessments are required.
    state = compute(
        [a(1, "VV", D1, order="O1"), a(2, "VV", D2, order="O2")], cov(min_assessments=3)
    )
    assert state.score == 100
    assert state.score_state == "A"
    assert state.state == "VA"
    assert state.acquired is False
    assert check(state, "min_assessments") == CoverageCheck("min_assessments", 3, 2, False)


def test_min_assessments_met() -> None:
    rows = [a(i, "VV", D1 + timedelta(days=i), order=f"O{i}") for i in range(1, 4)]
    state = compute(rows, cov(min_assessments=3))
    assert state.state == "A"
    assert check(state, "min_assessments") == CoverageCheck("min_assessments", 3, 3, True)


def test_min_assessments_counts_scoring_in_scope_beyond_the_limit_not_non_scoring() -> None:
    # limit 1, four VV and two ABS: count is 4 (all scoring in scope), ABS never counts.
    s = settings(CalculationSettings(limit=1, coverage=Coverage(min_assessments=5)))
    rows = [a(i, "VV", D1 + timedelta(days=i), order=f"O{i}") for i in range(1, 5)]
    rows += [a(10, "ABS", D1), a(11, "ABS", D2)]
    state = compute(rows, s)
    assert state.count == 4
    assert check(state, "min_assessments") == CoverageCheck("min_assessments", 5, 4, False)
    assert state.state == "VA"


def test_min_contexts_blocks_acquis_on_one_order() -> None:
    # Three VV, all on order O1: one context only.
    rows = [a(i, "VV", D1 + timedelta(days=i), order="O1") for i in range(1, 4)]
    state = compute(rows, cov(min_contexts=2))
    assert state.score == 100
    assert state.state == "VA"
    assert state.contexts == 1
    assert check(state, "min_contexts") == CoverageCheck("min_contexts", 2, 1, False)


def test_min_contexts_met_by_two_orders() -> None:
    rows = [a(1, "VV", D1, order="O1"), a(2, "VV", D2, order="O2"), a(3, "VV", D3, order="O1")]
    state = compute(rows, cov(min_contexts=2))
    assert state.contexts == 2
    assert state.state == "A"


def test_contexts_without_order_are_catalogue_tasks_else_records() -> None:
    # Same catalogue task twice, no order: one context.
    same_task = [a(1, "VV", D1, task="t1"), a(2, "VV", D2, task="t1")]
    assert compute(same_task, cov(min_contexts=2)).contexts == 1
    assert compute(same_task, cov(min_contexts=2)).state == "VA"
    # Two different tasks: two contexts.
    two_tasks = [a(1, "VV", D1, task="t1"), a(2, "VV", D2, task="t2")]
    assert compute(two_tasks, cov(min_contexts=2)).contexts == 2
    assert compute(two_tasks, cov(min_contexts=2)).state == "A"
    # Free descriptions (no task, no order) on two records: two contexts.
    free = [a(1, "VV", D1, record=7), a(2, "VV", D2, record=8)]
    assert compute(free, cov(min_contexts=2)).contexts == 2
    # An order wins over the task: same order, different tasks → one context.
    ordered = [a(1, "VV", D1, order="O1", task="t1"), a(2, "VV", D2, order="O1", task="t2")]
    assert compute(ordered, cov(min_contexts=2)).contexts == 1


def test_non_scoring_rows_bring_no_context() -> None:
    rows = [a(1, "VV", D1, order="O1"), a(2, "ABS", D2, order="O2")]
    state = compute(rows, cov(min_contexts=2))
    assert state.contexts == 1
    assert state.state == "VA"


def test_max_age_blocks_acquis_when_too_old() -> None:
    # Last scoring assessment on 2026-03-10; today 2026-11-20: 8 whole months → older than 6.
    rows = [a(1, "VV", date(2026, 2, 1)), a(2, "VV", date(2026, 3, 10))]
    state = compute(rows, cov(max_age_months=6))
    assert state.score == 100
    assert state.last_day == date(2026, 3, 10)
    assert state.state == "VA"
    found = check(state, "max_age_months")
    assert (found.required, found.actual, found.ok) == (6, 8, False)


def test_max_age_exactly_six_months_is_still_recent() -> None:
    # 2026-05-20 → 2026-11-20 is exactly 6 months: no older than 6 → ok.
    state = compute([a(1, "VV", date(2026, 5, 20))], cov(max_age_months=6))
    assert state.state == "A"
    assert check(state, "max_age_months") == CoverageCheck("max_age_months", 6, 6, True)


def test_max_age_six_months_and_nineteen_days_is_older_than_six_months() -> None:
    # 2026-05-01 → 2026-11-20 is 6 months and 19 days: older than 6 months, so the
    # "no older than 6 months" rule must fail and the state must stay VA.
    state = compute([a(1, "VV", date(2026, 5, 1))], cov(max_age_months=6))
    assert check(state, "max_age_months").ok is False
    assert state.state == "VA"


def test_max_age_is_relative_to_today() -> None:
    rows = [a(1, "VV", date(2026, 3, 10))]
    # Seen from 2026-06-10 the assessment is 3 months old: fine.
    assert compute(rows, cov(max_age_months=6), today=date(2026, 6, 10)).state == "A"
    # Seen from 2026-11-20 it is 8 months old: blocked.
    assert compute(rows, cov(max_age_months=6), today=TODAY).state == "VA"


def test_max_age_uses_the_latest_scoring_assessment_only() -> None:
    # An old VV then a recent ABS: the ABS does not refresh the evidence.
    rows = [a(1, "VV", date(2026, 1, 5)), a(2, "ABS", date(2026, 11, 1))]
    state = compute(rows, cov(max_age_months=6))
    assert state.last_day == date(2026, 1, 5)
    assert state.state == "VA"


def test_min_autonomy_blocks_acquis() -> None:
    rows = [a(1, "VV", D1, autonomy=2), a(2, "VV", D2, autonomy=1)]
    state = compute(rows, cov(min_autonomy=3))
    assert state.max_autonomy == 2
    assert state.state == "VA"
    assert check(state, "min_autonomy") == CoverageCheck("min_autonomy", 3, 2, False)


def test_min_autonomy_without_any_autonomy_recorded() -> None:
    state = compute([a(1, "VV", D1)], cov(min_autonomy=1))
    assert state.state == "VA"
    assert check(state, "min_autonomy") == CoverageCheck("min_autonomy", 1, 0, False)


def test_min_autonomy_met_once_is_enough() -> None:
    rows = [a(1, "VV", D1, autonomy=1), a(2, "VV", D2, autonomy=4)]
    state = compute(rows, cov(min_autonomy=3))
    assert state.state == "A"
    assert check(state, "min_autonomy") == CoverageCheck("min_autonomy", 3, 4, True)


def test_rules_never_lower_a_state_below_en_cours() -> None:
    # R, V → (33 + 134) / 3 = 55.67 → 56 → VA; the unmet rule leaves it VA.
    state = compute([a(1, "R", D1), a(2, "V", D2)], cov(min_assessments=10))
    assert state.state == "VA"
    assert state.score_state == "VA"
    # RR → 0 → NA stays NA (not raised, not lowered).
    state = compute([a(1, "RR", D1)], cov(min_assessments=10))
    assert state.state == "NA"


def test_all_rules_together_and_each_reported() -> None:
    # Two VV on one order, autonomy 2, last on 2026-10-02 (1 month old): score 100.
    rows = [a(1, "VV", D1, order="O1", autonomy=2), a(2, "VV", D2, order="O1", autonomy=2)]
    s = cov(min_assessments=2, min_contexts=1, max_age_months=3, min_autonomy=2)
    state = compute(rows, s)
    assert state.state == "A"
    assert {c.rule for c in state.coverage} == {
        "min_assessments",
        "min_contexts",
        "max_age_months",
        "min_autonomy",
    }
    assert all(c.ok for c in state.coverage)
    # One more autonomy level required: that rule alone now fails.
    state = compute(rows, cov(min_assessments=2, min_contexts=1, max_age_months=3, min_autonomy=3))
    assert state.state == "VA"
    assert [c.rule for c in state.coverage if not c.ok] == ["min_autonomy"]


# -- corrections ------------------------------------------------------------------------------


def test_a_correction_supersedes_the_original() -> None:
    original = a(1, "VV", D1)
    correction = a(2, "R", D1, supersedes=1)
    assert effective_assessments([original, correction]) == [correction]
    state = compute([original, correction])
    assert state.score == 33
    assert state.state == "NA"
    assert state.count == 1
    assert state.history == 2


def test_a_chain_of_corrections_keeps_only_the_last() -> None:
    rows = [a(1, "VV", D1), a(2, "R", D1, supersedes=1), a(3, "V", D1, supersedes=2)]
    assert [r.id for r in effective_assessments(rows)] == [3]
    assert compute(rows).score == 67


def test_a_withdrawn_assessment_counts_no_more() -> None:
    rows = [
        a(1, "RR", D1),
        a(2, "VV", D2),
        a(3, "RR", D1, supersedes=1, withdrawn=True),
    ]
    assert [r.id for r in effective_assessments(rows)] == [2]
    state = compute(rows)
    assert state.score == 100
    assert state.history == 3


def test_withdrawing_everything_leaves_no_state() -> None:
    rows = [a(1, "VV", D1), a(2, "VV", D1, supersedes=1, withdrawn=True)]
    state = compute(rows)
    assert state.score is None
    assert state.state is None
    assert state.history == 2


def test_correcting_a_withdrawal_reinstates() -> None:
    # #2 withdraws #1, #3 corrects #2 with level V: only #3 counts.
    rows = [
        a(1, "VV", D1),
        a(2, "VV", D1, supersedes=1, withdrawn=True),
        a(3, "V", D1, supersedes=2),
    ]
    assert [r.id for r in effective_assessments(rows)] == [3]
    assert compute(rows).score == 67


def test_effective_assessments_keeps_input_order_of_untouched_rows() -> None:
    rows = [a(5, "V", D2), a(3, "R", D1), a(4, "RR", D1, supersedes=9)]
    # #9 is not in the list: nothing else is superseded.
    assert [r.id for r in effective_assessments(rows)] == [5, 3, 4]


# -- school-year scope ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2026, 11, 20), date(2026, 9, 1)),
        (date(2026, 9, 1), date(2026, 9, 1)),
        (date(2026, 8, 31), date(2025, 9, 1)),
        (date(2027, 1, 5), date(2026, 9, 1)),
        (date(2027, 6, 30), date(2026, 9, 1)),
    ],
)
def test_school_year_start(today: date, start: date) -> None:
    assert school_year_start(today) == start


def test_school_year_scope_keeps_only_this_school_year() -> None:
    rows = [a(1, "VV", date(2026, 8, 31)), a(2, "R", date(2026, 9, 1))]
    # scope all: geometric (100·1 + 33·2) / 3 = 166 / 3 = 55.33 → 55 → VA.
    everything = compute(rows)
    assert everything.score == 55
    assert everything.count == 2
    # school-year (today 2026-11-20, year from 2026-09-01): only R → 33 → NA.
    this_year = compute(rows, settings(CalculationSettings(scope="school-year")))
    assert this_year.score == 33
    assert this_year.state == "NA"
    assert this_year.count == 1
    assert this_year.last_day == date(2026, 9, 1)


def test_school_year_scope_with_nothing_this_year() -> None:
    rows = [a(1, "VV", date(2026, 6, 15))]
    state = compute(rows, settings(CalculationSettings(scope="school-year")))
    assert state.score is None
    assert state.state is None


def test_school_year_scope_also_applies_to_self_assessments() -> None:
    rows = [
        a(1, "VV", date(2026, 6, 15), role=Role.AUTO),
        a(2, "R", date(2026, 10, 1), role=Role.AUTO),
    ]
    state = compute(rows, settings(CalculationSettings(scope="school-year")))
    assert state.self_score == 33


def test_time_dependent_settings() -> None:
    assert settings().time_dependent is False
    assert settings(CalculationSettings(scope="school-year")).time_dependent is True
    assert cov(max_age_months=6).time_dependent is True
    assert cov(min_assessments=3).time_dependent is False


# -- settings layering -------------------------------------------------------------------------


def test_library_defaults() -> None:
    s = settings()
    assert (s.method, s.limit, s.scope, s.rollup, s.rollup_min_share) == (
        "geometrique",
        5,
        "all",
        "all-children",
        1.0,
    )
    assert s.coverage == Coverage()
    assert dict(s.role_weights) == {"maitre": 1.0, "enseignant": 1.0, "tuteur": 1.0}
    assert s.rollup_required == ()


def test_layers_override_in_order() -> None:
    plugin = CalculationSettings(method="classique", limit=3, scope="school-year")
    school = CalculationSettings(limit=0)
    s = settings(plugin, school)
    assert s.method == "classique"  # from the plugin, the school says nothing
    assert s.limit == 0  # the school wins over the plugin
    assert s.scope == "school-year"
    assert s.rollup == "all-children"  # library default
    # Reversed order: the plugin's limit wins.
    assert settings(school, plugin).limit == 3


def test_none_layers_are_skipped() -> None:
    s = resolve([None, CalculationSettings(method="bestof2"), None], BUILTIN_METHODS)
    assert s.method == "bestof2"
    assert s.limit == 5


def test_coverage_merges_rule_by_rule() -> None:
    s = settings(
        CalculationSettings(coverage=Coverage(min_assessments=3, max_age_months=12)),
        CalculationSettings(coverage=Coverage(min_contexts=2, max_age_months=6)),
    )
    assert s.coverage == Coverage(
        min_assessments=3, min_contexts=2, max_age_months=6, min_autonomy=None
    )


def test_role_weights_merge_by_role() -> None:
    s = settings(
        CalculationSettings(role_weights={"tuteur": 2.0}),
        CalculationSettings(role_weights={"enseignant": 0.5}),
    )
    assert dict(s.role_weights) == {"maitre": 1.0, "enseignant": 0.5, "tuteur": 2.0}


def test_points_rollup_settings_layer() -> None:
    s = settings(
        CalculationSettings(rollup="points", rollup_min_share=0.5, rollup_required=("C1.1",))
    )
    assert (s.rollup, s.rollup_min_share, s.rollup_required) == ("points", 0.5, ("C1.1",))


def test_fingerprint_changes_with_a_setting() -> None:
    assert settings().fingerprint() == settings().fingerprint()
    assert settings().fingerprint() != settings(CalculationSettings(limit=4)).fingerprint()
    assert settings().fingerprint() != cov(min_contexts=2).fingerprint()


@pytest.mark.parametrize(
    ("layer", "words"),
    [
        (CalculationSettings(method="moyenne"), "moyenne"),
        (CalculationSettings(scope="trimestre"), "trimestre"),
        (CalculationSettings(rollup="majority"), "majority"),
        (CalculationSettings(limit=-1), "limit"),
        (CalculationSettings(rollup_min_share=1.5), "rollup_min_share"),
        (CalculationSettings(rollup_min_share=-0.1), "rollup_min_share"),
    ],
)
def test_bad_settings_raise(layer: CalculationSettings, words: str) -> None:
    with pytest.raises(EpSkillsError, match=words):
        settings(layer)


def test_a_plugin_method_is_accepted_when_known() -> None:
    layer = CalculationSettings(method="median")
    with pytest.raises(EpSkillsError, match="median"):
        resolve([layer], BUILTIN_METHODS)
    assert resolve([layer], [*BUILTIN_METHODS, "median"]).method == "median"


def test_a_bad_lower_layer_overridden_by_a_higher_one_is_fine() -> None:
    s = settings(CalculationSettings(method="moyenne"), CalculationSettings(method="classique"))
    assert s.method == "classique"


# -- roll-ups ------------------------------------------------------------------------------------

PROV = Provenance(ProvenanceStatus.AUTHORED)


def referential() -> Referential:
    """B1: C1 (C1.1, C1.2, C1.3) and C2; B2: C3. EP1 (coef 3) on C1, C2; EP2 (coef 1) on C3;
    EG1 (coef 2) assesses no competency and so never enters readiness."""
    c1 = Competency(
        "C1",
        "Parent",
        children=(Competency("C1.1", "a"), Competency("C1.2", "b"), Competency("C1.3", "c")),
    )
    return Referential(
        id="test-cap",
        title="CAP de test",
        kind=DiplomaKind.CAP,
        level=3,
        version="2026",
        legal_source="none",
        provenance=PROV,
        blocs=(
            Bloc("B1", "Bloc 1", competencies=(c1, Competency("C2", "Leaf C2"))),
            Bloc("B2", "Bloc 2", kind=BlocKind.GENERAL, competencies=(Competency("C3", "C3"),)),
        ),
        epreuves=(
            Epreuve("EP1", "Épreuve 1", coefficient=3.0, competencies=("C1", "C2")),
            Epreuve("EP2", "Épreuve 2", coefficient=1.0, competencies=("C3",)),
            Epreuve("EG1", "Générale", coefficient=2.0),
        ),
    )


def leaf(code: str, score: int, state: str) -> CompetencyState:
    """A leaf state written by hand: ``state`` is what the thresholds give for ``score``."""
    return CompetencyState(
        competency=code,
        state=state,
        score=score,
        acquired=state == "A",
        score_state=state,
        method="geometrique",
        limit=5,
    )


def progress(leaves: dict[str, CompetencyState], s: EffectiveSettings | None = None):  # type: ignore[no-untyped-def]
    return build_progress(referential(), leaves, scale=DEFAULT_SCALE, settings=s or settings())


POINTS_60 = CalculationSettings(rollup="points", rollup_min_share=0.6)


def test_all_children_not_acquired_when_one_child_is_not() -> None:
    p = progress(
        {
            "C1.1": leaf("C1.1", 80, "A"),
            "C1.2": leaf("C1.2", 70, "A"),
            "C1.3": leaf("C1.3", 50, "VA"),
        }
    )
    c1 = p.node("C1")
    assert c1 is not None
    assert c1.acquired is False
    # Score: (80 + 70 + 50) / 3 = 66.67 → 67, which alone is A; not acquired → VA.
    assert c1.score == 67
    assert c1.state == "VA"
    assert c1.rule == "all-children"
    assert [child.code for child in c1.children] == ["C1.1", "C1.2", "C1.3"]


def test_all_children_acquired_when_every_child_is() -> None:
    p = progress(
        {
            "C1.1": leaf("C1.1", 80, "A"),
            "C1.2": leaf("C1.2", 70, "A"),
            "C1.3": leaf("C1.3", 90, "A"),
        }
    )
    c1 = p.node("C1")
    assert c1 is not None
    assert c1.acquired is True
    assert c1.score == 80  # (80 + 70 + 90) / 3
    assert c1.state == "A"


def test_all_children_with_an_unassessed_child() -> None:
    p = progress({"C1.1": leaf("C1.1", 80, "A"), "C1.2": leaf("C1.2", 70, "A")})
    c1 = p.node("C1")
    assert c1 is not None
    assert c1.acquired is False
    # Mean of the assessed children only: (80 + 70) / 2 = 75 → A by score → VA (not acquired).
    assert c1.score == 75
    assert c1.state == "VA"
    c13 = p.node("C1.3")
    assert c13 is not None
    assert (c13.state, c13.score, c13.acquired) == (None, None, False)


def test_points_acquired_with_the_share_reached() -> None:
    # 2 of 3 children acquired = 0.667 ≥ 0.6 → acquired.
    leaves = {
        "C1.1": leaf("C1.1", 80, "A"),
        "C1.2": leaf("C1.2", 70, "A"),
        "C1.3": leaf("C1.3", 50, "VA"),
    }
    c1 = progress(leaves, settings(POINTS_60)).node("C1")
    assert c1 is not None
    assert c1.acquired is True
    assert c1.score == 67
    assert c1.state == "A"
    assert c1.rule == "points"


def test_points_not_acquired_below_the_share() -> None:
    # 1 of 3 = 0.333 < 0.6.
    leaves = {
        "C1.1": leaf("C1.1", 80, "A"),
        "C1.2": leaf("C1.2", 50, "VA"),
        "C1.3": leaf("C1.3", 50, "VA"),
    }
    c1 = progress(leaves, settings(POINTS_60)).node("C1")
    assert c1 is not None
    assert c1.acquired is False
    assert c1.score == 60  # (80 + 50 + 50) / 3
    assert c1.state == "VA"


def test_points_required_child_must_be_acquired() -> None:
    # Share 2/3 ≥ 0.6 but the required C1.3 is not acquired → not acquired.
    leaves = {
        "C1.1": leaf("C1.1", 80, "A"),
        "C1.2": leaf("C1.2", 70, "A"),
        "C1.3": leaf("C1.3", 50, "VA"),
    }
    s = settings(
        CalculationSettings(rollup="points", rollup_min_share=0.6, rollup_required=("C1.3",))
    )
    c1 = progress(leaves, s).node("C1")
    assert c1 is not None
    assert c1.acquired is False
    assert c1.state == "VA"
    # Required C1.1 (acquired) instead: acquired again.
    s = settings(
        CalculationSettings(rollup="points", rollup_min_share=0.6, rollup_required=("C1.1",))
    )
    c1 = progress(leaves, s).node("C1")
    assert c1 is not None
    assert c1.acquired is True


def test_points_acquired_parent_with_a_low_mean_shows_acquired() -> None:
    # 2/3 acquired at 61, one child at 0: mean (61 + 61 + 0) / 3 = 40.67 → 41 (VA by score),
    # but the rule says acquired → the state shown is the lowest acquired state, A.
    leaves = {
        "C1.1": leaf("C1.1", 61, "A"),
        "C1.2": leaf("C1.2", 61, "A"),
        "C1.3": leaf("C1.3", 0, "NA"),
    }
    c1 = progress(leaves, settings(POINTS_60)).node("C1")
    assert c1 is not None
    assert c1.score == 41
    assert c1.acquired is True
    assert c1.state == "A"


def test_bloc_share() -> None:
    # B1 has two top-level competencies: C1 (all children A → acquired) and C2 (VA).
    leaves = {
        "C1.1": leaf("C1.1", 80, "A"),
        "C1.2": leaf("C1.2", 70, "A"),
        "C1.3": leaf("C1.3", 90, "A"),
        "C2": leaf("C2", 50, "VA"),
    }
    p = progress(leaves)
    b1, b2 = p.blocs
    assert (b1.id, b1.acquired, b1.total, b1.share) == ("B1", 1, 2, 0.5)
    assert (b2.id, b2.acquired, b2.total, b2.share) == ("B2", 0, 1, 0.0)
    assert b2.kind == "general"


def test_epreuve_readiness_lists_missing_leaves() -> None:
    leaves = {
        "C1.1": leaf("C1.1", 80, "A"),
        "C1.2": leaf("C1.2", 70, "A"),
        "C1.3": leaf("C1.3", 50, "VA"),
        "C2": leaf("C2", 100, "A"),
    }
    p = progress(leaves)
    ep1, ep2, eg1 = p.epreuves
    # EP1: C1 not acquired (C1.3 is VA), C2 acquired → 1/2; missing leaf C1.3.
    assert (ep1.acquired, ep1.total, ep1.missing) == (1, 2, ("C1.3",))
    assert ep1.share == 0.5
    assert ep1.ready is False
    # EP2: C3 never assessed → 0/1, missing C3.
    assert (ep2.acquired, ep2.total, ep2.missing) == (0, 1, ("C3",))
    # EG1 assesses nothing: total 0, never "ready".
    assert (eg1.total, eg1.ready) == (0, False)
    # Diploma: (0.5·3 + 0·1) / (3 + 1) = 1.5 / 4 = 0.375 (EG1 is left out).
    assert p.readiness == pytest.approx(0.375)
    assert p.ready is False
    assert p.missing() == ["C1.3", "C3"]


def test_diploma_readiness_weighted_by_coefficients() -> None:
    # EP1 1/2 (coef 3), EP2 1/1 (coef 1): (0.5·3 + 1·1) / 4 = 2.5 / 4 = 0.625.
    leaves = {
        "C1.1": leaf("C1.1", 80, "A"),
        "C1.3": leaf("C1.3", 90, "A"),
        "C2": leaf("C2", 100, "A"),
        "C3": leaf("C3", 67, "A"),
    }
    p = progress(leaves)
    assert p.readiness == pytest.approx(0.625)
    assert p.epreuves[0].missing == ("C1.2",)
    assert p.ready is False


def test_diploma_ready_when_everything_is_acquired() -> None:
    leaves = {code: leaf(code, 100, "A") for code in ("C1.1", "C1.2", "C1.3", "C2", "C3")}
    p = progress(leaves)
    assert p.readiness == pytest.approx(1.0)
    assert p.ready is True
    assert p.missing() == []
    assert all(e.ready for e in p.epreuves if e.total)


def test_nothing_assessed() -> None:
    p = progress({})
    assert p.readiness == 0.0
    assert p.ready is False
    assert p.missing() == ["C1.1", "C1.2", "C1.3", "C2", "C3"]
    c1 = p.node("C1")
    assert c1 is not None
    assert (c1.state, c1.score, c1.acquired) == (None, None, False)


def test_rollup_from_computed_leaves() -> None:
    # End to end on the engine: C1.1 from R, V, VV (geometric (33 + 134 + 400) / 7 = 81 → A),
    # C1.2 and C1.3 from a single VV (100 → A), C2 from R (33 → NA).
    def state(code: str, levels: list[str]) -> CompetencyState:
        rows = [
            Assessment(i + 1, i + 1, 1, code, lv, D1 + timedelta(days=i), Role.MAITRE)
            for i, lv in enumerate(levels)
        ]
        return compute_state(
            code,
            rows,
            scale=DEFAULT_SCALE,
            settings=settings(),
            methods=BUILTIN_METHODS,
            today=TODAY,
        )

    leaves = {
        "C1.1": state("C1.1", ["R", "V", "VV"]),
        "C1.2": state("C1.2", ["VV"]),
        "C1.3": state("C1.3", ["VV"]),
        "C2": state("C2", ["R"]),
    }
    assert leaves["C1.1"].score == 81
    p = progress(leaves)
    c1 = p.node("C1")
    assert c1 is not None
    assert c1.acquired is True
    assert c1.score == 94  # (81 + 100 + 100) / 3 = 93.67 → 94
    # EP1: C1 acquired, C2 not → 0.5; EP2: 0 → (1.5 + 0) / 4 = 0.375.
    assert p.readiness == pytest.approx(0.375)
