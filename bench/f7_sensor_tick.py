"""Figure 7, the consumer sensor tick on a 64-shard stream: Kinesis calls per shard and
tick time against the sensor interval.

The tick is the sensor's own logic, `shards_to_consume` (list shards, read checkpoints,
probe shards, plan at most 16 runs), against moto. Kinesis calls are counted with a
botocore hook on the client. Two states: idle (no shard has work, so every shard is
probed: the tick's worst case for calls) and busy (most shards have records). Dagster's
own part of a tick (reading its runs in flight) is not included.
"""

from __future__ import annotations

import statistics

from bench.common import Figure, Sizes, Stack, Timer, bench_records, publish
from pms_pipelines.aws import kinesis_client
from pms_pipelines.consumer.shard_probe import shards_to_consume
from pms_pipelines.db.connection import connect
from pms_pipelines.defs.consumer_sensor import MAX_RUNS_PER_TICK
from pms_pipelines.settings import schedules


def _ticks(kinesis, url: str, stream: str, repeats: int, calls: list[str]) -> tuple[list[float],
                                                                                   list[int]]:
    times, counts = [], []
    with connect(url) as conn:
        for _ in range(repeats):
            calls.clear()
            with Timer() as timer:
                shards_to_consume(kinesis, conn, stream, set(), MAX_RUNS_PER_TICK)
            times.append(timer.seconds)
            counts.append(len(calls))
    return times, counts


def run(stack: Stack, sizes: Sizes) -> Figure:
    shards = sizes.tick_shards
    interval = float(schedules().consumer_interval_s)
    stream = stack.new_stream(shards, "f7")
    url = stack.new_database("f7")
    kinesis = kinesis_client()
    calls: list[str] = []
    kinesis.meta.events.register("before-call.kinesis", lambda model, **_: calls.append(
        model.name))
    idle_times, idle_calls = _ticks(kinesis, url, stream, sizes.tick_repeats, calls)
    publish(stream, bench_records(shards * 10))
    busy_times, busy_calls = _ticks(kinesis, url, stream, sizes.tick_repeats, calls)
    calls_per_shard = max(idle_calls + busy_calls) / shards
    tick = max(statistics.median(idle_times), statistics.median(busy_times))
    common = {"shards": shards, "idle_tick_s": idle_times, "busy_tick_s": busy_times,
              "idle_calls": idle_calls, "busy_calls": busy_calls, "interval_s": interval}
    return [
        Figure("7a", f"sensor tick, {shards} shards: Kinesis calls per shard",
               calls_per_shard, "calls/shard", target="≤ 1", target_op="<=",
               target_value=1.0, compare="ours", details=common,
               notes="idle tick: ListShards + GetShardIterator and GetRecords per shard"),
        Figure("7b", f"sensor tick, {shards} shards: tick time vs interval", tick, "s",
               baseline=interval, baseline_name="sensor interval", target="≤ 0.1",
               target_op="<=", target_value=0.1, details=common),
    ]
