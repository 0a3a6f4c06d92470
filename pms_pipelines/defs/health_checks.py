"""The health asset checks, and the `health_checks` job and schedule that evaluate them.

Each check reads the whole state it watches (every enabled agency, every shard, every
dead letter since its last evaluation) from Postgres and the stream, so one result never
hides another agency's or shard's problem: they run together in the `health_checks`
job, every few minutes (`PMS_HEALTH_CRON`), and show on the asset they are about:

- `<pms>/<entity>` `pull_fresh`: enabled agencies without a successful pull in the
  window; `no_new_dead_letters`: records the PMS mapping refused since the last check;
  `webhooks_flowing` (entities a vendor's webhooks name): agencies whose polls found
  changes while no webhook of theirs came.
- `stream/pms_events` `consumer_lag` (per shard), `retention_gap` (checkpoints past the
  trim horizon with records after them) and `no_new_dead_letters` (stream records the
  consumer could not use).
- `rds/tenancy`, `rds/property` `references_resolve`: references to records that
  never arrived after the grace period.

The consume run also records `retention_gap` itself, as ERROR, the moment it stops with
`CheckpointExpired` (see `consume_assets`). The lake's checks are evaluated by the
compaction run, where the day's data is at hand (see `lake_assets`). Logic and
thresholds live in `pms_pipelines.health` and `pms_pipelines.settings`. The same job
refreshes the health view (`health_view`), which shows them all on one screen.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckSpec,
    AssetSelection,
    AssetsDefinition,
    DefaultScheduleStatus,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    multi_asset_check,
    schedule,
)

from pms_pipelines.defs.check_outcomes import RETENTION_GAP, check_result, last_metadata
from pms_pipelines.defs.consume_assets import STREAM_KEY, rds_table_key
from pms_pipelines.defs.health_view import build_health_view
from pms_pipelines.defs.pull_assets import pull_asset_key
from pms_pipelines.defs.resources import KinesisResource, PostgresResource
from pms_pipelines.defs.runs_in_flight import IN_FLIGHT
from pms_pipelines.health.dead_letters import DeadLetterCursor, Scope, new_dead_letters
from pms_pipelines.health.freshness import pull_freshness
from pms_pipelines.health.integrity import dangling_references
from pms_pipelines.health.outcome import ERROR, WARN
from pms_pipelines.health.overview import PmsScope
from pms_pipelines.health.webhooks import webhooks_flowing
from pms_pipelines.health.stream_position import consumer_lag, retention_gaps, shard_positions
from pms_pipelines.integrations.kit.integration import Integration
from pms_pipelines.settings import health

HEALTH_JOB = "health_checks"
PULL_FRESH = "pull_fresh"
DEAD_LETTERS = "no_new_dead_letters"
CONSUMER_LAG = "consumer_lag"
REFERENCES = "references_resolve"
WEBHOOKS_FLOWING = "webhooks_flowing"


def _now() -> datetime:
    return datetime.now(UTC)


def _cursor(context: AssetCheckExecutionContext, key: AssetCheckKey) -> DeadLetterCursor | None:
    previous = last_metadata(context.instance, key)
    if "cursor_max_id" not in previous:
        return None
    return DeadLetterCursor(int(previous["cursor_max_id"]), int(previous["cursor_at_or_below"]))


def pull_checks(integration: Integration) -> AssetsDefinition:
    """`pull_fresh` and `no_new_dead_letters` on every `<pms>/<entity>` pull asset, and
    `webhooks_flowing` on those the vendor's webhooks name."""
    pms = integration.name
    keys = {entity: pull_asset_key(integration, entity) for entity in integration.entities}
    notified = sorted(notified_entities(integration))

    @multi_asset_check(
        name=f"{pms}_pull_health",
        specs=[
            *(AssetCheckSpec(PULL_FRESH, asset=key, description=(
                "Every enabled agency had a successful pull within the window "
                "(PMS_PULL_FRESHNESS_S, default three incremental-pull intervals); the late "
                "ones and their last success are listed.")) for key in keys.values()),
            *(AssetCheckSpec(DEAD_LETTERS, asset=key, description=(
                "No record of this PMS entity was refused by the mapping (pull-stage dead "
                "letter) since the last check: counts by reason and a few examples."))
              for key in keys.values()),
            *(AssetCheckSpec(WEBHOOKS_FLOWING, asset=keys[entity], description=(
                "Every agency registered with a webhook account sent a webhook within "
                "PMS_WEBHOOK_QUIET_S while its polls found changes the webhooks did not "
                "bring (WARN: the vendor may have stopped sending; polling goes on)."))
              for entity in notified),
        ],
    )
    def check(context: AssetCheckExecutionContext, postgres: PostgresResource):
        settings = health()
        with postgres.connect("pms-health") as conn:
            fresh = pull_freshness(conn, pms, list(keys), timedelta(
                seconds=settings.pull_freshness_s), _now())
            for entity, key in keys.items():
                yield check_result(fresh[entity], key, PULL_FRESH)
            for entity, key in keys.items():
                check_key = AssetCheckKey(key, DEAD_LETTERS)
                outcome, _ = new_dead_letters(conn, Scope("pull", pms, entity),
                                              _cursor(context, check_key), severity=WARN)
                yield check_result(outcome, key, DEAD_LETTERS)
            if notified:
                flowing = webhooks_flowing(conn, pms, notified, timedelta(
                    seconds=settings.webhook_quiet_s), _now())
                for entity in notified:
                    yield check_result(flowing[entity], keys[entity], WEBHOOKS_FLOWING)

    return check


def notified_entities(integration: Integration) -> set[str]:
    """The entities the vendor's webhooks name (none without webhooks)."""
    if integration.webhooks is None:
        return set()
    return {t.entity for topics in integration.webhooks.topics.values() for t in topics}


@multi_asset_check(
    name="stream_health",
    specs=[
        AssetCheckSpec(CONSUMER_LAG, asset=STREAM_KEY, description=(
            "Per shard, the age of the oldest unconsumed record (or MillisBehindLatest): "
            "WARN past PMS_LAG_WARN_S, ERROR past PMS_LAG_ERROR_S, well before the "
            "stream's 24 h retention.")),
        AssetCheckSpec(RETENTION_GAP, asset=STREAM_KEY, description=(
            "No shard's checkpoint is older than the stream's trim horizon with records "
            "after it. On ERROR: a full pull of the agencies, then "
            "ops_acknowledge_retention_gap for each shard listed.")),
        AssetCheckSpec(DEAD_LETTERS, asset=STREAM_KEY, description=(
            "No stream record was refused by the consumer (consume-stage dead letter) "
            "since the last check: counts by reason and a few examples.")),
    ],
)
def stream_health(
    context: AssetCheckExecutionContext, postgres: PostgresResource, kinesis: KinesisResource
):
    settings = health()
    client = kinesis.client()
    with postgres.connect("pms-health") as conn:
        positions = shard_positions(client, conn, kinesis.stream_name)
        yield check_result(consumer_lag(positions, _now(), settings.lag_warn_s,
                                        settings.lag_error_s), STREAM_KEY, CONSUMER_LAG)
        yield check_result(retention_gaps(client, conn, kinesis.stream_name, positions),
                           STREAM_KEY, RETENTION_GAP)
        outcome, _ = new_dead_letters(conn, Scope("consume"),
                                      _cursor(context, AssetCheckKey(STREAM_KEY, DEAD_LETTERS)),
                                      severity=ERROR)
        yield check_result(outcome, STREAM_KEY, DEAD_LETTERS)


_OWNERS = ("tenancy", "property")


@multi_asset_check(
    name="rds_integrity",
    specs=[
        AssetCheckSpec(REFERENCES, asset=rds_table_key(owner), description=(
            f"Every live {owner}'s references ("
            + ("its property and tenants" if owner == "tenancy" else "its landlords")
            + ") resolve once PMS_INTEGRITY_GRACE_S has passed since it was written."))
        for owner in _OWNERS
    ],
)
def rds_integrity(postgres: PostgresResource):
    with postgres.connect("pms-health") as conn:
        outcomes = dangling_references(conn, timedelta(seconds=health().integrity_grace_s),
                                       _now())
    for owner in _OWNERS:
        yield check_result(outcomes[owner], rds_table_key(owner), REFERENCES)


def build_health_checks(integrations: Iterable[Integration]):  # noqa: ANN201
    """The checks, the health view, the job that evaluates them all, and its schedule."""
    integrations = list(integrations)
    checks = [*(pull_checks(i) for i in integrations), stream_health, rds_integrity]
    view = build_health_view({i.name: PmsScope(i.entities, sorted(notified_entities(i)))
                              for i in integrations})
    job = define_asset_job(
        HEALTH_JOB, selection=AssetSelection.checks(*checks) | AssetSelection.assets(view),
        tags={"dagster/max_runtime": "600"},
        description="Evaluate the health checks (pull freshness, consumer lag, retention "
        "gaps, dead letters, referential integrity) and refresh the health view.",
    )

    @schedule(
        name="health_checks_schedule", job=job, cron_schedule=health().cron,
        execution_timezone="UTC", default_status=DefaultScheduleStatus.RUNNING,
        description="Every few minutes (PMS_HEALTH_CRON), so a check shows the state now; "
        "a tick is skipped while the last run is still queued or running.",
    )
    def health_checks_schedule(context: ScheduleEvaluationContext):
        waiting = context.instance.get_run_records(
            RunsFilter(job_name=HEALTH_JOB, statuses=IN_FLIGHT), limit=1)
        if waiting:
            run = waiting[0].dagster_run
            return SkipReason(f"health_checks run {run.run_id[:8]} is still "
                              f"{run.status.value.lower()}: no second one behind it")
        return RunRequest()

    return checks, view, job, health_checks_schedule

