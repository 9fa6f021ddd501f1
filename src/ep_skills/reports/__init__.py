"""Reports: the trainee's livret, the workshop view, the CCF grid — HTML, PDF and XLSX.

Everything heavy (Jinja2, matplotlib, WeasyPrint, openpyxl) is imported here only, when a
report is asked for. HTML is self-contained (inline CSS and SVG, standard fonts, nothing
fetched), escapes everything users typed, and prints on A4; the PDF is that HTML rendered by
WeasyPrint.

From Python::

    from ep_skills.reports import livret_html, livret_pdf, cohort_xlsx

    html = livret_html(journal, "Léa Martin")
    livret_pdf(journal, "Léa Martin", "livret.pdf")
    cohort_xlsx(journal, "2026", "atelier.xlsx")
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ep_skills.api import Journal
from ep_skills.errors import EpSkillsError
from ep_skills.i18n import _, current_language, format_day
from ep_skills.journal.model import Trainee
from ep_skills.referential.model import LOCAL_LEGEND, local_codes, shown_code

if TYPE_CHECKING:
    from ep_skills.reports.data import Change

__all__ = [
    "cohort_html",
    "cohort_pdf",
    "cohort_xlsx",
    "grid_html",
    "grid_pdf",
    "livret_html",
    "livret_pdf",
    "template_environment",
    "write_pdf",
]


def _environment() -> Any:
    return template_environment()


def template_environment(*folders: str, paged: bool = True) -> Any:
    """The reports' Jinja2 environment (filters, globals, escaping), its templates found
    first in ``folders`` of the package, then in the reports' own: another view (the bench
    page) reuses the reports' blocks without copying them.

    ``paged``: text is laid out for a paged report (:func:`breakable`); a screen wraps long
    words with CSS instead, and its form values (tokens, ids) must reach the browser intact.
    """
    from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=ChoiceLoader(
            [PackageLoader("ep_skills", folder) for folder in (*folders, "reports/templates")]
        ),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=breakable if paged else None,
    )
    environment.globals.update(
        _=_,
        format_day=format_day,
        lang=current_language(),
        number=number,
        change_words=change_words,
        local_legend=LOCAL_LEGEND,
    )
    environment.filters["shown"] = shown_code
    return environment


_LONG_WORD = re.compile(r"[^\s\u200b]{40,}")


SHOWN_TEXT = 600
"""The most characters of one text (a note, a name) a report shows in a table cell."""


def breakable(value: Any) -> Any:
    """Text laid out in bounded time: very long words may break every 40 characters (a
    zero-width space), and a text longer than :data:`SHOWN_TEXT` is cut, saying so.

    A word of thousands of letters made the PDF layout quadratic in its length (16,000
    characters: 100 s), and a cell taller than a page is laid out again and again. The
    journal refuses such text now (a note is 2,000 characters at most) but may hold some
    from earlier versions; ``ep-skills explain`` shows it whole. Text marked safe (the
    charts' SVG) is left alone.
    """
    if type(value) is not str or len(value) < 40:
        return value
    if len(value) > SHOWN_TEXT:
        value = _("{start}… (+{n} characters: see ep-skills explain)").format(
            start=value[:SHOWN_TEXT], n=len(value) - SHOWN_TEXT
        )
    if not _LONG_WORD.search(value):
        return value
    return _LONG_WORD.sub(
        lambda m: "\u200b".join(m.group()[i : i + 40] for i in range(0, len(m.group()), 40)),
        value,
    )


def number(value: float, spec: str = "%g") -> str:
    """A number as the reader writes it: 12,5 in French, 12.5 in English."""
    text = spec % value
    return text.replace(".", ",") if current_language() == "fr" else text


def change_words(change: Change) -> str:
    """« retirée le 20/11/2026 par M. Garnier (« saisie en double ») », « corrigée : V → R … »."""
    if change.withdrawn:
        words = (
            _("withdrawn on {day}").format(day=format_day(change.day))
            if change.day
            else _("withdrawn")
        )
    else:
        parts = {"before": change.before, "after": change.after, "day": format_day(change.day)}
        words = (
            _("corrected: {before} → {after} on {day}").format(**parts)
            if change.day
            else _("corrected: {before} → {after}").format(**parts)
        )
    if change.assessor:
        words += " " + _("by {assessor}").format(assessor=change.assessor)
    if change.note:
        words += f" (« {change.note} »)"
    return words


def _safe_label(text: str) -> str:
    # Chart labels end up in SVG comments; keep them to plain characters.
    return "".join(c for c in text if c not in "<>&-")


def livret_html(journal: Journal, trainee: str | int | Trainee) -> str:
    """The livret of one trainee as a self-contained HTML page."""
    from ep_skills.reports.charts import bloc_chart, history_chart
    from ep_skills.reports.data import trainee_report

    report = trainee_report(journal, trainee)
    charts = {
        "history": history_chart(report.history) if report.history else "",
        "blocs": {
            bloc.id: bloc_chart(
                report.scale,
                [
                    (_safe_label(c.code), c.score, c.state)
                    for c in bloc.competencies
                    if c.depth == 0
                ],
            )
            for bloc in report.blocs
        },
    }
    return str(
        _environment()
        .get_template("livret.html.j2")
        .render(
            report=report,
            charts=charts,
            scale=report.scale,
            generated=report.generated,
            frozen=getattr(journal.storage, "period", None),
            local=local_codes(report.referential),
        )
    )


def cohort_html(journal: Journal, cohort: str | None) -> str:
    """The workshop view of a cohort as a self-contained HTML page."""
    from ep_skills.reports.data import cohort_report

    reports = cohort_report(journal, cohort)
    if not reports:
        raise EpSkillsError(_("no trainee in cohort {cohort!r}").format(cohort=cohort))
    return str(
        _environment()
        .get_template("cohort.html.j2")
        .render(
            reports=reports,
            cohort=cohort,
            scale=reports[0].scale,
            generated=journal.today,
            frozen=getattr(journal.storage, "period", None),
            local=frozenset().union(*(local_codes(r.diploma) for r in reports)),
        )
    )


def grid_html(journal: Journal, trainee: str | int | Trainee, situation: str) -> str:
    """The CCF evaluation grid of one épreuve situation (``EP1`` or ``EP1/S1``)."""
    from ep_skills.reports.grid import situation_grid

    grid = situation_grid(journal, trainee, situation)
    return str(
        _environment()
        .get_template("grid.html.j2")
        .render(
            grid=grid,
            scale=grid.scale,
            generated=journal.today,
            frozen=getattr(journal.storage, "period", None),
            local=local_codes(grid.referential),
        )
    )


def _weasyprint_html() -> Any:
    """WeasyPrint's ``HTML``, imported without some fifty compiler and linker runs.

    WeasyPrint asks cffi for each library under several names (``libpango-1.0-0``, then
    ``pango-1.0``… then ``libpango-1.0.so.0``); cffi looks each unknown name up with
    ``ctypes.util.find_library``, which on Linux runs ``ldconfig``, ``gcc`` and ``ld`` and
    leaves scratch files behind. The names that end in the platform's suffix load directly,
    so the look-up is skipped while WeasyPrint loads; should that fail on some system, the
    ordinary import follows.
    """
    import ctypes.util
    import sys

    if "weasyprint" not in sys.modules:
        find = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None
        try:
            from weasyprint import HTML as quick
        except (ImportError, OSError):
            for name in [m for m in sys.modules if m.startswith("weasyprint")]:
                del sys.modules[name]
        else:
            return quick
        finally:
            ctypes.util.find_library = find
    from weasyprint import HTML

    return HTML


def write_pdf(html: str, output: str | Path) -> None:
    """Render HTML to a PDF file with WeasyPrint."""
    try:
        HTML = _weasyprint_html()
    except (ImportError, OSError) as exc:  # WeasyPrint needs the Pango library
        raise EpSkillsError(
            _(
                "PDF output needs WeasyPrint and the Pango library ({error}); "
                "use --format html and print from a browser"
            ).format(error=exc)
        ) from None
    import logging

    # WeasyPrint logs each CSS property it ignores; the reports need none of them.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(string=html, base_url=None).write_pdf(str(output))


def livret_pdf(journal: Journal, trainee: str | int | Trainee, output: str | Path) -> None:
    """The livret of one trainee as a PDF file."""
    write_pdf(livret_html(journal, trainee), output)


def cohort_pdf(journal: Journal, cohort: str | None, output: str | Path) -> None:
    """The workshop view as a PDF file."""
    write_pdf(cohort_html(journal, cohort), output)


def grid_pdf(
    journal: Journal, trainee: str | int | Trainee, situation: str, output: str | Path
) -> None:
    """The CCF grid as a PDF file."""
    write_pdf(grid_html(journal, trainee, situation), output)


def cohort_xlsx(journal: Journal, cohort: str | None, output: str | Path) -> None:
    """The workshop view as a spreadsheet: one sheet per view."""
    from ep_skills.reports.xlsx import write_cohort_workbook

    write_cohort_workbook(journal, cohort, output)
