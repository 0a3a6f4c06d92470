"""The local stack's dagster.yaml loads: Postgres storage and the run queue's limits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def test_local_instance_config_loads(tmp_path, db_url, monkeypatch) -> None:
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", db_url)
    instance = DagsterInstance.from_config(str(tmp_path))
    try:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        limits = {
            limit["key"]: limit for limit in instance.run_coordinator.get_run_queue_config().tag_concurrency_limits
        }
        assert limits["pms/shard"]["limit"] == 1
        assert limits["pms/shard"]["value"] == {"applyLimitPerUniqueValue": True}
        assert limits["pms/agency"]["limit"] == 1
    finally:
        instance.dispose()
