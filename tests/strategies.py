"""Hypothesis strategies for referentials that are valid by construction.

:func:`referentials` draws a :class:`~ep_skills.referential.model.Referential` whose codes are
unique, whose references all resolve and whose coverage is complete, so that
``check_referential`` finds no error in it: each top-level competency is named by an épreuve
(naming a parent assesses its sub-competencies), every leaf is mapped by a catalogue task,
task levels come from :data:`~ep_skills.referential.defaults.DEFAULT_SCALE`, an épreuve has no
coefficient only when its effective provenance is a draft, and every provenance names one of
the referential's sources. Text mixes French labels with accents, typographic and straight
quotes, backslashes, newlines, TOML punctuation and arbitrary Unicode, to stress the codec.

Sizes are kept small so that a hundred examples run in a few seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from hypothesis import strategies as st

from ep_skills.referential.defaults import DEFAULT_SCALE
from ep_skills.referential.model import (
    Activity,
    ActivityTask,
    AssessmentMode,
    Bloc,
    BlocKind,
    CatalogueTask,
    CodeMap,
    Competency,
    Context,
    Correspondence,
    DiplomaKind,
    Epreuve,
    Location,
    Option,
    Provenance,
    ProvenanceStatus,
    Referential,
    ReferentialStatus,
    RncpRegistration,
    Savoir,
    Situation,
    Source,
    TaskCompetency,
)
from ep_skills.referential.settings import CalculationSettings, Coverage

__all__ = [
    "DEFAULT_LEVEL_CODES",
    "calculation_settings",
    "codes",
    "labels",
    "referentials",
    "unique_codes",
]

T = TypeVar("T")

DEFAULT_LEVEL_CODES = tuple(level.code for level in DEFAULT_SCALE.levels)

_FRENCH_LABELS = (
    "Conduire l'équipement de production",
    "Réaliser les opérations de maintenance préventive de premier niveau",
    "Appliquer les règles d'hygiène, de santé et de sécurité",
    "Épreuve « EP1 » — coefficient 8 + 1 PSE",
    "Dire \"bonjour\" et 'au revoir'",
    "Ligne un\nLigne deux\n",
    "Tâche\tà\ttabulations",
    "[[blocs]] = pas une table",
    "chemin\\vers\\fichier",
    "Œuvre, cœur, Ærø, naïve, Noël, où, ça",
    "数据 — données, 🍞 boulangerie, ß, ǅ",
    "",
)

# Characters that matter to a TOML writer and to the line locator, plus French letters.
_TRICKY = tuple("àâçéèêëîïôùûüÿœæÀÂÇÉÈÊÎÔÙÛŒÆ«»’‘“”\"'\\\n\r\t #[]{}=.,:\u00a0\u2028\x7f\x00")

_text_char = st.one_of(st.sampled_from(_TRICKY), st.characters(codec="utf-8"))

labels: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(_FRENCH_LABELS), st.text(_text_char, max_size=12)
)
"""Free text: titles, notes, wordings."""

_CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_éÉç"

codes: st.SearchStrategy[str] = st.text(_CODE_ALPHABET, min_size=1, max_size=6)
"""One code or id (``C1.2``, ``UP1``, ``t-é``)."""


def unique_codes(n: int) -> st.SearchStrategy[list[str]]:
    """Exactly ``n`` distinct codes."""
    return st.lists(codes, min_size=n, max_size=n, unique=True)


def _optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


def _texts(max_size: int = 2) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(labels, max_size=max_size).map(tuple)


# Strategies are built once: building them inside the composite for every item is what
# makes generation slow.
_OPTIONAL_LABEL = _optional(labels)
_OPTIONAL_CODE = _optional(codes)
_ONE_TEXT = _texts(1)
_TEXTS = _texts()
_OPTIONAL_LOCATION = _optional(st.sampled_from(Location))
_LEVEL = _optional(st.sampled_from(DEFAULT_LEVEL_CODES))
_MODES = st.lists(st.sampled_from(AssessmentMode), unique=True).map(tuple)


def _subset(pool: list[str], max_size: int = 2) -> st.SearchStrategy[tuple[str, ...]]:
    if not pool:
        return st.just(())
    return st.lists(st.sampled_from(pool), unique=True, max_size=max_size).map(tuple)


_positive = st.floats(min_value=0, max_value=1e6, exclude_min=True, allow_nan=False)
_OPTIONAL_POSITIVE = _optional(_positive)

calculation_settings: st.SearchStrategy[CalculationSettings] = st.builds(
    CalculationSettings,
    method=_optional(st.sampled_from(["geometrique", "arithmetique", "classique", "bestof2"])),
    limit=_optional(st.integers(0, 10)),
    scope=_optional(st.sampled_from(["all", "school-year"])),
    rollup=_optional(st.sampled_from(["all-children", "points"])),
    rollup_min_share=_optional(st.floats(0, 1)),
    rollup_required=_optional(st.lists(codes, max_size=2).map(tuple)),
    coverage=_optional(
        st.builds(
            Coverage,
            min_assessments=_optional(st.integers(1, 5)),
            min_contexts=_optional(st.integers(1, 5)),
            max_age_months=_optional(st.integers(1, 36)),
            min_autonomy=_optional(st.integers(1, 4)),
            min_span_weeks=_optional(st.integers(0, 8)),
        )
    ),
    role_weights=_optional(st.dictionaries(labels, st.floats(0, 5), max_size=3)),
)
"""Any settings layer; ``check_referential`` does not judge settings."""


def _dates_in_order(registration: RncpRegistration) -> bool:
    """A registration cannot end before it starts (``check_referential`` refuses it)."""
    start, end = registration.valid_from, registration.valid_until
    return start is None or end is None or start <= end


def _tree_shape(depth: int, max_depth: int) -> st.SearchStrategy[list[Any]]:
    """Nested lists: each element is the list of its children's shapes."""
    least = 1 if depth == 1 else 0
    most = 3 if depth == 1 else 2
    if depth == max_depth:
        return st.lists(st.just([]), min_size=least, max_size=most)
    return st.lists(
        st.deferred(lambda: _tree_shape(depth + 1, max_depth)), min_size=least, max_size=most
    )


def _count(shape: list[Any]) -> int:
    return sum(1 + _count(sub) for sub in shape)


def _build_tree(
    shape: list[Any], code_iter: Iterator[str], make: Callable[..., T]
) -> tuple[T, ...]:
    items = []
    for sub in shape:
        code = next(code_iter)
        items.append(make(code, _build_tree(sub, code_iter, make)))
    return tuple(items)


@st.composite
def referentials(draw: st.DrawFn) -> Referential:
    """A referential that ``check_referential`` accepts without any error."""
    source_ids = draw(st.lists(codes, min_size=1, max_size=3, unique=True))
    sources = tuple(
        Source(
            id=source_id,
            title=draw(labels),
            reference=draw(_OPTIONAL_LABEL),
            url=draw(_OPTIONAL_LABEL),
            note=draw(_OPTIONAL_LABEL),
        )
        for source_id in source_ids
    )
    provenance = st.builds(
        Provenance,
        status=st.sampled_from(ProvenanceStatus),
        source=_optional(st.sampled_from(source_ids)),
        note=_optional(labels),
    )
    own_provenance = _optional(provenance)

    def draw_provenance() -> Provenance | None:
        return draw(own_provenance)

    # Activities of the RAP and their tasks share one pool of codes.
    activity_shape = draw(st.lists(st.integers(0, 2), max_size=2))
    activity_codes = draw(unique_codes(len(activity_shape) + sum(activity_shape)))
    activity_iter = iter(activity_codes)
    activities = []
    for n_tasks in activity_shape:
        code = next(activity_iter)
        tasks = tuple(
            ActivityTask(
                next(activity_iter), draw(labels), draw_provenance(), draw(_OPTIONAL_LABEL)
            )
            for _ in range(n_tasks)
        )
        activities.append(
            Activity(code, draw(labels), tasks, draw_provenance(), draw(_OPTIONAL_LABEL))
        )

    savoir_shape = draw(st.lists(st.lists(st.just([]), max_size=2), max_size=3))
    savoir_codes = draw(unique_codes(_count(savoir_shape)))
    savoirs = _build_tree(
        savoir_shape,
        iter(savoir_codes),
        lambda code, children: Savoir(
            code, draw(labels), children, draw_provenance(), draw(_OPTIONAL_LABEL)
        ),
    )

    # Competency trees, depth at most 3, with codes unique across every bloc.
    bloc_shapes = draw(st.lists(_tree_shape(1, 3), min_size=1, max_size=2))
    bloc_ids = draw(unique_codes(len(bloc_shapes)))
    competency_codes = draw(unique_codes(sum(_count(shape) for shape in bloc_shapes)))
    competency_iter = iter(competency_codes)
    savoir_subset = _subset(savoir_codes)
    activity_subset = _subset(activity_codes)
    competency_subset = _subset(competency_codes)

    def make_competency(code: str, children: tuple[Competency, ...]) -> Competency:
        return Competency(
            code=code,
            title=draw(labels),
            local_code=draw(st.booleans()),
            former_codes=(f"OLD{code}",) if draw(st.booleans()) else (),
            alt_titles=draw(_ONE_TEXT),
            data=draw(_TEXTS),
            savoir_faire=draw(_TEXTS),
            indicators=draw(_TEXTS),
            savoirs=draw(savoir_subset),
            activities=draw(activity_subset),
            children=children,
            provenance=draw_provenance(),
            note=draw(_OPTIONAL_LABEL),
        )

    option_codes = draw(st.lists(codes, max_size=2, unique=True))
    option_choice = st.sampled_from([None, *option_codes])
    blocs = []
    top_level: list[str] = []
    leaves: list[str] = []
    for bloc_id, shape in zip(bloc_ids, bloc_shapes, strict=True):
        competencies = _build_tree(shape, competency_iter, make_competency)
        top_level += [c.code for c in competencies]
        stack = list(competencies)
        while stack:
            node = stack.pop()
            if node.children:
                stack.extend(node.children)
            else:
                leaves.append(node.code)
        blocs.append(
            Bloc(
                id=bloc_id,
                title=draw(labels),
                kind=draw(st.sampled_from(BlocKind)),
                rncp_code=draw(_OPTIONAL_CODE),
                optional=draw(st.booleans()),
                option=draw(option_choice),
                competencies=competencies,
                provenance=draw_provenance(),
                note=draw(_OPTIONAL_LABEL),
            )
        )

    referential_provenance = draw(
        st.builds(
            Provenance,
            status=st.sampled_from(ProvenanceStatus),
            source=st.sampled_from(source_ids),
            note=_optional(labels),
        )
    )

    # Épreuves: every top-level competency goes to one of them, so every competency is
    # assessed; each may also name any other competency, at any depth.
    optional_bloc = _optional(st.sampled_from(bloc_ids))
    n_epreuves = draw(st.integers(1, 3))
    epreuve_codes = draw(unique_codes(n_epreuves))
    assigned: list[list[str]] = [[] for _ in range(n_epreuves)]
    for code in top_level:
        assigned[draw(st.integers(0, n_epreuves - 1))].append(code)
    epreuves = []
    for e, code in enumerate(epreuve_codes):
        extra = [c for c in draw(competency_subset) if c not in assigned[e]]
        epreuve_provenance = draw_provenance()
        draft = (epreuve_provenance or referential_provenance).status is ProvenanceStatus.DRAFT
        coefficient = draw(_OPTIONAL_POSITIVE if draft else _positive)
        situation_codes = draw(st.lists(codes, max_size=2, unique=True))
        situations = tuple(
            Situation(
                code=situation_code,
                title=draw(labels),
                location=draw(_OPTIONAL_LOCATION),
                coefficient=draw(_OPTIONAL_POSITIVE),
                competencies=draw(competency_subset),
                provenance=draw_provenance(),
                note=draw(_OPTIONAL_LABEL),
            )
            for situation_code in situation_codes
        )
        epreuves.append(
            Epreuve(
                code=code,
                title=draw(labels),
                local_code=draw(st.booleans()),
                unit=draw(_OPTIONAL_CODE),
                coefficient=coefficient,
                coefficient_note=draw(_OPTIONAL_LABEL),
                modes=draw(_MODES),
                bloc=draw(optional_bloc),
                competencies=(*assigned[e], *extra),
                location=draw(_OPTIONAL_LOCATION),
                duration=draw(_OPTIONAL_LABEL),
                optional=draw(st.booleans()),
                option=draw(option_choice),
                situations=situations,
                provenance=epreuve_provenance,
                note=draw(_OPTIONAL_LABEL),
            )
        )

    # Catalogue tasks: every leaf goes to one of them, so every leaf is reachable.
    n_tasks = draw(st.integers(1, min(4, len(leaves))))
    task_ids = draw(unique_codes(n_tasks))
    mapped: list[list[str]] = [[] for _ in range(n_tasks)]
    for code in leaves:
        mapped[draw(st.integers(0, n_tasks - 1))].append(code)
    tasks = []
    leaf_subset = _subset(leaves)
    for t, task_id in enumerate(task_ids):
        extra = [c for c in draw(leaf_subset) if c not in mapped[t]]
        links = [*mapped[t], *extra] or [draw(st.sampled_from(leaves))]
        tasks.append(
            CatalogueTask(
                id=task_id,
                title=draw(labels),
                competencies=tuple(TaskCompetency(code, draw(_LEVEL)) for code in links),
                activities=draw(activity_subset),
                context=Context(draw(_TEXTS), draw(_TEXTS), draw(_TEXTS)),
                location=draw(_OPTIONAL_LOCATION),
                provenance=draw_provenance(),
                note=draw(_OPTIONAL_LABEL),
            )
        )

    referential_id = draw(codes)

    # Correspondence tables from replaced referentials: old codes are free (the old
    # referential need not be installed), new codes name this referential's units,
    # épreuves or competencies.
    unit_codes = sorted({e.code for e in epreuves} | {e.unit for e in epreuves if e.unit})

    def code_maps(new_pool: list[str]) -> tuple[CodeMap, ...]:
        return tuple(
            draw(
                st.lists(
                    st.builds(
                        CodeMap,
                        old=st.lists(codes, min_size=1, max_size=2).map(tuple),
                        new=st.lists(st.sampled_from(new_pool), min_size=1, max_size=2).map(tuple),
                        note=_optional(labels),
                    ),
                    max_size=2,
                )
            )
        )

    correspondences = tuple(
        Correspondence(
            old_referential=old_id,
            old_title=draw(labels),
            units=code_maps(unit_codes),
            competencies=code_maps(competency_codes),
            provenance=draw_provenance(),
            note=draw(_OPTIONAL_LABEL),
        )
        for old_id in draw(
            st.lists(codes.filter(lambda c: c != referential_id), max_size=2, unique=True)
        )
    )
    return Referential(
        id=referential_id,
        title=draw(labels),
        kind=draw(st.sampled_from(DiplomaKind)),
        level=draw(st.integers(1, 8)),
        version=draw(codes),
        legal_source=draw(labels),
        provenance=referential_provenance,
        date=draw(_optional(st.dates())),
        status=draw(st.sampled_from(ReferentialStatus)),
        replaces=tuple(
            draw(st.lists(codes.filter(lambda c: c != referential_id), max_size=2, unique=True))
        ),
        replaced_by=draw(_OPTIONAL_LABEL),
        meanwhile=draw(_optional(codes)),
        amended=tuple(draw(st.lists(st.dates(), max_size=2))),
        pfmp_weeks=draw(_optional(st.integers(1, 52))),
        include=tuple(draw(st.lists(codes, max_size=2, unique=True))),
        note=draw(_OPTIONAL_LABEL),
        rncp=tuple(
            draw(
                st.lists(
                    st.builds(
                        RncpRegistration,
                        number=codes,
                        valid_from=_optional(st.dates()),
                        valid_until=_optional(st.dates()),
                        provenance=own_provenance,
                    ).filter(_dates_in_order),
                    max_size=2,
                )
            )
        ),
        options=tuple(
            Option(code, draw(labels), provenance=draw_provenance(), note=draw(_OPTIONAL_LABEL))
            for code in option_codes
        ),
        sources=sources,
        scale=draw(st.sampled_from([None, DEFAULT_SCALE])),
        settings=draw(_optional(calculation_settings)),
        activities=tuple(activities),
        blocs=tuple(blocs),
        savoirs=savoirs,
        epreuves=tuple(epreuves),
        tasks=tuple(tasks),
        correspondences=correspondences,
    )
