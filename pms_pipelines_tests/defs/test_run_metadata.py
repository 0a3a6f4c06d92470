"""Pull and consume runs record their figures as plain numbers, which the UI plots
across materializations (counts, seconds, throughput, lag)."""

from __future__ import annotations

import pytest
from dagster import AssetKey, DagsterInstance, FloatMetadataValue, IntMetadataValue

from pms_pipelines_tests.defs.pipeline_env import (
    consume_until_caught_up,
    register_sandbox_agency,
    run_full_pull,
)

pytestmark = pytest.mark.integration
PULL = {"pulled": int, "published": int, "rejected": int, "deletes": int, "missing_once": int,
        "publish_retried_records": int, "seconds": float, "records_per_second": float}
CONSUME = {"loaded": int, "records_in_run": int, "stale_in_run": int, "rejected_in_run": int,
           "lag_seconds": float, "events_per_second": float, "sent_to_lake_in_run": int}
KINDS = {int: IntMetadataValue, float: FloatMetadataValue}


def _numbers(instance: DagsterInstance, key: AssetKey, expected: dict) -> dict:
    event = instance.get_latest_materialization_event(key)
    assert event is not None, key
    metadata = event.asset_materialization.metadata
    for name, kind in expected.items():
        assert isinstance(metadata[name], KINDS[kind]), (key, name, metadata[name])
    return {name: metadata[name].value for name in expected}


def test_pull_and_consume_metadata_are_plottable_numbers(
    buildium_sandbox, kinesis_stream, db_url, monkeypatch
) -> None:
    register_sandbox_agency(monkeypatch, db_url, buildium_sandbox.base_url,
                            buildium_sandbox.agency_id, buildium_sandbox.credentials)
    instance = DagsterInstance.ephemeral()
    run_full_pull(instance, buildium_sandbox.agency_id)
    consume_until_caught_up(instance, db_url, kinesis_stream)

    pulled = _numbers(instance, AssetKey(["buildium", "property"]), PULL)
    assert pulled["pulled"] == 5 and pulled["published"] == 4 and pulled["rejected"] == 1
    consumed = _numbers(instance, AssetKey(["rds", "tenant"]), CONSUME)
    assert consumed["records_in_run"] >= consumed["loaded"] >= 0
