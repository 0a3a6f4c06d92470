"""Where the consumer stands in each shard: the consumer-lag and retention-gap checks.

One probe per shard (an iterator after the checkpoint, one GetRecords of one record)
gives the arrival time of the oldest unconsumed record and `MillisBehindLatest`; the
checkpoint row gives the arrival time of the last consumed one (`last_arrival_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from pms_pipelines.consumer.retention import retention_gaps as gap_messages
from pms_pipelines.health.outcome import ERROR, WARN, Outcome, listing, when
from pms_pipelines.stream.reader import THROTTLED, StartPosition, list_shards, shard_iterator

RESYNC = ("Re-sync: a full pull of each affected agency (the ops_resync_agency job, or "
          "python -m pms_pipelines.ops resync --pms <pms> --agency <id>), then "
          "acknowledge each shard listed (the ops_acknowledge_retention_gap job, or "
          "python -m pms_pipelines.ops acknowledge-gap --shard <id>).")


@dataclass(frozen=True)
class ShardPosition:
    shard_id: str
    checkpoint: str | None  # None: nothing consumed yet
    last_arrival_at: datetime | None  # of the last consumed record; None: unknown/acknowledged
    oldest_unconsumed_at: datetime | None  # of the first record after the checkpoint
    millis_behind_latest: int
    probed: bool = True  # False: Kinesis throttled the check's read (runs are reading it)

    @property
    def behind(self) -> bool:
        return self.oldest_unconsumed_at is not None or self.millis_behind_latest > 0

    def lag_s(self, now: datetime) -> float:
        """The age of the oldest unconsumed record (or MillisBehindLatest, when Kinesis
        returned an empty page while behind); 0 when caught up."""
        ages = [self.millis_behind_latest / 1000]
        if self.oldest_unconsumed_at is not None:
            ages.append((now - self.oldest_unconsumed_at).total_seconds())
        return max(0.0, *ages)


def shard_positions(kinesis: Any, conn: Any, stream: str) -> list[ShardPosition]:
    """Every shard not yet read to its end, with what is after its checkpoint."""
    rows = conn.execute(
        "SELECT shard_id, sequence_number, shard_ended, last_arrival_at "
        "FROM ingest.checkpoint WHERE stream_name = %s", (stream,)
    ).fetchall()
    conn.commit()
    checkpoints = {row[0]: row for row in rows}
    positions = []
    for shard in list_shards(kinesis, stream):
        shard_id = shard["ShardId"]
        _, sequence, ended, arrived = checkpoints.get(shard_id, (shard_id, None, False, None))
        if ended:
            continue
        try:
            iterator = shard_iterator(kinesis, stream, shard_id, StartPosition.after(sequence))
            response = kinesis.get_records(ShardIterator=iterator, Limit=1)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in THROTTLED:
                raise
            # A busy shard: say so, rather than fail every check of the stream.
            positions.append(ShardPosition(shard_id, sequence, arrived, None, 0, probed=False))
            continue
        records = response["Records"]
        positions.append(ShardPosition(
            shard_id, sequence, arrived,
            records[0].get("ApproximateArrivalTimestamp") if records else None,
            int(response.get("MillisBehindLatest", 0)),
        ))
    return positions


def consumer_lag(
    positions: list[ShardPosition], now: datetime, warn_s: int, error_s: int
) -> Outcome:
    """Fails when a shard's lag exceeds `warn_s` (WARN) or `error_s` (ERROR)."""
    lags = sorted(((p.lag_s(now), p) for p in positions), key=lambda lp: -lp[0])
    worst = lags[0][0] if lags else 0.0
    over_warn = [p.shard_id for lag, p in lags if lag > warn_s]
    over_error = [p.shard_id for lag, p in lags if lag > error_s]
    lines = [
        f"{p.shard_id}: {lag:.0f} s behind (oldest unconsumed arrived "
        f"{when(p.oldest_unconsumed_at)}, MillisBehindLatest {p.millis_behind_latest}, "
        f"last consumed arrived {when(p.last_arrival_at)})" if p.probed else
        f"{p.shard_id}: not probed, Kinesis throttled the check's read (runs are reading it)"
        for lag, p in lags
    ]
    if over_error:
        description = (f"{len(over_error)} shard(s) more than {error_s} s behind, the "
                       f"stream keeps records 24 h: {', '.join(over_error)}")
    elif over_warn:
        description = f"{len(over_warn)} shard(s) more than {warn_s} s behind: {', '.join(over_warn)}"
    else:
        description = (f"{len(positions)} shard(s), the furthest {worst:.0f} s behind "
                       f"(WARN past {warn_s} s)")
    return Outcome(
        passed=not over_warn,
        severity=ERROR if over_error else WARN,
        description=description,
        metadata={
            "max_lag_s": round(worst, 1),
            "shards": len(positions),
            "shards_behind": sum(1 for p in positions if p.behind),
            "shards_not_probed": sum(1 for p in positions if not p.probed),
            "shards_over_warn": len(over_warn),
            "shards_over_error": len(over_error),
            "warn_s": warn_s,
            "error_s": error_s,
            "lag_by_shard": listing(lines, limit=20),
        },
    )


def retention_gaps(
    kinesis: Any, conn: Any, stream: str, positions: list[ShardPosition]
) -> Outcome:
    """Fails (ERROR) for every shard whose checkpoint's last record arrived before the
    trim horizon while records follow it: the consumer stops there with
    `CheckpointExpired` (the same rule, `consumer.retention`) until the re-sync."""
    messages = gap_messages(kinesis, conn, stream)
    gaps = {p.shard_id: messages[p.shard_id] for p in positions
            if p.behind and p.shard_id in messages}
    return retention_outcome(stream, gaps, affected_agencies(conn, stream, list(gaps)))


def affected_agencies(conn: Any, stream: str, shard_ids: list[str]) -> list[str]:
    """The agencies (`pms/agency_id`) that published after the shards' last consumed
    record arrived: a pull that succeeded since then (a failed one is re-published by
    the next success). Their records may be among the trimmed ones."""
    if not shard_ids:
        return []
    rows = conn.execute(
        "SELECT DISTINCT w.pms || '/' || w.agency_id FROM ingest.pull_watermark w "
        "WHERE w.updated_at > (SELECT min(last_arrival_at) FROM ingest.checkpoint "
        "WHERE stream_name = %s AND shard_id = ANY(%s)) ORDER BY 1",
        (stream, shard_ids)).fetchall()
    conn.commit()
    return [row[0] for row in rows]


def retention_outcome(stream: str, gaps: dict[str, str], affected: list[str]) -> Outcome:
    """The check's result for `gaps` (shard id: the consumer's message) and the
    agencies to re-sync."""
    if not gaps:
        return Outcome(True, f"no shard of {stream} has a checkpoint past the retention",
                       metadata={"shards_with_gap": 0})
    return Outcome(
        passed=False,
        severity=ERROR,
        description=(f"retention gap on {stream} shard(s) {', '.join(sorted(gaps))}: records "
                     f"after the checkpoint may have been trimmed unread; "
                     f"{len(affected)} agencies to re-sync. {RESYNC}"),
        metadata={
            "shards_with_gap": len(gaps),
            "shards": ", ".join(sorted(gaps)),
            "affected_agency_count": len(affected),
            "affected_agencies": listing(affected, limit=50),
            "gaps": listing([gaps[s] for s in sorted(gaps)]),
            "resync": RESYNC,
        },
    )
