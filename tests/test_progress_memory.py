"""A journal keeps the progress it built for each trainee and builds it again only when what
it rests on changed: the stored states (written by this journal or by another process) or
the trainee (the settings are read once, when the journal opens). Whatever happens in
between, what it shows equals what a journal opened afresh on the same file shows."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ep_skills.api import Journal, open_journal

from .test_engine_properties import (
    DIPLOMA,
    ORDERS,
    REGISTRY,
    TODAY,
    TRAINEES,
    corrections,
    play,
    records,
)

# Each step is done by the journal that reads ("here") or by another one on the same file
# (another process, for what the reader can know).
steps = st.lists(
    st.tuples(
        st.sampled_from(("here", "elsewhere")),
        st.one_of(
            records.map(lambda r: ("record", r)),
            corrections,
            st.tuples(st.just("move"), st.sampled_from(TRAINEES), st.sampled_from(("A", "B"))),
        ),
    ),
    min_size=1,
    max_size=15,
)


def shown(journal: Journal) -> list[Any]:
    return [(t, p) for t, p in journal.cohort_progress()] + [
        journal.progress(name) for name in TRAINEES
    ]


@settings(max_examples=30, deadline=None)
@given(ops=steps)
def test_progress_kept_in_memory_equals_progress_built_afresh(
    ops: list[tuple[str, tuple[Any, ...]]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "j.db"
        here = open_journal(path, create=True, today=TODAY, registry=REGISTRY)
        elsewhere = open_journal(path, today=TODAY, registry=REGISTRY)
        try:
            for name in TRAINEES:
                here.add_trainee(name, diploma=DIPLOMA)
            for ref in ORDERS:
                if ref:
                    here.add_order(ref, customer="Client", title=f"Commande {ref}")
            for who, op in ops:
                journal = here if who == "here" else elsewhere
                if op[0] == "move":  # to another group: the same states, another trainee
                    if journal.trainee(op[1]).cohort != op[2]:
                        journal.update_trainee(op[1], cohort=op[2])
                else:
                    play(journal, [op])
                fresh = open_journal(path, today=TODAY, registry=REGISTRY)
                try:
                    assert shown(here) == shown(fresh)
                finally:
                    fresh.close()
        finally:
            here.close()
            elsewhere.close()
