"""A school's or a network's journal on a PostgreSQL server.

Many schools share one database; each row belongs to a school, and **row-level security**
keeps each school to its own rows: forced on every table (the owner too), the school set
for each transaction (``set_config('ep_skills.school', …, true)``), and failing closed — a
connection that set no school reads no row and writes none. The program connects with a role
that owns nothing (``ep_skills_app``): it may read and add evidence, never change or delete it
(privileges), and triggers refuse UPDATE, DELETE and TRUNCATE of evidence even to the owner.
A federation's role (``ep_skills_network``) reads only the aggregate views, which name no one.

Writers of one school take turns (a transaction-scoped advisory lock, as SQLite's
``BEGIN IMMEDIATE`` does for a file): the incremental states stay exact, nothing waits for
another school, and readers never wait. Each thread takes a connection from a pool shared by
every journal of the same server in the process.

The queries are :mod:`ep_skills.journal.sql`'s, written once for both databases; this module
holds the schema, the roles, the connections and the few primitives that differ. See
docs/network.md for the set-up.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import re
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import ConnectionPool, PoolTimeout

from ep_skills.errors import JournalUnavailableError
from ep_skills.i18n import _
from ep_skills.journal.erasure import Rewrite
from ep_skills.journal.sql import _STATE_COLUMNS, SqlStorage, _stale, _state_row
from ep_skills.journal.storage import StateRow

__all__ = [
    "APP_ROLE",
    "NETWORK_ROLE",
    "OWNER_ROLE",
    "SCHEMA_VERSION",
    "NoSuchSchoolError",
    "PostgresStorage",
    "ServerAddress",
    "add_school_login",
    "parse_address",
    "set_up",
]

SCHEMA = "ep_skills"
SCHEMA_VERSION = 3
OWNER_ROLE = "ep_skills_owner"
"""Owns the tables and runs the upgrades (no program connects with it day to day)."""
APP_ROLE = "ep_skills_app"
"""What the programs connect with: reads and adds evidence of the school it sets."""
NETWORK_ROLE = "ep_skills_network"
"""The federation's: reads the aggregate views only (counts and rates, no names)."""
AGGREGATES_ROLE = "ep_skills_aggregates"
"""Owns the aggregate views (no login): the one role whose reads cross schools."""

_MARKED = (
    "trainee",
    "trainee_event",
    "trainee_transfer",
    "task_record",
    "assessment",
    "import_batch",
)
_LOCK_CLASS = 1702  # advisory locks of ep-skills: (1702, 0) upgrades, (1702, school) writes
_SETUP_LOCK_CLASS = 1703  # (1703, 0): a set-up of the server
POOL_SIZE = 16
CONNECT_TIMEOUT = 10

# Tables whose rows belong to a school (all of them but the schools and their logins).
_SCHOOL_TABLES = (
    "meta",
    "trainee",
    "trainee_event",
    "trainee_transfer",
    "production_order",
    "task_record",
    "record_trainee",
    "assessment",
    "import_batch",
    "record_import",
    "competency_state",
    "entry_uid",
    "photo",
    "record_photo",
    "audit",
)
# Evidence and what it is attributed to: never updated, never deleted.
_APPEND_ONLY = (
    "school",
    "trainee_event",
    "trainee_transfer",
    "production_order",
    "task_record",
    "record_trainee",
    "assessment",
    "import_batch",
    "record_import",
    "entry_uid",
    "photo",
    "record_photo",
    "audit",
)

# What erase_personal_data() may change: journal/erasure.py's ERASABLE, as this schema
# version has it (a later change of the list is a migration of its own).
_ERASABLE_SQL = ", ".join(
    f"'{table}.{column}'"
    for table, columns in {
        "trainee": ("name", "name_key", "external_id", "metadata"),
        "trainee_event": ("name", "name_key", "external_id", "metadata", "note"),
        "trainee_transfer": ("note",),
        "task_record": ("description", "note"),
        "assessment": ("note",),
        "import_batch": ("file_name",),
        "meta": ("value",),
    }.items()
    for column in columns
)

_SCHOOL_COLUMN = (
    "school TEXT COLLATE \"C\" NOT NULL DEFAULT current_setting('ep_skills.school') "
    "REFERENCES school (id)"
)
_TEXT = 'TEXT COLLATE "C"'  # compared byte by byte, as SQLite does: the same order everywhere

_TRIGGERS = "\n".join(
    f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
    f"FOR EACH ROW EXECUTE FUNCTION append_only();\n"
    f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION append_only();"
    for table in _APPEND_ONLY
)
# Fail closed: with no school set (or one its login is not bound to), current_school() is
# NULL, and ``school = NULL`` holds for no row, old or new.
_POLICIES = "\n".join(
    f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;\n"
    f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY;\n"
    f"DROP POLICY IF EXISTS school_only ON {table};\n"
    f"CREATE POLICY school_only ON {table} USING (school = (SELECT current_school())) "
    f"WITH CHECK (school = (SELECT current_school()));"
    for table in _SCHOOL_TABLES
)
_AGGREGATE_POLICIES = "\n".join(
    f"DROP POLICY IF EXISTS network_aggregates ON {table};\n"
    f"CREATE POLICY network_aggregates ON {table} FOR SELECT TO {{role}} USING (true);"
    for table in ("trainee", "competency_state", "assessment")
)

# Each entry migrates from version i to i + 1. Never edit a released entry: add one. Days and
# times are ISO 8601 text and flags 0 or 1, as in SQLite: the queries are written once and an
# entry reads the same, byte for byte, on a workshop PC and on the server.
MIGRATIONS: tuple[str, ...] = (
    f"""
    CREATE TABLE school (
        id {_TEXT} PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{{0,62}}$'),
        name TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE school_login (
        login NAME PRIMARY KEY,
        school {_TEXT} NOT NULL REFERENCES school (id)
    );
    CREATE FUNCTION current_school() RETURNS TEXT
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {SCHEMA} AS $$
        SELECT x.s FROM (SELECT nullif(current_setting('ep_skills.school', true), '') AS s) x
        WHERE NOT EXISTS (SELECT 1 FROM school_login b WHERE b.login = session_user)
           OR EXISTS (SELECT 1 FROM school_login b
                      WHERE b.login = session_user AND b.school = x.s)
    $$;
    CREATE TABLE meta (
        {_SCHOOL_COLUMN},
        key {_TEXT} NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (school, key)
    );
    CREATE TABLE trainee (
        id BIGINT NOT NULL,
        {_SCHOOL_COLUMN},
        name {_TEXT} NOT NULL,
        name_key {_TEXT} NOT NULL,
        diploma {_TEXT} NOT NULL,
        cohort {_TEXT},
        start_date {_TEXT},
        created_at {_TEXT} NOT NULL,
        option {_TEXT},
        external_id {_TEXT},
        metadata TEXT,
        PRIMARY KEY (school, id)
    );
    CREATE INDEX trainee_by_cohort ON trainee (school, cohort);
    CREATE INDEX trainee_by_name ON trainee (school, name_key);
    CREATE INDEX trainee_by_external_id ON trainee (school, external_id);
    CREATE TABLE trainee_event (
        id BIGINT NOT NULL,
        {_SCHOOL_COLUMN},
        trainee BIGINT NOT NULL,
        kind {_TEXT} NOT NULL,
        name {_TEXT} NOT NULL,
        name_key {_TEXT} NOT NULL,
        cohort {_TEXT},
        start_date {_TEXT},
        option {_TEXT},
        external_id {_TEXT},
        metadata TEXT,
        archived_on {_TEXT},
        changed TEXT NOT NULL,
        author TEXT,
        note TEXT,
        recorded_at {_TEXT} NOT NULL,
        PRIMARY KEY (school, id),
        FOREIGN KEY (school, trainee) REFERENCES trainee (school, id)
    );
    CREATE INDEX trainee_event_by_trainee ON trainee_event (school, trainee, id);
    CREATE INDEX trainee_event_by_name ON trainee_event (school, name_key);
    CREATE INDEX trainee_event_by_external_id ON trainee_event (school, external_id);
    CREATE TABLE trainee_transfer (
        id BIGINT NOT NULL,
        {_SCHOOL_COLUMN},
        trainee BIGINT NOT NULL,
        from_diploma {_TEXT} NOT NULL,
        to_diploma {_TEXT} NOT NULL,
        note TEXT,
        recorded_at {_TEXT} NOT NULL,
        PRIMARY KEY (school, id),
        FOREIGN KEY (school, trainee) REFERENCES trainee (school, id)
    );
    CREATE INDEX trainee_transfer_by_trainee ON trainee_transfer (school, trainee, id);
    CREATE VIEW trainee_now WITH (security_invoker = true) AS
    SELECT t.id, t.diploma, t.created_at,
        coalesce(e.name, t.name) AS name,
        coalesce(e.name_key, t.name_key) AS name_key,
        CASE WHEN e.id IS NULL THEN t.cohort ELSE e.cohort END AS cohort,
        CASE WHEN e.id IS NULL THEN t.start_date ELSE e.start_date END AS start_date,
        CASE WHEN e.id IS NULL THEN t.option ELSE e.option END AS option,
        CASE WHEN e.id IS NULL THEN t.external_id ELSE e.external_id END AS external_id,
        CASE WHEN e.id IS NULL THEN t.metadata ELSE e.metadata END AS metadata,
        e.archived_on AS archived_on
    FROM trainee t
    LEFT JOIN trainee_event e
        ON e.school = t.school AND e.id = (SELECT max(x.id) FROM trainee_event x
                                           WHERE x.school = t.school AND x.trainee = t.id);
    CREATE TABLE production_order (
        {_SCHOOL_COLUMN},
        ref {_TEXT} NOT NULL,
        customer TEXT NOT NULL,
        title TEXT NOT NULL,
        quantity INTEGER,
        received {_TEXT},
        due {_TEXT},
        created_at {_TEXT} NOT NULL,
        PRIMARY KEY (school, ref)
    );
    CREATE TABLE task_record (
        id BIGINT NOT NULL,
        {_SCHOOL_COLUMN},
        day {_TEXT} NOT NULL,
        task {_TEXT},
        description TEXT,
        order_ref {_TEXT},
        minutes INTEGER,
        context TEXT NOT NULL DEFAULT '{{}}',
        assessor TEXT,
        role {_TEXT} NOT NULL,
        note TEXT,
        recorded_at {_TEXT} NOT NULL,
        PRIMARY KEY (school, id),
        FOREIGN KEY (school, order_ref) REFERENCES production_order (school, ref)
    );
    CREATE INDEX task_record_by_day ON task_record (school, day);
    CREATE TABLE record_trainee (
        {_SCHOOL_COLUMN},
        record BIGINT NOT NULL,
        trainee BIGINT NOT NULL,
        PRIMARY KEY (school, record, trainee),
        FOREIGN KEY (school, record) REFERENCES task_record (school, id),
        FOREIGN KEY (school, trainee) REFERENCES trainee (school, id)
    );
    CREATE INDEX record_trainee_by_trainee ON record_trainee (school, trainee, record);
    CREATE TABLE assessment (
        id BIGINT NOT NULL,
        {_SCHOOL_COLUMN},
        record BIGINT NOT NULL,
        trainee BIGINT NOT NULL,
        diploma {_TEXT} NOT NULL,
        competency {_TEXT} NOT NULL,
        level {_TEXT} NOT NULL,
        day {_TEXT} NOT NULL,
        role {_TEXT} NOT NULL,
        assessor TEXT,
        autonomy INTEGER,
        note TEXT,
        order_ref {_TEXT},
        task {_TEXT},
        supersedes BIGINT,
        withdrawn SMALLINT NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1)),
        recorded_at {_TEXT} NOT NULL,
        PRIMARY KEY (school, id),
        FOREIGN KEY (school, record) REFERENCES task_record (school, id),
        FOREIGN KEY (school, trainee) REFERENCES trainee (school, id),
        FOREIGN KEY (school, supersedes) REFERENCES assessment (school, id)
    );
    CREATE INDEX assessment_by_pair ON assessment (school, trainee, competency, day)
        INCLUDE (diploma, level, role, withdrawn, autonomy, order_ref, task, record);
    CREATE INDEX assessment_self ON assessment (school, trainee, competency, day)
        WHERE role = 'auto';
    CREATE INDEX assessment_corrections ON assessment (school, supersedes)
        WHERE supersedes IS NOT NULL;
    CREATE INDEX assessment_contexts ON assessment (school, trainee, competency, order_ref, task);
    CREATE INDEX assessment_by_record ON assessment (school, record);
    CREATE TABLE import_batch (
        id BIGINT NOT NULL,
        {_SCHOOL_COLUMN},
        file_name TEXT NOT NULL,
        file_sha256 {_TEXT} NOT NULL,
        rows INTEGER NOT NULL,
        new_records INTEGER NOT NULL,
        existing_records INTEGER NOT NULL,
        recorded_at {_TEXT} NOT NULL,
        PRIMARY KEY (school, id)
    );
    CREATE TABLE record_import (
        {_SCHOOL_COLUMN},
        record BIGINT NOT NULL,
        batch BIGINT NOT NULL,
        row INTEGER NOT NULL,
        PRIMARY KEY (school, record),
        FOREIGN KEY (school, record) REFERENCES task_record (school, id),
        FOREIGN KEY (school, batch) REFERENCES import_batch (school, id)
    );
    CREATE INDEX record_import_by_batch ON record_import (school, batch, record);
    CREATE TABLE competency_state (
        {_SCHOOL_COLUMN},
        trainee BIGINT NOT NULL,
        competency {_TEXT} NOT NULL,
        state {_TEXT},
        score INTEGER,
        acquired SMALLINT NOT NULL,
        score_state {_TEXT},
        count INTEGER NOT NULL,
        contexts INTEGER NOT NULL,
        last_day {_TEXT},
        max_autonomy INTEGER,
        non_scoring INTEGER NOT NULL,
        self_score INTEGER,
        self_state {_TEXT},
        history INTEGER NOT NULL,
        first_day {_TEXT},
        PRIMARY KEY (school, trainee, competency),
        FOREIGN KEY (school, trainee) REFERENCES trainee (school, id)
    );
    CREATE TABLE entry_uid (
        {_SCHOOL_COLUMN},
        kind {_TEXT} NOT NULL,
        key {_TEXT} NOT NULL,
        uid {_TEXT} NOT NULL,
        PRIMARY KEY (school, kind, key),
        -- Unique in a school: a trainee who moved has their history in both schools.
        UNIQUE (school, uid)
    );
    -- Row numbers are the school's own (1, 2, 3…), as in a journal file: each new row takes
    -- the next one. Writers of a school take turns (an advisory lock), so no two take the same.
    CREATE FUNCTION next_id() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.id IS NULL THEN
            EXECUTE format('SELECT coalesce(max(id), 0) + 1 FROM %I.%I WHERE school = $1',
                           TG_TABLE_SCHEMA, TG_TABLE_NAME)
                INTO NEW.id USING NEW.school;
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER trainee_next_id BEFORE INSERT ON trainee
        FOR EACH ROW EXECUTE FUNCTION next_id();
    CREATE TRIGGER trainee_event_next_id BEFORE INSERT ON trainee_event
        FOR EACH ROW EXECUTE FUNCTION next_id();
    CREATE TRIGGER trainee_transfer_next_id BEFORE INSERT ON trainee_transfer
        FOR EACH ROW EXECUTE FUNCTION next_id();
    CREATE TRIGGER task_record_next_id BEFORE INSERT ON task_record
        FOR EACH ROW EXECUTE FUNCTION next_id();
    CREATE TRIGGER assessment_next_id BEFORE INSERT ON assessment
        FOR EACH ROW EXECUTE FUNCTION next_id();
    CREATE TRIGGER import_batch_next_id BEFORE INSERT ON import_batch
        FOR EACH ROW EXECUTE FUNCTION next_id();
    CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'evidence is append-only' USING ERRCODE = 'integrity_constraint_violation';
    END $$;
    CREATE FUNCTION trainee_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- A trainee row stays as created; only a transfer switches its diploma, to the one
        -- the transfer (recorded first, in the same transaction) names.
        IF TG_OP = 'DELETE' OR (to_jsonb(NEW) - 'diploma') IS DISTINCT FROM
                (to_jsonb(OLD) - 'diploma')
           OR NEW.diploma IS DISTINCT FROM (SELECT x.to_diploma FROM trainee_transfer x
                                         WHERE x.trainee = OLD.id ORDER BY x.id DESC LIMIT 1)
        THEN
            RAISE EXCEPTION 'evidence is append-only'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$;
    CREATE FUNCTION meta_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- Settings are written once; only the fingerprints of stored states change.
        IF OLD.key NOT LIKE 'states:%' THEN
            RAISE EXCEPTION 'evidence is append-only'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END $$;
    CREATE TABLE schema_version (version INTEGER NOT NULL);
    INSERT INTO schema_version VALUES (0);
    """,
    # 2: photos of the work, kept once per school by their content's SHA-256, metadata
    # stripped, attached to records; append-only like the rest (PROTECTIONS), the school's own.
    f"""
    CREATE TABLE photo (
        {_SCHOOL_COLUMN},
        sha256 {_TEXT} NOT NULL,
        mime {_TEXT} NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        size INTEGER NOT NULL,
        data BYTEA NOT NULL,
        recorded_at {_TEXT} NOT NULL,
        PRIMARY KEY (school, sha256)
    );
    CREATE TABLE record_photo (
        {_SCHOOL_COLUMN},
        record BIGINT NOT NULL,
        sha256 {_TEXT} NOT NULL,
        recorded_at {_TEXT} NOT NULL,
        PRIMARY KEY (school, record, sha256),
        FOREIGN KEY (school, record) REFERENCES task_record (school, id),
        FOREIGN KEY (school, sha256) REFERENCES photo (school, sha256)
    );
    GRANT SELECT, INSERT ON photo, record_photo TO {APP_ROLE};
    """,
    # 3: who wrote what, and when (journal/audit.py): append-only like the evidence.
    f"""
    CREATE TABLE audit (
        id BIGINT NOT NULL,
        {_SCHOOL_COLUMN},
        written_at {_TEXT} NOT NULL,
        author {_TEXT} NOT NULL,
        action {_TEXT} NOT NULL,
        trainee BIGINT,
        subject {_TEXT},
        detail TEXT NOT NULL DEFAULT '{{}}',
        PRIMARY KEY (school, id)
    );
    CREATE INDEX audit_by_trainee ON audit (school, trainee, id);
    CREATE INDEX audit_by_author ON audit (school, author, id);
    CREATE TRIGGER audit_next_id BEFORE INSERT ON audit
        FOR EACH ROW EXECUTE FUNCTION next_id();
    GRANT SELECT, INSERT ON audit TO {APP_ROLE};
    -- Erasing a trainee's personal data (RGPD art. 17; journal/erasure.py): the one exception
    -- to append-only. The guards let a change through only inside erase_personal_data(),
    -- which runs as the schema's owner (no school login is one), changes only the columns
    -- that hold personal data, and only the rows of the caller's school (row security).
    CREATE OR REPLACE FUNCTION erasing() RETURNS boolean LANGUAGE sql STABLE AS $$
        SELECT coalesce(current_setting('ep_skills.erasing', true), '') = 'on'
            AND pg_has_role(current_user, '{OWNER_ROLE}', 'MEMBER')
    $$;
    CREATE OR REPLACE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'TRUNCATE' AND erasing() THEN
            RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
        END IF;
        RAISE EXCEPTION 'evidence is append-only' USING ERRCODE = 'integrity_constraint_violation';
    END $$;
    CREATE OR REPLACE FUNCTION trainee_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND erasing() THEN
            RETURN NEW;
        END IF;
        -- A trainee row stays as created; only a transfer switches its diploma, to the one
        -- the transfer (recorded first, in the same transaction) names.
        IF TG_OP = 'DELETE' OR (to_jsonb(NEW) - 'diploma') IS DISTINCT FROM
                (to_jsonb(OLD) - 'diploma')
           OR NEW.diploma IS DISTINCT FROM (SELECT x.to_diploma FROM trainee_transfer x
                                         WHERE x.trainee = OLD.id ORDER BY x.id DESC LIMIT 1)
        THEN
            RAISE EXCEPTION 'evidence is append-only'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$;
    CREATE OR REPLACE FUNCTION meta_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- Settings are written once; only the fingerprints of stored states change.
        IF OLD.key NOT LIKE 'states:%' AND NOT erasing() THEN
            RAISE EXCEPTION 'evidence is append-only'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END $$;
    CREATE FUNCTION erase_personal_data(updates jsonb, removals jsonb) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA} AS $$
    DECLARE
        item jsonb;
        keyed text;
        done integer := 0;
    BEGIN
        IF current_school() IS NULL THEN
            RAISE EXCEPTION 'no school';
        END IF;
        PERFORM set_config('ep_skills.erasing', 'on', true);
        FOR item IN SELECT * FROM jsonb_array_elements(updates) LOOP
            IF (item->>'table') || '.' || (item->>'column') NOT IN ({_ERASABLE_SQL}) THEN
                RAISE EXCEPTION 'an erasure may not change %.%', item->>'table', item->>'column';
            END IF;
            keyed := CASE item->>'table' WHEN 'meta' THEN 'key = $2'
                     ELSE 'id = CAST($2 AS BIGINT)' END;
            EXECUTE format('UPDATE %I SET %I = $1 WHERE school = current_school() AND ',
                           item->>'table', item->>'column') || keyed
                USING item->>'value', item->>'key';
            done := done + 1;
        END LOOP;
        FOR item IN SELECT * FROM jsonb_array_elements(removals) LOOP
            keyed := CASE item->>'table'
                WHEN 'meta' THEN 'key = $1'
                WHEN 'photo' THEN 'sha256 = $1'
                WHEN 'record_photo' THEN 'record = CAST(split_part($1, '':'', 1) AS BIGINT) '
                    || 'AND sha256 = split_part($1, '':'', 2)'
                ELSE NULL END;
            IF keyed IS NULL THEN
                RAISE EXCEPTION 'an erasure may not remove rows of %', item->>'table';
            END IF;
            EXECUTE format('DELETE FROM %I WHERE school = current_school() AND ',
                           item->>'table') || keyed
                USING item->>'key';
            done := done + 1;
        END LOOP;
        PERFORM set_config('ep_skills.erasing', 'off', true);
        RETURN done;
    END $$;
    REVOKE ALL ON FUNCTION erase_personal_data(jsonb, jsonb) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION erase_personal_data(jsonb, jsonb) TO {APP_ROLE};
    """,
)

# What guards the evidence, put (back) in place after every migration and by every set-up:
# append-only triggers (the owner too), row-level security forced on every table of a school.
PROTECTIONS = f"""
CREATE OR REPLACE TRIGGER trainee_append_only BEFORE UPDATE OR DELETE ON trainee
    FOR EACH ROW EXECUTE FUNCTION trainee_guard();
CREATE OR REPLACE TRIGGER trainee_no_truncate BEFORE TRUNCATE ON trainee
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();
CREATE OR REPLACE TRIGGER meta_append_only BEFORE UPDATE OR DELETE ON meta
    FOR EACH ROW EXECUTE FUNCTION meta_guard();
CREATE OR REPLACE TRIGGER meta_no_truncate BEFORE TRUNCATE ON meta
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();
{_TRIGGERS}
ALTER TABLE school ENABLE ROW LEVEL SECURITY;
ALTER TABLE school FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_only ON school;
CREATE POLICY school_only ON school
    USING (id = (SELECT current_school())) WITH CHECK (id = (SELECT current_school()));
{_POLICIES}
{
    "".join(
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_{suffix};"
        for table in (*_APPEND_ONLY, "trainee", "meta")
        for suffix in ("append_only", "no_truncate")
    )
}
"""

# The federation's views, recreated by every set-up (they read across schools, name no one).
_NETWORK_VIEWS = f"""
CREATE OR REPLACE VIEW network_progress AS
SELECT t.school, t.diploma,
    count(DISTINCT t.id) AS trainees,
    count(s.trainee) AS states,
    coalesce(sum(s.acquired), 0) AS acquired,
    round(coalesce(avg(s.acquired), 0), 3) AS acquired_rate
FROM trainee t LEFT JOIN competency_state s ON s.school = t.school AND s.trainee = t.id
GROUP BY t.school, t.diploma;
CREATE OR REPLACE VIEW network_activity AS
SELECT a.school, a.diploma, substr(a.day, 1, 7) AS month,
    count(*) AS assessments,
    count(DISTINCT a.trainee) AS trainees,
    count(DISTINCT a.record) AS records
FROM assessment a
WHERE a.withdrawn = 0 AND NOT EXISTS (
    SELECT 1 FROM assessment c WHERE c.school = a.school AND c.supersedes = a.id)
GROUP BY a.school, a.diploma, substr(a.day, 1, 7);
GRANT SELECT ON network_progress, network_activity TO {NETWORK_ROLE};
"""


def _grants() -> str:
    """What each role may do (recomputed by every set-up: idempotent)."""
    tables = ", ".join((*_SCHOOL_TABLES, "school"))
    return f"""
GRANT USAGE ON SCHEMA {SCHEMA} TO {APP_ROLE}, {NETWORK_ROLE}, {AGGREGATES_ROLE};
GRANT SELECT, INSERT ON {tables} TO {APP_ROLE};
GRANT SELECT ON trainee_now, schema_version TO {APP_ROLE};
GRANT UPDATE (diploma) ON trainee TO {APP_ROLE};
GRANT UPDATE, DELETE ON competency_state, meta TO {APP_ROLE};
GRANT EXECUTE ON FUNCTION current_school() TO {APP_ROLE}, {AGGREGATES_ROLE};
GRANT SELECT ON trainee, competency_state, assessment TO {AGGREGATES_ROLE};
GRANT CREATE ON SCHEMA {SCHEMA} TO {AGGREGATES_ROLE};
{_AGGREGATE_POLICIES.format(role=AGGREGATES_ROLE)}
GRANT SELECT ON schema_version TO {NETWORK_ROLE};
REVOKE UPDATE, DELETE, TRUNCATE ON {", ".join(_APPEND_ONLY)} FROM {APP_ROLE}, {NETWORK_ROLE};
REVOKE TRUNCATE ON {tables} FROM {APP_ROLE}, {NETWORK_ROLE};
"""


class ServerAddress:
    """A journal on a server: the connection (without the school) and the school."""

    def __init__(self, conninfo: str, school: str | None, shown: str) -> None:
        self.conninfo = conninfo
        self.school = school
        self.shown = shown
        """The address as it may be printed (no password)."""

    def __repr__(self) -> str:
        return f"ServerAddress({self.shown!r})"


def parse_address(address: str, school: str | None = None) -> ServerAddress:
    """Split ``postgresql://user@host:port/db?school=ID`` into what psycopg and we need.

    The school comes from the address's ``school`` parameter, else from ``school``. Every
    other parameter is libpq's (``sslmode``, ``connect_timeout``, …) and passed on.
    """
    parts = urlsplit(address)
    query = parse_qsl(parts.query, keep_blank_values=True)
    found = [v for k, v in query if k == "school"]
    rest = [(k, v) for k, v in query if k != "school"]
    conninfo = urlunsplit(parts._replace(query=urlencode(rest)))
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    chosen = found[-1] if found else school
    shown = f"postgresql://{user}{host}{port}{parts.path}"
    if chosen:
        shown += f"?school={chosen}"
    return ServerAddress(conninfo, chosen or None, shown)


@lru_cache(maxsize=512)
def _pg(sql: str) -> str:
    """The shared SQL's ``?`` placeholders as psycopg's ``%s``."""
    return sql.replace("%", "%%").replace("?", "%s")


_SET_SCHOOL = "SELECT set_config('ep_skills.school', %s, true)"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _unavailable(exc: BaseException, shown: str) -> JournalUnavailableError:
    """One clear message for what went wrong between us and the server."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, PoolTimeout):
        message = _(
            "the server {address} did not answer in time (too many users at once, or it is "
            "down); try again"
        ).format(address=shown)
    elif isinstance(exc, pg_errors.InsufficientPrivilege):
        message = _(
            "the server {address} refused: this role may not do that ({error}); see "
            "docs/network.md for the roles"
        ).format(address=shown, error=text)
    elif isinstance(exc, pg_errors.InvalidCatalogName) or (
        isinstance(exc, psycopg.OperationalError)
        and "database" in text
        and "does not exist" in text
    ):
        message = _("the server {address} has no such database ({error})").format(
            address=shown, error=text
        )
    elif isinstance(exc, psycopg.OperationalError):
        if "password" in text or "authentication" in text:
            message = _("the server {address} refused the connection: {error}").format(
                address=shown, error=text
            )
        else:
            message = _(
                "cannot reach the server {address}: {error}. Is it running, and is the "
                "address right? Nothing was written."
            ).format(address=shown, error=text)
    else:
        message = _("server error on {address}: {error}").format(address=shown, error=text)
    return JournalUnavailableError(message, value=shown)


_CURSORS = itertools.count(1)  # names of server-side cursors, unique in the process
_POOLS: dict[str, ConnectionPool[Any]] = {}
_POOLS_LOCK = threading.Lock()


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.execute(f"SET search_path = {SCHEMA}")


def _pool(conninfo: str, shown: str) -> ConnectionPool[Any]:
    """The pool of connections to a server, shared by every journal of the process on it."""
    with _POOLS_LOCK:
        pool = _POOLS.get(conninfo)
        if pool is None or pool.closed:
            try:
                # Checked once, directly: a wrong address or a stopped server is said at
                # once, not after the pool's wait for a connection that never comes.
                psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT).close()
            except psycopg.Error as exc:
                raise _unavailable(exc, shown) from None
            pool = ConnectionPool(
                conninfo,
                min_size=1,
                max_size=POOL_SIZE,
                # Transactions are ours (BEGIN … COMMIT, or psycopg's transaction()): a
                # read outside a write is one exchange with the server, school included.
                kwargs={
                    "row_factory": dict_row,
                    "connect_timeout": CONNECT_TIMEOUT,
                    "autocommit": True,
                },
                configure=_configure,
                timeout=60,
                name="ep-skills",
                open=True,
            )
            _POOLS[conninfo] = pool
        return pool


def close_pools() -> None:
    """Close every pool of the process (tests, or a server shutting down)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.close()


atexit.register(close_pools)

_ABANDONED: list[ConnectionPool[Any]] = []


def _forget_pools_in_child() -> None:
    # A forked process must not use (nor close: closing says goodbye to the server on the
    # parent's behalf) the connections it inherited; it opens its own.
    _ABANDONED.extend(_POOLS.values())
    _POOLS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools_in_child)


def _run_script(conn: psycopg.Connection[Any], script: str) -> None:
    # One statement at a time would split function bodies: PostgreSQL takes a whole script
    # in one simple query (no parameters), inside the caller's transaction.
    conn.execute(script.encode())


def _schema_version(conn: psycopg.Connection[Any]) -> int:
    """The schema version of the server (0 for a database with no ep-skills schema)."""
    found = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL AS present", (f"{SCHEMA}.schema_version",)
    ).fetchone()
    if not found or not found["present"]:
        return 0
    row = conn.execute(f"SELECT version FROM {SCHEMA}.schema_version").fetchone()
    return int(row["version"]) if row else 0


def _migrate(
    conn: psycopg.Connection[Any],
    shown: str,
    on_upgrade: Callable[[int, int], None] | None = None,
) -> int:
    """Bring the schema to :data:`SCHEMA_VERSION` (as its owner); returns the version found."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (_LOCK_CLASS,))
        found = version = _schema_version(conn)
        if version > SCHEMA_VERSION:
            raise JournalUnavailableError(
                _(
                    "the server {address} holds a journal of a newer ep-skills (schema "
                    "{found}); upgrade ep-skills"
                ).format(address=shown, found=version)
            )
        if version == SCHEMA_VERSION:
            return found
        owns = conn.execute(
            "SELECT pg_has_role(current_user, %s, 'MEMBER') AS member",
            (OWNER_ROLE,),
        ).fetchone()
        if owns and owns["member"]:
            conn.execute(f"SET LOCAL ROLE {OWNER_ROLE}")
        if version > 0 and on_upgrade is not None:
            on_upgrade(version, SCHEMA_VERSION)
        present = conn.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA,)
        ).fetchone()
        if not present:
            conn.execute(f"CREATE SCHEMA {SCHEMA}")
        conn.execute(f"SET LOCAL search_path = {SCHEMA}")
        while version < SCHEMA_VERSION:
            _run_script(conn, MIGRATIONS[version])
            version += 1
            conn.execute("UPDATE schema_version SET version = %s", (version,))
        _run_script(conn, PROTECTIONS)
    return found


def _may_upgrade(conn: psycopg.Connection[Any]) -> bool:
    """Whether this connection's role may change the schema (its owner, or a superuser)."""
    row = conn.execute(
        "SELECT rolsuper OR pg_has_role(current_user, %s, 'MEMBER') AS may "
        "FROM pg_roles WHERE rolname = current_user",
        (OWNER_ROLE,),
    ).fetchone()
    return bool(row and row["may"])


def set_up(address: str, *, on_upgrade: Callable[[int, int], None] | None = None) -> list[str]:
    """Prepare a database for ep-skills, or upgrade it: roles, schema, privileges, views.

    Run with a role that may create roles (PostgreSQL's superuser, or one with CREATEROLE
    that is a member of the owner role). Idempotent: run it again after each upgrade of
    ep-skills. Returns what it did, for the person running it.
    """
    target = parse_address(address)
    done: list[str] = []
    try:
        with psycopg.connect(
            target.conninfo, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT
        ) as conn:
            with conn.transaction():
                # Two set-ups at once (two administrators, two test workers) take turns: a
                # lock of the session, held until the connection closes.
                conn.execute("SELECT pg_advisory_lock(%s, 0)", (_SETUP_LOCK_CLASS,))
                for role, login in (
                    (OWNER_ROLE, False),
                    (APP_ROLE, False),
                    (NETWORK_ROLE, False),
                    (AGGREGATES_ROLE, False),
                ):
                    exists = conn.execute(
                        "SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)
                    ).fetchone()
                    if not exists:
                        conn.execute(f"CREATE ROLE {role} {'LOGIN' if login else 'NOLOGIN'}")
                        done.append(_("role {role} created").format(role=role))
                # The administrator acts as the owner (tables) and as the aggregates' role
                # (views); the owner is not a member of the latter: it reads one school at
                # a time, like everyone.
                conn.execute(f"REVOKE {AGGREGATES_ROLE} FROM {OWNER_ROLE}")
                conn.execute(f"GRANT {OWNER_ROLE}, {AGGREGATES_ROLE} TO current_user")
                present = conn.execute(
                    "SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA,)
                ).fetchone()
                if not present:
                    conn.execute(f"CREATE SCHEMA {SCHEMA} AUTHORIZATION {OWNER_ROLE}")
                    done.append(_("schema {schema} created").format(schema=SCHEMA))
            found = _migrate(conn, target.shown, on_upgrade)
            if found < SCHEMA_VERSION:
                done.append(
                    _("schema upgraded from version {found} to {new}").format(
                        found=found, new=SCHEMA_VERSION
                    )
                )
            with conn.transaction():
                conn.execute(f"SET LOCAL ROLE {OWNER_ROLE}")
                conn.execute(f"SET LOCAL search_path = {SCHEMA}")
                _run_script(conn, PROTECTIONS + _grants())
                conn.execute(f"SET LOCAL ROLE {AGGREGATES_ROLE}")
                _run_script(conn, _NETWORK_VIEWS)
            done.append(_("protections, privileges and network views in place"))
    except psycopg.Error as exc:
        raise _unavailable(exc, target.shown) from None
    return done


def add_school_login(address: str, login: str, school: str) -> None:
    """Bind a login role to one school: whatever school it sets, it reads and writes only
    that one's rows (for a school's own software on a shared server)."""
    target = parse_address(address)
    try:
        with psycopg.connect(target.conninfo, connect_timeout=CONNECT_TIMEOUT) as conn:
            conn.execute(f"SET ROLE {OWNER_ROLE}")
            conn.execute(
                f"INSERT INTO {SCHEMA}.school_login (login, school) VALUES (%s, %s) "
                "ON CONFLICT (login) DO UPDATE SET school = excluded.school",
                (login, school),
            )
    except psycopg.Error as exc:
        raise _unavailable(exc, target.shown) from None


class _SchoolConnection:
    """What tools and tests use of SQLite's connection: ``execute(sql, params)`` with ``?``
    placeholders, rows as tuples, in a transaction of its own with the school set."""

    def __init__(self, storage: PostgresStorage) -> None:
        self._storage = storage

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Rows:
        with self._storage._connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(_pg(sql), params)
            return _Rows(cur.fetchall() if cur.description else [])


class _Rows(list[tuple[Any, ...]]):
    def fetchone(self) -> tuple[Any, ...] | None:
        return self[0] if self else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self)


class NoSuchSchoolError(JournalUnavailableError):
    """The server has no school of this id (``create`` registers it)."""


class PostgresStorage(SqlStorage):
    """A school's journal on a PostgreSQL server (see :mod:`ep_skills.journal.storage`)."""

    _CONCAT = "string_agg({value}, {sep})"
    _CHAR = "chr({code})"
    _COUNT_IF = "count(*) FILTER (WHERE {condition})"
    _META_KEY = "school, key"
    read_only = False

    def __init__(
        self,
        address: str,
        *,
        school: str | None = None,
        create: bool = False,
        name: str | None = None,
        on_upgrade: Callable[[int, int], None] | None = None,
    ) -> None:
        """:param address: ``postgresql://user@host:port/database?school=ID``.
        :param school: the school, when the address does not name one.
        :param create: register the school on the server if it is not there yet.
        :param name: the school's name, when it is registered.
        """
        target = parse_address(address, school)
        self.address = target
        self.path = target.shown
        if target.school is None:
            raise JournalUnavailableError(
                _(
                    "which school? Add ?school=ID to the address {address} (or set "
                    "EP_SKILLS_SCHOOL)"
                ).format(address=target.shown),
                field="school",
            )
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}", target.school):
            raise JournalUnavailableError(
                _(
                    "school {school!r}: use letters, digits, dots, dashes or underscores "
                    "(63 at most)"
                ).format(school=target.school),
                field="school",
                value=target.school,
            )
        self.school = target.school
        self._local = threading.local()
        self._closed = False
        _pool(target.conninfo, target.shown)  # reachable? (one clear message if not)
        try:
            with self._pool.connection() as conn:
                version = _schema_version(conn)
                if 0 < version < SCHEMA_VERSION and _may_upgrade(conn):
                    # As SQLite upgrades a file on open: here only when this role may.
                    _migrate(conn, target.shown, on_upgrade)
                    version = _schema_version(conn)
                if version == 0:
                    raise JournalUnavailableError(
                        _(
                            "the server {address} is not set up for ep-skills yet: run "
                            "ep-skills server setup (docs/network.md)"
                        ).format(address=target.shown)
                    )
                if version > SCHEMA_VERSION:
                    raise JournalUnavailableError(
                        _(
                            "the server {address} holds a journal of a newer ep-skills "
                            "(schema {found}); upgrade ep-skills"
                        ).format(address=target.shown, found=version)
                    )
                if version < SCHEMA_VERSION:
                    raise JournalUnavailableError(
                        _(
                            "the server {address} holds a journal of an older ep-skills "
                            "(schema {found}): its administrator upgrades it with ep-skills "
                            "server setup (docs/network.md)"
                        ).format(address=target.shown, found=version)
                    )
                conn.commit()
            self._open_school(create, name)
        except (psycopg.Error, PoolTimeout) as exc:
            raise _unavailable(exc, target.shown) from None

    def _open_school(self, create: bool, name: str | None) -> None:
        with self._connection() as conn:
            present = conn.execute("SELECT 1 FROM school WHERE id = %s", (self.school,)).fetchone()
            if present:
                return
            if not create:
                raise NoSuchSchoolError(
                    _(
                        "no school {school} on {address}; create it with: ep-skills init "
                        "--db {address}"
                    ).format(school=self.school, address=self.address.shown),
                    field="school",
                    value=self.school,
                )
            conn.execute(
                "INSERT INTO school (id, name, created_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (id) DO NOTHING",
                (self.school, name, _now()),
            )

    # -- connections and transactions --------------------------------------------------------

    @contextmanager
    def _checkout(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection from the pool; what goes wrong between us and the server is said in
        one clear message (a refused row is not an outage: it is raised as it is)."""
        if self._closed:
            raise JournalUnavailableError(_("the journal {path} is closed").format(path=self.path))
        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:
            if isinstance(exc, psycopg.IntegrityError):
                raise
            raise _unavailable(exc, self.address.shown) from None
        except PoolTimeout as exc:
            raise _unavailable(exc, self.address.shown) from None

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """This thread's transaction's connection, else one from the pool in a transaction of
        its own with the school set for it (and for nothing after it)."""
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        with self._checkout() as conn, conn.transaction():
            conn.execute(_SET_SCHOOL, (self.school,))
            yield conn

    def _query(self, sql: str, params: Sequence[Any], factory: Any = dict_row) -> list[Any]:
        """The rows of one query (see :meth:`_queries`)."""
        return self._queries([(sql, params, factory)])[0]

    def _queries(self, queries: Sequence[tuple[str, Sequence[Any], Any]]) -> list[list[Any]]:
        """The rows of each query, read in one transaction. Outside a write, the
        transaction's begin, the school, the queries and the commit go to the server
        together: one exchange, however many queries."""
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is not None:
            return [
                conn.cursor(row_factory=factory).execute(_pg(sql), params).fetchall()
                for sql, params, factory in queries
            ]
        with self._checkout() as conn:
            cursors = [conn.cursor(row_factory=factory) for _sql, _params, factory in queries]
            try:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    conn.execute(_SET_SCHOOL, (self.school,))
                    for cursor, (sql, params, _factory) in zip(cursors, queries, strict=True):
                        cursor.execute(_pg(sql), params)
                    conn.execute("COMMIT")
            except BaseException:
                # Leave the connection as the pool lends it: outside any transaction.
                with suppress(psycopg.Error):
                    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                        conn.execute("ROLLBACK")
                raise
            return [cursor.fetchall() for cursor in cursors]

    @property
    def _pool(self) -> ConnectionPool[Any]:
        # Looked up on each use, not kept: a forked process gets a pool of its own.
        pool = _POOLS.get(self.address.conninfo)
        if pool is None or pool.closed:
            pool = _pool(self.address.conninfo, self.address.shown)
        return pool

    @property
    def _depth(self) -> int:
        return int(getattr(self._local, "depth", 0))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction; nested calls join the outer one. Writers of one school take
        turns (so that incremental states see every write before theirs); readers and other
        schools never wait."""
        if self._depth:
            self._local.depth += 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        with self._connection() as conn:
            conn.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, self.school)
            )
            self._local.conn, self._local.depth = conn, 1
            try:
                yield
            finally:
                self._local.conn, self._local.depth = None, 0

    def _in_transaction(self) -> bool:
        return bool(self._depth)

    def close(self) -> None:
        """Forget the server (its pool stays for the process's other journals on it)."""
        self._closed = True

    @property
    def connection(self) -> _SchoolConnection:
        """Raw SQL on the school's rows, one statement per transaction (tools, tests)."""
        return _SchoolConnection(self)

    # -- the primitives of journal/sql.py ---------------------------------------------------

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._query(sql, params)

    def _write(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._must_write()
        with self._connection() as conn:
            conn.execute(_pg(sql), params)

    def _insert(self, sql: str, params: Sequence[Any]) -> int:
        self._must_write()
        with self._connection() as conn:
            row = conn.execute(_pg(f"{sql} RETURNING id"), params).fetchone()
        assert row is not None  # an INSERT … RETURNING returns its row
        return int(row["id"])

    def _write_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._must_write()
        with self._connection() as conn, conn.cursor() as cursor:
            cursor.executemany(_pg(sql), list(rows))

    def _stream(
        self, sql: str, params: Sequence[Any] = (), *, tuples: bool = False, large: bool = False
    ) -> Generator[Any, None, None]:
        factory = tuple_row if tuples else dict_row
        if not large:
            # A few rows: fetched at once (a server-side cursor costs three exchanges).
            yield from self._query(sql, params, factory)
            return
        with (
            self._connection() as conn,
            conn.cursor(
                name=f"ep_skills_{next(_CURSORS)}",
                row_factory=factory,
            ) as cursor,
        ):
            cursor.itersize = 5000
            cursor.execute(_pg(sql), params)
            yield from cursor

    def fresh_states(
        self, trainees: Sequence[int], fingerprints: Mapping[str, str]
    ) -> list[StateRow] | None:
        if not trainees or not fingerprints:
            return super().fresh_states(trainees, fingerprints)
        # The fingerprints and the states in one exchange: every progress view reads both.
        meta, rows = self._queries(
            [
                (*self._meta_query([*fingerprints]), dict_row),
                (*self._states_query(trainees), tuple_row),
            ]
        )
        return None if _stale(meta, fingerprints) else [_state_row(r) for r in rows]

    def _new_ids(self, table: str, count: int) -> Sequence[int]:
        # The school's next numbers: safe, writers of a school take turns (transaction()).
        self._must_write()
        first = (self._read(f"SELECT max(id) AS m FROM {table}")[0]["m"] or 0) + 1
        return range(first, first + count)

    def _save_states_sql(self) -> str:
        columns = ", ".join(_STATE_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _STATE_COLUMNS[2:])
        return (
            f"INSERT INTO competency_state ({columns}) "
            f"VALUES ({', '.join('?' * len(_STATE_COLUMNS))}) "
            f"ON CONFLICT (school, trainee, competency) DO UPDATE SET {updates}"
        )

    # -- marks -------------------------------------------------------------------------------

    def write_mark(self) -> tuple[int, ...]:
        """The newest row of each evidence table of the school: changes with every write."""
        row = self._read(
            "SELECT "
            + ", ".join(f"(SELECT coalesce(max(id), 0) FROM {t}) AS {t}" for t in _MARKED)
            + ", (SELECT count(*) FROM production_order) AS orders"
        )[0]
        return tuple(int(v) for v in row.values())

    # -- checks ------------------------------------------------------------------------------

    def verify(self) -> list[str]:
        """What protects the school's evidence on the server, and what is missing."""
        problems: list[str] = []
        rows = self._read(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind = 'r'",
            (SCHEMA,),
        )
        secured = {r["relname"]: r["relrowsecurity"] and r["relforcerowsecurity"] for r in rows}
        for table in (*_SCHOOL_TABLES, "school"):
            if not secured.get(table):
                problems.append(_("row-level security is off on {table}").format(table=table))
        triggers = {
            r["tgname"]: r["tgenabled"]
            for r in self._read(
                "SELECT t.tgname, t.tgenabled FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ?",
                (SCHEMA,),
            )
        }
        for table in (*_APPEND_ONLY, "trainee", "meta"):
            for suffix in ("append_only", "no_truncate"):
                name = f"{table}_{suffix}"
                if name not in triggers:
                    problems.append(_("the trigger {name} is missing").format(name=name))
                elif triggers[name] != "A":  # enabled ALWAYS, replicas included
                    problems.append(_("the trigger {name} is disabled").format(name=name))
        policies = {
            (r["tablename"], r["policyname"]): r["qual"] or ""
            for r in self._read(
                "SELECT tablename, policyname, qual FROM pg_policies WHERE schemaname = ?",
                (SCHEMA,),
            )
        }
        for table in (*_SCHOOL_TABLES, "school"):
            if "current_school()" not in policies.get((table, "school_only"), ""):
                problems.append(
                    _("the policy that keeps each school to its rows is missing on {table}").format(
                        table=table
                    )
                )
        for table in _APPEND_ONLY:
            rights = self._read(
                "SELECT has_table_privilege(current_user, ?, 'UPDATE') AS u, "
                "has_table_privilege(current_user, ?, 'DELETE') AS d, "
                "has_table_privilege(current_user, ?, 'TRUNCATE') AS t",
                (f"{SCHEMA}.{table}",) * 3,
            )[0]
            if rights["u"] or rights["d"] or rights["t"]:
                problems.append(
                    _("this role may change or delete rows of {table}").format(table=table)
                )
        return problems

    def erase(self, rewrite: Rewrite) -> None:
        """Apply an erasure (journal/erasure.py) through the server's own function, inside
        the caller's write transaction: only it may lift the guards, and only for the columns
        that hold personal data of this school's rows."""
        self._must_write()
        rewrite.check()
        updates = [
            {"table": t, "key": str(k), "column": c, "value": v} for t, k, c, v in rewrite.updates
        ]
        removals = [{"table": t, "key": str(k)} for t, k in rewrite.removals]
        with self._connection() as conn:
            conn.execute(
                "SELECT erase_personal_data(%s::jsonb, %s::jsonb)",
                (json.dumps(updates), json.dumps(removals)),
            )

    def forget_freed(self) -> None:
        """Nothing to do here: PostgreSQL's autovacuum reclaims the rows an erasure rewrote
        (their old versions are invisible at once, and gone at its next pass)."""

    def repair(self) -> int:
        raise JournalUnavailableError(
            _(
                "on a server, the protections are put back by the set-up: run ep-skills "
                "server setup with the administrator's address (docs/network.md)"
            )
        )
