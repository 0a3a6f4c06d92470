"""Acknowledge a retention gap once the affected agencies were re-synced (a full pull),
so the consumer goes on reading the shard. See `pms_pipelines.consumer.retention`."""

from __future__ import annotations

from typing import Any

from pms_pipelines.consumer.retention import acknowledge_retention_gap, retention_gaps


def acknowledge_gaps(kinesis: Any, conn: Any, stream: str,
                     shard_ids: list[str] | None) -> dict[str, str]:
    """Acknowledge the gaps of `shard_ids` (None: every shard with one); returns each
    acknowledged shard's gap message. A named shard without a gap is an error, and
    nothing is acknowledged then."""
    gaps = retention_gaps(kinesis, conn, stream)
    chosen = sorted(gaps) if shard_ids is None else list(dict.fromkeys(shard_ids))
    without = [s for s in chosen if s not in gaps]
    if without:
        raise ValueError(f"no retention gap to acknowledge on {', '.join(without)} "
                         f"(shards with one: {', '.join(sorted(gaps)) or 'none'})")
    for shard_id in chosen:
        acknowledge_retention_gap(conn, stream, shard_id)
    return {s: gaps[s] for s in chosen}
