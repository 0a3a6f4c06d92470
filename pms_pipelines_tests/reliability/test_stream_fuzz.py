"""Scenario "stream fuzz": whatever is put on the stream, no shard stalls and nothing is
lost or applied twice. Hypothesis generates each stream (stream_inputs.py): valid events
of a few keys mixed with arbitrary bytes, arbitrary JSON and valid events with one field
made hostile. They go through real PutRecords to a new stream on moto and the real
consumer drains it into Postgres, as the sensor would. Then:

- every shard's checkpoint is its last record, and no consume run failed;
- each record the decoder accepts counts towards its key: every key's row holds the
  newest version of its accepted events (a repeat or an older one changed nothing);
- every other record is a dead letter exactly once, with its bytes and a reason;
- the lake (the consume job's Firehose sender, into moto's S3) got one line per record,
  the refused ones as `rejected`.

`make test` runs a bounded number of examples; `make reliability-report` runs thousands
of records (PMS_FUZZ_EXAMPLES). Examples are derandomized, so a CI run is repeatable.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings

from pms_pipelines.aws import aws_client, kinesis_client
from pms_pipelines.consumer.decode import InvalidEvent, decode_event
from pms_pipelines.consumer.isolate import ISOLATED_REASON
from pms_pipelines.lake.raw import list_day_objects, read_raw_lines
from pms_pipelines.lake.sink import LakeSink
from pms_pipelines.local_stack.aws_emulator import (
    RunningEmulator,
    create_delivery_stream,
    create_stream,
)
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.records import OutgoingRecord, StreamRecord
from pms_pipelines_tests.reliability import figures
from pms_pipelines_tests.reliability.common import (
    drain,
    expected_rows,
    lost_and_wrong,
    read_everything,
    table_rows,
)
from pms_pipelines_tests.lake.lake_env import new_bucket
from pms_pipelines_tests.reliability.stream_inputs import StreamInput, stream_inputs

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Generating overly large repr")]

AGENCY = "fuzz"
EXAMPLES = figures.fuzz_examples(default=40)


def _delete_of_tenant_1(second: int) -> StreamInput:
    return StreamInput("valid", "buildium/fuzz/tenant/1", (
        b'{"schema":"pms.event/v1","event_id":"49560333de01e3a61b98eada150a7190","op":"delete",'
        b'"entity":"tenant","source":"buildium","agency_id":"fuzz","source_id":"1",'
        b'"version":177232320%d000000,"observed_at":"2026-03-01T00:00:0%dZ",'
        b'"source_updated_at":null,"data":null}' % (second, second)))


# Found by CI: the same delete three times, then again a second later. Read in one batch,
# the row carries the newest version; applied one by one, the first (nothing changed).
SAME_CONTENT_NEWER = [_delete_of_tenant_1(0)] * 3 + [_delete_of_tenant_1(1)]


def _fresh_tables(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        tables = [name for (name,) in conn.execute(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
            "WHERE schemaname = 'pms'")]
        conn.execute(f"TRUNCATE {', '.join(tables)}")


def _at(record: StreamRecord) -> tuple[str, str]:
    return (record.shard_id, record.sequence_number)


def test_no_input_stalls_a_shard_or_vanishes(moto_emulator: RunningEmulator,
                                             db_url: str) -> None:
    tally: Counter = Counter()  # what every example fed in and what came out: the report's row

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.large_base_example])
    @given(stream_inputs(AGENCY))
    @example(SAME_CONTENT_NEWER)
    def one_stream(inputs: list[StreamInput]) -> None:
        _fresh_tables(db_url)
        stream = f"fuzz-{uuid.uuid4().hex[:10]}"
        create_stream(stream, shard_count=2)
        client = kinesis_client()
        publish_records(client, stream,
                        [OutgoingRecord(i.partition_key, i.data) for i in inputs])
        on_stream = read_everything(client, stream)
        assert sorted(r.data for r in on_stream) == sorted(i.data for i in inputs)

        bucket = new_bucket()
        firehose = aws_client("firehose")
        create_delivery_stream(f"{bucket}-fh", bucket, "raw/")
        now = datetime.now(UTC)
        lake = LakeSink(firehose, f"{bucket}-fh", stream, "fuzz", clock=lambda: now)
        try:
            drained = drain(client, db_url, stream, batch_limit=7, before_commit=lake)
        finally:  # moto, like Firehose, allows 50 delivery streams
            firehose.delete_delivery_stream(DeliveryStreamName=f"{bucket}-fh")

        accepted, refused = [], set()
        for record in on_stream:  # shard order: a key's events in the order published
            try:
                accepted.append((decode_event(record.data, record.arrived_at), _at(record)))
            except InvalidEvent:
                refused.add(_at(record))
        with psycopg.connect(db_url) as conn:
            letters = conn.execute(
                "SELECT shard_id, sequence_number, raw, reason FROM ingest.dead_letter "
                "WHERE stream_name = %s", (stream,)).fetchall()
            checkpoints = dict(conn.execute(
                "SELECT shard_id, sequence_number FROM ingest.checkpoint "
                "WHERE stream_name = %s", (stream,)).fetchall())
        isolated = {(shard, seq) for shard, seq, _raw, reason in letters
                    if reason.startswith(ISOLATED_REASON)}
        # A record that passed validation and still failed its batch is dead-lettered
        # alone (isolate.py): lost to the tables, but kept, and counted in the report.
        lost, extra = lost_and_wrong(
            expected_rows([e for e, at in accepted if at not in isolated]),
            table_rows(db_url))
        by_position = Counter((shard, seq) for shard, seq, _raw, _reason in letters)
        last = {r.shard_id: r.sequence_number for r in on_stream}
        kinds = Counter(i.kind for i in inputs)
        tally.update(streams=1, records=len(inputs), refused=len(refused), lost=lost,
                     extra=extra, letters=len(letters), isolated=len(isolated),
                     stalled=sum(checkpoints.get(s) != seq for s, seq in last.items()),
                     failed_runs=drained.failed_runs, **kinds)

        assert checkpoints == last, "a shard did not reach its last record"
        assert drained.failed_runs == 0, drained.errors
        assert (lost, extra) == (0, 0)
        assert all(count == 1 for count in by_position.values()), "a dead letter twice"
        assert set(by_position) == refused | isolated
        raw_at = {_at(r): r.data for r in on_stream}
        # The lake got one line per record, rejected ones as rejected.
        s3 = aws_client("s3")
        lines = read_raw_lines(s3, bucket, list_day_objects(s3, bucket, "raw/", now.date()))
        assert lines.unreadable == 0
        outcomes = {(x["shard_id"], x["sequence_number"]): x["outcome"] for x in lines.lines}
        assert len(lines.lines) == len(outcomes) == len(on_stream)
        assert {at for at, outcome in outcomes.items() if outcome == "rejected"} \
            == refused | isolated
        assert all(bytes(raw) == raw_at[(shard, seq)] and reason
                   for shard, seq, raw, reason in letters)

    try:
        one_stream()
    finally:
        figures.record(
            "stream fuzz", events=tally["records"], faults=tally["records"] - tally["valid"],
            lost=tally["lost"] + tally["stalled"], duplicated=tally["extra"],
            dead_lettered=tally["letters"],
            note=(f"{tally['streams']} generated streams, {tally['records']} records: "
                  f"{tally['valid']} valid events, {tally['hostile field']} valid events with "
                  f"one hostile field, {tally['json']} arbitrary JSON, {tally['bytes']} "
                  f"arbitrary bytes; {tally['refused']} refused by validation, "
                  f"{tally['isolated']} isolated after failing a batch; "
                  f"{tally['stalled']} stalled shards, {tally['failed_runs']} failed runs"))
