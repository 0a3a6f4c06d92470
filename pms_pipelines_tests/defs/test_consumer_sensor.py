"""The consumer sensor: one run per shard with work, none while one is in flight, and a
new one after a failure (no run_key that could block the shard forever)."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance, RunRequest, build_sensor_context

from pms_pipelines.defs.consume_assets import SHARD_TAG
from pms_pipelines.defs.consumer_sensor import consumer_sensor
from pms_pipelines.defs.resources import resources
from pms_pipelines.aws import kinesis_client
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.reader import list_shards
from pms_pipelines.stream.records import OutgoingRecord
from pms_pipelines_tests.defs.pipeline_env import consume_until_caught_up

pytestmark = pytest.mark.integration


def _requested(instance: DagsterInstance) -> list[str]:
    with build_sensor_context(instance=instance, resources=resources()) as context:
        result = consumer_sensor(context)
    if not isinstance(result, list):
        return []
    assert all(isinstance(r, RunRequest) and r.run_key is None for r in result)
    return sorted(r.tags[SHARD_TAG] for r in result)


def test_one_run_per_shard_with_work(kinesis_stream, db_url, monkeypatch) -> None:
    from pms_pipelines.definitions import defs

    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    client = kinesis_client()
    shards = sorted(s["ShardId"] for s in list_shards(client, kinesis_stream))
    instance = DagsterInstance.ephemeral()
    assert _requested(instance) == []  # an empty stream asks for nothing

    publish_records(client, kinesis_stream, [OutgoingRecord(f"k{i}", b"{}") for i in range(40)])
    assert _requested(instance) == shards

    job = defs.resolve_job_def("consume_shard")
    in_flight = instance.create_run_for_job(
        job, run_config={"ops": {"consume_stream": {"config": {"shard_id": shards[0]}}}},
        tags={SHARD_TAG: shards[0]},
    )
    assert _requested(instance) == shards[1:]

    instance.report_run_failed(in_flight)
    assert _requested(instance) == shards  # a failed run does not stop its shard

    consume_until_caught_up(instance, db_url, kinesis_stream)
    assert _requested(instance) == []
