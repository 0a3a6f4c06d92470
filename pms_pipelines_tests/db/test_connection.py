"""Reaching databases: the URL from the environment, other databases on one server."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from pms_pipelines.db.connection import (
    DatabaseUrlMissing,
    connect,
    database_url,
    url_for_database,
)
from pms_pipelines.local_stack.embedded_postgres import ensure_databases, start_embedded_postgres


def test_database_url_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PMS_DATABASE_URL", raising=False)
    with pytest.raises(DatabaseUrlMissing, match="PMS_DATABASE_URL is not set"):
        database_url()
    monkeypatch.setenv("PMS_DATABASE_URL", "postgresql://u:p@h:5432/pms")
    assert database_url() == "postgresql://u:p@h:5432/pms"


@pytest.mark.parametrize("url, expected", [
    ("postgresql://postgres:@/postgres?host=/tmp/x", "postgresql://postgres:@/pms?host=/tmp/x"),
    ("postgresql://u:p@db:5432/app?sslmode=require", "postgresql://u:p@db:5432/pms?sslmode=require"),
    ("postgresql://u@db", "postgresql://u@db/pms"),
])
def test_url_for_database(url: str, expected: str) -> None:
    assert url_for_database(url, "pms") == expected


def test_ensure_databases_is_idempotent(postgres_server_url: str) -> None:
    names = ("pms_ensure_a", "pms_ensure_b")
    first = ensure_databases(postgres_server_url, names)
    assert ensure_databases(postgres_server_url, names) == first
    with connect(first["pms_ensure_a"], application_name="probe") as conn:
        assert conn.execute("SELECT current_database(), current_setting('application_name')"
                            ).fetchone() == ("pms_ensure_a", "probe")
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_embedded_postgres_keeps_its_data_across_restarts() -> None:
    # Outside pytest's tmp_path, which another pytest session may lock down (see fixture).
    parent = Path(tempfile.mkdtemp(prefix="pms-test-pg-"))
    data_dir = parent / "pg"
    pg = start_embedded_postgres(data_dir, databases=("pms",))
    with psycopg.connect(pg.urls["pms"], autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (x int)")
    pg.stop()
    pg = start_embedded_postgres(data_dir, databases=("pms", "dagster"), cleanup_mode="delete")
    try:
        with psycopg.connect(pg.urls["pms"]) as conn:
            assert conn.execute("SELECT to_regclass('kept') IS NOT NULL").fetchone() == (True,)
        assert set(pg.urls) == {"pms", "dagster"}
    finally:
        pg.stop()
        shutil.rmtree(parent, ignore_errors=True)
