"""Signed-in sessions of the bench page, kept in the server's memory.

One ``ep-skills serve`` process serves a school's bench (its threads share the journal), so
the sessions live in that process: a restart signs everyone out, which is what a shared
tablet wants anyway, and nothing about a session is ever written to the journal. A session
ends after :attr:`SessionStore.idle` without a request, and after :attr:`SessionStore.lifetime`
whatever happens (a tablet left signed in at the end of the day is signed out by morning).
Each session has its own token against cross-site forms (CSRF), and remembers the forms it
already wrote so that a second tap on « Enregistrer » writes nothing twice.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from attrs import define, field

__all__ = ["Session", "SessionStore"]


@define
class Session:
    """One signed-in browser."""

    token: str
    login: str
    csrf: str
    created: float
    seen: float
    done: OrderedDict[str, str] = field(factory=OrderedDict)
    """Form ids already written, with where their result is shown."""

    def remember(self, form_id: str, result: str) -> None:
        """Note that the form ``form_id`` was written; its result is at ``result``."""
        self.done[form_id] = result
        while len(self.done) > 200:
            self.done.popitem(last=False)


class SessionStore:
    """The sessions of one server process; safe to use from many threads."""

    THROTTLE_AFTER = 5
    """Wrong passwords for one login before its sign-in waits."""
    THROTTLE_WINDOW = 600.0
    """Seconds the wrong passwords are counted over (and the wait lasts)."""

    def __init__(
        self,
        *,
        idle: float = 2 * 3600,
        lifetime: float = 12 * 3600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle = idle
        self.lifetime = lifetime
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._failures: dict[str, list[float]] = {}

    def open(self, login: str) -> Session:
        """A new session for ``login`` (sign-in)."""
        now = self._clock()
        session = Session(
            token=secrets.token_urlsafe(32),
            login=login,
            csrf=secrets.token_urlsafe(32),
            created=now,
            seen=now,
        )
        with self._lock:
            self._sweep(now)
            self._sessions[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        """The live session of ``token`` (its idle time starts again), or None."""
        if not token:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if now - session.seen > self.idle or now - session.created > self.lifetime:
                del self._sessions[token]
                return None
            session.seen = now
            return session

    def close(self, token: str | None) -> None:
        """End a session (sign-out)."""
        with self._lock:
            self._sessions.pop(token or "", None)

    def failed(self, login: str) -> None:
        """Note a wrong password for ``login``."""
        now = self._clock()
        with self._lock:
            recent = [t for t in self._failures.get(login, []) if now - t < self.THROTTLE_WINDOW]
            self._failures[login] = [*recent, now]

    def throttled(self, login: str) -> bool:
        """Whether ``login`` had :attr:`THROTTLE_AFTER` wrong passwords within the window:
        its sign-in waits, whatever the password (guessing a password stays slow)."""
        now = self._clock()
        with self._lock:
            recent = [t for t in self._failures.get(login, []) if now - t < self.THROTTLE_WINDOW]
            self._failures[login] = recent
            return len(recent) >= self.THROTTLE_AFTER

    def close_login(self, login: str) -> None:
        """End every session of an account (its password changed, or it was disabled)."""
        with self._lock:
            for token in [t for t, s in self._sessions.items() if s.login == login]:
                del self._sessions[token]

    def _sweep(self, now: float) -> None:
        expired = [
            token
            for token, s in self._sessions.items()
            if now - s.seen > self.idle or now - s.created > self.lifetime
        ]
        for token in expired:
            del self._sessions[token]
