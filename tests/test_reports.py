"""Reports: the livret (HTML, PDF), the workshop view (HTML, PDF, XLSX), the CCF grid and its
proposed mark, the ``report`` command, and that none of it slows down the command line.

The journal (cap-cip, default scale RR/R/V/VV = 0/33/67/100; NA from 0, VA from 40, A from 61;
acquired needs 3 assessments on 2 different orders), today 2026-11-20:

- Léa Martin (cohort C): CP01, CP02, CP04 three VV on O1, O2, O1 (June, August, October; the
  October one by M. Garnier, autonomy 3, with a note): acquired. CP02 also a VV on O2 in
  November, withdrawn (« saisie en double »): shown once, struck, never counted. CP03 one V
  (July): score 67 but the coverage rule is not met, so « en cours d'acquisition » (flagged),
  and a self-assessment VV (November, « je maîtrise »). CP05 one VV corrected to R (November):
  « non acquis », shown once with its correction. CP06 one RR (September): « non acquis ».
  CP07 only a self-assessment.
- Hugo Bernard (cohort C): one V on CP04, CP06, CP07 (October), on order O2.
- Inès Roux (cohort C): nothing recorded yet.
- Noah Petit (cohort D): one VV on CP01; never in cohort C's reports.

No browser here: tests/test_reports_browser.py opens the HTML in Chromium.
"""

from __future__ import annotations

import ast
import errno
import logging
import math
import re
import subprocess
import sys
import traceback
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from markupsafe import escape
from openpyxl import load_workbook
from pypdf import PdfReader

from ep_skills.api import Journal, open_journal
from ep_skills.cli import cli
from ep_skills.engine.compute import CompetencyState, CoverageCheck
from ep_skills.engine.explain import coverage_words
from ep_skills.engine.layers import load_school_config
from ep_skills.i18n import _, current_language, format_day, parse_po, set_language
from ep_skills.i18n_extract import extract
from ep_skills.journal.model import Assessment, Role
from ep_skills.reports import (
    change_words,
    cohort_html,
    cohort_pdf,
    cohort_xlsx,
    grid_html,
    grid_pdf,
    livret_html,
    livret_pdf,
)
from ep_skills.reports.data import (
    Change,
    CompetencyLine,
    cohort_report,
    evidence_lines,
    month_ends,
    not_acquired_because,
    trainee_report,
)
from ep_skills.reports.grid import proposed_mark, situation_grid
from ep_skills.views import cohort_gaps

TODAY = date(2026, 11, 20)
CIP = [f"CP0{i}" for i in range(1, 8)]
COHORT_C = ["Hugo Bernard", "Inès Roux", "Léa Martin"]
CUSTOMERS = {"O1": "Mécanique Durand", "O2": "Cartonnages de la Loire"}
TASK = "Conduire la ligne en mode normal"  # the catalogue task conduire-ligne-mode-normal
ENV_VARS = ("EP_SKILLS_DB", "EP_SKILLS_CONFIG", "EP_SKILLS_BLOCK_PLUGINS", "NO_COLOR")
PACKAGE = Path(str(files("ep_skills")))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    before = current_language()
    set_language("fr")
    yield
    set_language(before)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reports") / "atelier.db"
    with open_journal(path, create=True, today=TODAY) as journal:
        start = date(2026, 5, 4)
        journal.add_trainee("Léa Martin", diploma="cap-cip", cohort="C", start_date=start)
        journal.add_trainee("Hugo Bernard", diploma="cap-cip", cohort="C", start_date=start)
        journal.add_trainee("Inès Roux", diploma="cap-cip", cohort="C")
        journal.add_trainee("Noah Petit", diploma="cap-cip", cohort="D")
        for ref, customer in CUSTOMERS.items():
            journal.add_order(ref, customer=customer, title="Série")
        for day, ref in ((date(2026, 6, 10), "O1"), (date(2026, 8, 20), "O2")):
            journal.record(
                ["Léa Martin"], task="conduire-ligne-mode-normal", day=day, order=ref, level="VV"
            )
        journal.record(
            ["Léa Martin"],
            task="conduire-ligne-mode-normal",
            day=date(2026, 10, 5),
            order="O1",
            level="VV",
            assessor="M. Garnier",
            autonomy=3,
            note="cadence tenue seule",
        )
        journal.record(
            ["Léa Martin"],
            description="réglage presse",
            day=date(2026, 7, 8),
            order="O2",
            levels={"CP03": "V"},
        )
        journal.record(
            ["Léa Martin"],
            description="repérage des risques",
            day=date(2026, 9, 15),
            order="O1",
            levels={"CP06": "RR"},
        )
        journal.record(
            ["Léa Martin"],
            description="relevés",
            day=date(2026, 11, 3),
            order="O1",
            levels={"CP05": "VV"},
        )
        lea = journal.trainee("Léa Martin").id
        (wrong,) = journal.storage.assessments(lea, "CP05")
        journal.correct(wrong.id, level="R", note="relevés incomplets")
        journal.record(
            ["Léa Martin"],
            description="auto-évaluation",
            day=date(2026, 11, 10),
            role="auto",
            levels={"CP07": "V"},
        )
        journal.record(
            ["Léa Martin"],
            description="auto-évaluation",
            day=date(2026, 11, 12),
            role="auto",
            levels={"CP03": "VV"},
            note="je maîtrise",
        )
        journal.record(
            ["Léa Martin"],
            description="doublon",
            day=date(2026, 11, 5),
            order="O2",
            levels={"CP02": "VV"},
        )
        (double,) = [a for a in journal.storage.assessments(lea, "CP02") if a.day.month == 11]
        journal.correct(double.id, withdraw=True, note="saisie en double", assessor="M. Garnier")
        journal.record(
            ["Hugo Bernard"],
            task="demarrer-arreter-installation",
            day=date(2026, 10, 12),
            order="O2",
            level="V",
        )
        journal.record(
            ["Noah Petit"], description="série", day=date(2026, 10, 1), levels={"CP01": "VV"}
        )
    return path


@pytest.fixture
def journal(db: Path) -> Iterator[Journal]:
    with open_journal(db, today=TODAY) as opened:
        yield opened


# -- reading HTML ----------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
HIDDEN = {"style", "script", "svg", "title"}


class Node:
    """An element of a parsed page: enough of a DOM to read tables and attributes."""

    def __init__(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tag = tag
        self.attrs = {k: v or "" for k, v in attrs}
        self.children: list[Node | str] = []

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str, cls: str | None = None) -> list[Node]:
        return [
            n
            for n in self.iter()
            if n.tag == tag and (cls is None or cls in n.attrs.get("class", "").split())
        ]

    def text(self) -> str:
        """The visible text, whitespace collapsed (styles, scripts and charts left out)."""
        parts: list[str] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                elif child.tag not in HIDDEN:
                    walk(child)

        walk(self)
        return " ".join(" ".join(parts).split())

    def cells(self) -> list[str]:
        """For a table row: the text of each of its own cells."""
        return [c.text() for c in self.children if isinstance(c, Node) and c.tag in ("td", "th")]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", [])
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, attrs)
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = _Builder()
    builder.feed(page)
    builder.close()
    return builder.root


def row_starting(root: Node, first: str) -> list[str]:
    rows = [r.cells() for r in root.find_all("tr") if r.cells()[:1] == [first]]
    assert len(rows) == 1, f"expected one row starting with {first!r}, found {rows}"
    return rows[0]


def pdf_text(path: Path) -> str:
    data = path.read_bytes()
    assert data.startswith(b"%PDF-"), data[:20]
    reader = PdfReader(path)
    assert len(reader.pages) >= 1
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def symbols(journal: Journal) -> dict[str | None, tuple[str, str]]:
    """State code → (symbol, label) as the reports print them; None: not assessed."""
    scale = journal.diploma("cap-cip").scale
    found: dict[str | None, tuple[str, str]] = {
        s.code: (s.symbol or s.code, s.label) for s in scale.states
    }
    found[None] = ("·", _("not assessed"))
    return found


# -- the livret as HTML ----------------------------------------------------------------------


def test_scale_is_the_one_the_tests_assume(journal: Journal) -> None:
    assert {code: label for code, (_s, label) in symbols(journal).items() if code} == {
        "NA": "non acquis",
        "VA": "en cours d'acquisition",
        "A": "acquis",
    }
    states = {n.code: n.state for b in journal.progress("Léa Martin").blocs for n in b.competencies}
    assert states == {
        "CP01": "A",
        "CP02": "A",
        "CP03": "VA",
        "CP04": "A",
        "CP05": "NA",
        "CP06": "NA",
        "CP07": None,
    }


def test_livret_names_the_trainee_every_bloc_and_every_competency(journal: Journal) -> None:
    root = parse(livret_html(journal, "Léa Martin"))
    (h1,) = root.find_all("h1")
    assert "Léa Martin" in h1.text()
    headings = [h.text() for h in root.find_all("h2")]
    for bloc in journal.diploma("cap-cip").referential.blocs:
        assert any(h.startswith(f"{bloc.id} — {bloc.title}") for h in headings), headings
    assert any(h.startswith("UP1 — Conduite en mode normal (3/5") for h in headings), headings
    assert any(h.startswith("UP2 — Intervention durant la production (0/2") for h in headings)
    rows = {cells[1]: cells for r in root.find_all("tr") if len(cells := r.cells()) == 6}
    show = symbols(journal)
    for node in (n for b in journal.progress("Léa Martin").blocs for n in b.competencies):
        symbol, label = show[node.state]
        cells = rows[node.code]
        assert cells[0] == symbol, (node.code, cells)
        assert cells[2] == node.title
        assert cells[3].startswith(label), (node.code, cells)
        assert cells[4] == ("—" if node.score is None else str(node.score))
    assert "⚑" in rows["CP03"][3]  # score 67 reaches acquired, the coverage rule does not
    assert "⚑" not in rows["CP01"][3]


def test_livret_lists_what_each_epreuve_still_misses(journal: Journal) -> None:
    root = parse(livret_html(journal, "Léa Martin"))
    titles = {n.code: n.title for b in journal.progress("Léa Martin").blocs for n in b.competencies}
    ep1 = row_starting(root, "EP1")
    assert ep1[1] == "Conduite en mode normal"
    assert ep1[2] == "8"
    assert ep1[3] == "60 %"
    assert f"CP03 {titles['CP03']}" in ep1[4] and f"CP05 {titles['CP05']}" in ep1[4]
    assert not {"CP01", "CP02", "CP04"} & set(re.findall(r"CP0\d", ep1[4]))
    ep2 = row_starting(root, "EP2")
    assert ep2[2] == "4" and ep2[3] == "0 %"
    assert set(re.findall(r"CP0\d", ep2[4])) == {"CP06", "CP07"}
    # Épreuves with no tracked competency (EG1…) are not listed as missing anything.
    assert not [r for r in root.find_all("tr") if r.cells()[:1] == ["EG1"]]


def detail(root: Node, code: str) -> Node:
    """The row under a competency: why it is not acquired, its evidence, its self-assessments."""
    rows = [r for r in root.find_all("tr", "detail") if r.attrs.get("data-code") == code]
    assert len(rows) == 1, f"expected one detail row for {code}, found {len(rows)}"
    return rows[0]


def entries(row: Node, kind: str = "official") -> list[list[str]]:
    """The cells of each entry of a competency's ``official`` or ``self`` evidence table."""
    found = []
    for table in row.find_all("table", kind):
        for body in table.find_all("tbody"):
            found += [r.cells() for r in body.find_all("tr")]
    return found


def changed_on(journal: Journal, name: str, code: str, *, withdrawn: bool) -> str:
    """The day a correction (or withdrawal) of ``name``'s entry on ``code`` was recorded."""
    person = journal.trainee(name).id
    (row,) = [
        a
        for a in journal.storage.assessments(person, code)
        if a.supersedes is not None and a.withdrawn == withdrawn
    ]
    assert row.recorded_at is not None
    return format_day(row.recorded_at.astimezone().date())


ROLE = "maître professionnel"  # the role recorded by default, in French


def test_livret_shows_the_evidence_with_orders_customers_corrections_and_self_assessment(
    journal: Journal,
) -> None:
    root = parse(livret_html(journal, "Léa Martin"))
    text = root.text()
    for ref, customer in CUSTOMERS.items():
        assert f"{ref} ({customer})" in text
    # Each line: date, task (its note below), order, assessor and role, autonomy, level.
    assert entries(detail(root, "CP01")) == [
        ["10/06/2026", TASK, "O1 (Mécanique Durand)", f"— {ROLE}", "—", "VV"],
        ["20/08/2026", TASK, "O2 (Cartonnages de la Loire)", f"— {ROLE}", "—", "VV"],
        [
            "05/10/2026",
            f"{TASK} « cadence tenue seule »",
            "O1 (Mécanique Durand)",
            f"M. Garnier {ROLE}",
            "3/4",
            "VV",
        ],
    ]
    # The correction is shown once, on the entry it corrects: old level struck, new one, when,
    # and the note its assessor gave (as typed, in quotes). No second row for the correction.
    corrected = _("corrected: {before} → {after} on {day}").format(
        before="VV", after="R", day=changed_on(journal, "Léa Martin", "CP05", withdrawn=False)
    )
    assert entries(detail(root, "CP05")) == [
        [
            "03/11/2026",
            f"relevés {corrected} (« relevés incomplets »)",
            "O1 (Mécanique Durand)",
            f"— {ROLE}",
            "—",
            "VV R",
        ]
    ]
    (struck,) = detail(root, "CP05").find_all("s")
    assert struck.text() == "VV"
    assert [
        r.attrs["class"]
        for r in detail(root, "CP05").find_all("tr")
        if r.cells()[:1] == ["03/11/2026"]
    ] == ["corrected"]
    # The self-assessment is shown beside the official state (none), and marked as such.
    cp07 = next(c for r in root.find_all("tr") if len(c := r.cells()) == 6 and c[1] == "CP07")
    leaf = journal.progress("Léa Martin").node("CP07").leaf  # type: ignore[union-attr]
    assert leaf is not None and leaf.self_state == "A"  # V (67): by the score alone
    assert cp07[3] == f"{_('not assessed')} {_('self-assessment')} : acquis"
    assert entries(detail(root, "CP07")) == []
    assert entries(detail(root, "CP07"), "self") == [
        ["10/11/2026", "auto-évaluation", "—", f"— {_('self-assessment')}", "—", "V"]
    ]


def test_a_withdrawn_entry_is_shown_once_struck_with_when_by_whom_and_why(
    journal: Journal,
) -> None:
    withdrawn = " ".join(
        [
            _("withdrawn on {day}").format(
                day=changed_on(journal, "Léa Martin", "CP02", withdrawn=True)
            ),
            _("by {assessor}").format(assessor="M. Garnier"),
            "(« saisie en double »)",
        ]
    )
    expected = [
        "05/11/2026",
        f"doublon {withdrawn}",
        "O2 (Cartonnages de la Loire)",
        f"— {ROLE}",
        "—",
        "VV",
    ]
    for page in (
        livret_html(journal, "Léa Martin"),
        grid_html(journal, "Léa Martin", "EP1/S1"),  # S1 assesses CP01–CP03
    ):
        row = detail(parse(page), "CP02")
        lines = entries(row)
        assert len(lines) == 4  # three VV, and the withdrawn one: no row for the withdrawal
        assert lines[-1] == expected
        (old,) = row.find_all("tr", "old")
        assert old.cells() == expected
        # Struck: everything the entry said, not the words that withdrew it.
        struck = " ".join(span.text() for span in old.find_all("span", "was"))
        assert "05/11/2026" in struck and "doublon" in struck and "M. Garnier" not in struck
        (change,) = old.find_all("span", "change")
        assert change.text() == withdrawn
        assert not list(change.find_all("span", "was"))
    # Counted nowhere: three assessments on CP02, as before it was recorded and withdrawn.
    livret = parse(livret_html(journal, "Léa Martin"))
    cp02 = next(c for r in livret.find_all("tr") if len(c := r.cells()) == 6 and c[1] == "CP02")
    assert cp02[5] == "3"
    assert journal.progress("Léa Martin").node("CP02").leaf.count == 3  # type: ignore[union-attr]


def test_the_grid_lists_self_assessments_apart_labelled_and_uncounted(journal: Journal) -> None:
    root = parse(grid_html(journal, "Léa Martin", "EP1/S1"))
    row = detail(root, "CP03")
    official = entries(row)
    assert [line[0] for line in official] == ["08/07/2026"]  # not the self-assessment
    assert entries(row, "self") == [
        [
            "12/11/2026",
            "auto-évaluation « je maîtrise »",
            "—",
            f"— {_('self-assessment')}",
            "—",
            "VV",
        ]
    ]
    (table,) = row.find_all("table", "self")
    (caption,) = table.find_all("caption")
    assert caption.text() == _("Self-assessments: shown apart, never counted")
    assert _("self-assessment") == "auto-évaluation"
    assert all(
        r.attrs["class"].split()[0] == "self" for r in table.find_all("tbody")[0].find_all("tr")
    )
    # Beside the official state, labelled; the score, the mark and the counts are official.
    cp03 = next(c for r in root.find_all("tr") if len(c := r.cells()) == 5 and c[1] == "CP03")
    assert cp03[3].startswith("en cours d'acquisition")
    assert f"{_('self-assessment')} : acquis" in cp03[3]
    assert cp03[4] == "67"
    assert situation_grid(journal, "Léa Martin", "EP1/S1").mark == 18.0


def test_the_grid_evidence_tables_have_column_headers(journal: Journal) -> None:
    root = parse(grid_html(journal, "Léa Martin", "EP1/S1"))
    tables = root.find_all("table", "evidence")
    assert len(tables) == 4  # CP01, CP02, CP03 and CP03's self-assessments
    for table in tables:
        (head,) = table.find_all("thead")
        assert head.find_all("tr")[0].cells() == [
            _("date"),
            _("task"),
            _("order (customer)"),
            _("assessor"),
            _("autonomy"),
            _("level"),
        ]
    # And the note and autonomy of each entry, as in the livret.
    assert entries(detail(root, "CP01"))[-1][1:] == [
        f"{TASK} « cadence tenue seule »",
        "O1 (Mécanique Durand)",
        f"M. Garnier {ROLE}",
        "3/4",
        "VV",
    ]


def test_older_entries_count_each_piece_of_evidence_once(tmp_path: Path) -> None:
    with open_journal(tmp_path / "j.db", create=True, today=TODAY) as journal:
        journal.add_trainee("Zoé", diploma="cap-cip", start_date=date(2026, 1, 2))
        for month in range(1, 10):  # nine entries, January to September
            journal.record(
                ["Zoé"],
                description=f"série {month}",
                day=date(2026, month, 3),
                levels={"CP01": "V"},
            )
        rows = journal.storage.assessments(journal.trainee("Zoé").id, "CP01")
        journal.correct(rows[-1].id, level="VV")
        journal.correct(rows[-1].id, level="R")  # corrected twice: still one entry
        journal.correct(rows[-2].id, withdraw=True, note="erreur")
        journal.record(
            ["Zoé"], description="moi", day=date(2026, 10, 1), role="auto", levels={"CP01": "VV"}
        )
        (line,) = [
            c
            for b in trainee_report(journal, "Zoé").blocs
            for c in b.competencies
            if c.code == "CP01"
        ]
        page = parse(livret_html(journal, "Zoé"))
    # Nine pieces of evidence (twelve rows in the journal): six shown, three earlier.
    assert [e.day.month for e in line.evidence] == [4, 5, 6, 7, 8, 9]
    assert line.older == 3
    assert [e.counts for e in line.evidence] == [True, True, True, True, False, True]
    assert line.evidence[-1].level == "R" and line.evidence[-1].first_level == "V"
    assert [(c.before, c.after) for c in line.evidence[-1].changes] == [("V", "VV"), ("VV", "R")]
    assert line.count == 8  # the engine's count of scoring entries: the withdrawn one aside
    assert [e.day.month for e in line.self_evidence] == [10] and line.self_older == 0
    assert _("… and {n} earlier entries.").format(n=3) in page.text()
    cp01 = next(c for r in page.find_all("tr") if len(c := r.cells()) == 6 and c[1] == "CP01")
    assert cp01[5] == "8"


def test_evidence_lines_fold_each_chain_into_its_entry() -> None:
    def row(
        id: int,
        level: str,
        role: Role = Role.MAITRE,
        supersedes: int | None = None,
        withdrawn: bool = False,
        recorded_at: datetime | None = None,
        assessor: str | None = None,
        autonomy: int | None = None,
        note: str | None = None,
    ) -> Assessment:
        return Assessment(
            id=id,
            record=1,
            trainee=1,
            competency="CP01",
            level=level,
            day=date(2026, 3, 2),
            role=role,
            assessor=assessor,
            autonomy=autonomy,
            note=note,
            supersedes=supersedes,
            withdrawn=withdrawn,
            recorded_at=recorded_at,
        )

    at = datetime(2026, 3, 9, 10, tzinfo=UTC)
    lines = evidence_lines(
        [
            row(1, "V", assessor="Jo", autonomy=2, note="ok"),
            row(2, "R", supersedes=1, recorded_at=at, assessor="Al", note="trop vite"),
            row(3, "R", supersedes=2, withdrawn=True, recorded_at=at, note="doublon"),
            row(4, "VV", role=Role.AUTO),
            row(5, "VV", role=Role.AUTO),
            row(6, "V", role=Role.AUTO, supersedes=5, recorded_at=at),
        ]
    )
    assert [(e.id, e.level, e.counts, e.self_assessment) for e in lines] == [
        (1, "R", False, False),
        (4, "VV", True, True),
        (5, "V", True, True),
    ]
    first = lines[0]
    assert (first.assessor, first.autonomy, first.note, first.first_level) == ("Jo", 2, "ok", "V")
    assert first.changes == (
        Change(False, "V", "R", at.astimezone().date(), "Al", "trop vite"),
        Change(True, "R", None, at.astimezone().date(), None, "doublon"),
    )
    assert lines[2].corrected and lines[2].role_label == _("self-assessment")
    set_language("fr")
    assert change_words(first.changes[0]) == (
        _("corrected: {before} → {after} on {day}").format(
            before="V", after="R", day=format_day(at.astimezone().date())
        )
        + " "
        + _("by {assessor}").format(assessor="Al")
        + " (« trop vite »)"
    )


def test_the_livret_says_why_a_competency_is_not_acquired_yet(journal: Journal) -> None:
    root = parse(livret_html(journal, "Léa Martin"))
    progress = journal.progress("Léa Martin")

    def why(code: str) -> str:
        found = detail(root, code).find_all("p", "why")
        assert len(found) == 1, code
        return found[0].text()

    def because(*reasons: str) -> str:
        return _("Not acquired yet: {reasons}").format(reasons=" · ".join(reasons))

    # CP03: the score reaches acquired (67), the coverage rules do not.
    cp03 = progress.node("CP03").leaf  # type: ignore[union-attr]
    assert cp03 is not None and cp03.score == 67
    unmet = [coverage_words(c) for c in cp03.coverage if not c.ok]
    assert unmet and any("3" in words for words in unmet)
    assert why("CP03") == because(*unmet)
    # CP05 and CP06: the score is below the threshold of « acquis » (61).
    for code, score in (("CP05", 33), ("CP06", 0)):
        reason = _('score {score} below {threshold}, the threshold of "{label}"').format(
            score=score, threshold=61, label="acquis"
        )
        assert why(code).startswith(because(reason)), why(code)
    # CP07: a self-assessment is no official evidence.
    assert why("CP07") == because(_("no official assessment yet"))
    # Acquired: nothing to explain.
    for code in ("CP01", "CP02", "CP04"):
        assert not detail(root, code).find_all("p", "why")
    # One short line each.
    assert all(len(p.text()) < 300 for p in root.find_all("p", "why"))


def test_not_acquired_because_a_span_rule_uses_the_engine_words(journal: Journal) -> None:
    scale = journal.diploma("cap-cip").scale
    check = CoverageCheck("min_span_weeks", 4, 1, False)
    state = CompetencyState(
        competency="CP01",
        state="VA",
        score=80,
        acquired=False,
        score_state="A",
        method="geometrique",
        limit=5,
        coverage=(CoverageCheck("min_assessments", 3, 3, True), check),
    )
    assert not_acquired_because(scale, state) == (coverage_words(check),)
    assert not_acquired_because(scale, None) == (_("no official assessment yet"),)
    acquired = CompetencyState(
        competency="CP01",
        state="A",
        score=80,
        acquired=True,
        score_state="A",
        method="geometrique",
        limit=5,
    )
    assert not_acquired_because(scale, acquired) == ()


def test_progress_over_time_starts_with_the_first_official_entry(
    journal: Journal, tmp_path: Path
) -> None:
    # Léa started on 4 May; her first entry is of 10 June: the chart starts in June.
    history = trainee_report(journal, "Léa Martin").history
    assert [day for day, _share in history] == [
        date(2026, 6, 30),
        date(2026, 7, 31),
        date(2026, 8, 31),
        date(2026, 9, 30),
        date(2026, 10, 31),
        TODAY,
    ]
    assert history[-1][1] == pytest.approx(3 / 7)
    # Nothing recorded: no chart of months of nothing, a sentence instead.
    assert trainee_report(journal, "Inès Roux").history == ()
    root = parse(livret_html(journal, "Inès Roux"))
    assert _("No official entry recorded yet: the chart starts with the first one.") in root.text()
    # A self-assessment alone, or an entry withdrawn since, starts nothing.
    with open_journal(tmp_path / "j.db", create=True, today=TODAY) as alone:
        alone.add_trainee("Zoé", diploma="cap-cip", start_date=date(2025, 9, 1))
        alone.record(
            ["Zoé"], description="moi", day=date(2026, 2, 2), role="auto", levels={"CP01": "VV"}
        )
        alone.record(["Zoé"], description="erreur", day=date(2026, 3, 2), levels={"CP01": "V"})
        (wrong,) = [
            a for a in alone.storage.assessments(alone.trainee("Zoé").id) if a.day.month == 3
        ]
        alone.correct(wrong.id, withdraw=True)
        assert trainee_report(alone, "Zoé").history == ()
        alone.record(["Zoé"], description="série", day=date(2026, 9, 14), levels={"CP01": "V"})
        assert [d for d, _s in trainee_report(alone, "Zoé").history] == [
            date(2026, 9, 30),
            date(2026, 10, 31),
            TODAY,
        ]


def test_month_ends() -> None:
    assert month_ends(date(2026, 11, 3), date(2027, 2, 10)) == [
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
        date(2027, 2, 10),
    ]
    assert month_ends(date(2026, 11, 3), date(2026, 11, 3)) == [date(2026, 11, 3)]


def test_marks_use_the_decimal_comma_in_french(db: Path, tmp_path: Path) -> None:
    config = tmp_path / "ecole.toml"
    config.write_text('[settings]\nmark_conversion = "states"\n', encoding="utf-8")
    with open_journal(db, today=TODAY, school=load_school_config(config)) as journal:
        french = parse(grid_html(journal, "Léa Martin", "EP1/S1"))
        set_language("en")
        english = parse(grid_html(journal, "Léa Martin", "EP1/S1"))
    assert french.find_all("span", "mark")[0].text() == "16,5 / 20"
    assert english.find_all("span", "mark")[0].text() == "16.5 / 20"
    assert "CP03 : 10,0" in french.text() and "CP03 : 10.0" in english.text()
    with open_journal(db, today=TODAY) as journal:
        set_language("fr")
        text = parse(grid_html(journal, "Léa Martin", "EP1/S1")).text()
    assert "CP03 : 13,4" in text and "13.4" not in text  # 67 / 5


def test_the_workshop_view_shows_self_assessments_apart(journal: Journal) -> None:
    root = parse(cohort_html(journal, "C"))
    (matrix,) = root.find_all("table", "matrix")
    lea = next(c for r in matrix.find_all("tr") if (c := r.cells())[:1] == ["Léa Martin"])
    assert lea[CIP.index("CP07") + 1] == "·"  # not assessed: the self-assessment is no state
    (selves,) = root.find_all("table", "self")
    assert selves.find_all("thead")[0].find_all("tr")[0].cells() == [
        _("trainee"),
        _("code"),
        _("competency"),
        _("self-assessment"),
        _("official state"),
    ]
    titles = dict(cohort_report(journal, "C")[0].columns)
    assert [r.cells() for r in selves.find_all("tbody")[0].find_all("tr")] == [
        ["Léa Martin", "CP03", titles["CP03"], "✓ acquis", "◐ en cours d'acquisition"],
        ["Léa Martin", "CP07", titles["CP07"], "✓ acquis", "· non évalué"],
    ]
    assert _("Self-assessments: shown apart, never counted") in [
        h.text() for h in root.find_all("h2")
    ]


def test_livret_legend_and_signature_boxes(journal: Journal) -> None:
    root = parse(livret_html(journal, "Léa Martin"))
    legend, levels = root.find_all("p", "legend")
    for code, (symbol, label) in symbols(journal).items():
        assert f"{symbol} {label}" in legend.text(), code
    assert "⚑" in legend.text()
    # Every level of the scale is explained, the non-scoring ones said to be so.
    for level in journal.diploma("cap-cip").scale.levels:
        assert f"{level.code} {level.label}" in levels.text(), level.code
    assert levels.text().count(_("not scored")) == sum(
        1 for level in journal.diploma("cap-cip").scale.levels if not level.scoring
    )
    (signatures,) = root.find_all("div", "signatures")
    boxes = [d.text() for d in signatures.children if isinstance(d, Node) and d.tag == "div"]
    assert len(boxes) == 4 and all(boxes), boxes


def test_livret_charts_are_inline_svg(journal: Journal) -> None:
    page = livret_html(journal, "Léa Martin")
    charts = parse(page).find_all("div", "chart")
    assert len(charts) == 3  # progress over time, then one per bloc
    for chart in charts:
        svgs = chart.find_all("svg")
        assert len(svgs) == 1 and svgs[0].find_all("path"), chart.attrs
        assert chart.attrs.get("role") == "img" and chart.attrs.get("aria-label")
    assert page.count("<svg") == 3
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page


def test_a_trainee_with_no_evidence_gets_a_livret(journal: Journal) -> None:
    root = parse(livret_html(journal, "Inès Roux"))
    assert "Inès Roux" in root.find_all("h1")[0].text()
    rows = {c[1]: c for r in root.find_all("tr") if len(c := r.cells()) == 6}
    assert [rows[code][0] for code in CIP] == ["·"] * 7
    assert len(root.find_all("div", "chart")) == 2  # the blocs' (no months of nothing)
    assert _("No official entry recorded yet: the chart starts with the first one.") in (
        root.text()
    )


EXTERNAL = [
    re.compile(
        r"""\b(?:src|href|srcset|action|data)\s*=\s*["']?\s*(?!#)[a-z][a-z0-9+.-]*:""", re.I
    ),
    re.compile(r"""\b(?:src|href)\s*=\s*["']?\s*//""", re.I),
    re.compile(r"""url\(\s*["']?\s*(?!#)""", re.I),
    re.compile(r"@import", re.I),
    re.compile(r"<link\b", re.I),
    re.compile(r"<script\b[^>]*\bsrc\s*=", re.I),
    re.compile(r"<(?:iframe|object|embed|img)\b", re.I),
]


@pytest.mark.parametrize("report", ["livret", "cohort", "grid"])
def test_html_fetches_nothing(journal: Journal, report: str) -> None:
    page = {
        "livret": lambda: livret_html(journal, "Léa Martin"),
        "cohort": lambda: cohort_html(journal, "C"),
        "grid": lambda: grid_html(journal, "Léa Martin", "EP1/S1"),
    }[report]()
    for pattern in EXTERNAL:
        found = pattern.search(page)
        assert found is None, page[max(0, found.start() - 80) : found.end() + 80]
    # Every link there is points inside the page (the charts' glyphs, markers, clip paths).
    for node in parse(page).iter():
        for name, value in node.attrs.items():
            if name in ("href", "xlink:href", "src"):
                assert value.startswith("#"), (node.tag, name, value)


def test_inline_charts_do_not_redefine_each_others_ids(journal: Journal) -> None:
    # Three matplotlib SVGs share one HTML document, hence one id space: an id that two of
    # them define differently would make a chart draw the other's glyph or clip path.
    root = parse(livret_html(journal, "Léa Martin"))
    defined: dict[str, set[str]] = {}
    referenced: set[str] = set()

    def shape(node: Node) -> str:
        inner = "".join(shape(c) for c in node.children if isinstance(c, Node))
        return f"<{node.tag} {sorted(node.attrs.items())}>{inner}"

    for node in root.iter():
        if "id" in node.attrs:
            defined.setdefault(node.attrs["id"], set()).add(shape(node))
        for value in node.attrs.values():
            referenced.update(re.findall(r"url\(#([^)]+)\)", value))
        if node.attrs.get("xlink:href", "").startswith("#"):
            referenced.add(node.attrs["xlink:href"][1:])
    assert referenced, "the charts use no shared definitions at all?"
    assert referenced <= set(defined), referenced - set(defined)
    clashing = sorted(i for i in referenced if len(defined[i]) > 1)
    assert not clashing


# -- what users typed is text, never markup --------------------------------------------------

NAME = "<script>alert(1)</script> Lou"
CUSTOMER = "<img src=x onerror=alert(2)>"
NOTE = "<b onmouseover=alert(3)>note</b>"
ASSESSOR = '"><svg onload=alert(4)>'
COHORT = "<i>promo</i> & co"
SCHOOL = "<style>body{display:none}</style>École"


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "j.db"
    with open_journal(path, create=True, today=TODAY) as journal:
        with journal.storage.transaction():
            journal.storage.set_meta("school", SCHOOL)
        journal.add_trainee(NAME, diploma="cap-cip", cohort=COHORT)
        journal.add_order("X1", customer=CUSTOMER, title=NOTE)
        journal.record(
            [NAME],
            task="conduire-ligne-mode-normal",
            day=date(2026, 10, 1),
            order="X1",
            assessor=ASSESSOR,
            note=NOTE,
            description=NOTE,
        )
        # A withdrawal and a self-assessment carry typed text too.
        journal.record(
            [NAME], description=NOTE, day=date(2026, 10, 2), order="X1", levels={"CP01": "V"}
        )
        person = journal.trainee(NAME).id
        (twice,) = [a for a in journal.storage.assessments(person) if a.day.day == 2]
        journal.correct(twice.id, withdraw=True, note=NOTE, assessor=ASSESSOR)
        journal.record(
            [NAME],
            description=NOTE,
            day=date(2026, 10, 3),
            role="auto",
            levels={"CP01": "VV"},
            note=NOTE,
        )
    return path


@pytest.mark.parametrize(
    ("report", "shown"),
    [
        ("livret", (NAME, CUSTOMER, ASSESSOR, COHORT, SCHOOL)),
        ("cohort", (NAME, COHORT, SCHOOL)),
        ("grid", (NAME, CUSTOMER, ASSESSOR, COHORT)),
    ],
)
def test_user_text_is_escaped(hostile_db: Path, report: str, shown: tuple[str, ...]) -> None:
    with open_journal(hostile_db, today=TODAY) as journal:
        page = {
            "livret": lambda: livret_html(journal, NAME),
            "cohort": lambda: cohort_html(journal, COHORT),
            "grid": lambda: grid_html(journal, NAME, "EP1/S1"),
        }[report]()
    for raw in (NAME, CUSTOMER, NOTE, ASSESSOR, COHORT, SCHOOL):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Lou" in page
    root = parse(page)
    text = root.text()
    for typed in shown:
        assert str(escape(typed)) in page, typed
        assert typed in text, typed  # shown as the very characters typed
    for node in root.iter():
        assert node.tag not in ("script", "img", "iframe", "object", "i"), node.tag
        assert not [a for a in node.attrs if a.startswith("on")], (node.tag, node.attrs)
    in_charts = sum(len(svg.find_all("style")) for svg in root.find_all("svg"))
    assert len(root.find_all("style")) - in_charts == 1  # the report's own stylesheet only


# -- PDF -------------------------------------------------------------------------------------


def test_livret_pdf(journal: Journal, tmp_path: Path) -> None:
    target = tmp_path / "livret.pdf"
    livret_pdf(journal, "Léa Martin", target)
    text = pdf_text(target)
    assert "Léa Martin" in text
    for code in (*CIP, "UP1", "UP2", "EP1", "EP2"):
        assert code in text, code
    for customer in CUSTOMERS.values():
        assert customer in text
    # Each label in the legend, and in the rows: NA on CP05 and CP06, VA on CP03, A on three.
    assert text.count("non acquis") >= 3
    assert text.count("en cours d'acquisition") >= 2
    assert len(re.findall(r"(?<!non )\bacquis\b", text)) >= 4


def test_cohort_pdf(journal: Journal, tmp_path: Path) -> None:
    target = tmp_path / "atelier.pdf"
    cohort_pdf(journal, "C", target)
    text = pdf_text(target)
    for name in COHORT_C:
        assert name in text
    assert "Noah Petit" not in text  # cohort D
    for code in CIP:
        assert code in text, code
    for label in ("non acquis", "en cours d'acquisition", "acquis"):
        assert label in text
    assert "⚑" in text  # Hugo's VA cells reach the acquired score without the coverage


def test_grid_pdf(journal: Journal, tmp_path: Path) -> None:
    target = tmp_path / "grille.pdf"
    grid_pdf(journal, "Léa Martin", "EP1/S1", target)
    text = pdf_text(target)
    assert "Léa Martin" in text
    assert "EP1" in text and "S1" in text
    for code in ("CP01", "CP02", "CP03"):
        assert code in text, code
    for code in ("CP04", "CP05", "CP06", "CP07"):
        assert code not in text, code  # S1 assesses CP01–CP03 only
    assert re.search(r"\b18 / 20\b", text), text
    assert "........ / 20" in text
    for label in ("en cours d'acquisition", "acquis"):
        assert label in text


def page_texts(path: Path) -> list[str]:
    """The text of each page as pypdf reads it, line breaks kept."""
    return [page.extract_text() for page in PdfReader(path).pages]


CASES = [
    ("livret", "Léa Martin", None),
    ("livret", "Hugo Bernard", None),
    ("livret", "Inès Roux", None),
    ("livret", "Noah Petit", None),
    ("grid", "Léa Martin", "EP1/S1"),
    ("grid", "Léa Martin", "EP1"),
    ("grid", "Léa Martin", "EP2"),
    ("grid", "Hugo Bernard", "EP2"),
    ("grid", "Noah Petit", "EP1"),
    ("cohort", "C", None),
    ("cohort", "D", None),
]


def make_pdf(journal: Journal, target: Path, kind: str, name: str, situation: str | None) -> str:
    """Write the report as PDF, and return its HTML."""
    if kind == "livret":
        livret_pdf(journal, name, target)
        return livret_html(journal, name)
    if kind == "grid":
        assert situation is not None
        grid_pdf(journal, name, situation, target)
        return grid_html(journal, name, situation)
    cohort_pdf(journal, name, target)
    return cohort_html(journal, name)


@pytest.mark.parametrize(("kind", "name", "situation"), CASES)
def test_pdf_has_no_blank_page(
    journal: Journal, tmp_path: Path, kind: str, name: str, situation: str | None
) -> None:
    # A last page holding only the legend and « Produit par ep-skills le … » is a blank page
    # to an inspector: the signatures, the legend and that line stay with the content.
    target = tmp_path / "r.pdf"
    make_pdf(journal, target, kind, name, situation)
    produced = _("Produced by ep-skills on {day}.").format(day=format_day(TODAY))
    for number, text in enumerate(page_texts(target), start=1):
        body = text.split(_("Legend:"))[0].replace(produced, "")
        body = re.sub(r"\b\d+ / \d+\s*$", "", body.strip())
        assert body.strip(), f"page {number} of the {kind} {name} {situation or ''} is blank"


class _Headers(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.words: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += tag == "th"

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "th"

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.words.update(w for w in data.split() if len(w) >= 4)


@pytest.mark.parametrize(("kind", "name", "situation"), CASES[:1] + CASES[4:5] + CASES[9:10])
def test_pdf_column_headers_do_not_break_inside_a_word(
    journal: Journal, tmp_path: Path, kind: str, name: str, situation: str | None
) -> None:
    target = tmp_path / "r.pdf"
    headers = _Headers()
    headers.feed(make_pdf(journal, target, kind, name, situation))
    assert {"compétence", "évaluations", "autonomie", "commande"} & headers.words
    text = "\n".join(page_texts(target))
    for word in sorted(headers.words):
        for cut in range(2, len(word) - 1):
            head, tail = word[:cut], word[cut:]
            for joint in ("\n", "-\n", "‐\n"):
                assert f"{head}{joint}{tail}" not in text, f"{word!r} broken: {head}|{tail}"
    page = livret_html(journal, "Léa Martin")
    rule = re.search(r"\bth \{[^}]*\}", page)
    assert rule is not None and "overflow-wrap: normal" in rule.group(0)


def test_rendering_a_livret_logs_no_findfont_line(
    journal: Journal, caplog: pytest.LogCaptureFixture
) -> None:
    # Naming a font matplotlib does not have logs « findfont: Font family … not found » for
    # every label of every chart: thousands of lines on the terminal for one livret.
    caplog.set_level(logging.INFO)
    livret_html(journal, "Léa Martin")
    assert [r.getMessage() for r in caplog.records if "findfont" in r.getMessage()] == []
    # Even when debugging: the fonts are looked up once, not again for each label.
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    livret_html(journal, "Hugo Bernard")
    assert [r.getMessage() for r in caplog.records if "findfont" in r.getMessage()] == []
    from matplotlib import rcParams

    assert rcParams["font.family"][0] == "DejaVu Sans"


# -- the workshop view as a spreadsheet ------------------------------------------------------


@pytest.fixture
def workbook_path(journal: Journal, tmp_path: Path) -> Path:
    target = tmp_path / "atelier.xlsx"
    cohort_xlsx(journal, "C", target)
    return target


def test_xlsx_sheets_headers_and_frozen_panes(journal: Journal, workbook_path: Path) -> None:
    book = load_workbook(workbook_path)
    assert book.sheetnames == [_("Matrix"), _("Gaps"), _("Tasks"), _("Self-assessments")]
    matrix = book[_("Matrix")]
    rows = [list(r) for r in matrix.iter_rows(values_only=True)]
    leaves = journal.diploma("cap-cip").leaves
    assert rows[0] == [_("trainee"), *CIP, _("readiness")]
    assert rows[1][1:-1] == [leaves[code].title for code in CIP]
    assert [r[0] for r in rows[2:]] == COHORT_C
    assert matrix.freeze_panes == "B3"
    for index, name in enumerate(COHORT_C, start=3):
        readiness = matrix.cell(row=index, column=len(CIP) + 2)
        assert readiness.value == round(journal.progress(name).readiness, 4)
        assert readiness.number_format == "0%"


def test_xlsx_matrix_has_a_conditional_fill_per_state(
    journal: Journal, workbook_path: Path
) -> None:
    matrix = load_workbook(workbook_path)[_("Matrix")]
    ranges = list(matrix.conditional_formatting)
    assert [str(r.sqref) for r in ranges] == ["B3:H5"]  # 3 trainees × 7 competencies
    rules = ranges[0].rules
    states = journal.diploma("cap-cip").scale.states
    assert len(rules) == len(states)
    fills = set()
    for rule, state in zip(rules, states, strict=True):
        assert rule.type == "expression"
        assert rule.formula == [f'LEFT(B3,{len(state.symbol or "")})="{state.symbol}"']
        assert rule.dxf is not None and rule.dxf.fill is not None
        fills.add(rule.dxf.fill.fgColor.rgb)
    assert len(fills) == len(states)  # a different colour for each state


def test_xlsx_cells_follow_progress(journal: Journal, workbook_path: Path) -> None:
    matrix = load_workbook(workbook_path)[_("Matrix")]
    show = symbols(journal)
    for index, name in enumerate(COHORT_C, start=3):
        progress = journal.progress(name)
        assert matrix.cell(row=index, column=1).value == name
        for column, code in enumerate(CIP, start=2):
            node = progress.node(code)
            assert node is not None
            symbol, label = show[node.state]
            value = matrix.cell(row=index, column=column).value
            assert isinstance(value, str) and value.startswith(f"{symbol} {label}"), (
                name,
                code,
                value,
            )
    hugo = COHORT_C.index("Hugo Bernard") + 3
    assert matrix.cell(row=hugo, column=CIP.index("CP04") + 2).value.endswith("⚑")
    assert not matrix.cell(row=hugo, column=CIP.index("CP01") + 2).value.endswith("⚑")


def test_xlsx_gaps_and_tasks_follow_cohort_gaps(journal: Journal, workbook_path: Path) -> None:
    book = load_workbook(workbook_path)
    gaps = cohort_gaps(journal, "C")
    assert gaps and all(g.diploma == "cap-cip" for g in gaps)

    def body(sheet: str) -> list[list[str]]:
        rows = list(book[sheet].iter_rows(min_row=2, values_only=True))
        return [["" if v is None else v for v in row] for row in rows]

    assert body(_("Gaps")) == [
        [g.code, g.title, ", ".join(g.trainees), ", ".join(g.never_assessed)] for g in gaps
    ]
    assert body(_("Tasks")) == [
        [g.code, t.id, t.title, ", ".join(g.trainees)] for g in gaps for t in g.tasks
    ]
    for sheet in (_("Gaps"), _("Tasks")):
        assert book[sheet].freeze_panes == "A2"
        assert book[sheet].auto_filter.ref == book[sheet].dimensions
    # Noah Petit is in cohort D: never in cohort C's gaps.
    assert not [g for g in gaps if "Noah Petit" in g.trainees]


def test_xlsx_lists_self_assessments_on_a_sheet_of_their_own(
    journal: Journal, workbook_path: Path
) -> None:
    book = load_workbook(workbook_path)
    rows = list(book[_("Self-assessments")].iter_rows(values_only=True))
    titles = dict(cohort_report(journal, "C")[0].columns)
    assert rows == [
        (_("trainee"), _("code"), _("competency"), _("self-assessment"), _("official state")),
        ("Léa Martin", "CP03", titles["CP03"], "✓ acquis", "◐ en cours d'acquisition"),
        ("Léa Martin", "CP07", titles["CP07"], "✓ acquis", "· non évalué"),
    ]
    # Never in the matrix: Léa's CP07 is not assessed there.
    matrix = book[_("Matrix")]
    lea = COHORT_C.index("Léa Martin") + 3
    assert matrix.cell(row=lea, column=CIP.index("CP07") + 2).value == "· non évalué"


def test_xlsx_with_two_diplomas_gets_every_sheet_of_each(tmp_path: Path) -> None:
    with open_journal(tmp_path / "j.db", create=True, today=TODAY) as journal:
        journal.add_trainee("Léo Cip", diploma="cap-cip", cohort="M")
        journal.add_trainee("Mia Psr", diploma="cap-psr", cohort="M")
        cohort_xlsx(journal, "M", tmp_path / "m.xlsx")
        gaps = cohort_gaps(journal, "M")
    book = load_workbook(tmp_path / "m.xlsx")
    views = [_("Matrix"), _("Gaps"), _("Tasks"), _("Self-assessments")]
    assert book.sheetnames == [
        f"{view} {diploma}" for diploma in ("cap-cip", "cap-psr") for view in views
    ]
    for diploma in ("cap-cip", "cap-psr"):
        listed = [
            r[0] for r in book[f"{_('Gaps')} {diploma}"].iter_rows(min_row=2, values_only=True)
        ]
        assert listed == [g.code for g in gaps if g.diploma == diploma] and listed
    for sheet in book:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title


def test_xlsx_keeps_typed_text_as_text(tmp_path: Path) -> None:
    # A name starting with "=" must stay a name: as a formula, a spreadsheet would run it
    # (formula injection, e.g. =HYPERLINK to an outside address).
    name = '=HYPERLINK("https://example.invalid/","clic")'
    with open_journal(tmp_path / "j.db", create=True, today=TODAY) as journal:
        journal.add_trainee(name, diploma="cap-cip", cohort="F")
        cohort_xlsx(journal, "F", tmp_path / "f.xlsx")
    book = load_workbook(tmp_path / "f.xlsx")
    formulas = [
        (sheet.title, cell.coordinate, cell.value)
        for sheet in book
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    assert book.worksheets[0]["A3"].value == name  # the name itself, as typed
    # What a spreadsheet application reads: no formula element anywhere in the file.
    with zipfile.ZipFile(tmp_path / "f.xlsx") as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        for member in sheets:
            assert not re.search(rb"<(?:\w+:)?f[ >]", archive.read(member)), member


# -- the proposed mark -----------------------------------------------------------------------

POINTS = {"NA": 0.0, "VA": 10.0, "A": 20.0}


def line(code: str, score: int | None, state: str | None) -> CompetencyLine:
    return CompetencyLine(
        code=code,
        title=code,
        depth=0,
        state=state,
        label="",
        symbol="",
        colour="grey",
        score=score,
        acquired=state == "A",
        count=0,
        contexts=0,
        flagged=False,
        self_label=None,
    )


def test_mark_from_scores_by_hand() -> None:
    lines = [line("CP01", 78, "A"), line("CP02", 58, "VA"), line("CP03", None, None)]
    mark, points = proposed_mark(lines, "score", POINTS)
    # (78/5 + 58/5 + 0) / 3 = (15.6 + 11.6 + 0) / 3 = 9.07, to the half point: 9.
    assert mark == 9.0
    assert [c for c, _p in points] == ["CP01", "CP02", "CP03"]
    assert [p for _c, p in points] == pytest.approx([15.6, 11.6, 0.0])


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([100, 100, 100, 85], 19.5),  # 19.25: a half point up
        ([46, 46, 46, 46, 47], 9.0),  # 9.24
        ([40, 40, 41], 8.0),  # 8.07
        ([38, 38], 7.5),  # 7.6
        ([100], 20.0),
        ([0, None], 0.0),
    ],
)
def test_mark_from_scores_to_the_half_point(scores: list[int | None], expected: float) -> None:
    lines = [line(f"C{i}", s, "A") for i, s in enumerate(scores)]
    assert proposed_mark(lines, "score", POINTS)[0] == expected


def test_mark_from_states_by_hand() -> None:
    # non acquis 0, en cours 10, acquis 20, not assessed 0: the mean, to the half point.
    lines = [line("CP01", 100, "A"), line("CP02", 67, "A"), line("CP03", 50, "VA")]
    assert proposed_mark(lines, "states", POINTS) == (
        16.5,  # 50 / 3 = 16.67
        [("CP01", 20.0), ("CP02", 20.0), ("CP03", 10.0)],
    )
    lines = [line("CP01", 100, "A"), line("CP02", 10, "NA"), line("CP03", None, None)]
    assert proposed_mark(lines, "states", POINTS)[0] == 6.5  # 20 / 3 = 6.67
    assert proposed_mark([], "states", POINTS)[0] == 0.0


def test_grid_mark_uses_the_situation_competencies(journal: Journal) -> None:
    grid = situation_grid(journal, "Léa Martin", "EP1/S1")
    progress = journal.progress("Léa Martin")
    scores = {c: progress.node(c).score for c in ("CP01", "CP02", "CP03")}  # type: ignore[union-attr]
    assert scores == {"CP01": 100, "CP02": 100, "CP03": 67}
    assert grid.conversion == "score"
    assert grid.mark == 18.0  # (20 + 20 + 13.4) / 3 = 17.8
    assert [c for c, _p in grid.points] == ["CP01", "CP02", "CP03"]
    assert grid.not_assessed == ()
    whole = situation_grid(journal, "Léa Martin", "EP1")
    assert [c for c, _p in whole.points] == ["CP01", "CP02", "CP03", "CP04", "CP05"]
    # CP05: R (33) after the correction, not the VV it replaced.
    assert whole.mark == math.floor((20 + 20 + 13.4 + 20 + 6.6) / 5 * 2 + 0.5) / 2 == 16.0


def test_school_config_with_states_conversion_changes_the_grid(db: Path, tmp_path: Path) -> None:
    config = tmp_path / "ecole.toml"
    config.write_text('[settings]\nmark_conversion = "states"\n', encoding="utf-8")
    with open_journal(db, today=TODAY, school=load_school_config(config)) as journal:
        grid = situation_grid(journal, "Léa Martin", "EP1/S1")
        page = parse(grid_html(journal, "Léa Martin", "EP1/S1"))
    assert grid.conversion == "states"
    assert grid.points == (("CP01", 20.0), ("CP02", 20.0), ("CP03", 10.0))
    assert grid.mark == 16.5
    (mark,) = page.find_all("span", "mark")
    assert mark.text() == "16,5 / 20"  # the French decimal comma
    # Without the school's file, the same evidence gives the score conversion.
    with open_journal(db, today=TODAY) as journal:
        assert situation_grid(journal, "Léa Martin", "EP1/S1").mark == 18.0


def test_grid_names_what_is_not_assessed(journal: Journal) -> None:
    grid = situation_grid(journal, "Hugo Bernard", "EP1/S1")
    assert grid.not_assessed == ("CP01", "CP02", "CP03")
    assert grid.mark == 0.0
    text = parse(grid_html(journal, "Hugo Bernard", "EP1/S1")).text()
    assert "CP01, CP02, CP03" in text
    assert "0 / 20" in text


# -- the report command ----------------------------------------------------------------------


def run(db: Path, *args: str) -> Result:
    """``ep-skills --lang fr --db DB ARGS``; a crash (not a SystemExit) fails the test."""
    result = CliRunner().invoke(cli, ["--lang", "fr", "--db", str(db), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"ep-skills {' '.join(args)} crashed:\n{trace}")
    return result


def ok(db: Path, *args: str) -> Result:
    result = run(db, *args)
    assert result.exit_code == 0, result.output
    return result


def test_cli_livret_pdf(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "x.pdf"
    result = ok(db, "report", "Léa Martin", "--format", "pdf", "-o", str(target))
    assert str(target) in result.stdout
    assert "Léa Martin" in pdf_text(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.pdf"]


def test_cli_livret_html(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "livret.html"
    ok(db, "report", "lea martin", "--format", "html", "-o", str(target))
    assert "Léa Martin" in parse(target.read_text(encoding="utf-8")).find_all("h1")[0].text()


def test_cli_cohort_xlsx(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "atelier.xlsx"
    ok(db, "report", "--cohort", "C", "--format", "xlsx", "-o", str(target))
    book = load_workbook(target)
    assert len(book.sheetnames) == 4
    assert [r[0] for r in book.worksheets[0].iter_rows(min_row=3, values_only=True)] == COHORT_C
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atelier.xlsx"]


def test_cli_cohort_pdf(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "atelier.pdf"
    ok(db, "report", "--cohort", "C", "-o", str(target))  # pdf is the default
    text = pdf_text(target)
    assert all(name in text for name in COHORT_C)


def test_cli_situation_grid(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "grille.pdf"
    ok(db, "report", "Léa Martin", "--situation", "EP1/S1", "-o", str(target))
    text = pdf_text(target)
    assert "18 / 20" in text and "CP03" in text and "CP04" not in text
    page = tmp_path / "grille.html"
    ok(db, "report", "Léa Martin", "--situation", "EP2", "--format", "html", "-o", str(page))
    root = parse(page.read_text(encoding="utf-8"))
    assert root.find_all("span", "mark")[0].text().endswith("/ 20")
    assert "CP06" in root.text() and "CP01" not in root.text()


def test_cli_situation_grid_with_the_school_config(db: Path, tmp_path: Path) -> None:
    config = tmp_path / "ecole.toml"
    config.write_text('[settings]\nmark_conversion = "states"\n', encoding="utf-8")
    page = tmp_path / "grille.html"
    ok(
        db,
        "--config",
        str(config),
        "report",
        "Léa Martin",
        "--situation",
        "EP1/S1",
        "--format",
        "html",
        "-o",
        str(page),
    )
    assert parse(page.read_text(encoding="utf-8")).find_all("span", "mark")[0].text() == (
        "16,5 / 20"
    )


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["Personne", "--format", "pdf"], "Personne"),
        (["Personne", "--format", "html"], "Personne"),
        (["Léa Martin", "--situation", "EP9"], "EP9"),
        (["Léa Martin", "--situation", "EP1/S9"], "S9"),
        (["Léa Martin", "--situation", "EG1"], "EG1"),
        (["Léa Martin", "--format", "xlsx"], "--cohort"),
        (["Léa Martin", "--cohort", "C"], "--cohort"),
        (["--format", "pdf"], "--cohort"),
        (["--cohort", "C", "--situation", "EP1"], ""),
        (["--cohort", "Z"], "Z"),
        (["--cohort", "Z", "--format", "xlsx"], "Z"),
    ],
)
def test_cli_errors_write_nothing(db: Path, tmp_path: Path, args: list[str], named: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    suffix = ".xlsx" if "xlsx" in args else ".pdf"
    result = run(db, "report", *args, "-o", str(out / f"x{suffix}"))
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Erreur") and named in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert list(out.iterdir()) == []


def test_cli_output_in_a_missing_directory(db: Path, tmp_path: Path) -> None:
    for fmt, args in (
        ("pdf", ["Léa Martin"]),
        ("html", ["Léa Martin"]),
        ("xlsx", ["--cohort", "C"]),
    ):
        target = tmp_path / "manque" / f"x.{fmt}"
        result = run(db, "report", *args, "--format", fmt, "-o", str(target))
        assert result.exit_code == 1, (fmt, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Erreur"), result.stderr
        assert str(target) in lines[0]
        assert not (tmp_path / "manque").exists()
    assert list(tmp_path.iterdir()) == []


def test_cli_never_replaces_a_file_unless_told(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "livret.html"
    target.write_text("mon livret annoté", encoding="utf-8")
    refused = run(db, "report", "Léa Martin", "--format", "html", "-o", str(target))
    assert refused.exit_code == 1 and "--force" in refused.stderr
    assert target.read_text(encoding="utf-8") == "mon livret annoté"
    replaced = run(db, "report", "Léa Martin", "--format", "html", "-o", str(target), "--force")
    assert replaced.exit_code == 0, replaced.output
    assert "Léa Martin" in target.read_text(encoding="utf-8")
    # It holds a minor's data: readable by its owner only.
    assert target.stat().st_mode & 0o777 == 0o600
    # A read-only file is not replaced, even with --force, nor a device (as root too).
    target.chmod(0o444)
    again = run(db, "report", "Léa Martin", "--format", "html", "-o", str(target), "--force")
    assert again.exit_code == 1 and "lecture seule" in again.stderr
    device = run(db, "report", "Léa Martin", "--format", "html", "-o", "/dev/full", "--force")
    assert device.exit_code == 1 and "pas un fichier ordinaire" in device.stderr
    assert Path("/dev/full").is_char_device()


def test_cli_failure_leaves_an_existing_file_as_it_was(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "livret.pdf"
    target.write_bytes(b"previous livret")
    assert run(db, "report", "Personne", "-o", str(target)).exit_code == 1
    assert target.read_bytes() == b"previous livret"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["livret.pdf"]


@pytest.mark.parametrize(
    ("failure", "code", "message"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), 1, "No space left on device"),
        (KeyboardInterrupt(), 130, ""),
    ],
    ids=["disk-full", "ctrl-c"],
)
def test_cli_failure_while_writing_leaves_no_partial_file(
    db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: BaseException,
    code: int,
    message: str,
) -> None:
    # The disk fills up (or the user presses Ctrl-C) half-way through the PDF.
    import ep_skills.reports

    def half_written(html: str, output: str | Path) -> None:
        Path(output).write_bytes(b"%PDF-1.7 half")
        raise failure

    monkeypatch.setattr(ep_skills.reports, "write_pdf", half_written)
    target = tmp_path / "livret.pdf"
    target.write_bytes(b"previous livret")
    result = run(db, "report", "Léa Martin", "-o", str(target), "--force")
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert target.read_bytes() == b"previous livret"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["livret.pdf"]


def test_cli_xlsx_with_a_name_the_format_cannot_hold(tmp_path: Path) -> None:
    # Text pasted from a word processor can carry control characters (here a vertical tab)
    # that XLSX cannot store. They are refused where they enter now; a journal written by an
    # earlier version may still hold one: a clear error or a cleaned cell, never a traceback.
    from tests.journals import write_old_journal

    from ep_skills.errors import EvidenceError

    db = tmp_path / "j.db"
    with (
        open_journal(db, create=True, today=TODAY) as journal,
        pytest.raises(EvidenceError, match="U\\+000B"),
    ):
        journal.add_trainee("Zoé\x0bDumont", diploma="cap-cip", cohort="V")
    db.unlink()
    write_old_journal(
        db,
        5,
        "INSERT INTO trainee (id, name, name_key, diploma, cohort, created_at) VALUES "
        "(1, 'Zoé' || char(11) || 'Dumont', 'zoe dumont', 'cap-cip', 'V', '2026-01-01')",
    )
    out = tmp_path / "out"
    out.mkdir()
    result = run(db, "report", "--cohort", "V", "--format", "xlsx", "-o", str(out / "v.xlsx"))
    if result.exit_code == 0:
        matrix = load_workbook(out / "v.xlsx").worksheets[0]
        assert "Zoé" in str(matrix["A3"].value) and "Dumont" in str(matrix["A3"].value)
    else:
        assert result.exit_code == 1
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert list(out.iterdir()) == []


# -- French, and a light command line --------------------------------------------------------

TEMPLATES = PACKAGE / "reports" / "templates"


def template_messages() -> set[str]:
    from jinja2 import Environment, nodes

    found = set()
    for path in sorted(TEMPLATES.glob("*.j2")):
        tree = Environment().parse(path.read_text(encoding="utf-8"))
        for call in tree.find_all(nodes.Call):
            if (
                isinstance(call.node, nodes.Name)
                and call.node.name == "_"
                and call.args
                and isinstance(call.args[0], nodes.Const)
            ):
                found.add(call.args[0].value)
    return found


def code_messages(*paths: Path) -> set[str]:
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(node.args[0].value)
    return found


def test_template_messages_are_extracted_for_translation() -> None:
    messages = template_messages()
    assert len(messages) > 30 and "Legend:" in messages
    missing = sorted(messages - extract())
    assert not missing, f"{len(missing)} template messages unknown to i18n_extract: {missing}"


def test_report_messages_have_a_french_translation() -> None:
    french = parse_po((PACKAGE / "locale" / "fr.po").read_text(encoding="utf-8"))
    messages = template_messages() | code_messages(
        *sorted((PACKAGE / "reports").glob("*.py")), PACKAGE / "cli" / "report_cmds.py"
    )
    missing = sorted(m for m in messages if not french.get(m, "").strip())
    assert not missing, f"{len(missing)} report messages without French: {missing}"


@pytest.mark.sqlite_only  # a subprocess opens the file by its path
def test_heavy_libraries_stay_unloaded_until_a_report_is_made(db: Path) -> None:
    probe = (
        "import sys\n"
        "import ep_skills.cli\n"
        "print('matplotlib' in sys.modules, 'weasyprint' in sys.modules, 'jinja2' in sys.modules)\n"
        "from ep_skills.cli import main\n"
        "sys.argv = ['ep-skills', '--lang', 'fr', '--db', sys.argv[1], 'progress', 'Léa Martin']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "heavy = ('matplotlib', 'weasyprint', 'jinja2', 'openpyxl')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(db)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "False False False"
    assert lines[-1] == "[]"  # a whole ordinary command, plugins loaded, imports none of them
