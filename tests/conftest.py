"""What every test gets: the process's language as it was before the test, and each backend.

**Both backends, one suite.** When a PostgreSQL server is given (``EP_SKILLS_TEST_POSTGRESQL``,
the URL of a superuser of a throwaway cluster: ``python3 dev.py test`` starts one), every test
of a module that opens journals runs twice, ``[sqlite]`` and ``[postgresql]``. In the second
run, each journal the test opens by a file path is a school of its own on the server (the
path names the school; a marker file stands at the path, so that "is there a journal here?"
answers the same), through the same ``open_journal``, the same command line, the same
assertions. Only what is about the file itself (its bytes, its seals, its permissions,
SQLite's own errors), or hands it to another process or copies it, is marked ``sqlite_only``.
Without a server the ``[postgresql]`` runs are not collected, and the
session says so; in CI (``CI`` set) that is an error.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ep_skills.i18n import current_language, set_language

SERVER = os.environ.get("EP_SKILLS_TEST_POSTGRESQL")
MARKER = "ep-skills test journal on PostgreSQL, school "

# A module opens journals when its source does one of these.
_OPENS_JOURNALS = ("open_journal", '"--db"', "--db=", "journals import", "app.journal(")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: about the SQLite file itself; not run on the server backend"
    )
    config.addinivalue_line("markers", "postgresql: needs the PostgreSQL server of the tests")
    config.addinivalue_line(
        "markers", "own_backends: chooses the backends of its journals itself (not run twice)"
    )
    if SERVER is None and os.environ.get("CI"):
        raise pytest.UsageError(
            "CI: EP_SKILLS_TEST_POSTGRESQL is not set; run the tests with: python3 dev.py test"
        )


def pytest_report_header(config: pytest.Config) -> str:
    if SERVER is None:
        return "backends: sqlite only (no PostgreSQL server: run python3 dev.py test for both)"
    return "backends: sqlite and postgresql (" + SERVER.split("@")[-1] + ")"


def _opens_journals(module: Any) -> bool:
    path = getattr(module, "__file__", None)
    return bool(path) and _source_opens_journals(str(path))


@functools.cache
def _source_opens_journals(path: str) -> bool:
    # Once per module, not once per test function.
    text = Path(path).read_text(encoding="utf-8")
    return any(word in text for word in _OPENS_JOURNALS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        return
    definition = metafunc.definition
    if any(
        definition.get_closest_marker(mark)
        for mark in ("sqlite_only", "postgresql", "own_backends")
    ):
        return
    if not _opens_journals(metafunc.module):
        return
    backends = ["sqlite", "postgresql"] if SERVER else ["sqlite"]
    metafunc.fixturenames.append("_journal_backend")
    metafunc.parametrize("_journal_backend", backends, indirect=True, scope="session")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        params = getattr(item, "callspec", None)
        if params is not None and "_journal_backend" in params.params:
            names = item.fixturenames  # type: ignore[attr-defined]
            if "_journal_backend" not in names:
                # First of all: the backend is in place before the test's own fixtures.
                names.insert(0, "_journal_backend")


_APP_URL: list[str] = []


def _app_url() -> str:
    """The app role's URL on the tests' server, set up once (roles, schema, privileges)."""
    if SERVER is None:
        pytest.skip("no PostgreSQL server (run: python3 dev.py test)")
    if not _APP_URL:
        import fcntl
        import tempfile

        import psycopg

        from ep_skills.journal import postgres

        # Once per cluster, whatever the number of test workers (pytest-xdist): the set-up's
        # DDL while another worker's tests write could deadlock with them.
        with psycopg.connect(SERVER, autocommit=True) as conn:
            row = conn.execute("SELECT system_identifier FROM pg_control_system()").fetchone()
        cluster = f"{SERVER}#{row[0] if row else ''}"
        marker = Path(tempfile.gettempdir()) / (
            "ep-skills-test-setup-" + hashlib.sha256(cluster.encode()).hexdigest()[:16]
        )
        with open(f"{marker}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            done = marker.read_text() if marker.exists() else ""
            if done != str(postgres.SCHEMA_VERSION):
                postgres.set_up(SERVER)
                with psycopg.connect(SERVER, autocommit=True) as conn:
                    # The tests' logins: in production a program's own login role is granted
                    # these (docs/network.md); the throwaway cluster trusts local connections.
                    for role in (postgres.APP_ROLE, postgres.NETWORK_ROLE):
                        conn.execute(f"ALTER ROLE {role} LOGIN")
                marker.write_text(str(postgres.SCHEMA_VERSION))
        rest = SERVER.split("://", 1)[1].split("@", 1)[1]
        _APP_URL.append(f"postgresql://{postgres.APP_ROLE}@{rest}")
    return _APP_URL[0]


@pytest.fixture(scope="session")
def postgresql_server() -> str:
    """The app role's URL on the tests' server (skipped without one; an error in CI)."""
    return _app_url()


def school_of(path: str | Path) -> str:
    """The school that stands for a journal file in the server runs (one per path)."""
    digest = hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()
    return f"t{digest[:24]}"


def _on_server() -> Callable[..., Any]:
    from ep_skills.journal import connect
    from ep_skills.journal.postgres import PostgresStorage

    original = connect.open_storage

    def open_storage(
        address: str | Path,
        *,
        create: bool = False,
        on_upgrade: Callable[[int, int], None] | None = None,
        school: str | None = None,
    ) -> Any:
        if connect.is_server_address(address) or str(address) == ":memory:":
            return original(address, create=create, on_upgrade=on_upgrade, school=school)
        path = Path(address)
        ours = path.is_file() and path.read_text(errors="replace").startswith(MARKER)
        if path.exists() and not ours:
            # A real SQLite file (made by a subprocess, copied from a fixture): a file it is.
            return original(address, create=create, on_upgrade=on_upgrade, school=school)
        if not path.exists() and not create:
            return original(address, create=create, on_upgrade=on_upgrade, school=school)
        storage = PostgresStorage(_app_url(), school=school_of(path), create=True)
        if not ours:
            path.write_text(MARKER + storage.school + "\n", encoding="utf-8")
        return storage

    return open_storage


@pytest.fixture(scope="session")
def _journal_backend(request: pytest.FixtureRequest) -> str:
    # Session-scoped, so that Hypothesis's tests (which refuse function-scoped fixtures) run
    # on both backends too; the backend itself is put in place around each test by the hooks
    # below, for that test alone.
    return str(request.param)


_ORIGINAL: list[Callable[..., Any]] = []


def _backend_of(item: pytest.Item) -> str | None:
    params = getattr(item, "callspec", None)
    return params.params.get("_journal_backend") if params is not None else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    if _backend_of(item) == "postgresql":
        from ep_skills.journal import connect

        _ORIGINAL.append(connect.open_storage)
        connect.open_storage = _on_server()  # type: ignore[assignment]
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield
    if _ORIGINAL:
        from ep_skills.journal import connect

        connect.open_storage = _ORIGINAL.pop()  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def _language_restored() -> Iterator[None]:
    # The command line sets the process's language (--lang): a test that runs it in-process
    # must not leave the next test speaking French.
    before = current_language()
    yield
    set_language(before)
