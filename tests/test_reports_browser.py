"""The reports' HTML in a real headless Chromium, driven by Playwright.

What a school sees when it opens a livret or the workshop view in a browser: no script error,
nothing fetched from anywhere (every request is the file itself), the text and headings
visible, nothing wider than an A4 page (794 px at 96 dpi), and a PDF from the browser's own
print. Text a user typed never runs: names, customers and notes carrying ``<script>`` or an
``onerror`` handler are shown as text, and ``window.__xss`` stays undefined.

The system Chromium is used (``chromium`` or ``chromium-browser`` on the PATH), not a browser
downloaded by Playwright. Without one the tests are skipped, except under CI (``$CI`` set),
where a missing Chromium is a failure: CI must install it. The livret's full-page screenshot is
kept in ``artifacts/report-livret.png`` (git-ignored) for a human look.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from pypdf import PdfReader
from tests.chromium import in_french, launch

from ep_skills.api import Journal, open_journal
from ep_skills.i18n import _
from ep_skills.reports import cohort_html, grid_html, livret_html


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


_french = pytest.fixture(autouse=True)(in_french)

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
A4_WIDTH = 794  # 210 mm at 96 dpi
A4_HEIGHT = 1123
TODAY = date(2026, 11, 20)

NAME = '<img src=x onerror="window.__xss=1">Lou'
CUSTOMER = "<script>window.__xss=2</script> SARL"
NOTE = "<script>window.__xss=3</script>"
ASSESSOR = '<img src=y onerror="window.__xss=4">Jo'


def fill(journal: Journal, name: str, customer: str, assessor: str, note: str) -> None:
    """Evidence over several months on two orders: both blocs have scores and states."""
    journal.add_trainee(name, diploma="cap-cip", cohort="C", start_date=date(2026, 5, 4))
    journal.add_trainee("Hugo Bernard", diploma="cap-cip", cohort="C")
    journal.add_order("O1", customer=customer, title="400 équerres")
    journal.add_order("O2", customer="Cartonnages de la Loire", title="Boîtes")
    for day, ref, level in (
        (date(2026, 6, 10), "O1", "VV"),
        (date(2026, 8, 20), "O2", "VV"),
        (date(2026, 10, 5), "O1", "V"),
    ):
        journal.record(
            [name],
            task="conduire-ligne-mode-normal",
            day=day,
            order=ref,
            level=level,
            assessor=assessor,
            note=note,
            autonomy=3,
        )
    # Recorded twice by mistake: withdrawn, with who and why.
    journal.record([name], description="doublon", day=date(2026, 10, 6), levels={"CP02": "VV"})
    person = journal.trainee(name).id
    (twice,) = [a for a in journal.storage.assessments(person, "CP02") if a.day.day == 6]
    journal.correct(twice.id, withdraw=True, note=note, assessor=assessor)
    journal.record(
        [name], task="demarrer-arreter-installation", day=date(2026, 9, 1), order="O2", level="R"
    )
    journal.record(
        [name], description=note, day=date(2026, 11, 2), role="auto", levels={"CP03": "VV"}
    )
    journal.record(
        ["Hugo Bernard"], task="demarrer-arreter-installation", day=date(2026, 10, 1), level="V"
    )


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "j.db"
    with open_journal(path, create=True, today=TODAY) as journal:
        fill(journal, "Léa Martin", "Mécanique Durand", "M. Garnier", "bien")
    return path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "j.db"
    with open_journal(path, create=True, today=TODAY) as journal:
        fill(journal, NAME, CUSTOMER, ASSESSOR, NOTE)
    return path


class Watched:
    """A page, and everything that went wrong or left the file while it loaded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.blocked: list[str] = []

    def check_clean(self, url: str) -> None:
        assert self.errors == []
        assert self.blocked == []
        assert self.requests and all(r.startswith("file:") for r in self.requests), self.requests
        assert set(self.requests) == {url}  # everything else is inline

    def width(self) -> int:
        return int(
            self.page.evaluate(
                "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            )
        )


@pytest.fixture
def opened(browser: Browser) -> Iterator[Callable[[Path], Watched]]:
    """Open a file in a fresh browser context, watching what it logs and requests."""
    contexts: list[BrowserContext] = []

    def opener(path: Path) -> Watched:
        context = browser.new_context(viewport={"width": A4_WIDTH, "height": A4_HEIGHT})
        contexts.append(context)
        page = context.new_page()
        watched = Watched(page)

        def block(route: Route) -> None:
            watched.blocked.append(route.request.url)
            route.abort()

        context.route(re.compile(r"^(?!file:)"), block)  # nothing leaves the machine
        page.on(
            "console",
            lambda m: watched.errors.append(f"console: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: watched.errors.append(f"page error: {e}"))
        page.on(
            "requestfailed",
            lambda r: watched.errors.append(f"request failed: {r.url} {r.failure}"),
        )
        page.on("request", lambda r: watched.requests.append(r.url))
        page.goto(path.as_uri(), wait_until="load")
        return watched

    yield opener
    for context in contexts:
        context.close()


def write(tmp_path: Path, name: str, html: str) -> Path:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), data[:8]
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# -- the livret ------------------------------------------------------------------------------


def test_livret_in_chromium(plain: Path, tmp_path: Path, opened: Callable[[Path], Watched]) -> None:
    with open_journal(plain, today=TODAY) as journal:
        path = write(tmp_path, "livret.html", livret_html(journal, "Léa Martin"))
        blocs = journal.diploma("cap-cip").referential.blocs
    watched = opened(path)
    page = watched.page
    watched.check_clean(path.as_uri())

    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("Léa Martin")
    for bloc in blocs:
        heading = page.get_by_role("heading", name=re.compile(rf"^{bloc.id} — {bloc.title}"))
        expect(heading).to_be_visible()
    for code in (f"CP0{i}" for i in range(1, 8)):
        expect(page.get_by_role("cell", name=code, exact=True).first).to_be_visible()
    expect(page.get_by_text("O1 (Mécanique Durand)").first).to_be_visible()

    charts = page.locator(".chart svg")
    expect(charts).to_have_count(3)
    for index in range(3):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 50, box
        assert box["x"] >= 0 and box["x"] + box["width"] <= A4_WIDTH, box

    assert watched.width() <= A4_WIDTH

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-livret.png"
    page.screenshot(path=str(shot), full_page=True)
    width, height = png_size(shot.read_bytes())
    assert width == A4_WIDTH and height > A4_HEIGHT, (width, height)

    page.emulate_media(media="print")
    assert watched.width() <= A4_WIDTH
    pdf = page.pdf(format="A4")
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) >= 2
    first = reader.pages[0].mediabox
    # A4 is 595 × 842 pt; Chromium rounds the page to whole pixels.
    assert float(first.width) == pytest.approx(595.3, abs=1.5), first
    assert float(first.height) == pytest.approx(841.9, abs=1.5), first
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "Léa Martin" in text and "CP07" in text and "EP2" in text
    assert watched.errors == []


@pytest.mark.parametrize("report", ["cohort", "grid"])
def test_cohort_and_grid_in_chromium(
    plain: Path, tmp_path: Path, opened: Callable[[Path], Watched], report: str
) -> None:
    with open_journal(plain, today=TODAY) as journal:
        html = (
            cohort_html(journal, "C")
            if report == "cohort"
            else grid_html(journal, "Léa Martin", "EP1/S1")
        )
    path = write(tmp_path, f"{report}.html", html)
    watched = opened(path)
    page = watched.page
    watched.check_clean(path.as_uri())
    expect(page.locator("h1")).to_be_visible()
    expect(page.get_by_text("Léa Martin").first).to_be_visible()
    if report == "cohort":
        expect(page.get_by_text("Hugo Bernard").first).to_be_visible()
        expect(page.locator("table.matrix")).to_be_visible()
    else:
        expect(page.locator(".mark")).to_contain_text("/ 20")
    assert watched.width() <= A4_WIDTH
    page.emulate_media(media="print")
    assert watched.width() <= A4_WIDTH
    assert page.pdf(format="A4").startswith(b"%PDF-")
    assert watched.errors == []


# -- what users typed never runs -------------------------------------------------------------


@pytest.mark.parametrize("report", ["livret", "cohort", "grid"])
def test_typed_markup_does_not_run_in_chromium(
    hostile: Path, tmp_path: Path, opened: Callable[[Path], Watched], report: str
) -> None:
    with open_journal(hostile, today=TODAY) as journal:
        html = {
            "livret": lambda: livret_html(journal, NAME),
            "cohort": lambda: cohort_html(journal, "C"),
            "grid": lambda: grid_html(journal, NAME, "EP1/S1"),
        }[report]()
    path = write(tmp_path, f"{report}.html", html)
    watched = opened(path)
    page = watched.page
    assert page.evaluate("window.__xss") is None
    watched.check_clean(path.as_uri())  # a raw <img src=x> would have asked for file:///…/x
    assert page.evaluate("document.querySelectorAll('script, img, iframe, object').length") == 0
    assert (
        page.evaluate(
            "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes])"
            ".filter(a => a.name.startsWith('on')).length"
        )
        == 0
    )
    expect(page.get_by_text(NAME).first).to_be_visible()
    shown = {"livret": (CUSTOMER, ASSESSOR), "cohort": (), "grid": (CUSTOMER, ASSESSOR)}[report]
    for typed in shown:
        expect(page.get_by_text(typed).first).to_be_visible()
    assert watched.errors == []


# -- evidence a jury can trust ---------------------------------------------------------------

HEADER_PROBLEMS = """() => {
  const found = [];
  for (const th of document.querySelectorAll('th')) {
    const wrap = getComputedStyle(th).overflowWrap;
    if (wrap !== 'normal') found.push(wrap + ': ' + th.textContent);
    if (th.scrollWidth > th.clientWidth + 1) found.push('overflows: ' + th.textContent);
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) found.push('broken: ' + match[0]);
      }
    }
  }
  return found;
}"""


@pytest.mark.parametrize("report", ["livret", "cohort", "grid"])
def test_column_headers_never_break_inside_a_word_in_chromium(
    plain: Path, tmp_path: Path, opened: Callable[[Path], Watched], report: str
) -> None:
    with open_journal(plain, today=TODAY) as journal:
        html = {
            "livret": lambda: livret_html(journal, "Léa Martin"),
            "cohort": lambda: cohort_html(journal, "C"),
            "grid": lambda: grid_html(journal, "Léa Martin", "EP1/S1"),
        }[report]()
    page = opened(write(tmp_path, f"{report}.html", html)).page
    assert page.locator("th").count() >= 5
    assert page.evaluate(HEADER_PROBLEMS) == []
    page.emulate_media(media="print")
    assert page.evaluate(HEADER_PROBLEMS) == []


def test_grid_in_chromium_labels_the_self_assessment_and_shows_notes(
    plain: Path, tmp_path: Path, opened: Callable[[Path], Watched]
) -> None:
    with open_journal(plain, today=TODAY) as journal:
        path = write(tmp_path, "grid.html", grid_html(journal, "Léa Martin", "EP1/S1"))
    watched = opened(path)
    page = watched.page
    watched.check_clean(path.as_uri())

    # The self-assessment of CP03 (2 November): in its own table, labelled, never official.
    cp03 = page.locator('tr.detail[data-code="CP03"]')
    mine = cp03.locator("table.evidence.self")
    expect(mine).to_be_visible()
    expect(mine.locator("caption")).to_have_text(_("Self-assessments: shown apart, never counted"))
    expect(mine.locator("tbody tr")).to_have_count(1)
    expect(mine.locator("tbody tr")).to_contain_text("02/11/2026")
    expect(mine.locator("tbody tr")).to_contain_text(_("self-assessment"))
    assert _("self-assessment") == "auto-évaluation"
    expect(cp03.locator("table.official")).to_have_count(0)  # no official entry on CP03
    official = page.locator("table.evidence.official")
    expect(official).to_have_count(2)  # CP01, CP02
    for index in range(2):
        expect(official.nth(index)).not_to_contain_text("02/11/2026")
        expect(official.nth(index).locator("thead th")).to_have_text(
            [_("date"), _("task"), _("order (customer)"), _("assessor"), _("autonomy"), _("level")]
        )

    # Each entry: its note, its assessor and role, its autonomy.
    first = page.locator('tr.detail[data-code="CP01"] table.official tbody tr').first
    expect(first).to_contain_text("« bien »")
    expect(first).to_contain_text("M. Garnier")
    expect(first).to_contain_text(_("workshop instructor"))
    expect(first).to_contain_text("3/4")
    expect(page.get_by_text("« bien »").first).to_be_visible()

    # The withdrawn entry of CP02: once, struck through; what withdrew it is not struck.
    withdrawn = page.locator('tr.detail[data-code="CP02"] tr.old')
    expect(withdrawn).to_have_count(1)
    expect(withdrawn).to_contain_text("doublon")
    change = withdrawn.locator(".change")
    expect(change).to_contain_text(_("by {assessor}").format(assessor="M. Garnier"))
    expect(change).to_contain_text("(« bien »)")
    assert (
        withdrawn.locator(".was").first.evaluate("e => getComputedStyle(e).textDecorationLine")
        == "line-through"
    )
    assert change.evaluate("e => e.closest('.was') === null")
    assert change.evaluate("e => getComputedStyle(e).textDecorationLine") == "none"
    expect(page.locator('tr.detail[data-code="CP02"] table.official tbody tr')).to_have_count(4)

    # Why CP03 is not acquired: one line under it.
    expect(cp03.locator("p.why")).to_have_count(1)
    expect(cp03.locator("p.why")).to_be_visible()
    assert watched.width() <= A4_WIDTH
    assert watched.errors == []
