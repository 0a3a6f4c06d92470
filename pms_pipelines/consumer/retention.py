"""Retention gaps: a checkpoint whose last record arrived before the stream's trim horizon.

Records after such a checkpoint may have been trimmed unread, so the consumer stops the
shard (`CheckpointExpired`), the consumer sensor stops asking runs for it, and the
stream's `retention_gap` check fails until the operator has re-synced the affected
agencies (a full pull) and acknowledged the gap (`python -m pms_pipelines.ops
acknowledge-gap`, or the `ops_acknowledge_retention_gap` job).

The rule is conservative: Kinesis cannot tell whether anything lay between the last
consumed record and the trim horizon, so an old `last_arrival_at` is a gap once records
follow it. `last_arrival_at` is the later of the last consumed record's arrival and the
last time the consumer sensor's probe found nothing after the checkpoint
(`mark_caught_up`), so a shard that is merely quiet is no gap while the sensor runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from pms_pipelines.db import checkpoints

LEAST_RETENTION = timedelta(hours=24)  # Kinesis' minimum: younger arrivals need no lookup
CAUGHT_UP_EVERY = timedelta(hours=1)  # how stale `last_arrival_at` may get on a quiet shard
ACKNOWLEDGE = ("then acknowledge the gap: python -m pms_pipelines.ops acknowledge-gap "
               "--shard {shard_id} (or the ops_acknowledge_retention_gap job)")


class CheckpointExpired(RuntimeError):
    """The checkpoint's last record arrived before the stream's trim horizon: records
    after it may have been trimmed unread. Re-sync, then acknowledge the gap."""


def retention_gaps(kinesis: Any, conn: Any, stream: str) -> dict[str, str]:
    """Every shard of `stream` whose checkpoint's last record arrived before the trim
    horizon, with the message that explains it. One query; one DescribeStreamSummary
    only when some last arrival is older than the least retention Kinesis allows."""
    now = datetime.now(timezone.utc)
    rows = checkpoints.arrived_before(conn, stream, now - LEAST_RETENTION)
    conn.commit()
    if not rows:
        return {}
    hours = kinesis.describe_stream_summary(StreamName=stream)[
        "StreamDescriptionSummary"]["RetentionPeriodHours"]
    horizon = now - timedelta(hours=hours)
    return {shard_id: _message(stream, shard_id, arrived, hours)
            for shard_id, arrived in rows if arrived < horizon}


def retention_gap(kinesis: Any, conn: Any, stream: str, shard_id: str) -> str | None:
    """The gap message of one shard, or None."""
    return retention_gaps(kinesis, conn, stream).get(shard_id)


def mark_caught_up(conn: Any, stream: str, shard_ids: list[str], probed_at: datetime) -> None:
    """Nothing was unread in these shards at `probed_at` (a probe read no record and
    Kinesis said nothing is behind): records after it arrive later, so no gap can open
    before them. Written at most hourly a shard; the caller commits."""
    if shard_ids:
        checkpoints.mark_arrivals_caught_up(conn, stream, shard_ids, probed_at,
                                            older_than=probed_at - CAUGHT_UP_EVERY)


def acknowledge_retention_gap(conn: Any, stream: str, shard_id: str) -> None:
    """After the re-sync (a full pull of the affected agencies), let the shard go on."""
    checkpoints.forget_last_arrival(conn, stream, shard_id)
    conn.commit()


def _message(stream: str, shard_id: str, arrived: datetime, hours: int) -> str:
    return (f"{stream}/{shard_id}: the checkpoint's last record arrived at "
            f"{arrived:%Y-%m-%d %H:%M %Z}, before the stream's {hours} h retention: "
            "records after it may have been trimmed unread. Re-sync: run a full pull of "
            "every agency publishing to this stream, "
            + ACKNOWLEDGE.format(shard_id=shard_id) + ".")
