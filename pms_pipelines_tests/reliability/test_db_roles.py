"""Scenario 8, database roles: on a real Postgres each role the bootstrap defines
(`pms_pipelines/db/roles.py`) can do its job and nothing else.

The bootstrap runs (twice: it must be re-runnable) on an empty database as the server's
admin, the migrations then run as `pms_migrator` as the migration task does, and each
role connects as itself. A schema `app`, owned by another role, stands for the app's.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.conninfo import make_conninfo

from pms_pipelines.db import dead_letters, watermarks
from pms_pipelines.db.agencies import get_agency, register_agency
from pms_pipelines.db.checkpoints import advance_checkpoint
from pms_pipelines.db.lake_counts import add_handled_counts
from pms_pipelines.db.loader import apply_events
from pms_pipelines.db.migrate import migrate
from pms_pipelines.db.snapshots import replace_snapshot
from pms_pipelines.db import webhook_notices
from pms_pipelines.db.agencies import agency_by_webhook_account
from pms_pipelines.db.roles import (
    CONSUMER, DAGSTER, MIGRATOR, READER, WEBHOOKS, bootstrap_roles,
)
from pms_pipelines_tests.db.sample_events import event, property_record, tenant_record
from pms_pipelines_tests.reliability import figures

pytestmark = pytest.mark.integration
APP_OWNER, APP_USER = "pms_test_app_owner", "pms_test_app_user"


class Roles:
    def __init__(self, admin_url: str, dagster_db: str, passwords: dict[str, str]) -> None:
        self.admin_url, self.dagster_db, self.passwords = admin_url, dagster_db, passwords

    def url(self, role: str, database: str | None = None) -> str:
        extra = {"dbname": database} if database else {}
        return make_conninfo(self.admin_url, user=role,
                             password=self.passwords.get(role, "unused"), **extra)

    def connect(self, role: str, database: str | None = None) -> psycopg.Connection:
        return psycopg.connect(self.url(role, database))


def _create_role(conn: psycopg.Connection, name: str, extra: str = "") -> None:
    if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN " + extra).format(sql.Identifier(name)))


@pytest.fixture
def roles(empty_db_url: str, postgres_server_url: str) -> Iterator[Roles]:
    dagster_db = f"pms_dagster_{uuid.uuid4().hex[:10]}"
    passwords = {r: secrets.token_urlsafe(16) for r in (MIGRATOR, CONSUMER, DAGSTER, WEBHOOKS)}
    for _ in range(2):
        bootstrap_roles(empty_db_url, passwords, dagster_database=dagster_db)
    found = Roles(empty_db_url, dagster_db, passwords)
    migrate(found.url(MIGRATOR))
    with psycopg.connect(empty_db_url, autocommit=True) as admin:
        _create_role(admin, APP_OWNER)
        _create_role(admin, APP_USER, "IN ROLE pms_reader")
        admin.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(admin.info.dbname), sql.Identifier(APP_OWNER)))
        admin.execute(f"CREATE SCHEMA app AUTHORIZATION {APP_OWNER}")
        admin.execute(f"SET ROLE {APP_OWNER}")
        admin.execute("CREATE TABLE app.account (id int PRIMARY KEY, email text)")
        admin.execute("INSERT INTO app.account VALUES (1, 'someone@example.com')")
    yield found
    with psycopg.connect(postgres_server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(dagster_db)))


def _refused(conn: psycopg.Connection, statements: tuple[str, ...]) -> int:
    """Each statement fails for want of privilege (each in its own transaction)."""
    for statement in statements:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)
        conn.rollback()
    return len(statements)


def _record(role: str, allowed: int, refused: int, note: str) -> None:
    figures.record(f"8 database role {role}", events=allowed, faults=refused, lost=0,
                   duplicated=0, dead_lettered=0, note=f"{allowed} allowed operations "
                   f"worked, {refused} others refused; {note}")


def _refused_connection(connect: Callable[[], Any]) -> str:
    with pytest.raises(psycopg.OperationalError) as raised:
        connect().close()
    return str(raised.value)


CONSUMER_MUST_NOT = (
    "CREATE TABLE public.x (id int)", "CREATE TABLE pms.x (id int)",
    "CREATE TABLE ingest.x (id int)", "CREATE SCHEMA mine",
    "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "DROP TABLE pms.property", "ALTER TABLE pms.property ADD COLUMN x int",
    "TRUNCATE pms.tenant", "CREATE INDEX ON pms.property (name)",
    "ALTER TABLE ingest.checkpoint DISABLE TRIGGER ALL", "DROP SCHEMA pms CASCADE",
    "SELECT * FROM app.account", "INSERT INTO app.account VALUES (2, 'x')",
    "DELETE FROM app.account", f"SET ROLE {MIGRATOR}", f"SET ROLE {READER}",
)


def _consumer_job(conn: psycopg.Connection) -> list[Callable[[], object]]:
    """What the pipeline does in the database, step by step (each its own transaction)."""
    letters: list[int] = []
    agency_ref = "secretsmanager:pms/agencies/buildium/acme"
    return [
        lambda: apply_events(conn, [  # stages in a temporary table, upserts, links
            event("property", "P1", property_record(), 1),
            event("tenant", "T1", tenant_record(), 1),
            event("property", "P1", property_record("Flat 1a"), 2)]),
        lambda: apply_events(conn, [event("tenant", "T1", None, 3)]),  # a delete
        lambda: advance_checkpoint(conn, "events", "shardId-0", "49", shard_ended=False,
                                   run_id="r1"),
        lambda: letters.extend(dead_letters.store_dead_letters(conn, [dead_letters.DeadLetter(
            stage="consume", reason="not JSON", raw=b"\xff", stream_name="events")])),
        lambda: dead_letters.mark_redriven(conn, letters),  # the re-drive
        lambda: watermarks.advance_watermark(conn, "buildium", "acme", "property",
                                             datetime(2026, 1, 1, tzinfo=UTC)),
        lambda: replace_snapshot(conn, "buildium", "acme", "property", {"P1"}, set(),
                                 now=datetime(2026, 1, 1, tzinfo=UTC)),
        lambda: add_handled_counts(conn, "shardId-0",
                                   {(date(2026, 1, 1), "property", "loaded"): 2}),
        lambda: register_agency(conn, "buildium", "acme", display_name="Acme",
                                credentials_ref=agency_ref),
        lambda: get_agency(conn, "buildium", "acme"),  # pulls read the reference
    ]


def test_the_consumer_role_does_its_job_and_nothing_else(roles: Roles) -> None:
    with roles.connect(CONSUMER) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "15min"
        steps = _consumer_job(conn)
        for step in steps:
            step()
            conn.commit()
        assert conn.execute("SELECT name FROM pms.property").fetchall() == [("Flat 1a",)]
        assert conn.execute("SELECT count(*) FROM ingest.dead_letter WHERE redriven_at IS "
                            "NOT NULL").fetchone()[0] == 1
        assert get_agency(conn, "buildium", "acme").credentials_ref.startswith("secretsmanager:")
        refused = _refused(conn, CONSUMER_MUST_NOT)
    message = _refused_connection(lambda: roles.connect(CONSUMER, roles.dagster_db))
    assert "permission denied" in message
    _record(CONSUMER, len(steps), refused + 1, "upserts/deletes in pms, checkpoint, dead "
            "letter, re-drive, watermark, snapshot, lake counts, agency registry; no DDL, no "
            "app schema, no dagster database")


def test_the_reader_group_reads_pms_only(roles: Roles) -> None:
    with roles.connect(CONSUMER) as conn:
        apply_events(conn, [event("property", "P1", property_record(), 1)])
        register_agency(conn, "buildium", "acme", display_name="Acme",
                        credentials_ref="secretsmanager:pms/agencies/buildium/acme")
        conn.commit()
    with roles.connect(APP_USER) as conn:  # an app login role IN ROLE pms_reader
        assert conn.execute("SELECT count(*) FROM pms.property").fetchone()[0] == 1
        refused = _refused(conn, (
            "INSERT INTO pms.tenant (source) VALUES ('x')", "DELETE FROM pms.property",
            "SELECT * FROM ingest.agency", "SELECT * FROM ingest.dead_letter",
            "SELECT * FROM ingest.checkpoint", "CREATE TABLE pms.x (id int)",
            "CREATE TABLE public.x (id int)",
        ))
    assert "not permitted to log in" in _refused_connection(lambda: roles.connect(READER))
    _record(READER, 1, refused + 1, "an app login role IN ROLE pms_reader reads pms only; "
            "the group itself cannot log in")


def test_dagster_keeps_to_its_own_database(roles: Roles) -> None:
    with roles.connect(DAGSTER, roles.dagster_db) as conn:
        conn.execute("CREATE TABLE runs (run_id text PRIMARY KEY)")
        conn.execute("INSERT INTO runs VALUES ('r1')")
        conn.commit()
    assert "permission denied" in _refused_connection(lambda: roles.connect(DAGSTER))
    assert "permission denied" in _refused_connection(
        lambda: roles.connect(MIGRATOR, roles.dagster_db))
    _record(DAGSTER, 2, 2, "creates and writes its own database; cannot connect to pms, "
            "nor pms_migrator to its database")


def test_the_migrator_owns_the_schema_and_the_others_do_not(roles: Roles) -> None:
    with roles.connect(MIGRATOR) as conn:
        owners = set(conn.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname IN ('pms', 'ingest')"))
        assert owners == {(MIGRATOR,)}
        assert migrate(roles.url(MIGRATOR)) == []  # the migration task runs again: no-op
        refused = _refused(conn, ("SELECT * FROM app.account",))
    _record(MIGRATOR, 2, refused, "ran every migration and owns every pms/ingest table")


WEBHOOKS_MUST_NOT = (
    "SELECT * FROM pms.tenant", "SELECT * FROM ingest.pull_watermark",
    "SELECT * FROM ingest.dead_letter", "UPDATE ingest.agency SET enabled = false",
    "INSERT INTO ingest.agency (pms, agency_id, display_name, credentials_ref) "
    "VALUES ('x', 'y', 'z', 'env:X')",
    "UPDATE ingest.webhook_notice SET served_at = now()", "DELETE FROM ingest.webhook_notice",
    "TRUNCATE ingest.webhook_notice", "CREATE TABLE ingest.x (id int)",
    "SELECT * FROM app.account", f"SET ROLE {CONSUMER}",
)


@pytest.mark.parametrize("bootstrapped", ["before the migrations", "again after them"])
def test_the_webhooks_role_stores_notices_and_nothing_else(roles: Roles,
                                                           bootstrapped: str) -> None:
    if bootstrapped == "again after them":  # an environment that had the tables first
        bootstrap_roles(roles.admin_url, roles.passwords, dagster_database=roles.dagster_db)
    with roles.connect(CONSUMER) as conn:
        register_agency(conn, "buildium", "acme", display_name="Acme",
                        credentials_ref="secretsmanager:pms/agencies/buildium/acme",
                        webhook_account="123456")
        conn.commit()
    with roles.connect(WEBHOOKS) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "3s"
        steps: list[Callable[[], object]] = [
            lambda: agency_by_webhook_account(conn, "buildium", "123456"),
            lambda: webhook_notices.store_notice(
                conn, pms="buildium", agency_id="acme", dedupe_key="k", signature="s",
                event_name="Lease.Updated", body=b"{}",
                targets=[{"entity": "tenancy", "kind": "id", "ids": ["1"], "op": "upsert"}]),
            lambda: webhook_notices.store_notice(  # a retry: found, not stored again
                conn, pms="buildium", agency_id="acme", dedupe_key="k", signature="s2",
                event_name="Lease.Updated", body=b"{}", targets=[]),
            lambda: webhook_notices.count_refusal(conn, "buildium", "bad signature"),
            lambda: webhook_notices.count_refusal(conn, "buildium", "bad signature"),
        ]
        for step in steps:
            step()
            conn.commit()
        refused = _refused(conn, WEBHOOKS_MUST_NOT)
    message = _refused_connection(lambda: roles.connect(WEBHOOKS, roles.dagster_db))
    assert "permission denied" in message or "not permitted" in message
    _record(f"{WEBHOOKS} ({bootstrapped})", len(steps), refused + 1, "looks up "
            "agencies, stores notices, counts refusals; no pms rows, no other ingest table")
