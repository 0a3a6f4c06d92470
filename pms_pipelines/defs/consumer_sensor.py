"""The consumer sensor: one consume run per shard with work and no run in flight.

No `run_key` is used: a run key is never requested twice, so a failed run would stop
its shard for good. Duplicates are prevented by looking at the runs in flight instead
(and by the run queue's per-shard limit of one in `dagster.yaml`).
"""

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from pms_pipelines.consumer.shard_probe import shards_to_consume
from pms_pipelines.defs.consume_assets import CONSUME_JOB, SHARD_TAG, consume_job
from pms_pipelines.defs import run_priority
from pms_pipelines.defs.resources import KinesisResource, PostgresResource
from pms_pipelines.defs.runs_in_flight import tag_values_in_flight
from pms_pipelines.settings import schedules

MAX_RUNS_PER_TICK = 16


@sensor(
    job=consume_job,
    minimum_interval_seconds=schedules().consumer_interval_s,
    default_status=DefaultSensorStatus.RUNNING,
    description="Asks for one consume run per shard that has records after its checkpoint.",
)
def consumer_sensor(
    context: SensorEvaluationContext, postgres: PostgresResource, kinesis: KinesisResource
):
    in_flight = tag_values_in_flight(context.instance, CONSUME_JOB, SHARD_TAG)
    with postgres.connect("pms-consumer-sensor") as conn:
        planned, listed = shards_to_consume(
            kinesis.client(), conn, kinesis.stream_name, in_flight, MAX_RUNS_PER_TICK
        )
    if not planned:
        return SkipReason(
            f"{listed} shards, {len(in_flight)} with a run in flight, none other has work"
        )
    return [
        RunRequest(
            run_config={"ops": {"consume_stream": {"config": {"shard_id": shard_id}}}},
            tags={SHARD_TAG: shard_id, run_priority.PRIORITY_TAG: run_priority.CONSUME},
        )
        for shard_id in planned
    ]
