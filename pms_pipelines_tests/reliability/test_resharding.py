"""Scenario 5: resharding on kinesalite. A stream is split and then merged while events
are published; the consumer, planning as the sensor does, reads a child only after its
parents were read to their end, applies every version of every record in order (each
newer version is loaded, none is stale), and loses nothing."""

from __future__ import annotations


from typing import Any

import pytest

from pms_pipelines.canonical import record_key
from pms_pipelines.consumer.planning import shard_infos
from pms_pipelines.local_stack.aws_emulator import create_stream, wait_active
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.reader import list_shards
from pms_pipelines_tests.reliability import figures
from pms_pipelines_tests.reliability.common import (
    T0,
    drain,
    applied_versions,
    expected_rows,
    lost_and_wrong,
    outgoing,
    table_rows,
    tenant_events,
)
from pms_pipelines_tests.reliability.kinesalite import kinesalite, kinesalite_url  # noqa: F401

pytestmark = pytest.mark.integration
STREAM = "resharding"


def _open_shards(client) -> list[dict]:
    return [s for s in list_shards(client, STREAM)
            if "EndingSequenceNumber" not in s["SequenceNumberRange"]]


def test_split_and_merge_mid_stream(kinesalite: Any, db_url: str) -> None:  # noqa: F811
    client = kinesalite
    create_stream(STREAM, 1, timeout_s=20)
    keys = 300
    phases = [tenant_events(keys, versions=1, seed=s, start=T0.replace(hour=s))
              for s in range(3)]
    publish_records(client, STREAM, outgoing(phases[0]))
    (parent,) = _open_shards(client)
    client.split_shard(StreamName=STREAM, ShardToSplit=parent["ShardId"],
                       NewStartingHashKey=str(2**127))
    wait_active(STREAM, timeout_s=20)
    publish_records(client, STREAM, outgoing(phases[1]))
    left, right = sorted(_open_shards(client), key=lambda s: int(s["HashKeyRange"][
        "StartingHashKey"]))
    client.merge_shards(StreamName=STREAM, ShardToMerge=left["ShardId"],
                        AdjacentShardToMerge=right["ShardId"])
    wait_active(STREAM, timeout_s=20)
    publish_records(client, STREAM, outgoing(phases[2]))
    shards = shard_infos(list_shards(client, STREAM))
    assert len(shards) == 4 and sum(not s.closed for s in shards) == 1

    drained = drain(client, db_url, STREAM, batch_limit=100)

    events = [e for phase in phases for e in phase]
    lost, extra = lost_and_wrong(expected_rows(events), table_rows(db_url))
    # Every record's versions were loaded oldest first, all of them (none stale).
    by_key: dict[str, list[int]] = {}
    for _shard, key, version in drained.applied:
        by_key.setdefault(key, []).append(version)
    expected_versions = {record_key(source, agency, entity, source_id): versions
                         for (entity, source, agency, source_id), versions
                         in applied_versions(events).items()}
    out_of_order = sum(1 for key, versions in expected_versions.items()
                       if by_key.get(key) != versions)
    # A child's first run comes after the run that read its parents to their end.
    ended_at = {shard: i for i, (shard, ended, _) in enumerate(drained.run_log) if ended}
    first_run = {}
    for i, (shard, _, _) in enumerate(drained.run_log):
        first_run.setdefault(shard, i)
    early_children = [s.shard_id for s in shards for p in s.parent_ids
                      if first_run.get(s.shard_id, 0) <= ended_at.get(p, 10**9)]
    figures.record("5 resharding (kinesalite)", events=len(events), faults=2, lost=lost,
                   duplicated=extra + sum(c - 1 for c in drained.loaded_ids.values() if c > 1),
                   dead_lettered=0,
                   note=f"1 split + 1 merge mid-stream, {len(shards)} shards; "
                        f"out-of-order keys {out_of_order}, children read early "
                        f"{len(early_children)}")
    assert (lost, extra) == (0, 0)
    assert out_of_order == 0
    assert not early_children
    assert set(ended_at) == {s.shard_id for s in shards if s.closed}
