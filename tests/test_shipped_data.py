"""The shipped referentials stay true: what is marked verified says where it was read, no
code passes for official that the text does not write, the counts `ep-skills diplomas` shows
add up, and every trade the network teaches has a complete, verified plugin."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ep_skills.plugins.manager import make_plugin_manager
from ep_skills.plugins.registry import Registry
from ep_skills.referential.model import Competency, Referential
from ep_skills.referential.provenance import effective_provenance_map

REGISTRY = Registry(make_plugin_manager())
SHIPPED = sorted(REGISTRY.ids())

TRADES = {
    "chaudronnerie": ["cap-rci"],
    "métallerie": ["tp-metallier"],
    "usinage": ["tp-technicien-usinage"],
    "maintenance du bâtiment": ["tp-agent-entretien-batiment"],
    "vêtement": ["tp-fabricant-vetements-sur-mesure"],
    "conduite de ligne": ["bacpro-plp", "cap-cip"],
}
"""The trades the network teaches (issue 14) → plugins that should cover them completely."""


def _competencies(items: tuple[Competency, ...]) -> Iterator[Competency]:
    for item in items:
        yield item
        yield from _competencies(item.children)


def _all_competencies(ref: Referential) -> list[Competency]:
    return [c for bloc in ref.blocs for c in _competencies(bloc.competencies)]


@pytest.mark.parametrize("diploma", SHIPPED)
def test_every_verified_item_names_a_source_with_a_reference(diploma: str) -> None:
    ref = REGISTRY.get(diploma)
    sources = {s.id: s for s in ref.sources}
    for path, provenance in effective_provenance_map(ref).items():
        if provenance.status != "verified":
            continue
        assert provenance.source, f"{diploma} {path or '(top)'}: verified without a source"
        source = sources.get(provenance.source)
        assert source is not None, f"{diploma} {path}: unknown source {provenance.source!r}"
        assert source.reference or source.url, f"{diploma}: source {source.id} has no reference"


@pytest.mark.parametrize("diploma", SHIPPED)
def test_no_local_code_passes_for_official(diploma: str) -> None:
    """A titre professionnel's texts list their capacités without codes and number their
    units « 1. », « 2. »: every code there is ep-skills's, marked so and said so."""
    ref = REGISTRY.get(diploma)
    competencies = _all_competencies(ref)
    if ref.kind == "Titre professionnel":
        official = [c.code for c in competencies if not c.local_code]
        assert official == [], f"{diploma}: codes the text does not write: {official}"
        assert all(e.local_code for e in ref.epreuves if e.code.startswith("CC"))
    for item in competencies:
        if item.local_code:
            said = f"{item.note} {item.provenance.note if item.provenance else ''}"
            assert "ep-skills" in said, f"{diploma} {item.code}: a local code says so"
    codes = {c.code for c in competencies}
    for competency in competencies:
        assert not set(competency.former_codes) & codes, f"{diploma} {competency.code}"


@pytest.mark.parametrize("diploma", SHIPPED)
def test_codes_keep_one_form_in_a_referential(diploma: str) -> None:
    """A normalised code (« C1.1 » where the text writes « C1-1 ») shows as a mix of forms
    among the sub-competencies of one referential."""
    ref = REGISTRY.get(diploma)
    forms = {
        re.sub(r"[0-9]+", "9", c.code)
        for bloc in ref.blocs
        for top in bloc.competencies
        for c in top.children
    }
    separators = {sep for form in forms for sep in ("-", ".") if sep in form}
    assert len(separators) <= 1, f"{diploma}: sub-competency codes mix {forms}"


def _count_items(ref: Referential) -> int:
    """Every item the provenance counts cover, counted here without the library's walk."""

    def savoirs(items: tuple[object, ...]) -> int:
        return sum(1 + savoirs(getattr(s, "children", ())) for s in items)

    return (
        len(ref.rncp)
        + sum(1 + len(a.tasks) for a in ref.activities)
        + sum(1 + sum(1 for _c in _competencies(b.competencies)) for b in ref.blocs)
        + savoirs(ref.savoirs)
        + sum(1 + len(e.situations) for e in ref.epreuves)
        + len(ref.options)
        + len(ref.correspondences)
    )


def test_the_counts_ep_skills_diplomas_shows_add_up() -> None:
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("ep-skills")),
            *("--lang", "en", "diplomas", "--format", "json"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = {row["id"]: row for row in json.loads(done.stdout)}
    assert sorted(rows) == SHIPPED
    for diploma, row in rows.items():
        ref = REGISTRY.get(diploma)
        assert sum(row["provenance"].values()) == _count_items(ref), diploma
        assert row["tasks"] == len(ref.tasks), diploma


@pytest.mark.parametrize("trade", sorted(TRADES))
def test_every_trade_has_a_complete_verified_plugin(trade: str) -> None:
    complete = []
    for diploma in TRADES[trade]:
        ref = REGISTRY.get(diploma)
        provenance = effective_provenance_map(ref)
        leaves = [c for c in _all_competencies(ref) if not c.children]
        verified = all(
            provenance[path].status == "verified"
            for path in provenance
            if path.startswith("blocs[") and ".competencies[" in path
        )
        reachable = {link.code for task in ref.tasks for link in task.competencies}
        if leaves and verified and all(leaf.code in reachable for leaf in leaves):
            complete.append(diploma)
    assert complete, f"{trade}: no plugin with every competency verified and reachable"


def test_a_titre_professionnel_is_certified_by_ccp_without_coefficients() -> None:
    from attrs import evolve

    from ep_skills.referential.model import AssessmentMode
    from ep_skills.referential.validate import check_referential

    titres = [d for d in SHIPPED if REGISTRY.get(d).kind == "Titre professionnel"]
    assert len(titres) >= 5
    for diploma in titres:
        ref = REGISTRY.get(diploma)
        provenance = effective_provenance_map(ref)
        for e, epreuve in enumerate(ref.epreuves):
            assert epreuve.modes == (AssessmentMode.CCP,) and epreuve.coefficient is None
            assert provenance[f"epreuves[{e}]"].status == "verified", (diploma, epreuve.code)
    # Only a CCP goes without a coefficient: a verified CCF épreuve without one is an error.
    cip = REGISTRY.get("cap-cip")
    first = evolve(cip.epreuves[0], coefficient=None)
    problems = check_referential(evolve(cip, epreuves=(first, *cip.epreuves[1:])))
    assert [p.path for p in problems if p.severity == "error"] == ["epreuves[0].coefficient"]
