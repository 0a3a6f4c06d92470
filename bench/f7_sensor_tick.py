"""Figure 7, the consumer sensor tick on a 64-shard stream: Kinesis calls per shard and
tick time against the sensor interval.

The tick is the sensor's own logic, `shards_to_consume` (remembered listing, checkpoints,
probe shards, plan at most 16 runs), against moto. Kinesis calls are counted with a
botocore hook on the client. The target is judged on the steady state, the worst of
three kinds of tick once the sensor's state (`ingest.shard_listing`,
`ingest.shard_iterator`) is there: idle (no shard has work, so every shard is probed),
busy (most shards have records, no run yet) and after runs (every shard was just consumed
by `consume_shard`, which leaves its last iterator for the next tick). Reported beside it,
not hidden: the first tick with no remembered state (a new database or stream) and a
relist tick (after a shard ends, or when the listing is `LISTING_MAX_AGE` old). Dagster's
own part of a tick (reading its runs in flight) is not included.
"""

from __future__ import annotations

import statistics
from concurrent.futures import ThreadPoolExecutor

from bench.common import Figure, Sizes, Stack, Timer, bench_records, publish
from pms_pipelines.aws import kinesis_client
from pms_pipelines.consumer.consume import consume_shard
from pms_pipelines.consumer.shard_probe import LISTING_MAX_AGE, shards_to_consume
from pms_pipelines.db.connection import connect
from pms_pipelines.defs.consumer_sensor import MAX_RUNS_PER_TICK
from pms_pipelines.settings import schedules
from pms_pipelines.stream.reader import list_shards


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


def _consume_all(url: str, stream: str, shard_ids: list[str]) -> int:
    """A run per shard, as the sensor's runs would be (own client, not counted)."""
    runner = kinesis_client()

    def run(shard_id: str) -> int:
        with connect(url) as conn:
            return consume_shard(runner, conn, stream, shard_id).records

    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(run, shard_ids))


def run(stack: Stack, sizes: Sizes) -> Figure:
    shards = sizes.tick_shards
    interval = float(schedules().consumer_interval_s)
    stream = stack.new_stream(shards, "f7")
    url = stack.new_database("f7")
    kinesis = kinesis_client()
    calls: list[str] = []
    kinesis.meta.events.register("before-call.kinesis", lambda model, **_: calls.append(
        model.name))
    first_times, first_calls = _ticks(kinesis, url, stream, 1, calls)
    idle_times, idle_calls = _ticks(kinesis, url, stream, sizes.tick_repeats, calls)
    publish(stream, bench_records(shards * 10))
    busy_times, busy_calls = _ticks(kinesis, url, stream, sizes.tick_repeats, calls)
    shard_ids = [s["ShardId"] for s in list_shards(kinesis_client(), stream)]
    consumed = _consume_all(url, stream, shard_ids)
    after_times, after_calls = _ticks(kinesis, url, stream, sizes.tick_repeats, calls)
    with connect(url) as conn:  # as after a reshard, or once the listing is too old
        conn.execute("DELETE FROM ingest.shard_listing WHERE stream_name = %s", (stream,))
    relist_times, relist_calls = _ticks(kinesis, url, stream, 1, calls)

    steady = idle_calls + busy_calls + after_calls
    calls_per_shard = max(steady) / shards
    tick = max(statistics.median(idle_times), statistics.median(busy_times),
               statistics.median(after_times))
    ticks_per_listing = LISTING_MAX_AGE.total_seconds() / interval
    amortized = (max(steady) * (ticks_per_listing - 1) + relist_calls[0]) / ticks_per_listing
    common = {"shards": shards, "interval_s": interval, "consumed": consumed,
              "first_tick_calls": first_calls[0], "first_tick_s": first_times[0],
              "idle_calls": idle_calls, "idle_tick_s": idle_times,
              "busy_calls": busy_calls, "busy_tick_s": busy_times,
              "after_runs_calls": after_calls, "after_runs_tick_s": after_times,
              "relist_tick_calls": relist_calls[0], "relist_tick_s": relist_times[0],
              "amortized_calls_per_shard": amortized / shards}
    return [
        Figure("7a", f"sensor tick, {shards} shards: Kinesis calls per shard (steady state)",
               calls_per_shard, "calls/shard", target="≤ 1", target_op="<=",
               target_value=1.0, compare="ours", details=common,
               notes=f"first tick with no remembered state {first_calls[0] / shards:.2f}, "
                     f"relist tick {relist_calls[0] / shards:.2f}, amortized over "
                     f"{LISTING_MAX_AGE.seconds // 60} min {amortized / shards:.3f}"),
        Figure("7b", f"sensor tick, {shards} shards: tick time vs interval", tick, "s",
               baseline=interval, baseline_name="sensor interval", target="≤ 0.1",
               target_op="<=", target_value=0.1, details=common,
               notes=f"first tick {first_times[0]:.3f} s"),
    ]

