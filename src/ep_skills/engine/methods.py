"""Calculation methods: how a trainee's latest scoring values combine into one score.

They reproduce SACoche's methods exactly (same names, same weights) and accept one weight per
value — the weight of the assessor's role — which SACoche does not have; with every role
weighing 1 the results are SACoche's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

__all__ = ["BUILTIN_METHODS", "Method", "round_score"]

Method = Callable[[Sequence[int], Sequence[float]], float]
"""``(values oldest first, role weights) -> score in 0..100``; never called with no values."""


def round_score(score: float) -> int:
    """Round half up, as SACoche (PHP's ``round``) does for positive scores: 58.5 → 59."""
    return math.floor(score + 0.5)


def _weighted_mean(values: Sequence[int], weights: Sequence[float]) -> float:
    total = sum(weights)
    return sum(v * w for v, w in zip(values, weights, strict=True)) / total


def geometrique(values: Sequence[int], weights: Sequence[float]) -> float:
    """Weights 1, 2, 4, 8, 16… from the oldest to the newest: recent work counts most.

    The weights are scaled so that the newest weighs 1 (…, 1/4, 1/2, 1): dividing by a power
    of two is exact in floating point, so the result is SACoche's to the last bit, and a
    history of any length (``limit = 0``) cannot overflow — the oldest of thousands of
    assessments weigh less than 2⁻¹⁰⁷⁴ and vanish, as they do in the exact sum's rounding.
    """
    newest = len(weights) - 1
    return _weighted_mean(values, [2.0 ** (i - newest) * w for i, w in enumerate(weights)])


def arithmetique(values: Sequence[int], weights: Sequence[float]) -> float:
    """Weights 1, 2, 3, 4… from the oldest to the newest."""
    return _weighted_mean(values, [(i + 1) * w for i, w in enumerate(weights)])


def classique(values: Sequence[int], weights: Sequence[float]) -> float:
    """The plain mean."""
    return _weighted_mean(values, weights)


def _bestof(n: int) -> Method:
    def bestof(values: Sequence[int], weights: Sequence[float]) -> float:
        best = sorted(values, reverse=True)[:n]
        return sum(best) / len(best)

    bestof.__name__ = f"bestof{n}"
    bestof.__doc__ = f"The mean of the {n} best values (all of them if fewer)."
    return bestof


def _frequence(prefer_high: bool) -> Method:
    def frequence(values: Sequence[int], weights: Sequence[float]) -> float:
        counts: dict[int, float] = {}
        for value, weight in zip(values, weights, strict=True):
            counts[value] = counts.get(value, 0.0) + weight
        top = max(counts.values())
        tied = [value for value, count in counts.items() if count == top]
        return float(max(tied) if prefer_high else min(tied))

    frequence.__name__ = "frequencemax" if prefer_high else "frequencemin"
    frequence.__doc__ = "The most frequent value; a tie goes to the {} one.".format(
        "higher" if prefer_high else "lower"
    )
    return frequence


BUILTIN_METHODS: dict[str, Method] = {
    "geometrique": geometrique,
    "arithmetique": arithmetique,
    "classique": classique,
    "bestof1": _bestof(1),
    "bestof2": _bestof(2),
    "bestof3": _bestof(3),
    "frequencemin": _frequence(prefer_high=False),
    "frequencemax": _frequence(prefer_high=True),
}
