"""The consumer sensor: one consume run per shard with work and no run in flight.

No `run_key` is used: a run key is never requested twice, so a failed run would stop
its shard for good. Duplicates are prevented by looking at the runs in flight instead
(and by the run queue's per-shard limit of one in `dagster.yaml`).
"""

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from pms_pipelines.consumer.consume import shards_to_consume
from pms_pipelines.defs.consume_assets import CONSUME_JOB, SHARD_TAG, consume_job
from pms_pipelines.defs.resources import KinesisResource, PostgresResource
from pms_pipelines.settings import schedules

IN_FLIGHT = [
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]
MAX_RUNS_PER_TICK = 16


def shards_in_flight(context: SensorEvaluationContext) -> set[str]:
    records = context.instance.get_run_records(
        RunsFilter(job_name=CONSUME_JOB, statuses=IN_FLIGHT)
    )
    return {r.dagster_run.tags[SHARD_TAG] for r in records if SHARD_TAG in r.dagster_run.tags}


@sensor(
    job=consume_job,
    minimum_interval_seconds=schedules().consumer_interval_s,
    default_status=DefaultSensorStatus.RUNNING,
    description="Asks for one consume run per shard that has records after its checkpoint.",
)
def consumer_sensor(
    context: SensorEvaluationContext, postgres: PostgresResource, kinesis: KinesisResource
):
    in_flight = shards_in_flight(context)
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
            tags={SHARD_TAG: shard_id},
        )
        for shard_id in planned
    ]
