"""Which shards have work: the consumer sensor's probe of each shard after its checkpoint.

A steady tick costs one Kinesis call per probed shard. The shard listing is remembered
in Postgres (`ingest.shard_listing`) and listed again only when a shard the listing has
open is ended in its checkpoint (a reshard: the children are not listed yet), when the
listing is older than `LISTING_MAX_AGE`, or when there is none. Each shard's probe reads
one record with a remembered iterator (`ingest.shard_iterator`) positioned right after
the checkpoint, from the previous probe or from the last consume run; only a missing,
expired or differently positioned one costs a GetShardIterator first.

An iterator is used only when its position equals the checkpoint read in this tick and
it is younger than `ITERATOR_MAX_AGE`, so a probe always reads the first record after
the checkpoint. The probe never writes checkpoints; a stored iterator that raced with a
consume run is at worst positioned at an older checkpoint, which the next tick sees and
replaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from botocore.exceptions import ClientError

from pms_pipelines.consumer.planning import ShardInfo, plan_runs, ready_shards, shard_infos
from pms_pipelines.consumer.retention import mark_caught_up, retention_gaps
from pms_pipelines.db.checkpoints import read_checkpoints
from pms_pipelines.db.shard_probe_state import (
    SavedIterator,
    read_iterators,
    read_listing,
    save_iterators,
    save_listing,
)
from pms_pipelines.stream.reader import THROTTLED, StartPosition, list_shards, shard_iterator

ITERATOR_MAX_AGE = timedelta(minutes=4)  # Kinesis expires an iterator 5 minutes after issue
LISTING_MAX_AGE = timedelta(minutes=10)  # a safety net: reshards are noticed by checkpoints
_UNUSABLE = {"ExpiredIteratorException", "InvalidArgumentException"}


@dataclass(frozen=True)
class Probe:
    has_work: bool
    keep: SavedIterator | None  # an iterator to remember for the next tick (None: none new)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def probe_shard(kinesis: Any, stream: str, shard_id: str, after: str | None,
                saved: SavedIterator | None = None) -> Probe:
    """Is there a record after the checkpoint `after`, or is the shard behind or ended
    without that being recorded yet? `saved`, if given, must be positioned right after
    `after`; when Kinesis refuses it (expired), a fresh iterator is asked for."""
    try:
        if saved is not None:
            try:
                return _read_one(kinesis, saved, fresh=False)
            except ClientError as error:
                if _code(error) not in _UNUSABLE:
                    raise
        iterator = shard_iterator(kinesis, stream, shard_id, StartPosition.after(after))
        return _read_one(kinesis, SavedIterator(after, iterator, _now()), fresh=True)
    except ClientError as error:
        if _code(error) in THROTTLED:
            return Probe(True, None)  # busy shard: let a run find out, not fail the tick
        raise


def _read_one(kinesis: Any, saved: SavedIterator, *, fresh: bool) -> Probe:
    issued_at = _now()
    response = kinesis.get_records(ShardIterator=saved.iterator, Limit=1)
    next_iterator = response.get("NextShardIterator")
    if next_iterator is None:
        return Probe(True, None)  # ended: a run records it
    if response["Records"]:
        # `saved` is still right after the checkpoint (Kinesis iterators can be reused).
        return Probe(True, saved if fresh else None)
    # Nothing read: the next iterator is still right after the checkpoint.
    return Probe(response.get("MillisBehindLatest", 0) > 0,
                 SavedIterator(saved.after_sequence, next_iterator, issued_at))


def listed_shards(kinesis: Any, conn: Any, stream: str, ended: set[str]) -> list[ShardInfo]:
    """The remembered listing, or a new one (ListShards) when it may be missing shards."""
    listed, listed_at = read_listing(conn, stream)
    shards = [ShardInfo(*row) for row in listed]
    if (listed_at is not None and listed_at > _now() - LISTING_MAX_AGE
            and not any(s.shard_id in ended and not s.closed for s in shards)):
        return shards
    try:
        shards = shard_infos(list_shards(kinesis, stream))
    except ClientError as error:
        if _code(error) in THROTTLED and shards:
            return shards  # listed again next tick
        raise
    save_listing(conn, stream, [(s.shard_id, s.parent_ids, s.closed) for s in shards], _now())
    conn.commit()
    return shards


def shards_to_consume(
    kinesis: Any, conn: Any, stream: str, in_flight: set[str], max_runs: int
) -> tuple[list[str], int]:
    """The shards that should get a consume run now, and how many shards are listed.

    A shard stopped by a retention gap gets no run (it would only fail again with
    `CheckpointExpired`); the stream's `retention_gap` check reports it until the gap
    is acknowledged. Its probe still runs, to keep the remembered iterator fresh."""
    gaps = retention_gaps(kinesis, conn, stream)
    probed_at = _now()
    checkpoints = read_checkpoints(conn, stream)
    iterators = read_iterators(conn, stream)
    conn.commit()
    ended = {shard for shard, c in checkpoints.items() if c.shard_ended}
    shards = listed_shards(kinesis, conn, stream, ended)
    usable_since = _now() - ITERATOR_MAX_AGE
    keep: dict[str, SavedIterator] = {}
    caught_up: list[str] = []

    def has_work(shard: ShardInfo) -> bool:
        checkpoint = checkpoints.get(shard.shard_id)
        after = checkpoint.sequence_number if checkpoint else None
        saved = iterators.get(shard.shard_id)
        if saved is not None and (saved.after_sequence != after
                                  or saved.issued_at < usable_since):
            saved = None
        probe = probe_shard(kinesis, stream, shard.shard_id, after, saved)
        if probe.keep is not None:
            keep[shard.shard_id] = probe.keep
        if not probe.has_work and shard.shard_id not in gaps:
            caught_up.append(shard.shard_id)
        return probe.has_work and shard.shard_id not in gaps

    planned = plan_runs(ready_shards(shards, ended), in_flight, has_work, max_runs)
    save_iterators(conn, stream, keep)
    mark_caught_up(conn, stream, caught_up, probed_at)
    conn.commit()
    return planned, len(shards)


def remember_iterator(conn: Any, stream: str, shard_id: str, after: str | None,
                      iterator: str, issued_at: datetime) -> None:
    """A consume run's last iterator, for the next tick (the caller commits)."""
    save_iterators(conn, stream, {shard_id: SavedIterator(after, iterator, issued_at)})
