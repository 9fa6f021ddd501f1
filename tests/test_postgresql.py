"""The server backend's own promises: schools isolated by the database, a network role that sees
no name, evidence the owner cannot rewrite, many users at once, one clear message for a bad
address. (Everything else the suite checks runs on the server too: tests/conftest.py.)

These tests need the tests' PostgreSQL server (``python3 dev.py test`` starts one).
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ep_skills.api import Journal, open_journal
from ep_skills.errors import JournalUnavailableError, NotFoundError
from ep_skills.journal import postgres
from ep_skills.journal.postgres import NoSuchSchoolError, PostgresStorage
from ep_skills.plugins.manager import make_plugin_manager
from ep_skills.plugins.registry import Registry
from ep_skills.sync import move_trainee

pytestmark = pytest.mark.postgresql

TODAY = date(2026, 11, 20)
REGISTRY = Registry(make_plugin_manager())
_SCHOOLS = itertools.count(1)
CLI = str(Path(sys.executable).parent / "ep-skills")
ADMIN = postgres.parse_address(__import__("os").environ.get("EP_SKILLS_TEST_POSTGRESQL", ""))


def new_school(server: str, prefix: str) -> str:
    return f"{server}?school={prefix}-{next(_SCHOOLS)}-{id(server) % 9973}"


def fill(journal: Journal, who: str) -> None:
    """A school's ordinary life: trainees, an order, records, a correction, a transfer,
    a rename, an archive."""
    journal.add_trainee(f"{who} Martin", diploma="cap-psr", cohort="2026", external_id=f"{who}-1")
    journal.add_trainee(f"{who} Petit", diploma="cap-psr", cohort="2026")
    journal.add_trainee(f"{who} Roux", diploma="cap-psr", cohort="2025")
    journal.add_order(f"{who}-041", customer=f"Client de {who}", title="400 équerres")
    journal.record(
        [f"{who} Martin", f"{who} Petit"],
        task="reception-livraison",
        order=f"{who}-041",
        day=date(2026, 11, 2),
    )
    journal.record(
        [f"{who} Roux"], description="Inventaire", levels={"C1.1": "V"}, day=date(2026, 11, 3)
    )
    journal.correct(journal.storage.last_assessment_id(), level="R", note="relu")
    journal.rename_trainee(f"{who} Petit", f"{who} Petit-Durand")
    journal.archive_trainee(f"{who} Roux")


@pytest.fixture
def two_schools(postgresql_server: str) -> Iterator[tuple[Journal, Journal, str, str]]:
    a_url, b_url = new_school(postgresql_server, "a"), new_school(postgresql_server, "b")
    a = open_journal(a_url, create=True, registry=REGISTRY, today=TODAY)
    b = open_journal(b_url, create=True, registry=REGISTRY, today=TODAY)
    with a.acting_as("account:alice-school"):  # each school's audit names its own author
        fill(a, "Alice")
    with b.acting_as("account:bruno-school"):
        fill(b, "Bruno")
    yield a, b, a_url, b_url
    a.close()
    b.close()


def _texts(value: object) -> str:
    return repr(value)


def test_a_school_reads_no_row_of_another_school(
    two_schools: tuple[Journal, Journal, str, str],
) -> None:
    a, b, _a_url, _b_url = two_schools
    alice = a.trainee("Alice Martin")
    alice_rows = a.storage.assessments(alice.id)
    assert alice_rows
    record_id = alice_rows[0].record

    # Every read the API offers, from school B: nothing of A's.
    seen = [
        b.trainees(),
        b.trainees(archived=True),
        b.orders(),
        b.imports(),
        b.cohort_progress(),
        b.cohort_progress("2026"),
        [b.progress(t) for t in b.trainees(archived=True)],
        [b.leaf_states(t) for t in b.trainees()],
        [b.trainee_changes(t) for t in b.trainees(archived=True)],
        [b.evidence(t, "C1.1") for t in b.trainees()],
        list(b.iter_states()),
        [b.still_missing(t) for t in b.trainees()],
        [b.outlook(t) for t in b.trainees()],
        b.audit(),
    ]
    assert "Alice" not in _texts(seen)
    assert "alice-school" not in _texts(seen) and "bruno-school" in _texts(b.audit())
    for who in ("Alice Martin", alice.name.lower()):
        with pytest.raises(NotFoundError):
            b.trainee(who)
    with pytest.raises(NotFoundError):
        b.trainee(external_id="Alice-1")

    # Row numbers are each school's own (B has a #1 too): whatever A's numbers find in B is
    # B's. Every read of the storage protocol, with A's numbers, names and references.
    s = b.storage
    seen_by_number = [
        s.trainee_by_id(alice.id),
        s.trainees_named("Alice Martin"),
        s.trainee_by_external_id("Alice-1"),
        s.trainee_changes(alice.id),
        s.order("Alice-041"),
        s.record(record_id),
        s.record_rows(record_id),
        s.assessment(alice_rows[0].id),
        s.assessments(alice.id),
        s.assessments_on(alice.id, [("cap-psr", alice_rows[0].competency)]),
        list(s.iter_assessments([alice.id])),
        list(s.iter_assessments()),
        s.records(alice.id),
        s.states([alice.id]),
        s.fresh_states([alice.id], {}),
        s.meta_items(""),
        s.audit(trainee=alice.id),
        s.records_between(date(2026, 1, 1), TODAY),
        s.imports(),
        list(
            s.pair_summaries("cap-psr", values={"V": 100}, weights={}, limit=4, trainees=[alice.id])
        ),
        s.recent_window(
            alice.id,
            alice_rows[0].competency,
            "cap-psr",
            values={"VV": 100, "V": 67, "R": 33, "RR": 0},
            weights={},
            limit=4,
            own=False,
        ),
    ]
    assert "Alice" not in _texts(seen_by_number)
    assert "alice-school" not in _texts(seen_by_number)
    assert "Client de Alice" not in _texts(b.orders())
    bruno_ids = {t.id for t in b.trainees(archived=True)}
    assert {r.trainee for r in s.iter_assessments()} <= bruno_ids

    # And raw SQL on every table: B's connection counts B's rows only, whatever it asks for.
    for table in (*postgres._SCHOOL_TABLES, "school"):
        rows = b.storage.connection.execute(f"SELECT * FROM {table}").fetchall()  # type: ignore[attr-defined]
        assert "Alice" not in _texts(rows), table
        if table != "school":
            schools = {r[0] for r in b.storage.connection.execute(f"SELECT school FROM {table}")}  # type: ignore[attr-defined]
            assert schools <= {b.storage.school}, table  # type: ignore[attr-defined]


def test_no_school_set_reads_nothing_and_writes_nothing(
    two_schools: tuple[Journal, Journal, str, str], postgresql_server: str
) -> None:
    with psycopg.connect(postgresql_server, autocommit=True) as conn:
        conn.execute("SET search_path = ep_skills")
        for table in (*postgres._SCHOOL_TABLES, "school", "trainee_now"):
            count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert count == (0,), table
        with pytest.raises(psycopg.Error):
            conn.execute(
                "INSERT INTO production_order (ref, customer, title, created_at) "
                "VALUES ('x', 'y', 'z', '2026-01-01')"
            )
        # A school that does not exist reads nothing either.
        conn.execute("SELECT set_config('ep_skills.school', 'no-such-school', false)")
        assert conn.execute("SELECT count(*) FROM trainee").fetchone() == (0,)


def test_a_login_bound_to_a_school_cannot_read_another(
    two_schools: tuple[Journal, Journal, str, str], postgresql_server: str
) -> None:
    a, b, _a_url, b_url = two_schools
    login = f"school_login_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN.conninfo, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {login} LOGIN IN ROLE {postgres.APP_ROLE}")
    postgres.add_school_login(ADMIN.conninfo, login, b.storage.school)  # type: ignore[attr-defined]
    bound = postgresql_server.replace(f"{postgres.APP_ROLE}@", f"{login}@")
    with psycopg.connect(bound, autocommit=True) as conn:
        conn.execute("SET search_path = ep_skills")
        conn.execute(
            "SELECT set_config('ep_skills.school', %s, false)",
            (a.storage.school,),  # type: ignore[attr-defined]
        )
        assert conn.execute("SELECT count(*) FROM trainee").fetchone() == (0,)
        conn.execute(
            "SELECT set_config('ep_skills.school', %s, false)",
            (b.storage.school,),  # type: ignore[attr-defined]
        )
        assert conn.execute("SELECT count(*) FROM trainee").fetchone() == (3,)
    del b_url


def test_the_network_role_sees_aggregates_and_no_name(
    two_schools: tuple[Journal, Journal, str, str], postgresql_server: str
) -> None:
    a, b, _a, _b = two_schools
    network = postgresql_server.replace(f"{postgres.APP_ROLE}@", f"{postgres.NETWORK_ROLE}@")
    with psycopg.connect(network, autocommit=True) as conn:
        conn.execute("SET search_path = ep_skills")
        rows = conn.execute("SELECT * FROM network_progress").fetchall()
        columns = [c.name for c in conn.execute("SELECT * FROM network_progress").description]
        schools = {r[0] for r in rows}
        assert {a.storage.school, b.storage.school} <= schools  # type: ignore[attr-defined]
        activity = conn.execute("SELECT * FROM network_activity").fetchall()
        assert activity
        text = _texts(rows) + _texts(activity)
        assert "Alice" not in text and "Bruno" not in text
        assert "name" not in columns
        for table in (*postgres._SCHOOL_TABLES, "trainee_now"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT * FROM {table} LIMIT 1")


def test_the_owner_cannot_rewrite_evidence_either(
    two_schools: tuple[Journal, Journal, str, str],
) -> None:
    a, _b, _a, _b_url = two_schools
    statements = [
        "UPDATE assessment SET level = 'V'",
        "DELETE FROM assessment",
        "TRUNCATE assessment CASCADE",
        "UPDATE task_record SET note = 'x'",
        "DELETE FROM record_trainee",
        "UPDATE trainee SET name = 'x'",
        "DELETE FROM trainee_event",
        "UPDATE meta SET value = 'x' WHERE key = 'created'",
    ]
    with psycopg.connect(ADMIN.conninfo) as conn:
        for statement in statements:
            conn.execute(f"SET ROLE {postgres.OWNER_ROLE}")
            conn.execute("SET search_path = ep_skills")
            conn.execute(
                "SELECT set_config('ep_skills.school', %s, false)",
                (a.storage.school,),  # type: ignore[attr-defined]
            )
            with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="append-only"):
                conn.execute(statement)
            conn.rollback()
    assert a.trainee("Alice Martin").name == "Alice Martin"


def test_verify_reports_the_protections_and_set_up_puts_them_back(
    postgresql_server: str,
) -> None:
    # A database of its own: the protections it takes away are those every other test (and
    # the other test workers) rely on.
    name = f"ep_skills_tamper_{next(_SCHOOLS)}_{__import__('os').getpid()}"
    with psycopg.connect(ADMIN.conninfo, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    private = ADMIN.conninfo.rsplit("/", 1)[0] + f"/{name}"
    try:
        postgres.set_up(private)
        app = postgresql_server.rsplit("/", 1)[0] + f"/{name}?school=tamper"
        a = open_journal(app, create=True, registry=REGISTRY, today=TODAY)
        a.add_trainee("Alice Martin", diploma="cap-psr")
        storage: Any = a.storage
        assert storage.verify() == []
        with psycopg.connect(private, autocommit=True) as admin:
            admin.execute("ALTER TABLE ep_skills.assessment DISABLE TRIGGER assessment_append_only")
            admin.execute("DROP TRIGGER record_trainee_no_truncate ON ep_skills.record_trainee")
            admin.execute("ALTER TABLE ep_skills.task_record NO FORCE ROW LEVEL SECURITY")
            admin.execute("DROP POLICY school_only ON ep_skills.meta")
            admin.execute(f"GRANT DELETE ON ep_skills.assessment TO {postgres.APP_ROLE}")
        try:
            problems = " | ".join(storage.verify())
            for word in (
                "assessment_append_only is disabled",
                "record_trainee_no_truncate is missing",
                "off on task_record",
                "missing on meta",
                "change or delete rows of assessment",
            ):
                assert word in problems
        finally:
            done = postgres.set_up(private)
        assert storage.verify() == [], done
        a.close()
    finally:
        postgres.close_pools()
        with psycopg.connect(ADMIN.conninfo, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_sixteen_writers_and_sixteen_readers(postgresql_server: str) -> None:
    url = new_school(postgresql_server, "busy")
    setup = open_journal(url, create=True, registry=REGISTRY, today=TODAY)
    names = [f"Apprenti {i:02}" for i in range(16)]
    for name in names:
        setup.add_trainee(name, diploma="cap-psr", cohort="2026")
    setup.add_trainee("Commun", diploma="cap-psr", cohort="2026")
    shared = open_journal(url, registry=REGISTRY, today=TODAY)  # one object, many threads
    errors: list[BaseException] = []
    start = threading.Barrier(32)
    per_writer = 12

    def writer(name: str) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                shared.record(
                    [name, "Commun"],
                    description=f"Série {i}",
                    levels={"C1.1": ("VV", "V", "R", "RR")[i % 4], "C1.2": "V"},
                    day=date(2026, 10, 1 + i),
                )
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        try:
            start.wait()
            for _ in range(per_writer):
                shared.cohort_progress("2026")
                shared.progress("Commun")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in names]
    threads += [threading.Thread(target=reader) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors[:3]
    assert shared.storage.count_assessments() == 16 * per_writer * 2 * 2
    incremental = {n: shared.leaf_states(n) for n in [*names, "Commun"]}
    shared.recompute()
    assert {n: shared.leaf_states(n) for n in [*names, "Commun"]} == incremental
    assert len(shared.storage.records(shared.trainee("Commun").id)) == 16 * per_writer
    shared.close()
    setup.close()


def test_bad_addresses_get_one_clear_message(postgresql_server: str) -> None:
    host = postgresql_server.split("@", 1)[1].split("/", 1)[0]
    with pytest.raises(JournalUnavailableError, match="cannot reach"):
        PostgresStorage("postgresql://nobody@127.0.0.1:1/nothing?school=x")
    with pytest.raises(JournalUnavailableError, match=r"no such database|does not exist"):
        PostgresStorage(f"postgresql://{postgres.APP_ROLE}@{host}/no_such_db?school=x")
    with pytest.raises(JournalUnavailableError, match="which school"):
        PostgresStorage(postgresql_server)
    with pytest.raises(JournalUnavailableError, match="letters, digits"):
        PostgresStorage(f"{postgresql_server}?school=a b")
    with pytest.raises(NoSuchSchoolError, match="ep-skills init"):
        PostgresStorage(f"{postgresql_server}?school=never-created")


def test_a_password_is_never_shown(postgresql_server: str) -> None:
    with pytest.raises(JournalUnavailableError) as info:
        PostgresStorage("postgresql://someone:s3cret@127.0.0.1:1/db?school=x")
    assert "s3cret" not in str(info.value)
    assert "someone@127.0.0.1:1" in str(info.value)


def test_a_newer_schema_on_the_server_is_refused(postgresql_server: str) -> None:
    name = f"ep_skills_newer_{next(_SCHOOLS)}"
    with psycopg.connect(ADMIN.conninfo, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        newer = ADMIN.conninfo.rsplit("/", 1)[0] + f"/{name}"
        postgres.set_up(newer)
        with psycopg.connect(newer, autocommit=True) as conn:
            conn.execute("UPDATE ep_skills.schema_version SET version = 99")
        app = postgresql_server.rsplit("/", 1)[0] + f"/{name}?school=x"
        with pytest.raises(JournalUnavailableError, match="newer ep-skills"):
            PostgresStorage(app, create=True)
        with pytest.raises(JournalUnavailableError, match="newer ep-skills"):
            postgres.set_up(newer)
    finally:
        postgres.close_pools()
        with psycopg.connect(ADMIN.conninfo, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_the_command_line_on_a_server(postgresql_server: str, tmp_path: Path) -> None:
    url = new_school(postgresql_server, "cli")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CLI, "--lang", "fr", "--db", url, *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )

    assert run("init").returncode == 0
    again = run("init")
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert "cette école a déjà un journal" in again.stderr
    assert "a déjà un journal" in run("demo", "--trainees", "1").stderr
    assert run("trainee", "add", "Léa Martin", "--diploma", "cap-psr").returncode == 0
    shown = run("trainee", "list")
    assert shown.returncode == 0 and "Léa Martin" in shown.stdout
    assert run("verify").returncode == 0
    down = subprocess.run(
        [CLI, "--lang", "fr", "--db", "postgresql://x@127.0.0.1:1/db?school=x", "trainee", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert down.returncode != 0
    assert "Traceback" not in down.stderr
    assert "serveur" in down.stderr  # in the user's language
    assert not list(tmp_path.iterdir())  # nothing written beside


def test_a_trainee_moves_to_another_school_with_their_evidence(
    two_schools: tuple[Journal, Journal, str, str],
) -> None:
    a, b, _a_url, _b_url = two_schools
    alice = a.trainee("Alice Martin")
    # A record Alice shares with a classmate: her part moves, his stays.
    a.record(
        ["Alice Martin", "Alice Petit-Durand"],
        description="Montage",
        levels={"C1.2": "V"},
        day=date(2026, 11, 5),
    )
    a.correct(a.storage.assessments(alice.id)[0].id, level="VV", note="revu")
    before = a.leaf_states(alice)
    evidence = [
        (r.competency, r.level, r.day, r.note, r.withdrawn) for r in a.storage.assessments(alice.id)
    ]
    classmate_rows = len(a.storage.assessments(a.trainee("Alice Petit-Durand").id))

    counts, review = move_trainee(a, b, "Alice Martin", note="déménagement")
    assert counts.trainees == 1 and counts.assessments >= 2 and counts.corrections == 1
    assert review == []
    moved = b.trainee("Alice Martin")
    assert moved.external_id == "Alice-1"
    assert [
        (r.competency, r.level, r.day, r.note, r.withdrawn) for r in b.storage.assessments(moved.id)
    ] == evidence
    assert b.leaf_states(moved) == before
    assert b.storage.order("Alice-041") is not None  # the order her work was on came with it
    assert "Alice Petit-Durand" not in _texts(b.trainees(archived=True))
    # In her former school she is archived, her evidence kept; her classmate keeps his.
    left = a.trainee("Alice Martin")
    assert left.archived is not None
    assert a.trainee_changes(left)[-1].note == "déménagement"
    assert len(a.storage.assessments(left.id)) == len(evidence)
    assert len(a.storage.assessments(a.trainee("Alice Petit-Durand").id)) == classmate_rows
    # Moving again sends nothing twice; the states of both schools equal a full recompute.
    again, _review = move_trainee(a, b, "Alice Martin")
    assert again.total() == 0
    for journal in (a, b):
        states = {t.name: journal.leaf_states(t) for t in journal.trainees(archived=True)}
        journal.recompute()
        assert {t.name: journal.leaf_states(t) for t in journal.trainees(archived=True)} == states
