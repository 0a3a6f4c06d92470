"""A trigger that makes Postgres refuse tenant rows by first name with a chosen SQLSTATE:
the tests' stand-in for a value the database refuses although validation let it through
(a data exception) or for the database refusing everything for a while (a serialization
failure, a fault of the world)."""

from __future__ import annotations

import psycopg

_TRIGGER = "tenants_refuse_poison"


def refuse_tenants_named(conn: psycopg.Connection, name: str, sqlstate: str) -> None:
    """From now on, writing a tenant row whose first name is `name` raises `sqlstate`."""
    conn.execute(f"""
        CREATE OR REPLACE FUNCTION ingest.{_TRIGGER}() RETURNS trigger AS $$
        BEGIN
            IF NEW.first_name = '{name}' THEN
                RAISE EXCEPTION 'refused %', NEW.source_id USING ERRCODE = '{sqlstate}';
            END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql;
        DROP TRIGGER IF EXISTS {_TRIGGER} ON pms.tenant;
        CREATE TRIGGER {_TRIGGER} BEFORE INSERT OR UPDATE ON pms.tenant
            FOR EACH ROW EXECUTE FUNCTION ingest.{_TRIGGER}();""")
    conn.commit()
