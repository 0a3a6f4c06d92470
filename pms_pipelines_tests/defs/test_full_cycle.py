"""Sandbox (fixture mode) → pull job → Kinesis (moto) → consume job → Postgres rows."""

from __future__ import annotations

import json

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


def _links(db_url: str, table: str, owner: str, member: str) -> set[tuple[str, str]]:
    with connect(db_url) as conn:
        return set(conn.execute(f"SELECT {owner}, {member} FROM pms.{table}").fetchall())


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
    assert _links(db_url, "tenancy_tenant", "tenancy_id", "tenant_id") == {
        (tid, member) for tid, t in golden["tenancy"].items() for member in t["tenant_ids"]
    }
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
