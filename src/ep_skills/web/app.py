"""The bench page's web application: sign-in, sessions, forms, and the pages' plumbing.

:func:`assemble` wraps a :class:`~ep_skills.api.Journal` into a Starlette application. Every
page is a plain function of :mod:`ep_skills.web.pages` that runs in a worker thread (the
journal is safe to share between threads) and answers with HTML rendered by Jinja2; htmx, one
vendored file, refreshes parts of a page without a build step or anything fetched from the
internet. Nothing here computes a state or checks a level: the library does, the page shows.

What every request goes through, in order: the language (French unless the browser's cookie
says English), the session (pages other than sign-in need one; a trainee's account reaches its
own page only), the form's CSRF token on every POST, then the page; a library error is shown
as one clear message in the page's language, any other error as a short French message (the
details go to the server's log, never to the browser).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote

from attrs import frozen
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ep_skills.api import Journal
from ep_skills.errors import (
    AlreadyExistsError,
    ConflictError,
    EpSkillsError,
    InvalidValueError,
    JournalUnavailableError,
    NotFoundError,
)
from ep_skills.i18n import LANGUAGES, _, format_day, ngettext, using_language
from ep_skills.web.accounts import Account, AccountKind, accounts
from ep_skills.web.sessions import Session, SessionStore

__all__ = ["Access", "Bench", "Page", "assemble"]

log = logging.getLogger("ep_skills.web")
STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "ep_session"
LANGUAGE_COOKIE = "ep_lang"
LOGIN_COOKIE = "ep_login"
"""Before sign-in: the token the sign-in form must carry back (double-submit, SameSite)."""
MAX_FORM_FIELDS = 400
MAX_UPLOAD = 12 << 20
"""The largest upload read (a phone's photo is 2–8 MB)."""

# No script but the page's own files, nothing fetched elsewhere, no frame, forms only here.
# Inline styles stay allowed: the livret is one self-contained page (styles can't run code).
_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


class Access(StrEnum):
    """Who may open a page."""

    ANYONE = "anyone"
    SIGNED_IN = "signed-in"
    """Any account: an instructor, or a trainee (each page then keeps them to their own data)."""
    INSTRUCTOR = "instructor"


@frozen
class Page:
    """What a page function gets: the request, who asks, and what they sent."""

    bench: Bench
    request: Request
    account: Account | None
    session: Session | None
    form: Mapping[str, list[str]]
    files: Mapping[str, UploadFile]
    language: str

    def value(self, name: str, default: str = "") -> str:
        """One field of the form or, for a GET, of the query, stripped."""
        values = self.form.get(name)
        if values is None:
            found = self.request.query_params.get(name)
            return found.strip() if found is not None else default
        return values[0].strip() if values else default

    def values(self, name: str) -> list[str]:
        """Every value of a repeated field (checkboxes)."""
        if name in self.form:
            return [v.strip() for v in self.form[name]]
        return [v.strip() for v in self.request.query_params.getlist(name)]

    @property
    def instructor(self) -> bool:
        """Whether the account may record and correct for every trainee."""
        return self.account is not None and self.account.kind is AccountKind.INSTRUCTOR

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A page of the bench, in the request's language."""
        for optional in _OPTIONAL:
            context.setdefault(optional, None)
        html = self.bench.templates.get_template(template).render(
            account=self.account,
            csrf=self.session.csrf if self.session else self.request.state.login_csrf,
            lang=self.language,
            path=self.request.url.path,
            flash=self.request.query_params.get("ok", ""),
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def redirect(self, url: str) -> Response:
        """Go to ``url`` after a form (303: the browser asks it with GET); htmx follows too."""
        if self.request.headers.get("hx-request"):
            return Response(status_code=204, headers={"hx-redirect": url})
        return RedirectResponse(url, status_code=303)


PageFunction = Callable[[Page], Response]
_OPTIONAL = ("error", "earlier", "earlier_names", "login", "levels")
"""What a template may show when a page has it (the templates are strict about the rest)."""


class Bench:
    """The journal, the sessions and the templates the pages share."""

    def __init__(self, journal: Journal, sessions: SessionStore, language: str) -> None:
        from ep_skills.reports import template_environment

        self.journal = journal
        self.sessions = sessions
        self.language = language
        self.templates = template_environment("web/templates", paged=False)
        self.templates.globals.update(ngettext=ngettext, format_day=format_day, quote=quote)

    def account(self, session: Session | None) -> Account | None:
        """The account of a session, read again (a disabled account is out at once)."""
        if session is None:
            return None
        found = {a.login: a for a in accounts(self.journal)}.get(session.login)
        if found is None or found.disabled:
            self.sessions.close(session.token)
            return None
        return found


def _language(request: Request, default: str) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    return asked if asked in LANGUAGES else default


def _status(error: EpSkillsError) -> int:
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, AlreadyExistsError | ConflictError):
        return 409
    if isinstance(error, JournalUnavailableError):
        return 503
    if isinstance(error, InvalidValueError):
        return 422
    return 400


def _message(page: Page, status: int, message: str) -> Response:
    if page.request.headers.get("hx-request"):
        # A part of a page asked by htmx: the message replaces that part.
        return HTMLResponse(
            f'<p class="error" role="alert">{_escape(message)}</p>', status_code=status
        )
    return page.render("message.html.j2", status=status, message=message)


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def _same_origin(request: Request) -> bool:
    """A form posted from another site (CSRF) carries its own Origin: refused."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def _run(
    bench: Bench,
    function: PageFunction,
    access: Access,
    request: Request,
    form: Mapping[str, list[str]],
    files: Mapping[str, UploadFile],
) -> Response:
    """One page, in a worker thread: language, session, CSRF, then the page function."""
    started = time.perf_counter()
    language = _language(request, bench.language)
    with using_language(language):
        session = bench.sessions.get(request.cookies.get(SESSION_COOKIE))
        try:
            account = bench.account(session)
        except EpSkillsError as error:
            account = None
            failure: EpSkillsError | None = error
        else:
            failure = None
        if account is None:
            session = None
        request.state.login_csrf = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
        page = Page(bench, request, account, session, form, files, language)
        if failure is not None:
            response = _message(page, _status(failure), str(failure))
        else:
            response = _answer(page, function, access)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(
                LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="strict", httponly=True
            )
        if not request.cookies.get(LOGIN_COOKIE):
            response.set_cookie(
                LOGIN_COOKIE,
                request.state.login_csrf,
                samesite="strict",
                httponly=True,
                secure=request.url.scheme == "https",
            )
    elapsed = (time.perf_counter() - started) * 1000
    response.headers["server-timing"] = f"app;dur={elapsed:.1f}"
    return response


def _answer(page: Page, function: PageFunction, access: Access) -> Response:
    request = page.request
    if access is not Access.ANYONE and page.account is None:
        if request.method == "GET" and not request.headers.get("hx-request"):
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        return _message(page, 401, _("Your session has expired: sign in again."))
    if access is Access.INSTRUCTOR and not page.instructor:
        return _message(page, 404, _("This page does not exist."))
    if request.method == "POST":
        expected = page.session.csrf if page.session else request.cookies.get(LOGIN_COOKIE, "")
        given = page.value("csrf")
        if (
            not expected
            or not secrets.compare_digest(given.encode(), expected.encode())
            or not _same_origin(request)
        ):
            return _message(
                page, 403, _("This form was refused (it is too old, or comes from elsewhere).")
            )
    # Whatever this request writes is told in the audit as written by its account (the
    # worker thread's own context: requests of other accounts at once are not mixed up). A
    # trainee's account by their number: their login is theirs (often their name), and an
    # erasure leaves the audit as it is.
    account = page.account
    author = None
    if account is not None:
        author = f"trainee:{account.trainee}" if account.trainee else f"account:{account.login}"
    try:
        with page.bench.journal.acting_as(author) if author else nullcontext():
            return function(page)
    except EpSkillsError as error:
        return _message(page, _status(error), str(error))
    except Exception:
        log.exception("page %s failed", request.url.path)
        return _message(
            page, 500, _("Something went wrong on the server; nothing was written. Try again.")
        )


def _too_big(request: Request, bench: Bench) -> Response | None:
    """A body over :data:`MAX_UPLOAD` (or of no stated length) is refused before it is read."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) <= MAX_UPLOAD + (64 << 10):
        return None
    with using_language(_language(request, bench.language)):
        message = _("This form is too large (a photo of 12 MB at most).")
    return HTMLResponse(f'<p class="error" role="alert">{_escape(message)}</p>', status_code=413)


def _unreadable(request: Request, bench: Bench, error: Exception) -> Response:
    log.info("form refused: %s", error)
    with using_language(_language(request, bench.language)):
        message = _escape(_("This form could not be read."))
    return HTMLResponse(f'<p class="error" role="alert">{message}</p>', status_code=400)


def _endpoint(
    bench: Bench, function: PageFunction, access: Access
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if request.method != "POST":
            return await run_in_threadpool(_run, bench, function, access, request, {}, {})
        refused = _too_big(request, bench)
        if refused is not None:
            return refused
        try:
            data = await request.form(
                max_fields=MAX_FORM_FIELDS, max_files=1, max_part_size=MAX_UPLOAD
            )
        except Exception as error:  # malformed, too many fields, a part too large
            return _unreadable(request, bench, error)
        try:
            form: dict[str, list[str]] = {}
            files: dict[str, UploadFile] = {}
            for key, item in data.multi_items():
                if isinstance(item, str):
                    form.setdefault(key, []).append(item)
                else:
                    files[key] = item
            return await run_in_threadpool(_run, bench, function, access, request, form, files)
        finally:
            await data.close()

    return endpoint


class _SecurityHeaders:
    """Adds the security headers to every answer, static files included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.encode(), v.encode()) for k, v in _HEADERS.items()]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)


def assemble(
    journal: Journal,
    routes: Sequence[tuple[str, PageFunction, Access, list[str]]],
    *,
    sessions: SessionStore | None = None,
    language: str = "fr",
) -> ASGIApp:
    """An ASGI application serving ``routes`` — (path, page function, who may open it,
    methods) — over ``journal``, with the static files and the security headers."""
    bench = Bench(journal, sessions or SessionStore(), language)
    mounted: list[Route | Mount] = [
        Route(path, _endpoint(bench, function, access), methods=methods)
        for path, function, access, methods in routes
    ]
    mounted.append(Mount("/static", app=StaticFiles(directory=STATIC), name="static"))
    app = Starlette(routes=mounted)
    app.state.bench = bench
    return _SecurityHeaders(app)
