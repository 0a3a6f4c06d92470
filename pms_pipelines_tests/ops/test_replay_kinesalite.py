"""Replay on kinesalite, whose sequence numbers and closed shards are Kinesis's: the
look-back finds a real record before the first to read again (no arithmetic on
sequence numbers), a closed parent is read again to its end, and a sequence number of
another shard is refused with a clear error."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from typing import Any

import pytest

from pms_pipelines.consumer.consume import consume_shard
from pms_pipelines.db.checkpoints import read_checkpoints
from pms_pipelines.db.connection import connect
from pms_pipelines.local_stack.aws_emulator import create_stream, wait_active
from pms_pipelines.ops.replay import ReplayStart, replay
from pms_pipelines.stream.reader import StartPosition, list_shards, read_shard
from pms_pipelines_tests.ops.test_replay import _publish, _rows, _tenants
from pms_pipelines_tests.reliability.kinesalite import kinesalite, kinesalite_url  # noqa: F401

pytestmark = pytest.mark.integration
STREAM = "replay"


def _consume_in_order(client, db_url: str) -> tuple[int, int]:  # noqa: ANN001
    """Parents before children, as the sensor plans them; (records, loaded)."""
    records = loaded = 0
    shards = sorted(list_shards(client, STREAM), key=lambda s: "ParentShardId" in s)
    with connect(db_url) as conn:
        for shard in shards:
            report = consume_shard(client, conn, STREAM, shard["ShardId"], batch_limit=7)
            records += report.records
            loaded += report.loaded
    return records, loaded


def test_replay_from_a_timestamp_across_a_split(kinesalite: Any, db_url: str  # noqa: F811
                                                ) -> None:
    client = kinesalite
    create_stream(STREAM, 1, timeout_s=20)
    a, b, c = _tenants(range(10), 0), _tenants(range(10), 1), _tenants(range(5, 15), 2)
    _publish(STREAM, a)
    _consume_in_order(client, db_url)
    with connect(db_url) as conn:
        conn.execute("CREATE TABLE public.after_a AS SELECT * FROM pms.tenant")
        conn.commit()
    after_a = _rows(db_url)
    time.sleep(0.01)  # kinesalite's arrival times are in milliseconds
    between = datetime.now(UTC)
    time.sleep(0.01)
    _publish(STREAM, b)
    [parent] = list_shards(client, STREAM)
    client.split_shard(StreamName=STREAM, ShardToSplit=parent["ShardId"],
                       NewStartingHashKey=str(2**127))
    wait_active(STREAM, timeout_s=20)
    _publish(STREAM, c)
    assert _consume_in_order(client, db_url) == (len(b) + len(c), len(b) + len(c))
    full = _rows(db_url)
    with connect(db_url) as conn:
        assert read_checkpoints(conn, STREAM)[parent["ShardId"]].shard_ended
        conn.execute("DELETE FROM pms.tenant")
        conn.execute("INSERT INTO pms.tenant SELECT * FROM public.after_a")
        conn.commit()
    assert _rows(db_url) == after_a

    with connect(db_url) as conn:
        results = {r.shard_id: r for r in replay(
            client, conn, STREAM, ReplayStart("timestamp", timestamp=between))}
        on_parent = [r for batch in read_shard(client, STREAM, parent["ShardId"],
                                               StartPosition()) for r in batch.records]
        moved = read_checkpoints(conn, STREAM)
    assert all(r.moved for r in results.values())
    # The parent goes back to A's last record, a real one; the children to their start.
    assert results[parent["ShardId"]].checkpoint_after == on_parent[len(a) - 1].sequence_number
    assert results[parent["ShardId"]].first_record == on_parent[len(a)].sequence_number
    assert not moved[parent["ShardId"]].shard_ended
    assert {s: r.checkpoint_after for s, r in results.items() if s != parent["ShardId"]} == {
        s: None for s in results if s != parent["ShardId"]}
    assert _consume_in_order(client, db_url) == (len(b) + len(c), len(b) + len(c))
    assert _rows(db_url) == full

    child = next(s for s in results if s != parent["ShardId"])
    with connect(db_url) as conn, pytest.raises(ValueError, match="Kinesis refused"):
        replay(client, conn, STREAM, ReplayStart(
            "sequence_number", sequence_number=on_parent[3].sequence_number),
            shard_ids=[child])
