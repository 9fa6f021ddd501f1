"""Explanations: why a competency is in its state, in words an instructor understands."""

from __future__ import annotations

from attrs import frozen

from ep_skills.engine.compute import CompetencyState, effective_assessments
from ep_skills.engine.layers import EffectiveSettings
from ep_skills.engine.rollup import NodeState
from ep_skills.i18n import N_, _, format_day
from ep_skills.journal.model import Assessment, Role, Trainee
from ep_skills.referential.model import Referential
from ep_skills.referential.settings import Scale

__all__ = ["Explanation"]

_METHOD_WORDS = {
    "geometrique": N_("weights 1, 2, 4, 8, 16… from the oldest to the newest"),
    "arithmetique": N_("weights 1, 2, 3, 4… from the oldest to the newest"),
    "classique": N_("the plain mean"),
    "bestof1": N_("the best value"),
    "bestof2": N_("the mean of the 2 best values"),
    "bestof3": N_("the mean of the 3 best values"),
    "frequencemin": N_("the most frequent value, a tie going to the lower one"),
    "frequencemax": N_("the most frequent value, a tie going to the higher one"),
}

_RULE_WORDS = {
    "min_assessments": N_("at least {required} assessments (has {actual})"),
    "min_contexts": N_("on at least {required} different orders or tasks (has {actual})"),
    "max_age_months": N_("the latest no older than {required} months (is {actual})"),
    "min_autonomy": N_("at least once at autonomy level {required} (best: {actual})"),
}

_ROLE_WORDS = {
    "maitre": N_("workshop instructor"),
    "enseignant": N_("teacher"),
    "tuteur": N_("company tutor"),
    "auto": N_("self-assessment"),
}


@frozen
class Explanation:
    """The evidence, method, weights, score, threshold and coverage behind one state.

    For a leaf competency ``state`` and ``rows`` are set; for a parent ``node`` holds the
    rolled-up children.
    """

    trainee: Trainee
    referential: Referential
    scale: Scale
    settings: EffectiveSettings
    state: CompetencyState | None
    rows: tuple[Assessment, ...]
    node: NodeState | None

    def _state_label(self, code: str | None) -> str:
        if code is None:
            return _("not assessed yet")
        for state in self.scale.states:
            if state.code == code:
                return state.label
        return code

    def lines(self) -> list[str]:
        """The explanation as sentences, in the current language."""
        if self.node is not None:
            return self._parent_lines(self.node)
        assert self.state is not None
        state = self.state
        lines = []
        if state.score is None:
            lines.append(
                _("No scoring assessment yet: {code} is not assessed.").format(
                    code=state.competency
                )
            )
        else:
            method = _(_METHOD_WORDS.get(state.method, state.method))
            window = (
                _("the last {n} scoring assessments").format(n=state.limit)
                if state.limit
                else _("all scoring assessments")
            )
            lines.append(
                _("Method {method} ({words}) over {window}.").format(
                    method=state.method, words=method, window=window
                )
            )
            for used in state.used:
                line = _("  #{id} {day}: {level} = {value}, weight {weight:g} ({role})").format(
                    id=used.id,
                    day=format_day(used.day),
                    level=used.level,
                    value=used.value,
                    weight=used.weight,
                    role=_(_ROLE_WORDS.get(used.role, used.role)),
                )
                if used.via:
                    line += " " + _(
                        "— recorded under {origin}, counted through the correspondence table"
                    ).format(origin=used.via)
                lines.append(line)
            reached = next(s for s in self.scale.states if s.code == state.score_state)
            lines.append(
                _("Score {score}/100: from {min} upwards the state is « {label} ».").format(
                    score=state.score, min=reached.min_score, label=reached.label
                )
            )
            if state.count > len(state.used):
                lines.append(
                    _(
                        "{n} older scoring assessments are kept in the journal but "
                        "outside the window."
                    ).format(n=state.count - len(state.used))
                )
        for check in state.coverage:
            words = _(_RULE_WORDS[check.rule]).format(required=check.required, actual=check.actual)
            mark = "✓" if check.ok else "✗"
            lines.append(_("Coverage rule {mark} {words}").format(mark=mark, words=words))
        if state.score_state and state.state != state.score_state:
            lines.append(
                _(
                    "The score alone reaches « {reached} », but a coverage rule is not met: "
                    "the state stays « {final} »."
                ).format(
                    reached=self._state_label(state.score_state),
                    final=self._state_label(state.state),
                )
            )
        lines.append(_("State: {label}.").format(label=self._state_label(state.state)))
        if state.non_scoring:
            lines.append(
                _("{n} non-scoring entries (absent, not assessed…) were left out.").format(
                    n=state.non_scoring
                )
            )
        effective = {row.id for row in effective_assessments(self.rows)}
        corrected = [row for row in self.rows if row.id not in effective]
        if corrected:
            lines.append(
                _("{n} entries were corrected or withdrawn and no longer count.").format(
                    n=len(corrected)
                )
            )
        if state.self_score is not None:
            lines.append(
                _("Self-assessment (shown apart, never counted): {score}/100, « {label} ».").format(
                    score=state.self_score, label=self._state_label(state.self_state)
                )
            )
        own = [row for row in self.rows if row.role == Role.AUTO]
        if own and state.self_score is None:
            lines.append(_("Self-assessments recorded: {n}.").format(n=len(own)))
        return lines

    def _parent_lines(self, node: NodeState) -> list[str]:
        if node.rule == "points":
            rule = _(
                "acquired when at least {share:.0%} of its sub-competencies are, every "
                "required one included"
            ).format(share=self.settings.rollup_min_share)
        else:
            rule = _("acquired when all its sub-competencies are")
        lines = [
            _("{code} is rolled up from its sub-competencies: {rule}.").format(
                code=node.code, rule=rule
            )
        ]
        for child in node.children:
            mark = "✓" if child.acquired else "·"
            score = "—" if child.score is None else str(child.score)
            lines.append(f"  {mark} {child.code} {self._state_label(child.state)} ({score})")
        lines.append(_("State: {label}.").format(label=self._state_label(node.state)))
        return lines

    def text(self) -> str:
        """The explanation as one block of text."""
        return "\n".join(self.lines())
