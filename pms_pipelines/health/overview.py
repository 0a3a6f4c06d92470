"""The health view: one status per enabled agency and one for the stream, with the
numbers on-call looks at first, by the same rules and thresholds as the asset checks.

An agency is
- failing (red) when one of its entities is late (`pull_fresh`'s rule and window), or
  when its last pull of an entity failed and none has succeeded since it was registered
  (wrong credentials, an unknown agency: it will not mend itself);
- degraded (amber) when its last pull of an entity failed (not late yet), when records
  of it were refused by the mapping in the last 24 h and wait for a redrive (the WARN
  of the pull-stage `no_new_dead_letters`), or when its webhooks went quiet
  (`webhooks_flowing`'s rule and window);
- healthy (green) otherwise.

The stream is failing when a shard is past `PMS_LAG_ERROR_S` (`consumer_lag`'s ERROR),
has a retention gap, or stream records were dead-lettered in the last 24 h and wait for
a redrive (the ERROR of the consume-stage `no_new_dead_letters`); degraded past
`PMS_LAG_WARN_S`.

The counts come from `ingest.pull_log` (every entity pull, whoever ran it),
`ingest.pull_watermark`, `ingest.dead_letter`, `ingest.webhook_notice` and the stream.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pms_pipelines.health.freshness import EntityFreshness, entity_freshness
from pms_pipelines.health.outcome import ERROR, Outcome
from pms_pipelines.health.stream_position import consumer_lag, retention_gaps, shard_positions
from pms_pipelines.health.webhooks import AgencyWebhooks, agency_webhooks
from pms_pipelines.settings import Health

HEALTHY, DEGRADED, FAILING = "healthy", "degraded", "failing"
ORDER = (FAILING, DEGRADED, HEALTHY)  # worst first
MARK = {FAILING: "🔴", DEGRADED: "🟡", HEALTHY: "🟢"}
DAY = timedelta(hours=24)
ERROR_SHOWN = 160  # characters of a pull's error in `why` (its run's logs have it whole)


@dataclass(frozen=True)
class PmsScope:
    """What the view needs to know of one registered PMS."""

    entities: Sequence[str]
    notified: Sequence[str] = ()  # the entities its webhooks name


@dataclass(frozen=True)
class LastPull:
    entity: str
    succeeded: bool
    error: str | None


@dataclass(frozen=True)
class PullCounts:
    succeeded: int = 0
    failed: int = 0
    pulled: int = 0
    seconds: float = 0.0
    last: tuple[LastPull, ...] = ()  # the last pull of each entity in the 24 h

    @property
    def records_per_s(self) -> float | None:
        return round(self.pulled / self.seconds, 1) if self.seconds else None


@dataclass(frozen=True)
class AgencyHealth:
    pms: str
    agency_id: str
    status: str
    why: tuple[str, ...]
    last_success_age_s: float | None  # of its least recently pulled entity; None: never
    pulls: PullCounts
    dead_letters: int
    webhooks: bool  # registered with a webhook account
    last_notice_age_s: float | None


@dataclass(frozen=True)
class StreamHealth:
    status: str
    why: tuple[str, ...]
    max_lag_s: float | None
    shards: int
    dead_letters: int


@dataclass(frozen=True)
class Overview:
    agencies: list[AgencyHealth]
    stream: StreamHealth
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # pms -> status -> n


def classify_agency(
    fresh: Sequence[EntityFreshness], pulls: PullCounts, dead_letters: int,
    hooks: Sequence[AgencyWebhooks], window: timedelta,
) -> tuple[str, tuple[str, ...]]:
    """The agency's status and why (the module's rules), from what the checks see."""
    failing, degraded = [], []
    minutes = f"{window.total_seconds() / 60:.0f} min"
    late = [f.entity for f in fresh if f.late]
    if late:
        failing.append(f"no successful {', '.join(late)} pull in {minutes}")
    never = {f.entity for f in fresh if f.last_success is None or f.last_success < f.since}
    failed = [p for p in pulls.last if not p.succeeded and p.entity not in late]
    for entities, error in _by_error([p for p in failed if p.entity in never]):
        failing.append(f"{entities} pulls fail, none succeeded since it was registered{error}")
    for entities, error in _by_error([p for p in failed if p.entity not in never]):
        degraded.append(f"last {entities} pull failed{error}")
    if dead_letters:
        degraded.append(f"{dead_letters} record(s) refused by the mapping in 24 h "
                        "(dead letters awaiting a redrive)")
    quiet = sorted(h.entity for h in hooks if h.quiet)
    if quiet:
        degraded.append(f"no webhook while polls found {', '.join(quiet)} changes")
    if failing:
        return FAILING, tuple(failing + degraded)
    return (DEGRADED, tuple(degraded)) if degraded else (HEALTHY, ())


def _by_error(failed: Sequence[LastPull]) -> list[tuple[str, str]]:
    """The failed pulls grouped by error: ("landlord, tenant", ": <error>") each."""
    groups: dict[str, list[str]] = {}
    for pull in failed:
        error = pull.error or ""
        if len(error) > ERROR_SHOWN:
            error = error[: ERROR_SHOWN - 1] + "…"
        groups.setdefault(f": {error}" if error else "", []).append(pull.entity)
    return [(", ".join(sorted(entities)), error) for error, entities in groups.items()]


def classify_stream(lag: Outcome, gaps: Outcome, dead_letters: int) -> tuple[str, tuple[str, ...]]:
    failing, degraded = [], []
    if not lag.passed:
        (failing if lag.severity == ERROR else degraded).append(lag.description)
    if not gaps.passed:
        failing.append(gaps.description)
    if dead_letters:
        failing.append(f"{dead_letters} stream record(s) dead-lettered in 24 h "
                       "(awaiting a redrive)")
    if failing:
        return FAILING, tuple(failing + degraded)
    return (DEGRADED, tuple(degraded)) if degraded else (HEALTHY, ())


def pull_counts(conn: Any, since: datetime) -> dict[tuple[str, str], PullCounts]:
    """Per (pms, agency): its pulls that ended after `since`."""
    totals = conn.execute(
        "SELECT pms, agency_id, count(*) FILTER (WHERE succeeded), "
        "count(*) FILTER (WHERE NOT succeeded), "
        "coalesce(sum(pulled) FILTER (WHERE succeeded), 0), "
        "coalesce(sum(seconds) FILTER (WHERE succeeded), 0) "
        "FROM ingest.pull_log WHERE finished_at >= %s GROUP BY pms, agency_id", (since,),
    ).fetchall()
    lasts = conn.execute(
        "SELECT DISTINCT ON (pms, agency_id, entity) pms, agency_id, entity, succeeded, error "
        "FROM ingest.pull_log WHERE finished_at >= %s "
        "ORDER BY pms, agency_id, entity, finished_at DESC, id DESC", (since,),
    ).fetchall()
    conn.commit()
    last_of: dict[tuple[str, str], list[LastPull]] = {}
    for pms, agency, entity, succeeded, error in lasts:
        last_of.setdefault((pms, agency), []).append(LastPull(entity, succeeded, error))
    return {(pms, agency): PullCounts(ok, failed, int(pulled), float(seconds),
                                      tuple(last_of.get((pms, agency), ())))
            for pms, agency, ok, failed, pulled, seconds in totals}


def dead_letter_counts(conn: Any, since: datetime) -> tuple[dict[tuple[str, str], int], int]:
    """Dead letters received after `since` not yet redriven: per (pms, agency) for the
    pull stage, and the consume stage's total."""
    rows = conn.execute(
        "SELECT stage, source, agency_id, count(*) FROM ingest.dead_letter "
        "WHERE received_at >= %s AND redriven_at IS NULL GROUP BY 1, 2, 3", (since,),
    ).fetchall()
    conn.commit()
    pulls = {(source, agency): n for stage, source, agency, n in rows if stage == "pull"}
    return pulls, sum(n for stage, _, _, n in rows if stage == "consume")


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else round((now - moment).total_seconds(), 1)


def agency_overview(conn: Any, scopes: Mapping[str, PmsScope], settings: Health,
                    letters: Mapping[tuple[str, str], int], now: datetime) -> list[AgencyHealth]:
    """`letters`: the pull-stage dead letters of the day per (pms, agency)."""
    window = timedelta(seconds=settings.pull_freshness_s)
    counts = pull_counts(conn, now - DAY)
    rows = []
    for pms, scope in sorted(scopes.items()):
        fresh = entity_freshness(conn, pms, scope.entities, window, now)
        hooks = agency_webhooks(conn, pms, scope.notified, timedelta(
            seconds=settings.webhook_quiet_s), now) if scope.notified else []
        webhook_agencies = _webhook_agencies(conn, pms)
        for agency in sorted({f.agency_id for f in fresh}):
            mine = [f for f in fresh if f.agency_id == agency]
            my_hooks = [h for h in hooks if h.agency_id == agency]
            pulls = counts.get((pms, agency), PullCounts())
            dead_letters = letters.get((pms, agency), 0)
            status, why = classify_agency(mine, pulls, dead_letters, my_hooks, window)
            successes = [f.last_success for f in mine]
            rows.append(AgencyHealth(
                pms, agency, status, why,
                None if None in successes else _age(min(successes), now),
                pulls, dead_letters, agency in webhook_agencies,
                _age(webhook_agencies.get(agency), now)))
    rows.sort(key=lambda a: (ORDER.index(a.status), a.pms, a.agency_id))
    return rows


def _webhook_agencies(conn: Any, pms: str) -> dict[str, datetime | None]:
    """The enabled agencies of `pms` registered with a webhook account: their last notice."""
    rows = conn.execute(
        "SELECT a.agency_id, (SELECT max(n.received_at) FROM ingest.webhook_notice n "
        " WHERE n.pms = a.pms AND n.agency_id = a.agency_id) "
        "FROM ingest.agency a WHERE a.pms = %s AND a.enabled AND a.webhook_account IS NOT NULL",
        (pms,),
    ).fetchall()
    conn.commit()
    return dict(rows)


def stream_overview(kinesis: Any, conn: Any, stream: str, settings: Health,
                    consume_letters: int, now: datetime) -> StreamHealth:
    """`consume_letters`: the consume-stage dead letters of the day."""
    try:
        positions = shard_positions(kinesis, conn, stream)
        lag = consumer_lag(positions, now, settings.lag_warn_s, settings.lag_error_s)
        gaps = retention_gaps(kinesis, conn, stream, positions)
    except Exception as error:  # noqa: BLE001 - shown as the stream's state, not raised
        conn.rollback()
        return StreamHealth(FAILING, (f"the stream could not be read: {error}",), None, 0,
                            consume_letters)
    status, why = classify_stream(lag, gaps, consume_letters)
    return StreamHealth(status, why, float(lag.metadata["max_lag_s"]), len(positions),
                        consume_letters)


def overview(conn: Any, kinesis: Any, stream: str, scopes: Mapping[str, PmsScope],
             settings: Health, now: datetime) -> Overview:
    pull_letters, consume_letters = dead_letter_counts(conn, now - DAY)
    agencies = agency_overview(conn, scopes, settings, pull_letters, now)
    counts = {pms: {status: sum(1 for a in agencies if a.pms == pms and a.status == status)
                    for status in ORDER} for pms in sorted(scopes)}
    stream_health = stream_overview(kinesis, conn, stream, settings, consume_letters, now)
    return Overview(agencies, stream_health, counts)
