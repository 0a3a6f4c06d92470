"""Figure 4, memory: peak RSS of one consume run over `memory_events` events, against the
same over `memory_baseline_events` (ratio ≤ 1.25, and under 400 MB).

Each run is `consume_shard` of a one-shard stream in its own process (as a Dagster run
is), with `max_records` above the event count; the process reports its own peak RSS
(`VmHWM`; see bench/child.py for why not ru_maxrss).
"""

from __future__ import annotations

from bench.common import Figure, Sizes, Stack, bench_records, publish, run_children, shard_ids

LIMIT_MB = 400.0


def _peak(stack: Stack, sizes: Sizes, n: int) -> dict:
    stream = stack.new_stream(1, "f4")
    records = bench_records(n)
    publish(stream, records)
    del records
    url = stack.new_database("f4")
    [result] = run_children(stack, [[
        "consume", "--stream", stream, "--shard", shard_ids(stream)[0],
        "--max-records", str(n + 1), "--batch-limit", str(sizes.batch_limit)]],
        env={"PMS_DATABASE_URL": url})
    if result["records"] != n:
        raise RuntimeError(f"consumed {result['records']} of {n}")
    return result


def run(stack: Stack, sizes: Sizes) -> Figure:
    small = _peak(stack, sizes, sizes.memory_baseline_events)
    big = _peak(stack, sizes, sizes.memory_events)
    return Figure(
        "4", f"memory: peak RSS, consume run of {sizes.memory_events:,} events",
        big["peak_rss_mb"], "MB", baseline=small["peak_rss_mb"],
        baseline_name=f"same, {sizes.memory_baseline_events:,} events",
        target=f"≤ 1.25, and < {LIMIT_MB:.0f} MB", target_op="<=", target_value=1.25,
        extra_checks={"under 400 MB": big["peak_rss_mb"] < LIMIT_MB},
        details={"big": big, "small": small},
    )
