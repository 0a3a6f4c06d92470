"""Every metric the code emits: name, unit, dimension sets and meaning.

The Terraform alarms and the dashboard name these metrics literally;
`pms_pipelines_tests/infra/test_terraform_monitoring.py` checks each name they use is
here (or one AWS publishes), so a rename here fails the tests until Terraform follows.

Dimensions are chosen for alarms and the dashboard, and each distinct combination of
dimension values is a billed custom metric: PMS and entity (a handful each) are
dimensions; the agency (hundreds) and the shard (changes with resharding) are not —
they are properties of the log line, queryable with CloudWatch Logs Insights.
"""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "PmsPipelines"

PMS, ENTITY, STATUS, JOB = "PMS", "Entity", "Status", "Job"


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str  # a CloudWatch unit
    dimension_sets: tuple[tuple[str, ...], ...]  # () is the total over every value
    meaning: str


PER_PMS = ((PMS,), (PMS, ENTITY))

# Pulls: one line per entity pull of one agency.
RECORDS_PULLED = Metric("RecordsPulled", "Count", PER_PMS,
                        "records read from the PMS and mapped to an event or a rejection")
RECORDS_PUBLISHED = Metric("RecordsPublished", "Count", PER_PMS,
                           "events the stream accepted (upserts and deletes)")
RECORDS_REJECTED = Metric("RecordsRejected", "Count", PER_PMS,
                          "records that could not be made into a valid event")
PULL_SECONDS = Metric("PullSeconds", "Seconds", PER_PMS, "wall time of one entity pull")
PULLS_SUCCEEDED = Metric("PullsSucceeded", "Count", PER_PMS,
                         "entity pulls that finished and moved their watermark")
PULLS_FAILED = Metric("PullsFailed", "Count", PER_PMS,
                      "entity pulls that failed (watermark unchanged)")
VENDOR_ERRORS = Metric("VendorErrors", "Count", ((PMS,), (PMS, STATUS)),
                       "error answers from the PMS API, retried or not, by HTTP status "
                       "('connection' when none came)")

# Consume: one line per batch applied (one Postgres transaction).
EVENTS_APPLIED = Metric("EventsApplied", "Count", ((), (PMS,), (PMS, ENTITY)),
                        "events that changed a row in Postgres")
EVENTS_STALE = Metric("EventsStale", "Count", ((), (PMS,)),
                      "events not newer than the stored row (replays, duplicates)")
EVENTS_DEAD_LETTERED = Metric("EventsDeadLettered", "Count", ((), (PMS,)),
                              "records stored as dead letters ('unknown' PMS when the "
                              "record did not say)")
CONSUME_LAG = Metric("ConsumeLagSeconds", "Seconds", ((),),
                     "from the oldest record's arrival on the stream to its batch's commit")
BATCH_SECONDS = Metric("BatchSeconds", "Seconds", ((),),
                       "time to apply one batch and commit it")

# Runs: one line per failed run (the run-failure sensor).
RUNS_FAILED = Metric("RunsFailed", "Count", ((), (JOB,)), "Dagster runs that failed")

ALL = (RECORDS_PULLED, RECORDS_PUBLISHED, RECORDS_REJECTED, PULL_SECONDS, PULLS_SUCCEEDED,
       PULLS_FAILED, VENDOR_ERRORS, EVENTS_APPLIED, EVENTS_STALE, EVENTS_DEAD_LETTERED,
       CONSUME_LAG, BATCH_SECONDS, RUNS_FAILED)
BY_NAME = {metric.name: metric for metric in ALL}
