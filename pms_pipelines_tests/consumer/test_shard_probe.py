"""The consumer sensor's probe: one GetRecords per shard once its listing and iterators
are remembered, and never a shard with work missed or stalled because of them (expired
iterators, records after an idle tick, a consume run racing with a tick)."""

from __future__ import annotations

from typing import Any

import pytest

from pms_pipelines.aws import kinesis_client
from pms_pipelines.consumer.consume import consume_shard
from pms_pipelines.consumer.retention import retention_gaps
from pms_pipelines.consumer.shard_probe import shards_to_consume
from pms_pipelines.db.checkpoints import read_checkpoints
from pms_pipelines.db.connection import connect
from pms_pipelines.ops.replay import ReplayStart, replay
from pms_pipelines.stream.reader import list_shards

pytestmark = pytest.mark.integration


def _counted(client: Any) -> list[str]:
    calls: list[str] = []
    client.meta.events.register("before-call.kinesis",
                                lambda model, **_: calls.append(model.name))
    return calls


def _shards(client: Any, stream: str) -> list[dict]:
    return sorted(list_shards(client, stream), key=lambda s: s["ShardId"])


def _put(client: Any, stream: str, shard: dict, n: int = 3) -> str:
    """`n` records into that shard; the last one's sequence number."""
    for i in range(n):
        sequence = client.put_record(
            StreamName=stream, Data=b"{}", PartitionKey=f"k{i}",
            ExplicitHashKey=shard["HashKeyRange"]["StartingHashKey"])["SequenceNumber"]
    return sequence


def _tick(client: Any, conn: Any, stream: str, in_flight: frozenset = frozenset()
          ) -> list[str]:
    planned, _listed = shards_to_consume(client, conn, stream, set(in_flight), 16)
    return sorted(planned)


def test_a_steady_tick_is_one_getrecords_per_shard(kinesis_stream: str, db_url: str) -> None:
    client = kinesis_client()
    calls = _counted(client)
    with connect(db_url) as conn:
        assert _tick(client, conn, kinesis_stream) == []
        assert sorted(calls) == ["GetRecords"] * 2 + ["GetShardIterator"] * 2 + ["ListShards"]
        for _ in range(3):
            calls.clear()
            assert _tick(client, conn, kinesis_stream) == []
            assert calls == ["GetRecords"] * 2
        # A listing older than LISTING_MAX_AGE is listed again, once.
        conn.execute("UPDATE ingest.shard_listing SET listed_at = now() - interval '1 hour'")
        conn.commit()
        calls.clear()
        _tick(client, conn, kinesis_stream)
        assert sorted(calls) == ["GetRecords"] * 2 + ["ListShards"]
        assert read_checkpoints(conn, kinesis_stream) == {}  # a probe writes no checkpoint


def test_records_after_an_idle_tick_are_planned_until_consumed(kinesis_stream: str,
                                                               db_url: str) -> None:
    client = kinesis_client()
    calls = _counted(client)
    first, second = _shards(client, kinesis_stream)
    ids = [first["ShardId"], second["ShardId"]]
    with connect(db_url) as conn:
        assert _tick(client, conn, kinesis_stream) == []
        _put(client, kinesis_stream, first)
        _put(client, kinesis_stream, second)
        for _ in range(2):  # not consumed yet: planned again, the iterator did not move on
            calls.clear()
            assert _tick(client, conn, kinesis_stream) == ids
            assert calls == ["GetRecords"] * 2
        calls.clear()
        assert _tick(client, conn, kinesis_stream, frozenset(ids[:1])) == ids[1:]
        assert calls == ["GetRecords"]  # the shard in flight is not probed

        for shard_id in ids:
            consume_shard(client, conn, kinesis_stream, shard_id)
        calls.clear()
        assert _tick(client, conn, kinesis_stream) == []
        assert calls == ["GetRecords"] * 2  # probed with the runs' last iterators
        last = _put(client, kinesis_stream, second)
        assert _tick(client, conn, kinesis_stream) == ids[1:]
        consume_shard(client, conn, kinesis_stream, ids[1])
        assert read_checkpoints(conn, kinesis_stream)[ids[1]].sequence_number == last


def test_an_iterator_too_old_to_use_is_replaced(kinesis_stream: str, db_url: str) -> None:
    client = kinesis_client()
    calls = _counted(client)
    first, _second = _shards(client, kinesis_stream)
    with connect(db_url) as conn:
        _tick(client, conn, kinesis_stream)
        conn.execute("UPDATE ingest.shard_iterator SET issued_at = now() - interval '6 minutes'")
        conn.commit()
        _put(client, kinesis_stream, first)
        calls.clear()
        assert _tick(client, conn, kinesis_stream) == [first["ShardId"]]
        assert sorted(calls) == ["GetRecords"] * 2 + ["GetShardIterator"] * 2
        calls.clear()
        _tick(client, conn, kinesis_stream)
        assert calls == ["GetRecords"] * 2  # the fresh ones were remembered


def test_a_tick_during_a_consume_run_loses_nothing(kinesis_stream: str, db_url: str) -> None:
    """A tick between two of a run's batches remembers an iterator at the run's middle
    checkpoint; the run then ends and remembers its own. Both orders are safe."""
    client = kinesis_client()
    first, _second = _shards(client, kinesis_stream)
    shard_id = first["ShardId"]
    with connect(db_url) as conn, connect(db_url) as sensor_conn:
        _tick(client, sensor_conn, kinesis_stream)
        last = _put(client, kinesis_stream, first, n=12)
        seen: list[list[str]] = []
        consume_shard(client, conn, kinesis_stream, shard_id, batch_limit=4,
                      on_batch=lambda _r: seen.append(_tick(client, sensor_conn,
                                                            kinesis_stream)))
        assert seen[0] == [shard_id]  # mid-run: records after the middle checkpoint
        assert _tick(client, sensor_conn, kinesis_stream) == []
        assert read_checkpoints(conn, kinesis_stream)[shard_id].sequence_number == last


def test_a_run_inside_a_tick_loses_nothing(kinesis_stream: str, db_url: str) -> None:
    """A whole run happens between a tick's GetShardIterator and its GetRecords: the tick
    plans a run that finds nothing (harmless) and overwrites the run's last iterator with
    one at the older checkpoint. The next tick sees the checkpoint moved, asks for a fresh
    iterator, and still finds records published after the run."""
    client = kinesis_client()
    runner = kinesis_client()
    first, _second = _shards(client, kinesis_stream)
    shard_id = first["ShardId"]
    with connect(db_url) as conn, connect(db_url) as sensor_conn:
        _tick(client, sensor_conn, kinesis_stream)
        _put(client, kinesis_stream, first)
        sensor_conn.execute("UPDATE ingest.shard_iterator "
                            "SET issued_at = now() - interval '6 minutes'")
        sensor_conn.commit()
        ran: list[str] = []

        def run_once(**_: Any) -> None:
            if not ran:
                ran.append(consume_shard(runner, conn, kinesis_stream, shard_id).checkpoint)

        client.meta.events.register("before-call.kinesis.GetRecords", run_once)
        assert _tick(client, sensor_conn, kinesis_stream) == [shard_id]  # probed from before
        client.meta.events.unregister("before-call.kinesis.GetRecords", run_once)
        assert ran and ran[0] is not None
        calls = _counted(client)
        assert _tick(client, sensor_conn, kinesis_stream) == []  # caught up: no false run
        # Only the raced shard's remembered iterator (at the old checkpoint) is replaced.
        assert sorted(calls) == ["GetRecords", "GetRecords", "GetShardIterator"]
        last = _put(client, kinesis_stream, first)
        assert _tick(client, sensor_conn, kinesis_stream) == [shard_id]
        consume_shard(runner, conn, kinesis_stream, shard_id)
        assert read_checkpoints(conn, kinesis_stream)[shard_id].sequence_number == last


def test_a_replay_is_planned_though_an_iterator_was_remembered(kinesis_stream: str,
                                                                db_url: str) -> None:
    """A replay moves the checkpoint back: the remembered iterator (at the newer
    checkpoint) no longer matches it, so the shard is probed afresh and planned."""
    client = kinesis_client()
    first, _second = _shards(client, kinesis_stream)
    shard_id = first["ShardId"]
    with connect(db_url) as conn:
        _put(client, kinesis_stream, first)
        consume_shard(client, conn, kinesis_stream, shard_id)
        assert _tick(client, conn, kinesis_stream) == []
        replay(client, conn, kinesis_stream, ReplayStart("trim_horizon"), shard_ids=[shard_id])
        assert _tick(client, conn, kinesis_stream) == [shard_id]


def test_a_quiet_shard_stays_fresh_while_the_sensor_ticks(kinesis_stream: str,
                                                         db_url: str) -> None:
    """Consumed, then nothing for hours: each empty probe (at most hourly) records that
    nothing was unread, so a shard quiet for a day never looks like a retention gap.
    Only the sensor being away as long as the retention leaves it a (conservative) gap:
    an empty probe then cannot tell quiet from trimmed."""
    client = kinesis_client()
    shard = _shards(client, kinesis_stream)[0]
    _put(client, kinesis_stream, shard)

    def arrived(conn: Any) -> Any:
        return conn.execute("SELECT now() - last_arrival_at FROM ingest.checkpoint "
                            "WHERE shard_id = %s", (shard["ShardId"],)).fetchone()[0]

    with connect(db_url) as conn:
        consume_shard(client, conn, kinesis_stream, shard["ShardId"])
        conn.execute("UPDATE ingest.checkpoint SET last_arrival_at = now() - interval '30 minutes'")
        conn.commit()
        assert _tick(client, conn, kinesis_stream) == []
        assert arrived(conn).total_seconds() > 1700  # younger than an hour: not rewritten
        conn.execute("UPDATE ingest.checkpoint SET last_arrival_at = now() - interval '23 hours'")
        conn.commit()
        assert _tick(client, conn, kinesis_stream) == []
        assert arrived(conn).total_seconds() < 60  # caught up, as of this tick
        _put(client, kinesis_stream, shard)
        assert _tick(client, conn, kinesis_stream) == [shard["ShardId"]]
        assert retention_gaps(client, conn, kinesis_stream) == {}
        conn.execute("UPDATE ingest.checkpoint SET last_arrival_at = now() - interval '25 hours'")
        conn.commit()
        assert _tick(client, conn, kinesis_stream) == []  # away too long: stopped
        assert shard["ShardId"] in retention_gaps(client, conn, kinesis_stream)


def test_a_shard_with_unread_records_keeps_its_gap(kinesis_stream: str, db_url: str) -> None:
    client = kinesis_client()
    shard = _shards(client, kinesis_stream)[0]
    _put(client, kinesis_stream, shard)
    with connect(db_url) as conn:
        consume_shard(client, conn, kinesis_stream, shard["ShardId"])
        _put(client, kinesis_stream, shard)  # arrived while the consumer was away
        conn.execute("UPDATE ingest.checkpoint SET last_arrival_at = now() - interval '25 hours'")
        conn.commit()
        assert _tick(client, conn, kinesis_stream) == []  # stopped, not planned
        assert shard["ShardId"] in retention_gaps(client, conn, kinesis_stream)
