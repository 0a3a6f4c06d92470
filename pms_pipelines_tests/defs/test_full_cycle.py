"""Sandbox (fixture mode) → pull job → Kinesis (moto) → consume job → Postgres rows."""

from __future__ import annotations

import json
from datetime import date

import pytest
from dagster import DagsterInstance

from pms_pipelines.canonical.model import RECORD_TYPES
from pms_pipelines.db.connection import connect
from pms_pipelines.db.rows import LAYOUTS
from pms_pipelines_tests.defs.pipeline_env import (
    consume_until_caught_up,
    register_sandbox_agency,
    run_full_pull,
)
from pms_pipelines_tests.fixtures.sandbox import BUILDIUM_GOLDEN

pytestmark = pytest.mark.integration


def _expected_rows(golden: dict) -> dict[str, dict[str, dict]]:
    expected: dict[str, dict[str, dict]] = {}
    for entity, records in golden.items():
        if entity.startswith("_"):
            continue  # "_rejected": ids the mapping refuses
        layout = LAYOUTS[entity]
        expected[entity] = {
            source_id: layout.flatten(RECORD_TYPES[entity].model_validate(record))
            for source_id, record in records.items()
        }
    return expected


def _stored_rows(db_url: str, entity: str) -> dict[str, dict]:
    layout = LAYOUTS[entity]
    columns = ", ".join(c for c, _ in layout.columns)
    with connect(db_url) as conn:
        cursor = conn.execute(
            f"SELECT source_id, {columns} FROM {layout.table} "
            "WHERE agency_id = 'fixture-agency' AND deleted_at IS NULL"
        )
        names = [d.name for d in cursor.description]
        return {row[0]: dict(zip(names[1:], row[1:], strict=True)) for row in cursor.fetchall()}


def _links(db_url: str, table: str, *columns: str) -> set[tuple]:
    with connect(db_url) as conn:
        return set(conn.execute(f"SELECT {', '.join(columns)} FROM pms.{table}").fetchall())


def _tenants_on(tenancy: dict) -> set[tuple]:
    """The golden tenancy's links: (tenant, status, move-in, move-out) per tenant."""
    said = {t["tenant_id"]: t for t in tenancy["tenants"]}
    dated = lambda value: value and date.fromisoformat(value)  # noqa: E731
    return {(member, said.get(member, {}).get("status"),
             dated(said.get(member, {}).get("move_in_date")),
             dated(said.get(member, {}).get("move_out_date")))
            for member in tenancy["tenant_ids"]}


# Who lives where now, as docs/rds_schema.md tells the app to ask.
_LIVING_THERE = """
    SELECT t.property_id, l.tenant_id FROM pms.tenancy t
    JOIN pms.tenancy_tenant l USING (source, agency_id)
    WHERE l.tenancy_id = t.source_id AND t.status = 'active' AND t.deleted_at IS NULL
      AND (l.status = 'current' OR (l.status IS NULL
           AND (l.move_out_date IS NULL OR l.move_out_date > current_date)))"""


def test_fixture_agency_lands_in_postgres_exactly(
    buildium_sandbox, kinesis_stream, db_url, monkeypatch
) -> None:
    register_sandbox_agency(
        monkeypatch, db_url, buildium_sandbox.base_url, buildium_sandbox.agency_id,
        buildium_sandbox.credentials,
    )
    instance = DagsterInstance.ephemeral()
    run_full_pull(instance, buildium_sandbox.agency_id)
    assert consume_until_caught_up(instance, db_url, kinesis_stream) >= 1

    golden = json.loads(BUILDIUM_GOLDEN.read_text())
    for entity, rows in _expected_rows(golden).items():
        assert _stored_rows(db_url, entity) == rows, entity
    assert _links(db_url, "tenancy_tenant", "tenancy_id", "tenant_id", "status",
                  "move_in_date", "move_out_date") == {
        (tid, *link) for tid, t in golden["tenancy"].items() for link in _tenants_on(t)
    }
    # Lease 501's co-tenant 405 moved out (and into 505's unit): not living at 201.
    with connect(db_url) as conn:
        assert set(conn.execute(_LIVING_THERE).fetchall()) == {
            ("201", "401"), ("201", "402"), ("202", "403"), ("204", "405")}
    assert _links(db_url, "property_landlord", "property_id", "landlord_id") == {
        (pid, member) for pid, p in golden["property"].items() for member in p["landlord_ids"]
    }
    with connect(db_url) as conn:
        pull_rejections = conn.execute(
            "SELECT count(*) FROM ingest.dead_letter WHERE stage = 'pull'"
        ).fetchone()[0]
        consume_rejections = conn.execute(
            "SELECT count(*) FROM ingest.dead_letter WHERE stage = 'consume'"
        ).fetchone()[0]
    assert pull_rejections >= 1  # the fixture holds a record the mapping must refuse
    assert consume_rejections == 0

    # Pulling and consuming the same data again changes nothing.
    entities = [e for e in golden if not e.startswith("_")]
    before = {e: _stored_rows(db_url, e) for e in entities}
    run_full_pull(instance, buildium_sandbox.agency_id)
    consume_until_caught_up(instance, db_url, kinesis_stream)
    assert {e: _stored_rows(db_url, e) for e in entities} == before
