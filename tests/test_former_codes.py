"""A code corrected to the official text's form (CAP vêtement flou's « C1.1 » → « C1-1 »)
keeps the evidence recorded under the old one: nothing a school recorded is lost."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from attrs import evolve

from ep_skills import hookimpl, open_journal
from ep_skills.plugins.manager import make_plugin_manager
from ep_skills.plugins.registry import Registry
from ep_skills.referential.model import Referential

TODAY = date(2026, 11, 20)
NORMAL = "conduire-ligne-mode-normal"


class Provides:
    def __init__(self, ref: Referential) -> None:
        self.ref = ref

    @hookimpl
    def ep_skills_register_referentials(self, register):  # type: ignore[no-untyped-def]
        register(self.ref)


def _cip() -> Referential:
    return Registry(make_plugin_manager()).get("cap-cip")


def _recoded(ref: Referential) -> Referential:
    """cap-cip with CP04 written « CP-04 », as a corrected release would ship it."""
    blocs = []
    for bloc in ref.blocs:
        competencies = tuple(
            evolve(c, code="CP-04", former_codes=("CP04",)) if c.code == "CP04" else c
            for c in bloc.competencies
        )
        blocs.append(evolve(bloc, competencies=competencies))

    def renamed(codes: tuple[str, ...]) -> tuple[str, ...]:
        return tuple("CP-04" if c == "CP04" else c for c in codes)

    epreuves = tuple(
        evolve(
            e,
            competencies=renamed(e.competencies),
            situations=tuple(evolve(s, competencies=renamed(s.competencies)) for s in e.situations),
        )
        for e in ref.epreuves
    )
    tasks = tuple(
        evolve(
            t,
            competencies=tuple(
                evolve(link, code="CP-04") if link.code == "CP04" else link
                for link in t.competencies
            ),
        )
        for t in ref.tasks
    )
    return evolve(ref, blocs=tuple(blocs), epreuves=epreuves, tasks=tasks, version="2012b")


def test_evidence_under_a_former_code_still_counts(tmp_path: Path) -> None:
    db = tmp_path / "atelier.db"
    with open_journal(db, create=True, today=TODAY) as journal:
        journal.add_trainee("Léa Martin", diploma="cap-cip")
        for day, order in ((2, None), (9, None), (30, None)):
            journal.record(
                ["Léa Martin"], task=NORMAL, day=date(2026, 10, day), level="VV", order=order
            )
        before = journal.progress("Léa Martin").node("CP04")
        assert before is not None and before.leaf is not None
    new = Registry(
        make_plugin_manager(entry_points=False, extra=(("cip", Provides(_recoded(_cip()))),))
    )
    with open_journal(db, registry=new, today=TODAY) as journal:
        after = journal.progress("Léa Martin").node("CP-04")
        assert after is not None and after.leaf is not None
        # (The test's plugin has no coverage rules of its own: compare what the evidence says.)
        assert (after.leaf.count, after.leaf.score) == (before.leaf.count, before.leaf.score)
        assert journal.progress("Léa Martin").node("CP04") is None
        text = journal.explain("Léa Martin", "CP-04").text(lang="en")
        assert "former code CP04" in text
        # New work is recorded under the new code, and counts with the old.
        journal.record(["Léa Martin"], task=NORMAL, day=date(2026, 11, 18), level="VV")
        node = journal.progress("Léa Martin").node("CP-04")
        assert node is not None and node.leaf is not None and node.leaf.count == 4
        stored = journal.progress("Léa Martin")
        journal.recompute()
        assert journal.progress("Léa Martin") == stored
