"""The consumer sensor's rules: parents before children, one run per shard, bounded."""

from __future__ import annotations

import pytest

from pms_pipelines.consumer.planning import ShardInfo, plan_runs, ready_shards, shard_infos

LISTED = [
    {"ShardId": "p0", "SequenceNumberRange": {"StartingSequenceNumber": "1", "EndingSequenceNumber": "9"}},
    {"ShardId": "p1", "SequenceNumberRange": {"StartingSequenceNumber": "1", "EndingSequenceNumber": "9"}},
    {"ShardId": "c-split-a", "ParentShardId": "p0", "SequenceNumberRange": {"StartingSequenceNumber": "10"}},
    {"ShardId": "c-merge", "ParentShardId": "p1", "AdjacentParentShardId": "x-expired",
     "SequenceNumberRange": {"StartingSequenceNumber": "10"}},
    {"ShardId": "solo", "SequenceNumberRange": {"StartingSequenceNumber": "1"}},
]


def test_shard_infos_reads_parents_and_closed_state() -> None:
    infos = {s.shard_id: s for s in shard_infos(LISTED)}
    assert infos["p0"].closed and not infos["solo"].closed
    assert infos["c-merge"].parent_ids == ("p1", "x-expired")


@pytest.mark.parametrize(
    ("ended", "expected"),
    [
        (set(), ["p0", "p1", "solo"]),
        ({"p0"}, ["p1", "c-split-a", "solo"]),
        ({"p0", "p1"}, ["c-split-a", "c-merge", "solo"]),  # a parent trimmed away counts as read
        ({"p0", "p1", "solo"}, ["c-split-a", "c-merge"]),
    ],
)
def test_children_wait_for_their_parents(ended: set[str], expected: list[str]) -> None:
    assert [s.shard_id for s in ready_shards(shard_infos(LISTED), ended)] == expected


def test_plan_skips_in_flight_and_idle_shards_and_is_bounded() -> None:
    ready = [ShardInfo(f"s{i}", (), False) for i in range(6)]
    probed: list[str] = []

    def has_work(shard: ShardInfo) -> bool:
        probed.append(shard.shard_id)
        return shard.shard_id != "s2"

    assert plan_runs(ready, {"s1"}, has_work, max_runs=10) == ["s0", "s3", "s4", "s5"]
    assert "s1" not in probed  # a shard with a run in flight is not even probed
    assert plan_runs(ready, set(), has_work, max_runs=2) == ["s0", "s1"]
