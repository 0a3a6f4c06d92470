"""The local stack's dagster.yaml loads: Postgres storage and the run queue's limits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance

from pms_pipelines.definitions import defs
from pms_pipelines.local_stack.stack import dagster_storage_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def test_local_instance_config_loads(tmp_path, db_url, monkeypatch) -> None:
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", dagster_storage_url(db_url))
    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    monkeypatch.setenv("PMS_STREAM_NAME", "instance-test")
    instance = DagsterInstance.from_config(str(tmp_path))
    try:
        # Storing an event exercises the event log's NOTIFY, which a wrong driver breaks.
        run = instance.create_run_for_job(defs.resolve_job_def("consume_shard"), run_config={
            "ops": {"consume_stream": {"config": {"shard_id": "shardId-000000000000"}}}})
        instance.report_engine_event("instance config test", run)
        assert instance.all_logs(run.run_id)
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        limits = {
            limit["key"]: limit for limit in instance.run_coordinator.get_run_queue_config().tag_concurrency_limits
        }
        assert limits["pms/shard"]["limit"] == 1
        assert limits["pms/shard"]["value"] == {"applyLimitPerUniqueValue": True}
        assert limits["pms/agency"]["limit"] == 1
        # A dead run must not hold its shard's single slot forever.
        assert instance.run_monitoring_enabled
    finally:
        instance.dispose()
