"""A consume step whose run Dagster has already ended commits nothing more: the batch
it was about to commit rolls back, the checkpoint stays, and the shard's next run goes
on from there."""

from __future__ import annotations

import uuid

import pytest
from dagster import DagsterRunStatus, instance_for_test

from pms_pipelines.aws import kinesis_client
from pms_pipelines.consumer.consume import consume_shard
from pms_pipelines.db.checkpoints import read_checkpoints
from pms_pipelines.db.connection import connect
from pms_pipelines.defs.run_alive import RunNoLongerAlive, check_run_alive, guarded
from pms_pipelines.local_stack.aws_emulator import create_stream
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.reader import list_shards
from pms_pipelines_tests.defs.pipeline_env import add_submitted_run
from pms_pipelines_tests.reliability.common import outgoing, tenant_events

pytestmark = pytest.mark.integration


def _consume_job():  # noqa: ANN202
    from pms_pipelines.definitions import defs

    return defs.resolve_job_def("consume_shard")


def test_only_a_starting_or_started_run_may_commit(monkeypatch) -> None:
    monkeypatch.setenv("PMS_DATABASE_URL", "postgresql://unused")
    monkeypatch.setenv("PMS_STREAM_NAME", "unused")
    with instance_for_test() as instance:
        job = _consume_job()
        for status in (DagsterRunStatus.STARTING, DagsterRunStatus.STARTED):
            check_run_alive(instance, add_submitted_run(instance, job, {}, status=status))
        for status, said in ((DagsterRunStatus.FAILURE, "is failure"),
                             (DagsterRunStatus.CANCELED, "is canceled")):
            run_id = add_submitted_run(instance, job, {}, status=status)
            with pytest.raises(RunNoLongerAlive, match=said):
                check_run_alive(instance, run_id)
        with pytest.raises(RunNoLongerAlive, match="is gone"):
            check_run_alive(instance, "no-such-run")


def test_an_orphaned_step_rolls_its_batch_back(moto_emulator, db_url, monkeypatch) -> None:
    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    monkeypatch.setenv("PMS_STREAM_NAME", "unused")
    stream = f"orphan-{uuid.uuid4().hex[:8]}"
    create_stream(stream, shard_count=1)
    client = kinesis_client()
    [shard] = list_shards(client, stream)
    records = outgoing(tenant_events(3))
    publish_records(client, stream, records)
    with instance_for_test() as instance:
        run_id = add_submitted_run(instance, _consume_job(), {},
                                   status=DagsterRunStatus.STARTED)
        instance.report_run_failed(instance.get_run_by_id(run_id))  # run monitoring's verdict
        with connect(db_url) as conn, pytest.raises(RunNoLongerAlive):
            consume_shard(client, conn, stream, shard["ShardId"],
                          before_commit=guarded(instance, run_id, None))
        with connect(db_url) as conn:
            assert read_checkpoints(conn, stream) == {}
            assert conn.execute("SELECT count(*) FROM pms.tenant").fetchone()[0] == 0
        # The shard's next run, alive, applies the same records from where it was.
        next_run = add_submitted_run(instance, _consume_job(), {},
                                     status=DagsterRunStatus.STARTED)
        with connect(db_url) as conn:
            report = consume_shard(client, conn, stream, shard["ShardId"],
                                   before_commit=guarded(instance, next_run, None))
        assert report.loaded == len(records)
