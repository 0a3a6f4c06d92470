"""Which shards have work: the consumer sensor's probe of each shard after its checkpoint."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from pms_pipelines.consumer.planning import ShardInfo, plan_runs, ready_shards, shard_infos
from pms_pipelines.db.checkpoints import read_checkpoints
from pms_pipelines.stream.reader import THROTTLED, StartPosition, list_shards, shard_iterator


def shard_has_work(kinesis: Any, stream: str, shard_id: str, after: str | None) -> bool:
    """A cheap probe: is there a record after the checkpoint, or is the shard behind or
    ended without that being recorded yet?"""
    try:
        iterator = shard_iterator(kinesis, stream, shard_id, StartPosition.after(after))
        response = kinesis.get_records(ShardIterator=iterator, Limit=1)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in THROTTLED:
            return True  # busy shard: let a run find out, rather than fail the whole tick
        raise
    return bool(
        response["Records"]
        or response.get("MillisBehindLatest", 0) > 0
        or response.get("NextShardIterator") is None
    )


def shards_to_consume(
    kinesis: Any, conn: Any, stream: str, in_flight: set[str], max_runs: int
) -> tuple[list[str], int]:
    """The shards that should get a consume run now, and how many shards were listed."""
    shards = shard_infos(list_shards(kinesis, stream))
    checkpoints = read_checkpoints(conn, stream)
    conn.commit()
    ended = {shard for shard, c in checkpoints.items() if c.shard_ended}

    def has_work(shard: ShardInfo) -> bool:
        checkpoint = checkpoints.get(shard.shard_id)
        after = checkpoint.sequence_number if checkpoint else None
        return shard_has_work(kinesis, stream, shard.shard_id, after)

    return plan_runs(ready_shards(shards, ended), in_flight, has_work, max_runs), len(shards)
