"""Figure 2, the consumer: events/s from the emulator's stream to committed rows.

The stream (moto) holds `consumer_events` events over `consumer_shards` shards. Ours: one
process per shard (as the sensor starts one run per shard), each `consume_shard` from the
trim horizon: read, validate, upsert, checkpoint, one transaction per batch, reading the
next batch while the current one is applied. Baseline: the same processes running a bare
boto3 GetRecords loop over the same shards with the same page size, doing nothing with
the records. Both are timed from the first process's start of work to the last one's end
(interpreter start-up excluded). The details add each side's CPU per event (the processes'
own CPU time over the records), which shared cores disturb less than the rates.
"""

from __future__ import annotations

from bench.common import Figure, Sizes, Stack, bench_records, publish, run_children, shard_ids


def _cpu_us_per_event(results: list[dict]) -> float:
    return sum(r["cpu_s"] for r in results) / max(1, sum(r["records"] for r in results)) * 1e6


def _rate(results: list[dict]) -> tuple[float, int, float]:
    records = sum(r["records"] for r in results)
    seconds = max(r["end"] for r in results) - min(r["start"] for r in results)
    return records / seconds, records, seconds


def run(stack: Stack, sizes: Sizes) -> Figure:
    n = sizes.consumer_events
    stream = stack.new_stream(sizes.consumer_shards, "f2")
    publish(stream, bench_records(n))
    shards = shard_ids(stream)
    limit = ["--batch-limit", str(sizes.batch_limit)]
    drained = run_children(stack, [["drain", "--stream", stream, "--shard", s, *limit]
                                   for s in shards])
    base_rate, base_records, base_s = _rate(drained)
    url = stack.new_database("f2")
    consumed = run_children(stack, [["consume", "--stream", stream, "--shard", s, *limit]
                                    for s in shards], env={"PMS_DATABASE_URL": url})
    rate, records, seconds = _rate(consumed)
    return Figure(
        "2", f"consumer: stream → committed rows, {sizes.consumer_shards} shards", rate,
        "ev/s", baseline=base_rate, baseline_name="bare boto3 GetRecords drain",
        target="≥ 0.8", target_value=0.8,
        extra_checks={"all events loaded": records == n == base_records},
        details={"events": n, "consumed": records, "drained": base_records,
                 "ours_s": seconds, "baseline_s": base_s,
                 "loaded": sum(r["loaded"] for r in consumed),
                 "cpu_us_per_event": _cpu_us_per_event(consumed),
                 "baseline_cpu_us_per_event": _cpu_us_per_event(drained)},
    )
