"""The bench page in a real headless Chromium, driven by Playwright, served by uvicorn.

What an instructor does on the workshop's tablet, end to end: sign in, tap a team, a task, a
level, an order, write a note, record; see it on the trainee's page, correct an entry through
« Corriger » (the old one stays, struck through); print a livret. A trainee's account reaches
its own page only and adds self-assessments, shown apart. Every page loads without a script
error and asks nothing of any other site; nothing is wider than a tablet or a phone; text a
user typed (a name, a customer, a note carrying ``<script>`` or ``onerror``) never runs.

The app is served for real: uvicorn in a thread of the test process, over a journal opened
here (the server's threads share it, as ``ep-skills serve`` does), so that the test reads
back through the API what the browser wrote. Elements are found by name, role, href or CSS
class, not by their visible text (the interface's words are translated elsewhere).

As in ``test_reports_browser.py``, the system Chromium is used; without one the tests are
skipped, except under CI (``$CI`` set) where that is a failure. Full-page screenshots at a
tablet's landscape width go to ``artifacts/web-*.png`` (git-ignored) and, with
``EP_SKILLS_SCREENSHOTS=1`` (``python3 dev.py screenshots``), to ``docs/img/web-*.png``.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Request,
    Route,
    expect,
)
from pypdf import PdfReader
from tests.chromium import in_french, launch

from ep_skills.api import Journal, open_journal
from ep_skills.demo import DEMO_END, build_demo
from ep_skills.web import create_app
from ep_skills.web.accounts import add_account


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


_french = pytest.fixture(autouse=True)(in_french)

# The browser needs one backend only: not run a second time on the PostgreSQL server.
pytestmark = pytest.mark.sqlite_only

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
DOCS_IMG = ROOT / "docs" / "img"
TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 390, "height": 844}
LANDSCAPE = {"width": 1024, "height": 768}

INSTRUCTOR, INSTRUCTOR_PASSWORD, INSTRUCTOR_NAME = "garnier", "atelier-2026", "M. Garnier"
TRAINEE_LOGIN, TRAINEE_PASSWORD = "sarah", "mon-livret-26"

NAME = '<img src=x onerror="window.__xss=1">Lou'
CUSTOMER = "<script>window.__xss=2</script> SARL"
NOTE = "<script>window.__xss=3</script> à revoir"
TITLE = '<svg onload="window.__xss=4">'

TEAM_TASK = "conduire-ligne-mode-normal"  # CP04, CP02, CP01; V proposed for each
CHANGED, CHANGED_TO = "CP02", "VV"
TEAM_NOTE = "Bonne équipe, démarrage propre (test navigateur)"


# -- the server ------------------------------------------------------------------------------


@dataclass
class Served:
    """A journal served by uvicorn on a port of the loopback."""

    journal: Journal
    base: str
    people: dict[str, int] = field(default_factory=dict)
    """Who is who in the journal: a role in the tests → the trainee's number."""


@dataclass
class _Server:
    server: uvicorn.Server
    thread: threading.Thread


def _start(journal: Journal) -> tuple[_Server, str]:
    config = uvicorn.Config(
        create_app(journal), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="bench-page", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]  # port 0: the system chose a free one
    return _Server(server, thread), f"http://127.0.0.1:{port}"


def _stop(running: _Server) -> None:
    running.server.should_exit = True
    running.thread.join(timeout=15)
    assert not running.thread.is_alive(), "uvicorn did not stop"


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo workshop (four trainees, months of evidence), an instructor and a trainee."""
    path = tmp_path_factory.mktemp("bench") / "bench.db"
    journal = open_journal(path, create=True, today=DEMO_END)
    try:
        build_demo(journal, trainees=4)
        people = sorted(journal.trainees(), key=lambda p: p.id)
        add_account(journal, INSTRUCTOR, INSTRUCTOR_PASSWORD, name=INSTRUCTOR_NAME)
        add_account(journal, TRAINEE_LOGIN, TRAINEE_PASSWORD, trainee=people[0].id)
        running, base = _start(journal)
        try:
            yield Served(
                journal,
                base,
                {
                    "own": people[0].id,  # the trainee's account
                    "first": people[1].id,  # the team recorded in the browser
                    "second": people[2].id,
                    "other": people[3].id,
                },
            )
        finally:
            _stop(running)
    finally:
        journal.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A journal whose names, customer, order title and notes carry markup and handlers.

    Kept apart from the demo workshop so that the documentation's screenshots show no payload.
    """
    path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    journal = open_journal(path, create=True, today=DEMO_END)
    try:
        lou = journal.add_trainee(NAME, diploma="cap-cip", cohort="C", start_date=date(2025, 9, 1))
        hugo = journal.add_trainee("Hugo Bernard", diploma="cap-cip", cohort="C")
        journal.add_order("X1", customer=CUSTOMER, title=TITLE)
        written = journal.record(
            [lou.id, hugo.id],
            task=TEAM_TASK,
            day=date(2026, 3, 2),
            order="X1",
            assessor=NAME,
            note=NOTE,
            autonomy=2,
        )
        journal.record([lou.id], description=NOTE, day=date(2026, 3, 3), levels={"CP03": "R"})
        journal.record(
            [lou.id], task=TEAM_TASK, day=date(2026, 3, 4), role="auto", note=NOTE, assessor=NAME
        )
        add_account(journal, INSTRUCTOR, INSTRUCTOR_PASSWORD, name=TITLE)
        running, base = _start(journal)
        try:
            yield Served(journal, base, {"lou": lou.id, "record": written.id})
        finally:
            _stop(running)
    finally:
        journal.close()


# -- a watched browser -----------------------------------------------------------------------


class Watch:
    """Every page of one browser context: its script errors, and every URL it asked for."""

    def __init__(self, context: BrowserContext, base: str) -> None:
        self.context = context
        self.base = base
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.expected_status: set[str] = set()
        """URLs answered with an error status on purpose (Chromium logs those as errors)."""
        origin = re.escape(base + "/")
        context.route(re.compile(rf"^(?!{origin})"), self._block)  # nothing leaves the server
        context.on("request", self._request)

    def _block(self, route: Route) -> None:
        self.blocked.append(route.request.url)
        route.abort()

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        if where in self.expected_status and "Failed to load resource" in message.text:
            return
        self.errors.append(f"console: {message.text} ({where})")

    def page(self) -> Page:
        return self.attach(self.context.new_page())

    def attach(self, page: Page) -> Page:
        """Watch a page of the context (a new tab too) for script errors."""
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        return page

    def url(self, path: str) -> str:
        return self.base + path

    def check_clean(self) -> None:
        """No script error, nothing asked of another origin, nothing blocked."""
        assert self.errors == []
        assert self.blocked == []
        assert self.requests, "no request seen"
        strangers = [r for r in self.requests if not r.startswith(self.base + "/")]
        assert strangers == []


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def watch(
    browser: Browser,
    contexts: list[BrowserContext],
    served: Served,
    viewport: dict[str, int] | None = None,
) -> Watch:
    context = browser.new_context(
        viewport=viewport or TABLET, base_url=served.base, locale="fr-FR", service_workers="block"
    )
    contexts.append(context)
    return Watch(context, served.base)


def sign_in(watched: Watch, login: str, password: str) -> Page:
    page = watched.page()
    page.goto("/login")
    form = page.locator("form.login")
    form.locator("input[name=login]").fill(login)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    return page


def as_instructor(watched: Watch) -> Page:
    page = sign_in(watched, INSTRUCTOR, INSTRUCTOR_PASSWORD)
    expect(page).to_have_url(watched.url("/record"))
    return page


def chip(page: Page, name: str, value: object) -> None:
    """Tap a chip (its label, as a finger does) and check its input took it."""
    box = page.locator(f'input[name="{name}"][value="{value}"]')
    page.locator("label.chip", has=box).click()
    expect(box).to_be_checked()


def choose_task(page: Page, task: str) -> None:
    """Tap a task and wait for the levels htmx loads for it."""
    chip(page, "task", task)
    expect(page.locator('#levels input[name="levels_for"]')).to_have_value(task)
    expect(page.locator("#levels select").first).to_be_visible()


def no_horizontal_scroll(page: Page) -> None:
    sizes = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
        " body: document.body.scrollWidth})"
    )
    assert sizes["scroll"] <= sizes["inner"] and sizes["body"] <= sizes["inner"], (
        page.url,
        sizes,
        page.evaluate(WIDEST),
    )


WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .slice(0, 8).map(e => e.tagName + '.' + e.className + ' → '
    + Math.round(e.getBoundingClientRect().right))"""

BROKEN_WORDS = """selector => {
  const found = [];
  for (const cell of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('td, th') !== cell) continue;  // a nested table's own
      for (const match of node.data.matchAll(/[^\\s-]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const rects = [...range.getClientRects()].filter(r => r.width > 0);
        if (new Set(rects.map(r => Math.round(r.top))).size > 1) found.push(match[0]);
      }
    }
  }
  return [...new Set(found)];
}"""
WHOLE_ON_A_TABLET = "main th, main td"
WHOLE_ON_A_PHONE = (
    "main th, main td.num, main .c-day, main .c-level, main .c-act, main .matrix td,"
    " main .rows td:first-child, main .rows td:last-child"
)
"""The cells whose words never break inside: every cell on a tablet; on a phone, the text of
a long title may break anywhere rather than widen the page, but not a header, a date, a
number, a level, a code or a link."""


def words_kept_whole(page: Page, selector: str) -> None:
    assert page.evaluate(BROKEN_WORDS, selector) == [], page.url


def open_all_details(page: Page) -> None:
    """Unfold every bloc and every competency's evidence, and wait for what htmx loads."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    expect(page.locator(".ev > a")).to_have_count(0)  # htmx swapped each link for the evidence


def evidence(page: Page, code: str) -> Locator:
    """Tap « preuves et notes » under a competency of a trainee's page; its evidence, loaded."""
    more = page.locator(f"#c-{code} + tr.more")
    bloc = page.locator("details.bloc", has=more)
    if not bloc.evaluate("d => d.open"):
        bloc.locator(":scope > summary").click()  # its bloc is folded: unfold it, as a finger would
    more.locator("details > summary").click()
    loaded = more.locator(".ev")
    expect(loaded.locator(":scope > a")).to_have_count(
        0
    )  # the link htmx replaces with the evidence
    expect(loaded.locator("table.evidence, p.note").first).to_be_visible()
    return loaded


# -- signing in ------------------------------------------------------------------------------


def test_sign_in(browser: Browser, contexts: list[BrowserContext], bench: Served) -> None:
    watched = watch(browser, contexts, bench)
    page = watched.page()
    watched.expected_status.add(watched.url("/login"))  # the wrong password answers 401
    page.goto("/record")  # not signed in: sent to the sign-in page, then back
    expect(page).to_have_url(re.compile(re.escape(watched.url("/login?next="))))

    page.locator("input[name=login]").fill(INSTRUCTOR)
    page.locator("input[name=password]").fill("not-the-password")
    page.locator("form.login button[type=submit]").click()
    expect(page.locator(".error[role=alert]")).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(watched.url("/login"))))
    expect(page.locator("input[name=login]")).to_have_value(INSTRUCTOR)
    expect(page.locator("input[name=password]")).to_have_value("")
    assert page.context.cookies(bench.base) and not any(
        c["name"] == "ep_session" for c in page.context.cookies(bench.base)
    )

    page.locator("input[name=password]").fill(INSTRUCTOR_PASSWORD)
    page.locator("form.login button[type=submit]").click()
    expect(page).to_have_url(watched.url("/record"))
    expect(page.locator("form#record")).to_be_visible()
    expect(page.locator("header.top form.who span")).to_have_text(INSTRUCTOR_NAME)
    session = [c for c in page.context.cookies(bench.base) if c["name"] == "ep_session"]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
    watched.check_clean()


# -- recording a team's task -----------------------------------------------------------------


@dataclass
class Recorded:
    record: int
    page_url: str


def _camera_photo() -> bytes:
    """A JPEG as a tablet's camera writes it: a GPS position and the device in its EXIF."""
    from io import BytesIO

    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (45.0, 26.0, 0.0), 3: "E", 4: (4.0, 23.0, 0.0)}
    out = BytesIO()
    Image.new("RGB", (1200, 900), (90, 120, 160)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture(scope="module")
def recorded(browser: Browser, bench: Served) -> Iterator[Recorded]:
    """Two trainees' task recorded in the browser, as on the tablet (once for the module)."""
    context = browser.new_context(viewport=TABLET, base_url=bench.base)
    try:
        watched = Watch(context, bench.base)
        page = as_instructor(watched)
        first, second = bench.people["first"], bench.people["second"]
        order = bench.journal.orders()[0].ref
        chip(page, "trainee", first)
        chip(page, "trainee", second)
        choose_task(page, TEAM_TASK)
        select = page.locator(f'#levels select[name="level:{CHANGED}"]')
        expect(select).to_have_value("V")  # the catalogue's proposal
        select.select_option(CHANGED_TO)
        chip(page, "order", order)
        page.locator("form#record textarea[name=note]").fill(TEAM_NOTE)
        page.locator("form#record select[name=autonomy]").select_option("3")
        page.locator('form#record input[name="photo"]').set_input_files(
            files=[{"name": "piece.jpg", "mimeType": "image/jpeg", "buffer": _camera_photo()}]
        )
        page.locator("form#record button[type=submit]").click()
        expect(page).to_have_url(re.compile(re.escape(bench.base) + r"/record/\d+\?ok=1$"))
        number = int(re.search(r"/record/(\d+)", page.url).group(1))  # type: ignore[union-attr]
        watched.check_clean()
        yield Recorded(number, page.url)
    finally:
        context.close()


def test_record_a_team_task(
    browser: Browser, contexts: list[BrowserContext], bench: Served, recorded: Recorded
) -> None:
    journal = bench.journal
    found = journal.task_record(recorded.record)
    first, second = bench.people["first"], bench.people["second"]
    assert sorted(found.trainees) == sorted([first, second])
    assert found.task == TEAM_TASK
    assert found.assessor == INSTRUCTOR_NAME
    assert found.note == TEAM_NOTE
    assert found.order == journal.orders()[0].ref
    assert found.day == DEMO_END
    rows = [r for r in journal.storage.record_rows(recorded.record) if r.supersedes is None]
    levels = {(r.trainee, r.competency): r.level for r in rows}
    assert levels == {
        (who, code): (CHANGED_TO if code == CHANGED else "V")
        for who in (first, second)
        for code in ("CP04", "CP02", "CP01")
    }
    assert {r.autonomy for r in rows} == {3}
    assert {r.assessor for r in rows} == {INSTRUCTOR_NAME}

    # The result page lists what was written, each row with its « Corriger » link.
    # The photo from the tablet's camera: kept without its metadata, shown with the record.
    (photo,) = journal.record_photos(recorded.record)
    _kept, data = journal.photo(photo.sha256)
    assert b"GPS" not in data and b"PhoneMaker" not in data

    watched = watch(browser, contexts, bench)
    page = as_instructor(watched)
    page.goto(f"/record/{recorded.record}")
    expect(page.locator(".note").first).to_contain_text(TEAM_NOTE)
    shown = page.locator(f'figure.photo img[src="/photo/{photo.sha256}"]')
    expect(shown).to_be_visible()
    assert shown.evaluate("img => img.naturalWidth") == photo.width
    for row in rows:
        link = page.locator(f'table.rows a[href="/assessment/{row.id}/correct"]')
        expect(link).to_have_count(1)
    expect(page.locator(f'form[action="/record/{recorded.record}/withdraw"]')).to_be_visible()
    watched.check_clean()


def test_correct_an_entry_on_the_trainees_page(
    browser: Browser, contexts: list[BrowserContext], bench: Served, recorded: Recorded
) -> None:
    journal = bench.journal
    first = bench.people["first"]
    (row,) = [
        r
        for r in journal.storage.record_rows(recorded.record)
        if r.trainee == first and r.competency == CHANGED and r.supersedes is None
    ]
    watched = watch(browser, contexts, bench)
    page = as_instructor(watched)
    page.goto(f"/trainee/{first}")
    entry = evidence(page, CHANGED).locator("table.evidence.official tbody tr", has_text=TEAM_NOTE)
    expect(entry).to_have_count(1)
    expect(entry).to_be_visible()
    expect(entry.locator(".c-level")).to_have_text(CHANGED_TO)
    expect(entry).to_contain_text(INSTRUCTOR_NAME)

    # « Corriger »: withdraw it, with a reason.
    entry.locator(f'a[href="/assessment/{row.id}/correct"]').click()
    expect(page).to_have_url(watched.url(f"/assessment/{row.id}/correct"))
    page.locator("input[name=action][value=withdraw]").check()
    reason = "Saisi sur le mauvais jeune (test navigateur)"
    page.locator("form.record input[name=note]").fill(reason)
    page.locator("form.record button[type=submit]").click()
    expect(page).to_have_url(
        re.compile(re.escape(watched.url(f"/trainee/{first}?ok=corrected")) + f"#c-{CHANGED}$")
    )

    # The journal keeps the entry, and a withdrawn row beside it, by whom and why.
    later = [r for r in journal.storage.assessments(first, CHANGED) if r.supersedes == row.id]
    assert len(later) == 1 and later[0].withdrawn
    assert later[0].assessor == INSTRUCTOR_NAME and later[0].note == reason
    assert journal.storage.assessment(row.id) is not None  # never deleted

    # The page: the entry struck through, its « Corriger » link gone, the reason shown.
    expect(page.locator(".ok[role=status]")).to_be_visible()
    expect(page.locator(f"#c-{CHANGED}")).to_be_in_viewport()  # the page opens at it
    old = evidence(page, CHANGED).locator("table.evidence tr.old")
    expect(old).to_have_count(1)
    expect(old).to_contain_text(TEAM_NOTE)
    expect(old).to_contain_text(reason)
    expect(old.locator("a[href$='/correct']")).to_have_count(0)
    expect(old).to_be_visible()
    assert (
        old.locator(".was").first.evaluate("e => getComputedStyle(e).textDecorationLine")
        == "line-through"
    )
    # One correction in the record, of that entry alone: the second trainee's is untouched.
    changes = [r for r in journal.storage.record_rows(recorded.record) if r.supersedes]
    assert [(r.supersedes, r.withdrawn) for r in changes] == [(row.id, True)]
    watched.check_clean()


def test_the_fragment_of_a_correction_shows_its_competency(
    browser: Browser, contexts: list[BrowserContext], bench: Served
) -> None:
    """After « Corriger », the page opens at the competency corrected, unfolded."""
    first = bench.people["first"]
    # A competency of the last bloc: folded when the page opens (only the first is unfolded).
    code = bench.journal.diploma("cap-cip").referential.blocs[-1].competencies[0].code
    watched = watch(browser, contexts, bench)
    page = as_instructor(watched)
    page.goto(f"/trainee/{first}?ok=corrected#c-{code}")
    target = page.locator(f"#c-{code}")
    expect(target).to_have_count(1)
    expect(target).to_be_visible()
    watched.check_clean()


# -- the livret ------------------------------------------------------------------------------


def test_print_the_livret(browser: Browser, contexts: list[BrowserContext], bench: Served) -> None:
    first = bench.people["first"]
    name = bench.journal.trainee(first).name
    watched = watch(browser, contexts, bench)
    page = as_instructor(watched)
    page.goto(f"/trainee/{first}")
    link = page.locator(f'a[href="/trainee/{first}/livret"]')
    expect(link).to_be_visible()
    with page.context.expect_page() as opening:
        link.click()  # target=_blank: a tab of its own
    livret = watched.attach(opening.value)
    livret.wait_for_load_state()
    expect(livret).to_have_url(watched.url(f"/trainee/{first}/livret"))
    expect(livret.locator("h1")).to_contain_text(name)
    expect(livret.locator(".chart svg").first).to_be_visible()
    pdf = livret.pdf(format="A4")
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) >= 2
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert name in text and "CP07" in text
    watched.check_clean()


# -- every page, clean -----------------------------------------------------------------------


def test_every_page_loads_clean_and_asks_nothing_elsewhere(
    browser: Browser, contexts: list[BrowserContext], bench: Served, recorded: Recorded
) -> None:
    first = bench.people["first"]
    row = bench.journal.storage.record_rows(recorded.record)[0]
    watched = watch(browser, contexts, bench)
    page = watched.page()
    page.goto("/login")
    expect(page.locator("form.login")).to_be_visible()
    page = as_instructor(watched)
    choose_task(page, "demarrer-arreter-installation")  # an htmx request, too
    for path in (
        "/record?cohort=demo-cap-cip",
        f"/record/{recorded.record}",
        "/trainees",
        "/cohort",
        "/cohort?q=CP0",
        f"/trainee/{first}",
        f"/trainee/{first}/evidence/{CHANGED}",
        f"/assessment/{row.id}/correct",
        "/record?lang=en",
        "/record?lang=fr",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response)
        assert page.evaluate("typeof window.htmx") == "object", path
        css = response.headers.get("content-security-policy", "")
        assert "default-src 'none'" in css and "script-src 'self'" in css, path
    # Every script and style the pages used came from the server itself.
    assert any(r.endswith("/static/htmx.min.js") for r in watched.requests)
    assert any(r.endswith("/static/bench.css") for r in watched.requests)
    watched.check_clean()


# -- on a tablet and a phone -----------------------------------------------------------------


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_no_horizontal_scroll(
    browser: Browser, contexts: list[BrowserContext], bench: Served, viewport: dict[str, int]
) -> None:
    first = bench.people["first"]
    whole = WHOLE_ON_A_PHONE if viewport == PHONE else WHOLE_ON_A_TABLET
    watched = watch(browser, contexts, bench, viewport)
    page = as_instructor(watched)
    no_horizontal_scroll(page)
    chip(page, "trainee", first)
    choose_task(page, "changement-serie-presse-injecter")  # four competencies
    no_horizontal_scroll(page)
    words_kept_whole(page, whole)
    for path in (f"/trainee/{first}", "/trainees", f"/record/{_any_record(bench)}", "/cohort"):
        page.goto(path)
        open_all_details(page)
        no_horizontal_scroll(page)  # the cohort's matrix scrolls in its own box, not the page
        words_kept_whole(page, whole)
    # The targets a finger taps are large enough.
    page.goto("/record")
    for selector in ("label.chip", "form#record button[type=submit]"):
        box = page.locator(selector).first.bounding_box()
        assert box is not None and box["height"] >= 44, (selector, box)
    watched.check_clean()


def _any_record(served: Served) -> int:
    person = served.people["first"]
    return served.journal.evidence(person, "CP01")[-1].record


# -- what users typed never runs -------------------------------------------------------------


def test_typed_markup_never_runs(
    browser: Browser, contexts: list[BrowserContext], hostile: Served
) -> None:
    lou = hostile.people["lou"]
    row = hostile.journal.storage.record_rows(hostile.people["record"])[0]
    watched = watch(browser, contexts, hostile)
    page = as_instructor(watched)
    for path, shown in (
        ("/record", (NAME, CUSTOMER, TITLE)),
        ("/trainees", (NAME,)),
        ("/cohort", (NAME,)),
        ("/cohort?q=lou", (NAME,)),
        (f"/trainee/{lou}", (NAME, NOTE, CUSTOMER)),  # the evidence, loaded by htmx
        (f"/trainee/{lou}/evidence/CP01", (NAME, NOTE, CUSTOMER)),
        (f"/record/{hostile.people['record']}", (NAME, NOTE, CUSTOMER)),
        (f"/assessment/{row.id}/correct", (NOTE,)),
        (f"/trainee/{lou}/livret", (NAME, CUSTOMER)),
    ):
        page.goto(path)
        if path == "/record":
            choose_task(page, TEAM_TASK)  # the levels part, loaded by htmx
        open_all_details(page)
        assert page.evaluate("window.__xss") is None, path
        for typed in shown:
            assert typed in page.locator("body").inner_text(), (path, typed)
        assert (
            page.evaluate(
                "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes])"
                ".filter(a => a.name.startsWith('on')).length"
            )
            == 0
        ), path
        assert page.locator("main img, main svg[onload], main script").count() == 0, path
        # The instructor's own name (markup too) in the header is text as well.
        if not path.endswith("/livret"):
            expect(page.locator("header.top form.who span")).to_have_text(TITLE)
    assert not any(r.rstrip("/").endswith("/x") for r in watched.requests), watched.requests
    watched.check_clean()


# -- a trainee's own account -----------------------------------------------------------------


def test_a_trainees_account(
    browser: Browser, contexts: list[BrowserContext], bench: Served
) -> None:
    own, other = bench.people["own"], bench.people["other"]
    journal = bench.journal
    name = journal.trainee(own).name
    watched = watch(browser, contexts, bench)
    page = sign_in(watched, TRAINEE_LOGIN, TRAINEE_PASSWORD)
    expect(page).to_have_url(watched.url(f"/trainee/{own}"))
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("header.top nav a")).to_have_count(1)  # their page, nothing else
    expect(page.locator("a[href$='/correct']")).to_have_count(0)

    for path in (
        f"/trainee/{other}",
        f"/trainee/{other}/livret",
        f"/trainee/{other}/evidence/CP01",
        "/record",
        "/cohort",
    ):
        watched.expected_status.add(watched.url(path))
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        expect(page.locator(".error[role=alert]")).to_be_visible()
        assert journal.trainee(other).name not in page.locator("body").inner_text()

    # A self-assessment through the page's form.
    page.goto(f"/trainee/{own}")
    form = page.locator("form#self")
    task = "tenir-carte-controle"  # CP05, CP02
    form.locator("select[name=task]").select_option(task)
    expect(form.locator('#self-levels input[name="levels_for"]')).to_have_value(task)
    form.locator('#self-levels select[name="level:CP05"]').select_option("R")
    note = "Je me trompe encore sur les limites (auto-évaluation)"
    form.locator("textarea[name=note]").fill(note)
    before = len(journal.storage.assessments(own, "CP05"))
    states = {c: (s.state, s.score) for c, s in journal.leaf_states(own).items()}
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(watched.url(f"/trainee/{own}?ok=self"))
    expect(page.locator(".ok[role=status]")).to_be_visible()

    mine = journal.storage.assessments(own, "CP05")[before:]
    assert [(r.level, r.role, r.assessor, r.note) for r in mine] == [("R", "auto", name, note)]
    after = {c: (s.state, s.score) for c, s in journal.leaf_states(own).items()}
    assert after == states  # the official states: never counted
    assert journal.leaf_states(own)["CP05"].self_score is not None

    # Shown apart: in the self-assessments' own table, never among the official entries.
    shown = evidence(page, "CP05")
    selves = shown.locator("table.evidence.self tbody tr", has_text=note)
    expect(selves).to_have_count(1)
    expect(shown.locator("table.evidence.official", has_text=note)).to_have_count(0)
    expect(selves).to_be_visible()
    expect(selves.locator(".c-level")).to_have_text("R")
    watched.check_clean()


# -- screenshots for the documentation -------------------------------------------------------


def test_screenshots(browser: Browser, contexts: list[BrowserContext], bench: Served) -> None:
    """Full-page pictures at a tablet's landscape width: artifacts/, and docs/img/ on demand."""
    folders = [ARTIFACTS]
    if os.environ.get("EP_SKILLS_SCREENSHOTS") == "1":
        folders.append(DOCS_IMG)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    shots: list[str] = []

    def shoot(page: Page, name: str) -> None:
        page.evaluate("document.fonts.ready")
        no_horizontal_scroll(page)
        words_kept_whole(page, WHOLE_ON_A_TABLET)
        data = page.screenshot(full_page=True, animations="disabled")
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        for folder in folders:
            (folder / f"web-{name}.png").write_bytes(data)
        shots.append(name)

    watched = watch(browser, contexts, bench, LANDSCAPE)
    page = watched.page()
    page.goto("/login")
    shoot(page, "login")
    page = as_instructor(watched)
    second, other = bench.people["second"], bench.people["other"]
    chip(page, "trainee", second)
    chip(page, "trainee", other)
    choose_task(page, "regler-essai-qualification")
    chip(page, "order", bench.journal.orders()[1].ref)
    page.locator("form#record textarea[name=note]").fill("Réglage fait à deux, essai validé.")
    shoot(page, "record")
    page.locator("form#record button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/record/\d+\?ok=1$"))
    shoot(page, "record-done")
    page.goto(f"/trainee/{second}")
    evidence(page, "CP01")  # one competency's evidence and notes, unfolded
    shoot(page, "trainee")
    page.goto("/cohort")
    shoot(page, "cohort")
    assert shots == ["login", "record", "record-done", "trainee", "cohort"]
    watched.check_clean()
