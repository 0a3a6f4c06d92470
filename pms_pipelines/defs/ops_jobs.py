"""The operations as Dagster jobs (`ops_*`), launched from the launchpad with typed
config. Each op only wires: the logic is in `pms_pipelines.ops`, which the command
line (`python -m pms_pipelines.ops`) calls too."""

from collections.abc import Mapping
from datetime import datetime
from enum import Enum

from dagster import Config, Failure, JobDefinition, MetadataValue, OpExecutionContext, job, op

from pms_pipelines.consumer.redrive import RedriveReport
from pms_pipelines.defs import run_priority
from pms_pipelines.defs.consume_assets import CONSUME_JOB, SHARD_TAG
from pms_pipelines.defs.pull_assets import build_pull_assets
from pms_pipelines.defs.resources import KinesisResource, PostgresResource
from pms_pipelines.defs.runs_in_flight import tag_values_in_flight
from pms_pipelines.integrations.kit.integration import Integration
from pms_pipelines.ops import agency as agency_ops
from pms_pipelines.ops import aware_time
from pms_pipelines.ops.redrive import Selection, redrive_selection, selected_ids, summary
from pms_pipelines.ops.replay import ReplayStart, ShardReplay, replay
from pms_pipelines.ops.resync import OPS_TAG, launch_backfill, resync_request
from pms_pipelines.ops.retention import acknowledge_gaps
from pms_pipelines.ops.waiting_runs import cancel_waiting_runs

_USER_ERRORS = (ValueError, LookupError)


class ReplayFrom(Enum):
    TRIM_HORIZON = "trim_horizon"
    TIMESTAMP = "timestamp"
    SEQUENCE_NUMBER = "sequence_number"


class ReplayConfig(Config):
    start: ReplayFrom
    """Where to read again from: the oldest record kept, a time, or one record."""
    timestamp: str | None = None
    """With TIMESTAMP: ISO 8601 with a time zone, e.g. 2026-11-26T04:00:00Z."""
    sequence_number: str | None = None
    """With SEQUENCE_NUMBER: the first record to read again (name exactly one shard)."""
    shard_ids: list[str] = []
    """Shards to replay; empty: every shard of the stream."""
    dry_run: bool = True
    """true (the default): only report, one log line per shard, where each checkpoint
    would move. Set false to move them: the consumer sensor then replays."""


class RedriveConfig(Config):
    ids: list[int] = []
    """Dead letter ids; empty: any."""
    reason_contains: str | None = None
    """Only letters whose reason contains this text (case-insensitive)."""
    received_after: str | None = None
    """ISO 8601 with a time zone, inclusive."""
    received_before: str | None = None
    """ISO 8601 with a time zone, exclusive."""
    limit: int = 10_000
    """At most this many letters, oldest first."""
    dry_run: bool = False
    """Only report which would load now and which are still invalid."""


class ResyncConfig(Config):
    pms: str
    """A registered integration, e.g. buildium."""
    agency_ids: list[str]
    """Agencies to pull in full: one backfill each."""


class AcknowledgeGapConfig(Config):
    shard_ids: list[str] = []
    """Shards whose retention gap to acknowledge, after the re-sync; empty: every shard
    that has one."""


class RegisterAgencyConfig(Config):
    pms: str
    agency_id: str
    display_name: str
    credentials_ref: str
    """Where the secret lives: env:<VAR>, secretsmanager:<name or arn>, file:<path>.json.
    Never the secret itself."""
    enabled: bool = True
    webhook_account: str | None = None
    """How the PMS's webhooks name the agency (Buildium AccountId, Reapit customerId,
    Alto agencyRef); none: its webhooks are not matched, it is polled only."""
    check: bool = True
    """Resolve the credentials and try them against the PMS (one authenticated request)
    before storing anything; false: store as given."""


class SetAgencyEnabledConfig(Config):
    pms: str
    agency_id: str
    enabled: bool
    """false: schedules stop pulling the agency; true: they resume."""


def _time(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        return aware_time(text)
    except ValueError as error:
        raise Failure(f"{name}: {error}") from error


def _failure(error: Exception) -> Failure:
    return Failure(description=str(error))


def build_ops_jobs(registry: Mapping[str, Integration]) -> list[JobDefinition]:
    """The operations jobs; `registry` is the integrations the definitions load."""

    @op(description="Move the chosen shards' checkpoints back; the consumer sensor replays.")
    def replay_stream(
        context: OpExecutionContext, config: ReplayConfig, postgres: PostgresResource,
        kinesis: KinesisResource,
    ) -> None:
        try:
            start = ReplayStart(config.start.value, timestamp=_time(config.timestamp, "timestamp"),
                                sequence_number=config.sequence_number)
        except ValueError as error:
            raise _failure(error) from error
        busy = tag_values_in_flight(context.instance, CONSUME_JOB, SHARD_TAG)
        chosen = set(config.shard_ids) or busy
        for shard_id in sorted(busy & chosen):
            context.log.warning(f"{shard_id}: a consume run is on its way; if it is "
                                "mid-shard it stops at its next batch (CheckpointMoved) and "
                                "the sensor starts again from the replay position")

        def report(result: ShardReplay) -> None:
            context.log.info(
                f"{result.shard_id}: {result.note}; checkpoint "
                f"{result.checkpoint_before or 'trim horizon'} -> "
                f"{result.checkpoint_after or 'trim horizon'}; first record read again: "
                f"{result.first_record or 'none'}")

        with postgres.connect("pms-ops-replay") as conn:
            try:
                results = replay(kinesis.client(), conn, kinesis.stream_name, start,
                                 shard_ids=config.shard_ids, dry_run=config.dry_run,
                                 run_id=context.run_id, on_shard=report)
            except _USER_ERRORS as error:
                raise _failure(error) from error
        context.add_output_metadata({
            "start": start.describe(),
            "moved": sum(r.moved for r in results),
            "shards": MetadataValue.md(
                "| shard | checkpoint before | after | first record again | note |\n"
                "|---|---|---|---|---|\n" + "\n".join(
                    f"| {r.shard_id} | {r.checkpoint_before or 'trim horizon'} | "
                    f"{r.checkpoint_after or 'trim horizon'} | {r.first_record or '-'} | "
                    f"{r.note} |" for r in results)),
        })

    @op(description="Re-apply pending consume-stage dead letters with the current code.")
    def redrive_dead_letters(
        context: OpExecutionContext, config: RedriveConfig, postgres: PostgresResource
    ) -> None:
        try:
            selection = Selection(
                ids=config.ids or None, reason_contains=config.reason_contains,
                received_after=_time(config.received_after, "received_after"),
                received_before=_time(config.received_before, "received_before"),
                limit=config.limit)
        except ValueError as error:
            raise _failure(error) from error
        with postgres.connect("pms-redrive") as conn:
            ids = selected_ids(conn, selection)
            context.log.info(f"{len(ids)} pending dead letters selected")

            def progress(part: RedriveReport) -> None:
                context.log.info(f"chunk: {part.examined} examined, {part.loaded} loaded, "
                                 f"{part.stale} stale, {len(part.still_invalid)} still invalid")

            report = redrive_selection(conn, ids, dry_run=config.dry_run, on_chunk=progress)
        for letter_id, reason in report.still_invalid[:100]:
            context.log.warning(f"still invalid: dead letter {letter_id}: {reason}")
        context.log.info(summary(report, config.dry_run))
        context.add_output_metadata({
            "examined": report.examined, "loaded": report.loaded, "stale": report.stale,
            "redriven": 0 if config.dry_run else len(report.redriven_ids),
            "still_invalid": len(report.still_invalid),
        })

    @op(description="Backfill the agencies' partitions of the PMS's pull assets, full: true.")
    def resync_agency(
        context: OpExecutionContext, config: ResyncConfig, postgres: PostgresResource
    ) -> None:
        with postgres.connect("pms-ops-resync") as conn:
            try:
                requests = [resync_request(conn, registry, config.pms, agency_id)
                            for agency_id in config.agency_ids]
            except _USER_ERRORS as error:
                raise _failure(error) from error
        backfills = {}
        for request in requests:
            backfills[request.agency_id] = launch_backfill(
                context.instance, request, build_pull_assets(request.integration)[0])
            context.log.info(f"{request.title}: backfill {backfills[request.agency_id]}")
        context.add_output_metadata({"backfills": MetadataValue.json(backfills)})

    @op(description="Let shards with a retention gap go on, after the re-sync.")
    def acknowledge_retention_gap(
        context: OpExecutionContext, config: AcknowledgeGapConfig, postgres: PostgresResource,
        kinesis: KinesisResource,
    ) -> None:
        with postgres.connect("pms-ops-retention") as conn:
            try:
                done = acknowledge_gaps(kinesis.client(), conn, kinesis.stream_name,
                                        config.shard_ids or None)
            except _USER_ERRORS as error:
                raise _failure(error) from error
        for shard_id, gap in done.items():
            context.log.info(f"acknowledged {shard_id}: {gap}")
        context.add_output_metadata({"acknowledged": len(done),
                                     "shards": MetadataValue.json(sorted(done))})

    @op(description="Add or update an agency; the agency sensor then starts its first pull.")
    def register_agency(
        context: OpExecutionContext, config: RegisterAgencyConfig, postgres: PostgresResource
    ) -> None:
        with postgres.connect("pms-ops-agency") as conn:
            try:
                agency = agency_ops.register(
                    conn, registry, config.pms, config.agency_id,
                    display_name=config.display_name, credentials_ref=config.credentials_ref,
                    enabled=config.enabled, webhook_account=config.webhook_account,
                    check=config.check)
            except _USER_ERRORS as error:
                raise _failure(error) from error
        context.log.info(f"registered {agency_ops.describe(agency)}")

    @op(description="Enable or disable an agency: the schedules pull enabled agencies only.")
    def set_agency_enabled(
        context: OpExecutionContext, config: SetAgencyEnabledConfig, postgres: PostgresResource
    ) -> None:
        with postgres.connect("pms-ops-agency") as conn:
            try:
                agency = agency_ops.set_enabled(conn, registry, config.pms, config.agency_id,
                                                config.enabled)
            except _USER_ERRORS as error:
                raise _failure(error) from error
        context.log.info(agency_ops.describe(agency))
        if not config.enabled:
            cancelled = cancel_waiting_runs(context.instance, config.pms, config.agency_id)
            context.log.info(f"cancelled {len(cancelled)} queued run(s) of the agency"
                             + (f": {', '.join(cancelled)}" if cancelled else ""))

    def ops_job(name: str, body, description: str) -> JobDefinition:  # noqa: ANN001
        @job(name=name, description=description,
             tags={OPS_TAG: name.removeprefix("ops_"),
                   run_priority.PRIORITY_TAG: run_priority.OPERATOR})
        def _job() -> None:
            body()

        return _job

    return [
        ops_job("ops_replay_stream", replay_stream,
                "Replay the stream from the trim horizon, a timestamp or a sequence number."),
        ops_job("ops_redrive_dead_letters", redrive_dead_letters,
                "Re-drive dead letters (by ids, reason, time range) after a fix."),
        ops_job("ops_resync_agency", resync_agency,
                "Full pull of agencies, as backfills of their partitions."),
        ops_job("ops_acknowledge_retention_gap", acknowledge_retention_gap,
                "After a re-sync, let shards whose checkpoint fell off the retention go on."),
        ops_job("ops_register_agency", register_agency,
                "Register or update an agency (never a secret: a credentials reference)."),
        ops_job("ops_set_agency_enabled", set_agency_enabled,
                "Enable or disable an agency's pulls."),
    ]
