"""The database roles of one environment, least privilege; run once by an operator as
the RDS master user (`pms_admin`) connected to the `pms` database. Safe to run again (it
then resets the four passwords). Needs only psycopg, so the file runs on its own too:

    PMS_ADMIN_DATABASE_URL="host=<db_address> dbname=pms user=pms_admin sslmode=require" \\
    python -m pms_pipelines.db.roles        # or: python3 roles.py

It reads the admin password from the URL or asks for it, and the new role passwords from
`PMS_MIGRATOR_PASSWORD`, `PMS_CONSUMER_PASSWORD`, `PMS_DAGSTER_PASSWORD`,
`PMS_WEBHOOKS_PASSWORD` (asked for when unset; never command-line arguments, which `ps` and shell history show).

Roles (docs/deployment.md, step 5):
- `pms_migrator` owns schemas `pms` and `ingest`: the only role with DDL, used only by the
  migration task;
- `pms_consumer` the pipeline (pulls, consumer, sensors, re-drive, agency registry): rows
  only (SELECT/INSERT/UPDATE/DELETE on `pms.*` and `ingest.*`, their sequences, temporary
  tables for the loader's staging), no DDL, no TRUNCATE, no other schema. It reads
  `ingest.agency`: pulls need each agency's `credentials_ref` (a reference such as
  `secretsmanager:<arn>`, never the secret; the table's CHECK refuses anything else);
- `pms_reader` a NOLOGIN group for the app's and analysts' login roles: SELECT on `pms`
  only (no `ingest`: no agency registry, dead letters or checkpoints);
- `pms_webhooks` the webhook receiver, the one service the internet reaches: it reads
  `ingest.agency` (which agency a notice names, its credentials reference) and adds rows
  to `ingest.webhook_notice` and `ingest.webhook_refusal`; nothing else, no `pms` schema;
- `dagster` owns a separate database for Dagster's runs, events and schedules, and cannot
  connect to `pms`; the pipeline roles cannot connect to it.
"""

from __future__ import annotations

import getpass
import os
import sys

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

MIGRATOR, CONSUMER, READER, DAGSTER = "pms_migrator", "pms_consumer", "pms_reader", "dagster"
WEBHOOKS = "pms_webhooks"
PASSWORD_ENV = {MIGRATOR: "PMS_MIGRATOR_PASSWORD", CONSUMER: "PMS_CONSUMER_PASSWORD",
                DAGSTER: "PMS_DAGSTER_PASSWORD", WEBHOOKS: "PMS_WEBHOOKS_PASSWORD"}
# What the internet-facing webhook receiver may touch, once the migrations made it (the
# migration that creates these tables grants the same when the role already exists).
WEBHOOK_GRANTS = (
    "GRANT SELECT ON ingest.agency TO {webhooks}",
    "GRANT SELECT, INSERT ON ingest.webhook_notice TO {webhooks}",
    "GRANT USAGE ON SEQUENCE ingest.webhook_notice_id_seq TO {webhooks}",
    "GRANT SELECT, INSERT, UPDATE ON ingest.webhook_refusal TO {webhooks}",
)
WEBHOOK_STATEMENT_TIMEOUT = "3s"  # it answers vendors within their deadline, or 503
ADMIN_URL_ENV = "PMS_ADMIN_DATABASE_URL"
# A runaway query of the pipeline must not hold locks for ever.
CONSUMER_STATEMENT_TIMEOUT = "15min"


def _statements(database: str, dagster_database: str) -> list[sql.Composable]:
    """Everything after the roles exist, in order. `{db}` is the pms database."""
    ids = {"db": sql.Identifier(database), "migrator": sql.Identifier(MIGRATOR),
           "consumer": sql.Identifier(CONSUMER), "reader": sql.Identifier(READER),
           "dagster": sql.Identifier(DAGSTER), "dagster_db": sql.Identifier(dagster_database),
           "webhooks": sql.Identifier(WEBHOOKS)}
    text = [
        # The master user creates objects on behalf of these roles below.
        "GRANT {migrator} TO CURRENT_USER",
        "GRANT {dagster} TO CURRENT_USER",
        # pms database: nobody connects or creates by default.
        "REVOKE ALL ON DATABASE {db} FROM PUBLIC",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        "GRANT CONNECT ON DATABASE {db} TO {migrator}, {consumer}, {reader}, {webhooks}",
        # The migrations begin with CREATE SCHEMA IF NOT EXISTS, which checks this.
        "GRANT CREATE ON DATABASE {db} TO {migrator}",
        # The loader stages each batch in a temporary table.
        "GRANT TEMPORARY ON DATABASE {db} TO {consumer}",
        "CREATE SCHEMA IF NOT EXISTS pms AUTHORIZATION {migrator}",
        "CREATE SCHEMA IF NOT EXISTS ingest AUTHORIZATION {migrator}",
        "ALTER SCHEMA pms OWNER TO {migrator}",
        "ALTER SCHEMA ingest OWNER TO {migrator}",
        "GRANT USAGE ON SCHEMA pms, ingest TO {consumer}",
        "GRANT USAGE ON SCHEMA pms TO {reader}",
        "GRANT USAGE ON SCHEMA ingest TO {webhooks}",
        # Tables and sequences the migrations create from now on...
        "ALTER DEFAULT PRIVILEGES FOR ROLE {migrator} IN SCHEMA pms, ingest"
        " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {consumer}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {migrator} IN SCHEMA pms, ingest"
        " GRANT USAGE, SELECT ON SEQUENCES TO {consumer}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {migrator} IN SCHEMA pms"
        " GRANT SELECT ON TABLES TO {reader}",
        # ...and those that already exist when this is run again.
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pms, ingest TO {consumer}",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA pms, ingest TO {consumer}",
        "GRANT SELECT ON ALL TABLES IN SCHEMA pms TO {reader}",
    ]
    return [sql.SQL(t).format(**ids) for t in text]


def bootstrap_roles(admin_url: str, passwords: dict[str, str], *,
                    dagster_database: str = "dagster") -> None:
    """Create or update the roles and grants in the database `admin_url` names (the pms
    database), and Dagster's own database. `passwords`: role name → password for
    `pms_migrator`, `pms_consumer`, `pms_webhooks` and `dagster`."""
    missing = [role for role in PASSWORD_ENV if not passwords.get(role)]
    if missing:
        raise ValueError(f"no password given for {', '.join(missing)}")
    with psycopg.connect(admin_url, autocommit=True) as conn:  # CREATE DATABASE needs it
        database = conn.execute("SELECT current_database()").fetchone()[0]
        for role in (MIGRATOR, CONSUMER, DAGSTER, READER, WEBHOOKS):
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                continue
            login = sql.SQL("NOLOGIN" if role == READER else "LOGIN")
            conn.execute(sql.SQL("CREATE ROLE {} {}").format(sql.Identifier(role), login))
        for role in PASSWORD_ENV:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(passwords[role])))
        for role, timeout in ((CONSUMER, CONSUMER_STATEMENT_TIMEOUT),
                              (WEBHOOKS, WEBHOOK_STATEMENT_TIMEOUT)):
            conn.execute(sql.SQL("ALTER ROLE {} SET statement_timeout = {}").format(
                sql.Identifier(role), sql.Literal(timeout)))
        for statement in _statements(database, dagster_database):
            conn.execute(statement)
        if conn.execute("SELECT to_regclass('ingest.webhook_notice')").fetchone()[0]:
            for grant in WEBHOOK_GRANTS:
                conn.execute(sql.SQL(grant).format(webhooks=sql.Identifier(WEBHOOKS)))
        # Dagster's storage, apart from the app's data.
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            (dagster_database,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(dagster_database), sql.Identifier(DAGSTER)))
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(
            sql.Identifier(dagster_database)))
        conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
            sql.Identifier(dagster_database), sql.Identifier(DAGSTER)))


def main() -> int:
    admin_url = os.environ.get(ADMIN_URL_ENV, "").strip()
    if not admin_url:
        print(f"{ADMIN_URL_ENV} is not set: the master user's connection to the pms "
              "database, e.g. host=<db_address> dbname=pms user=pms_admin sslmode=require",
              file=sys.stderr)
        return 2
    if not conninfo_to_dict(admin_url).get("password") and not os.environ.get("PGPASSWORD"):
        os.environ["PGPASSWORD"] = getpass.getpass("password of the master user: ")
    passwords = {role: os.environ.get(env) or getpass.getpass(f"new password for {role}: ")
                 for role, env in PASSWORD_ENV.items()}
    bootstrap_roles(admin_url, passwords)
    print(f"roles {MIGRATOR}, {CONSUMER}, {READER}, {WEBHOOKS}, {DAGSTER} and their grants "
          "are in place")
    return 0


if __name__ == "__main__":
    sys.exit(main())
