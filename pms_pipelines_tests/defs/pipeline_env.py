"""Point the Dagster definitions at the test's database, stream and sandbox."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance

from pms_pipelines.canonical import ENTITIES
from pms_pipelines.consumer.shard_probe import shards_to_consume
from pms_pipelines.db import agencies
from pms_pipelines.db.connection import connect
from pms_pipelines.aws import kinesis_client

CRED_PREFIX = "PMS_CRED_TEST_AGENCY"


def register_sandbox_agency(
    monkeypatch: pytest.MonkeyPatch, db_url: str, base_url: str, agency_id: str,
    credentials: dict[str, str],
) -> None:
    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    monkeypatch.setenv("PMS_BUILDIUM_BASE_URL", base_url)
    for field, value in credentials.items():
        monkeypatch.setenv(f"{CRED_PREFIX}_{field.upper()}", value)
    with connect(db_url) as conn:
        agencies.register_agency(
            conn, "buildium", agency_id, display_name="Test agency",
            credentials_ref=f"env:{CRED_PREFIX}",
        )
        conn.commit()


def run_full_pull(instance: DagsterInstance, agency_id: str, full: bool = True) -> None:
    from pms_pipelines.definitions import defs
    from pms_pipelines.defs.agency_sensor import pull_run_request
    from pms_pipelines.integrations import REGISTRY

    integration = REGISTRY["buildium"]
    instance.add_dynamic_partitions("buildium_agencies", [agency_id])
    request = pull_run_request(integration, agency_id, full=full)
    result = defs.resolve_job_def(request.job_name).execute_in_process(
        run_config=request.run_config, partition_key=agency_id, instance=instance,
        tags=request.tags,
    )
    assert result.success


def consume_until_caught_up(instance: DagsterInstance, db_url: str, stream: str) -> int:
    """Run the consume job per shard with work until none has; returns the run count."""
    from pms_pipelines.definitions import defs

    job = defs.resolve_job_def("consume_shard")
    runs = 0
    for _ in range(20):
        with connect(db_url) as conn:
            planned, _ = shards_to_consume(kinesis_client(), conn, stream, set(), 64)
        if not planned:
            return runs
        for shard_id in planned:
            result = job.execute_in_process(
                run_config={"ops": {"consume_stream": {"config": {"shard_id": shard_id}}}},
                instance=instance,
            )
            assert result.success
            runs += 1
    raise AssertionError("the consumer never caught up")


def table_counts(db_url: str) -> dict[str, int]:
    with connect(db_url) as conn:
        return {
            e: conn.execute(f"SELECT count(*) FROM pms.{e} WHERE deleted_at IS NULL").fetchone()[0]
            for e in ENTITIES
        }
