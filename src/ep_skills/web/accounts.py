"""Who may sign in to the bench page (« comptes »): instructors, and trainees for their own page.

Accounts are the school's configuration, not evidence, but they are kept as the journal keeps
everything: append-only, in its ``meta`` table, one new version per change
(:mod:`ep_skills.journal.versions`, ``web:account:<login>:<version>``), so that a journal
— a PC's file or a school on the server — carries its own accounts and their history, with no
schema change and nothing more to back up. A password is kept only as
an scrypt hash (the standard library's, memory-hard, salted per account); a login never tells
whether the name or the password was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from enum import StrEnum
from functools import cache
from typing import Any

from attrs import asdict, evolve, frozen

from ep_skills.api import Journal
from ep_skills.errors import AlreadyExistsError, InvalidValueError, NotFoundError
from ep_skills.i18n import _
from ep_skills.journal.model import Trainee
from ep_skills.journal.versions import append_version, latest_versions

__all__ = [
    "MIN_PASSWORD",
    "Account",
    "AccountKind",
    "accounts",
    "add_account",
    "authenticate",
    "disable_account",
    "set_password",
]

_PREFIX = "web:account:"
MIN_PASSWORD = 8
"""The shortest password accepted (the bench tablet is shared: a PIN is not enough)."""
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
# scrypt at n=2**14, r=8: 16 MiB and ~50 ms a check, OWASP's minimum; a school signs in a
# few dozen times a day, an attacker with the hash pays the same per guess.
_N, _R, _P = 2**14, 8, 1


class AccountKind(StrEnum):
    """What an account may do."""

    INSTRUCTOR = "instructor"
    """« Maître professionnel » or office: records, corrects, reads every trainee."""
    TRAINEE = "trainee"
    """« Jeune »: reads their own page and adds self-assessments, nothing else."""


@frozen
class Account:
    """One sign-in of the bench page."""

    login: str
    name: str
    """Shown as the assessor of what this account records."""
    kind: AccountKind
    password: str
    """``scrypt$n$r$p$salt$hash`` (hex), never the password itself."""
    trainee: int | None = None
    """For a trainee's account: the trainee's number in the journal."""
    disabled: bool = False


def _hash(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=64 << 20)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def _matches(password: str, stored: str) -> bool:
    try:
        _scheme, n, r, p, salt, digest = stored.split("$")
        found = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=64 << 20,
        )
    except ValueError:
        return False
    return hmac.compare_digest(found.hex(), digest)


@cache
def _dummy() -> str:
    # Checked against when the login is unknown, so that an unknown login takes as long as a
    # wrong password and timing does not tell which logins exist (made at the first sign-in,
    # not when the module is imported).
    return _hash("ep-skills: no such account")


def _load(journal: Journal) -> dict[str, tuple[int, Account]]:
    """Each login's latest version: (version, account)."""
    return {
        login: (
            version,
            Account(
                login=login,
                name=data["name"],
                kind=AccountKind(data["kind"]),
                password=data["password"],
                trainee=data.get("trainee"),
                disabled=bool(data.get("disabled")),
            ),
        )
        for login, (version, data) in latest_versions(journal.storage, _PREFIX).items()
    }


def _save(journal: Journal, account: Account) -> None:
    data = {k: v for k, v in asdict(account).items() if k != "login"}
    append_version(journal.storage, _PREFIX, account.login, data)


def accounts(journal: Journal) -> list[Account]:
    """Every account of the journal, by login."""
    return [account for _login, (_v, account) in sorted(_load(journal).items())]


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidValueError(
            _("the password needs at least {n} characters").format(n=MIN_PASSWORD),
            field="password",
        )


def add_account(
    journal: Journal,
    login: str,
    password: str,
    *,
    name: str | None = None,
    trainee: str | int | Trainee | None = None,
) -> Account:
    """Create an instructor's account, or with ``trainee`` that trainee's own account.

    :raises InvalidValueError: a login that is not 2–40 lower-case letters, digits, ``.``,
        ``_`` or ``-``, or a password shorter than :data:`MIN_PASSWORD`.
    :raises AlreadyExistsError: the login is taken.
    """
    if not _LOGIN.match(login):
        raise InvalidValueError(
            _(
                "login {login!r}: 2 to 40 lower-case letters, digits, '.', '_' or '-', "
                "starting with a letter or a digit"
            ).format(login=login),
            field="login",
            value=login,
        )
    _check_password(password)
    person = journal.trainee(trainee) if trainee is not None else None
    account = Account(
        login=login,
        name=(name or (person.name if person else login)).strip() or login,
        kind=AccountKind.TRAINEE if person else AccountKind.INSTRUCTOR,
        password=_hash(password),
        trainee=person.id if person else None,
    )
    with journal.storage.transaction():
        if login in _load(journal):
            raise AlreadyExistsError(
                _("the login {login!r} is already taken").format(login=login), field="login"
            )
        _save(journal, account)
        # A trainee's login is theirs (often their name): their id says it, not the login.
        journal.audit_write(
            "account",
            [person.id] if person else [],
            subject=None if person else login,
            kind=str(account.kind),
        )
    return account


def _change(journal: Journal, login: str, **changes: Any) -> Account:
    with journal.storage.transaction():
        found = _load(journal)
        if login not in found:
            raise NotFoundError(_("no account {login!r}").format(login=login), field="login")
        account = evolve(found[login][1], **changes)
        _save(journal, account)
        journal.audit_write(
            "account",
            [account.trainee] if account.trainee else [],
            subject=None if account.trainee else login,
            changed=sorted(changes),
        )
    return account


def set_password(journal: Journal, login: str, password: str) -> Account:
    """Give an account a new password (and enable it again if it was disabled)."""
    _check_password(password)
    return _change(journal, login, password=_hash(password), disabled=False)


def disable_account(journal: Journal, login: str) -> Account:
    """Stop an account from signing in (its past entries keep its name)."""
    return _change(journal, login, disabled=True)


def authenticate(journal: Journal, login: str, password: str) -> Account | None:
    """The account when the login and password match and it is enabled, else None."""
    version_account = _load(journal).get(login.strip().lower())
    account = version_account[1] if version_account else None
    if account is None:
        _matches(password, _dummy())
        return None
    if not _matches(password, account.password) or account.disabled:
        return None
    return account
