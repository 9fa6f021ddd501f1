"""The bench page (« page d'atelier »): ep-skills in a browser, for a tablet in the workshop.

``ep-skills serve`` serves it on this computer; school software mounts it as an ASGI
application::

    from ep_skills import open_journal
    from ep_skills.web import create_app

    journal = open_journal("atelier.db")
    app = create_app(journal)          # run with: uvicorn, or mount it in your own app

Accounts (:mod:`ep_skills.web.accounts`) say who may sign in; pages
(:mod:`ep_skills.web.pages`) call the library and show what it answered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from ep_skills.api import Journal
    from ep_skills.web.sessions import SessionStore

__all__ = ["create_app", "serve"]


def create_app(
    journal: Journal, *, sessions: SessionStore | None = None, language: str = "fr"
) -> ASGIApp:
    """The bench page over ``journal``, as an ASGI application (uvicorn serves it).

    :param sessions: where signed-in sessions live (one store per process by default; a
        test gives one with a clock of its own).
    :param language: the pages' language unless the browser chose (``fr`` or ``en``).
    """
    from ep_skills.web.app import assemble
    from ep_skills.web.pages import ROUTES

    return assemble(journal, ROUTES, sessions=sessions, language=language)


def serve(
    journal: Journal, *, host: str = "127.0.0.1", port: int = 8000, language: str = "fr"
) -> None:
    """Serve the bench page over ``journal`` until interrupted (Ctrl+C)."""
    import threading

    import uvicorn

    # The livret draws its charts with matplotlib, whose first import takes seconds: done
    # while the page waits for its first visitor, not when an instructor asks to print.
    threading.Thread(target=_warm_up, daemon=True).start()

    uvicorn.run(
        create_app(journal, language=language),
        host=host,
        port=port,
        log_level="warning",
        # One process: its threads share the journal and the signed-in sessions.
        workers=1,
        server_header=False,
        # Behind a reverse proxy on this computer (HTTPS), its X-Forwarded-Proto is believed
        # (uvicorn trusts 127.0.0.1 only): the session cookie is then marked Secure.
        proxy_headers=True,
    )


def _warm_up() -> None:
    import contextlib

    from ep_skills.reports.charts import prepare

    with contextlib.suppress(ImportError):  # the livret says so when it is asked for
        prepare()
