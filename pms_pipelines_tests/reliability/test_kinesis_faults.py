"""Scenario 4: Kinesis faults moto never produces, injected into the real boto3 clients
of the publisher and the consumer: 10% of calls throttled, 10% of PutRecords calls
with part of their records refused, 10% of GetRecords answered with an expired
iterator. Nothing may be lost or stored twice, in the stream or in the tables."""

from __future__ import annotations

import pytest

from pms_pipelines.aws import kinesis_client
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines_tests.reliability import figures
from pms_pipelines_tests.reliability.common import (
    dead_letter_count,
    drain,
    duplicate_ids,
    expected_rows,
    lost_and_wrong,
    outgoing,
    read_everything,
    table_rows,
    tenant_events,
)
from pms_pipelines_tests.reliability.kinesis_faults import KinesisFaults

pytestmark = pytest.mark.integration


def test_throttles_partial_failures_and_expired_iterators_lose_nothing(
    kinesis_stream: str, db_url: str, quick_botocore_backoff: None
) -> None:
    events = tenant_events(1500, versions=2, delete_every=9)  # 3750 events
    faults = KinesisFaults(p_throttle=0.10, p_partial=0.10, p_expired=0.10, seed=4)
    publisher = faults.attach(kinesis_client())
    # Small calls, so there are enough of them for 10% to mean something.
    records = outgoing(events)
    stats = None
    for start in range(0, len(records), 50):
        chunk = publish_records(publisher, kinesis_stream, records[start:start + 50])
        stats = chunk if stats is None else (stats.merge(chunk) or stats)
    assert stats is not None and stats.published == len(records)

    consumer = faults.attach(kinesis_client())
    drained = drain(consumer, db_url, kinesis_stream, batch_limit=100)

    in_stream = read_everything(kinesis_client(), kinesis_stream)
    sent = {r.data for r in records}
    missing_in_stream = len(sent - {r.data for r in in_stream})
    stream_dups = duplicate_ids(in_stream)
    lost, extra = lost_and_wrong(expected_rows(events), table_rows(db_url))
    applied_twice = sum(c - 1 for c in drained.loaded_ids.values() if c > 1)
    figures.record(
        "4 Kinesis faults", events=len(events), faults=faults.total,
        lost=missing_in_stream + lost, duplicated=stream_dups + applied_twice + extra,
        dead_lettered=dead_letter_count(db_url),
        note=", ".join(f"{k} {v}" for k, v in sorted(faults.injected.items()))
        + f"; {drained.failed_runs} consume runs failed and were rerun",
    )
    assert faults.injected["throttled"] and faults.injected["putrecords_partial"]
    assert faults.injected["iterator_expired"]
    assert stats.error_codes, "the publisher saw no refused record: the faults missed it"
    assert missing_in_stream == 0 and stream_dups == 0
    assert (lost, extra) == (0, 0)
    assert applied_twice == 0
    assert dead_letter_count(db_url) == 0
