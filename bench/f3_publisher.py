"""Figure 3, the publisher: events/s into the stream.

Ours: `publish_records` (batching within Kinesis limits, per-record failure checks and
retries). Baseline: a bare boto3 loop of 500-record PutRecords calls of the same bytes
and keys, request lists built before the clock starts. Each into its own fresh stream;
the baseline's stream is deleted (and garbage collected) before ours starts, so both run
against an emulator (in this process) holding no other records: whichever ran second
otherwise ran beside the first one's records.
"""

from __future__ import annotations

import gc

import boto3

from bench.common import Figure, Sizes, Stack, Timer, bench_records
from pms_pipelines.aws import kinesis_client
from pms_pipelines.stream.publisher import publish_records


def run(stack: Stack, sizes: Sizes) -> Figure:
    n = sizes.publisher_events
    records = bench_records(n)
    calls = [[{"Data": r.data, "PartitionKey": r.partition_key} for r in records[i:i + 500]]
             for i in range(0, n, 500)]
    base_stream = stack.new_stream(4, "f3base")
    ours_stream = stack.new_stream(4, "f3ours")
    # Clients made and connected before either clock starts.
    bare = boto3.client("kinesis")
    bare.describe_stream_summary(StreamName=base_stream)
    kinesis = kinesis_client()
    kinesis.describe_stream_summary(StreamName=ours_stream)
    gc.collect()
    with Timer() as base:
        for entries in calls:
            bare.put_records(StreamName=base_stream, Records=entries)
    bare.delete_stream(StreamName=base_stream, EnforceConsumerDeletion=True)
    gc.collect()
    with Timer() as timer:
        stats = publish_records(kinesis, ours_stream, records)
    return Figure(
        "3", "publisher: events/s into the stream", n / timer.seconds, "ev/s",
        baseline=n / base.seconds, baseline_name="bare 500-record PutRecords loop",
        target="≥ 0.9", target_value=0.9,
        extra_checks={"all published": stats.published == n},
        details={"events": n, "ours_s": timer.seconds, "baseline_s": base.seconds,
                 "calls": stats.calls},
    )
