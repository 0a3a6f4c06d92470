"""Point the Dagster definitions at the test's database, stream and sandbox."""

from __future__ import annotations

import pytest
from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    ExecuteInProcessResult,
    JobDefinition,
)
from dagster._core.remote_origin import (
    GrpcServerCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.utils import make_new_run_id

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


def run_full_pull(instance: DagsterInstance, agency_id: str, full: bool = True,
                  succeeds: bool = True) -> None:
    """A Buildium pull of the agency as the agency sensor requests it; it must succeed,
    or with `succeeds=False` fail."""
    from pms_pipelines.definitions import defs
    from pms_pipelines.defs.agency_sensor import pull_run_request
    from pms_pipelines.integrations import REGISTRY

    integration = REGISTRY["buildium"]
    instance.add_dynamic_partitions("buildium_agencies", [agency_id])
    request = pull_run_request(integration, agency_id, full=full)
    result = defs.resolve_job_def(request.job_name).execute_in_process(
        run_config=request.run_config, partition_key=agency_id, instance=instance,
        tags=request.tags, raise_on_error=succeeds,
    )
    assert result.success is succeeds


def run_health_checks(instance: DagsterInstance) -> ExecuteInProcessResult:
    """One `health_checks` run (the checks and the health view); it must succeed."""
    from pms_pipelines.definitions import defs

    result = defs.resolve_job_def("health_checks").execute_in_process(instance=instance)
    assert result.success
    return result


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


def add_submitted_run(instance: DagsterInstance, job: JobDefinition, tags: dict[str, str],
                      run_config: dict | None = None,
                      status: DagsterRunStatus = DagsterRunStatus.QUEUED) -> str:
    """A run as the UI or the daemon submits it to the run queue (QUEUED by default): the
    job's own tags, then the request's, and the code location it comes from (a queued
    run names one: the gRPC code server of production's workspace). Its id."""
    run = DagsterRun(
        job_name=job.name, run_id=make_new_run_id(), run_config=run_config or {},
        tags={**job.tags, **tags}, status=status,
        remote_job_origin=RemoteJobOrigin(
            repository_origin=RemoteRepositoryOrigin(
                code_location_origin=GrpcServerCodeLocationOrigin(
                    host="code.dagster.internal", port=4000, location_name="pms_pipelines"),
                repository_name="__repository__"),
            job_name=job.name))
    instance.add_run(run)
    return run.run_id


def local_instance(tmp_path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> DagsterInstance:  # noqa: ANN001
    """An instance of the repo's dagster.yaml (Postgres storage, the run queue's limits)."""
    import shutil
    from pathlib import Path

    from pms_pipelines.local_stack.stack import dagster_storage_url

    shutil.copyfile(Path(__file__).resolve().parents[2] / "dagster.yaml",
                    tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", dagster_storage_url(db_url))
    return DagsterInstance.from_config(str(tmp_path))
