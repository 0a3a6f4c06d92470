"""The health view, `on_call/health`: the first place on-call looks. Materialized by
every `health_checks` run, it carries a table of every enabled agency (worst first)
and the stream, with red/amber/green from the same rules and thresholds as the asset
checks (`pms_pipelines.health.overview`); one check per PMS and one for the stream
colour the asset in the lineage and the catalog (ERROR: red, WARN: yellow), and its
numeric metadata is plotted over time.

Its checks restate the other checks (and the pulls' outcomes): they do not alert, the
checks and runs they summarize do (alert_sensors)."""

from collections.abc import Mapping
from datetime import UTC, datetime

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
    asset,
)

from pms_pipelines.defs.resources import KinesisResource, PostgresResource
from pms_pipelines.health.overview import (
    FAILING,
    HEALTHY,
    MARK,
    ORDER,
    AgencyHealth,
    Overview,
    PmsScope,
    StreamHealth,
    overview,
)
from pms_pipelines.settings import health

HEALTH_KEY = AssetKey(["on_call", "health"])
HEALTH_GROUP = "on_call"
STREAM_CHECK = "stream_healthy"
TABLE_ROWS = 200  # the worst first; the counts cover every agency

AGENCY_COLUMNS = TableSchema(columns=[
    TableColumn("status", "string", description="🔴 failing, 🟡 degraded, 🟢 healthy"),
    TableColumn("pms", "string"),
    TableColumn("agency", "string"),
    TableColumn("last_success_min", "float",
                description="Minutes since the last successful pull of its least recently "
                "pulled entity (empty: never)"),
    TableColumn("pulls_ok_24h", "int", description="Entity pulls that succeeded in 24 h"),
    TableColumn("pulls_failed_24h", "int", description="Entity pulls that failed in 24 h"),
    TableColumn("records_per_s", "float",
                description="Records pulled per second of successful pulls in 24 h"),
    TableColumn("dead_letters_24h", "int",
                description="Records refused by the mapping in 24 h, awaiting a redrive"),
    TableColumn("last_webhook_min", "float",
                description="Minutes since its last webhook notice (empty: none, or not "
                "registered for webhooks)"),
    TableColumn("why", "string", description="What makes it red or amber"),
])


def pms_check(pms: str) -> str:
    return f"{pms}_agencies_healthy"


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _label(status: str) -> str:
    return f"{MARK[status]} {status}"


def agency_record(agency: AgencyHealth) -> TableRecord:
    return TableRecord({
        "status": _label(agency.status),
        "pms": agency.pms,
        "agency": agency.agency_id,
        "last_success_min": _minutes(agency.last_success_age_s),
        "pulls_ok_24h": agency.pulls.succeeded,
        "pulls_failed_24h": agency.pulls.failed,
        "records_per_s": agency.pulls.records_per_s,
        "dead_letters_24h": agency.dead_letters,
        "last_webhook_min": _minutes(agency.last_notice_age_s) if agency.webhooks else None,
        "why": "; ".join(agency.why) or "—",
    })


def summary(view: Overview) -> str:
    totals = {s: sum(c[s] for c in view.counts.values()) for s in ORDER}
    agencies = ", ".join(f"{MARK[s]} {totals[s]} {s}" for s in ORDER)
    return f"agencies: {agencies} · stream: {_label(view.stream.status)}"


def view_metadata(view: Overview) -> dict[str, object]:
    stream = view.stream
    metadata: dict[str, object] = {
        "summary": MetadataValue.text(summary(view)),
        "agencies": MetadataValue.table(
            [agency_record(a) for a in view.agencies[:TABLE_ROWS]], AGENCY_COLUMNS),
        "stream": MetadataValue.text(
            f"{_label(stream.status)}: " + ("; ".join(stream.why) or
                                            f"{stream.shards} shard(s) caught up")),
        "stream_max_lag_s": stream.max_lag_s if stream.max_lag_s is not None else MetadataValue.null(),
        "stream_dead_letters_24h": stream.dead_letters,
    }
    if len(view.agencies) > TABLE_ROWS:
        metadata["agencies_not_shown"] = len(view.agencies) - TABLE_ROWS
    for pms, counts in view.counts.items():
        for status in ORDER:
            metadata[f"{pms}_{status}"] = counts[status]  # plotted over time
    return metadata


def pms_result(pms: str, agencies: list[AgencyHealth]) -> AssetCheckResult:
    mine = [a for a in agencies if a.pms == pms]
    bad = [a for a in mine if a.status != HEALTHY]
    failing = any(a.status == FAILING for a in bad)
    lines = [f"{a.agency_id} {_label(a.status)}: {'; '.join(a.why)}" for a in bad[:20]]
    return AssetCheckResult(
        asset_key=HEALTH_KEY, check_name=pms_check(pms), passed=not bad,
        severity=AssetCheckSeverity.ERROR if failing else AssetCheckSeverity.WARN,
        description=(f"{len(bad)} of {len(mine)} {pms} agencies not healthy" if bad else
                     f"all {len(mine)} {pms} agencies healthy"),
        metadata={"agencies": len(mine), "not_healthy": len(bad),
                  "details": MetadataValue.text("\n".join(lines) or "none")},
    )


def stream_result(stream: StreamHealth) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=HEALTH_KEY, check_name=STREAM_CHECK, passed=stream.status == HEALTHY,
        severity=AssetCheckSeverity.ERROR if stream.status == FAILING
        else AssetCheckSeverity.WARN,
        description="; ".join(stream.why) or f"{stream.shards} shard(s), none behind",
    )


def build_health_view(scopes: Mapping[str, PmsScope]) -> AssetsDefinition:
    @asset(
        key=HEALTH_KEY,
        group_name=HEALTH_GROUP,
        kinds={"postgres", "kinesis"},
        description=(
            "**Health at a glance.** Every enabled agency, worst first: 🔴 failing, "
            "🟡 degraded, 🟢 healthy, and why; minutes since its last successful pull, "
            "pulls succeeded and failed in 24 h, records/s, dead letters, last webhook. "
            "Then the stream: consumer lag, retention gaps, dead letters. Refreshed by "
            "every `health_checks` run, by the same rules and thresholds as the asset "
            "checks (docs/runbook.md starts here)."),
        check_specs=[
            *(AssetCheckSpec(pms_check(pms), asset=HEALTH_KEY, description=(
                f"Every enabled {pms} agency is healthy (ERROR: one is failing, WARN: one "
                "is degraded)")) for pms in sorted(scopes)),
            AssetCheckSpec(STREAM_CHECK, asset=HEALTH_KEY, description=(
                "The stream's consumer is caught up, has no retention gap and dead-"
                "lettered nothing in 24 h")),
        ],
    )
    def on_call_health(context: AssetExecutionContext, postgres: PostgresResource,
                       kinesis: KinesisResource) -> MaterializeResult:
        with postgres.connect("pms-health-view") as conn:
            view = overview(conn, kinesis.client(), kinesis.stream_name, scopes, health(),
                            datetime.now(UTC))
        context.log.info(summary(view))
        return MaterializeResult(
            metadata=view_metadata(view),
            check_results=[*(pms_result(pms, view.agencies) for pms in sorted(scopes)),
                           stream_result(view.stream)],
        )

    return on_call_health
