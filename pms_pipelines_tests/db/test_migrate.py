"""Migrations apply once, in order, and concurrent callers are safe."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from pms_pipelines.db.migrate import MigrationChanged, available_migrations, migrate


def test_migrate_applies_everything_then_nothing(empty_db_url: str) -> None:
    names = [m.name for m in available_migrations()]
    assert migrate(empty_db_url) == names
    assert migrate(empty_db_url) == []
    with psycopg.connect(empty_db_url) as conn:
        recorded = [r[0] for r in conn.execute(
            "SELECT name FROM ingest.schema_migration ORDER BY version")]
        tables = {r[0] for r in conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('pms', 'ingest')")}
    assert recorded == names
    assert {"pms.property", "pms.landlord", "pms.tenant", "pms.tenancy", "pms.tenancy_tenant",
            "pms.property_landlord", "ingest.checkpoint", "ingest.dead_letter",
            "ingest.agency", "ingest.pull_watermark", "ingest.pull_snapshot",
            "ingest.schema_migration"} <= tables


def test_concurrent_migrations_apply_each_file_once(empty_db_url: str) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: migrate(empty_db_url), range(4)))
    applied = [name for result in results for name in result]
    assert sorted(applied) == [m.name for m in available_migrations()]


def test_a_failing_migration_leaves_no_trace_and_later_ones_wait(
    empty_db_url: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_good.sql").write_text("CREATE TABLE public.a (x int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE public.b (x int); SELECT 1/0;")
    (tmp_path / "0003_later.sql").write_text("CREATE TABLE public.c (x int);")
    with pytest.raises(psycopg.errors.DivisionByZero):
        migrate(empty_db_url, tmp_path)
    with psycopg.connect(empty_db_url) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    assert tables == {"a"}


def test_an_edited_applied_migration_is_refused(empty_db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "0001_first.sql"
    path.write_text("CREATE TABLE public.a (x int);")
    migrate(empty_db_url, tmp_path)
    path.write_text("CREATE TABLE public.a (x bigint);")
    with pytest.raises(MigrationChanged):
        migrate(empty_db_url, tmp_path)


def test_misnamed_migration_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "initial.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match="NNNN_description"):
        available_migrations(tmp_path)
