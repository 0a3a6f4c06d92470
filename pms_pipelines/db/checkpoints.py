"""Per-shard checkpoints: the last sequence number whose batch is committed in Postgres.

The consumer locks a shard's row for the whole batch transaction, so two runs on one
shard serialise, and a checkpoint only ever moves forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from pms_pipelines.stream.records import sequence_order

_COLUMNS = ("stream_name, shard_id, sequence_number, shard_ended, updated_at, run_id, "
            "replay_generation")


@dataclass(frozen=True)
class ShardCheckpoint:
    stream_name: str
    shard_id: str
    sequence_number: str | None  # None: nothing consumed yet, read from the trim horizon
    shard_ended: bool
    updated_at: datetime
    run_id: str | None
    replay_generation: int  # times the checkpoint was moved back for a replay


class CheckpointBackwards(ValueError):
    """Advancing would move a checkpoint to an earlier sequence number."""


def read_checkpoints(conn: psycopg.Connection, stream: str) -> dict[str, ShardCheckpoint]:
    """Every known shard of `stream`, by shard id."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM ingest.checkpoint WHERE stream_name = %s", (stream,)
    ).fetchall()
    return {row[1]: ShardCheckpoint(*row) for row in rows}


def lock_checkpoint(conn: psycopg.Connection, stream: str, shard_id: str) -> ShardCheckpoint:
    """Lock the shard's row until the transaction ends, creating it if missing."""
    conn.execute(
        "INSERT INTO ingest.checkpoint (stream_name, shard_id) VALUES (%s, %s) "
        "ON CONFLICT DO NOTHING",
        (stream, shard_id),
    )
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM ingest.checkpoint "
        "WHERE stream_name = %s AND shard_id = %s FOR UPDATE",
        (stream, shard_id),
    ).fetchone()
    assert row is not None  # inserted above
    return ShardCheckpoint(*row)


def advance_checkpoint(
    conn: psycopg.Connection,
    stream: str,
    shard_id: str,
    sequence_number: str | None,
    *,
    shard_ended: bool,
    run_id: str | None,
) -> ShardCheckpoint:
    """Move the checkpoint forward (None keeps the sequence number, e.g. to end a shard).

    Raises `CheckpointBackwards` rather than move to an earlier sequence number. An ended
    shard stays ended.
    """
    current = lock_checkpoint(conn, stream, shard_id)
    if sequence_number is None:
        sequence_number = current.sequence_number
    elif current.sequence_number is not None and (
        sequence_order(sequence_number) < sequence_order(current.sequence_number)
    ):
        raise CheckpointBackwards(
            f"{stream}/{shard_id}: checkpoint is at {current.sequence_number}, "
            f"refusing to move back to {sequence_number}"
        )
    row = conn.execute(
        "UPDATE ingest.checkpoint SET sequence_number = %s, "
        "shard_ended = shard_ended OR %s, run_id = %s, updated_at = now() "
        f"WHERE stream_name = %s AND shard_id = %s RETURNING {_COLUMNS}",
        (sequence_number, shard_ended, run_id, stream, shard_id),
    ).fetchone()
    assert row is not None
    return ShardCheckpoint(*row)


def rewind_checkpoint(
    conn: psycopg.Connection,
    stream: str,
    shard_id: str,
    sequence_number: str | None,
    *,
    last_arrival_at: datetime | None,
    run_id: str | None,
) -> ShardCheckpoint | None:
    """Move a checkpoint back for a replay (None: back to the trim horizon), in the
    caller's transaction; the shard is read again to its end, so it is no longer ended.

    The row lock waits for a batch in flight to commit; that run's next batch then finds
    the checkpoint moved and stops (`CheckpointMoved`) instead of skipping the replay.
    Returns None, changing nothing, when the checkpoint is not after `sequence_number`
    (a replay never moves a checkpoint forward: that would skip records).
    """
    current = lock_checkpoint(conn, stream, shard_id)
    if current.sequence_number is None:
        return None  # already read from the trim horizon: nothing is before it
    if sequence_number is not None and (
        sequence_order(sequence_number) >= sequence_order(current.sequence_number)
    ):
        return None
    row = conn.execute(
        "UPDATE ingest.checkpoint SET sequence_number = %s, shard_ended = false, "
        "last_arrival_at = %s, run_id = %s, updated_at = now(), "
        "replay_generation = replay_generation + 1 "
        f"WHERE stream_name = %s AND shard_id = %s RETURNING {_COLUMNS}",
        (sequence_number, last_arrival_at, run_id, stream, shard_id),
    ).fetchone()
    assert row is not None
    return ShardCheckpoint(*row)


# The last record's arrival time beside each checkpoint (migration 0003): what the
# retention-gap check compares with the stream's trim horizon (consumer/retention.py).

def record_last_arrival(conn: psycopg.Connection, stream: str, shard_id: str,
                        arrived_at: datetime) -> None:
    """In the batch's transaction: its last record's Kinesis arrival time."""
    conn.execute("UPDATE ingest.checkpoint SET last_arrival_at = %s "
                 "WHERE stream_name = %s AND shard_id = %s", (arrived_at, stream, shard_id))


def arrived_before(conn: psycopg.Connection, stream: str,
                   moment: datetime) -> list[tuple[str, datetime]]:
    """(shard, last arrival) of the shards whose last record arrived before `moment`."""
    return conn.execute(
        "SELECT shard_id, last_arrival_at FROM ingest.checkpoint "
        "WHERE stream_name = %s AND last_arrival_at < %s", (stream, moment)).fetchall()


def mark_arrivals_caught_up(conn: psycopg.Connection, stream: str, shard_ids: list[str],
                            probed_at: datetime, older_than: datetime) -> None:
    """Move the last arrival of `shard_ids` up to `probed_at` where it is older than
    `older_than` (nothing was unread then)."""
    conn.execute(
        "UPDATE ingest.checkpoint SET last_arrival_at = %s WHERE stream_name = %s "
        "AND shard_id = ANY(%s) AND last_arrival_at < %s",
        (probed_at, stream, shard_ids, older_than))


def forget_last_arrival(conn: psycopg.Connection, stream: str, shard_id: str) -> None:
    """A retention gap acknowledged: the shard goes on from its checkpoint."""
    conn.execute("UPDATE ingest.checkpoint SET last_arrival_at = NULL "
                 "WHERE stream_name = %s AND shard_id = %s", (stream, shard_id))
