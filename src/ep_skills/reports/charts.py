"""Charts as inline SVG, drawn with matplotlib (imported only when a report is made).

Readable in black and white: each state has a hatch pattern as well as a colour, and the
thresholds are drawn as labelled lines.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from ep_skills.i18n import _
from ep_skills.referential.settings import Scale

__all__ = ["bloc_chart", "history_chart", "prepare"]

_COLOURS = {"red": "#c0392b", "yellow": "#e0a800", "green": "#2e8b57", "grey": "#9e9e9e"}
_HATCHES = ("xx", "//", "", "..")


_FONTS = ("DejaVu Sans", "Liberation Sans")
"""The fonts the charts prefer, those of the HTML; matplotlib itself ships DejaVu Sans."""


def _installed_fonts() -> list[str]:
    """The preferred fonts matplotlib actually has, in order (DejaVu Sans at least).

    Naming a font it does not have makes matplotlib log « findfont: Font family … not found »
    for every piece of text it draws: thousands of lines for one livret.
    """
    from matplotlib import font_manager

    known = {font.name for font in font_manager.fontManager.ttflist}
    return [name for name in _FONTS if name in known] or ["DejaVu Sans"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.family": _installed_fonts(),
            "font.size": 8,
            "svg.fonttype": "path",  # glyphs as paths: no font needed where the SVG is shown
            "svg.hashsalt": "ep-skills",  # the same data gives the same file
        }
    )
    return plt


def prepare() -> None:
    """Import matplotlib now: the first import takes seconds, a server does it before its
    first livret is asked for."""
    _pyplot()


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    _pyplot().close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # inline: drop the XML prolog and doctype


def bloc_chart(scale: Scale, items: Sequence[tuple[str, int | None, str | None]]) -> str:
    """Horizontal bars: each competency's score, coloured and hatched by its state."""
    plt = _pyplot()
    height = 0.35 * len(items) + 0.8
    figure, axis = plt.subplots(figsize=(6.2, height))
    states = sorted(scale.states, key=lambda s: s.min_score)
    styles = {
        s.code: (_COLOURS.get(s.colour or "grey", "#9e9e9e"), _HATCHES[i % 4])
        for i, s in enumerate(states)
    }
    labels = [code for code, _score, _state in items][::-1]
    for y, (_code, score, code) in enumerate(items[::-1]):
        colour, hatch = styles.get(code or "", ("#9e9e9e", ""))
        axis.barh(y, score or 0, color=colour, hatch=hatch, edgecolor="black", linewidth=0.5)
        axis.text((score or 0) + 1, y, "—" if score is None else str(score), va="center")
    for state in states[1:]:
        axis.axvline(state.min_score, color="black", linestyle=":", linewidth=0.8)
        axis.text(state.min_score, len(items) - 0.45, f" {state.min_score}", fontsize=6)
    axis.set_yticks(range(len(labels)), labels)
    axis.set_xlim(0, 110)
    axis.set_xlabel(_("score (0–100)"))
    axis.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def history_chart(points: Sequence[tuple[date, float]]) -> str:
    """The share of competencies acquired, month by month."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(6.2, 2.2))
    days = [day for day, _share in points]
    shares = [share * 100 for _day, share in points]
    axis.plot(range(len(days)), shares, marker="o", color="black", linewidth=1.2)
    axis.fill_between(range(len(days)), shares, color="#2e8b57", alpha=0.25, hatch="//")
    axis.set_xticks(range(len(days)), [d.strftime("%m/%y") for d in days], rotation=45)
    axis.set_ylim(0, 100)
    axis.set_ylabel(_("% acquired"))
    axis.spines[["top", "right"]].set_visible(False)
    return _svg(figure)
