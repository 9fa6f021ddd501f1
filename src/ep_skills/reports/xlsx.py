"""The workshop view as a spreadsheet, for schools that keep working in their tableur.

One sheet per view — the matrix (trainees × competencies, coloured by state with conditional
formatting and the state's symbol in each cell, readable in black and white), the gaps, the
catalogue tasks that close them, and the trainees' self-assessments beside the official state
(never mixed into the matrix) — with frozen headers and filters, per diploma.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ep_skills.api import Journal
from ep_skills.errors import EpSkillsError
from ep_skills.i18n import _
from ep_skills.reports.data import cohort_report

__all__ = ["write_cohort_workbook"]

_FILLS = {"red": "F6D5D1", "yellow": "FBEFC5", "green": "D5EFE0"}


def _clean(value: object) -> object:
    """Text as text: no control characters XLSX cannot hold."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub(" ", value)
    return value


def _append(sheet: Any, values: list[object]) -> None:
    """Append a row whose text stays text: a name starting with « = » is no formula."""
    sheet.append([_clean(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"  # formula injection: typed text must never run


def write_cohort_workbook(journal: Journal, cohort: str | None, output: str | Path) -> None:
    """Write the cohort's matrix, gaps, tasks and self-assessments to an XLSX file."""
    from openpyxl import Workbook
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    reports = cohort_report(journal, cohort)
    if not reports:
        raise EpSkillsError(_("no trainee in cohort {cohort!r}").format(cohort=cohort))
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for report in reports:
        suffix = f" {report.diploma.id}"[:12] if len(reports) > 1 else ""
        matrix = workbook.create_sheet((_("Matrix") + suffix)[:31])
        _append(matrix, [_("trainee"), *[code for code, _title in report.columns], _("readiness")])
        _append(matrix, [_("competency"), *[title for _code, title in report.columns], ""])
        for row in report.rows:
            _append(
                matrix,
                [
                    row.trainee.name,
                    *[f"{c.symbol} {c.label}" + (" ⚑" if c.flagged else "") for c in row.cells],
                    round(row.readiness, 4),
                ],
            )
        for cell in matrix[1]:
            cell.font = bold
        for cell in matrix[2]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.font = Font(italic=True, size=8)
        matrix.freeze_panes = "B3"
        last = get_column_letter(len(report.columns) + 1)
        area = f"B3:{last}{len(report.rows) + 2}"
        for state in report.scale.states:
            fill = PatternFill("solid", fgColor=_FILLS.get(state.colour or "", "EEEEEE"))
            symbol = (state.symbol or state.code).replace('"', '""')
            matrix.conditional_formatting.add(
                area, FormulaRule(formula=[f'LEFT(B3,{len(symbol)})="{symbol}"'], fill=fill)
            )
        readiness = get_column_letter(len(report.columns) + 2)
        for index in range(3, len(report.rows) + 3):
            matrix[f"{readiness}{index}"].number_format = "0%"
        matrix.column_dimensions["A"].width = 24
        for index in range(2, len(report.columns) + 3):
            matrix.column_dimensions[get_column_letter(index)].width = 22
        matrix.row_dimensions[2].height = 45

        gaps = workbook.create_sheet((_("Gaps") + suffix)[:31])
        _append(gaps, [_("code"), _("competency"), _("not acquired yet"), _("never assessed")])
        for gap in report.gaps:
            _append(
                gaps, [gap.code, gap.title, ", ".join(gap.trainees), ", ".join(gap.never_assessed)]
            )
        tasks = workbook.create_sheet((_("Tasks") + suffix)[:31])
        _append(tasks, [_("code"), _("task"), _("title"), _("trainees who need it")])
        for gap in report.gaps:
            for task in gap.tasks:
                _append(tasks, [gap.code, task.id, task.title, ", ".join(gap.trainees)])
        # Self-assessments on a sheet of their own, beside the official state: never mixed in.
        selves = workbook.create_sheet((_("Self-assessments") + suffix)[:31])
        _append(
            selves,
            [_("trainee"), _("code"), _("competency"), _("self-assessment"), _("official state")],
        )
        for person, cell in report.self_assessed:
            _append(
                selves,
                [
                    person.name,
                    cell.code,
                    cell.title,
                    f"{cell.self_symbol} {cell.self_label}",
                    f"{cell.symbol} {cell.label}",
                ],
            )
        for sheet, widths in (
            (gaps, (10, 60, 50, 40)),
            (tasks, (10, 34, 60, 50)),
            (selves, (24, 10, 60, 26, 26)),
        ):
            for cell in sheet[1]:
                cell.font = bold
            sheet.freeze_panes = "A2"
            sheet.auto_filter.ref = sheet.dimensions
            for index, width in enumerate(widths, start=1):
                sheet.column_dimensions[get_column_letter(index)].width = width
    for sheet in workbook.worksheets:
        # Printed as it is shown: landscape, every column on the page width.
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
    workbook.save(str(output))
