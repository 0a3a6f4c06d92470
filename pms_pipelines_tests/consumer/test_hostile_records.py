"""Records that used to stall their shard for good, each on a real stream and a real
database: a `version` beyond `bigint`, a version or observation from the future, U+0000
or a lone surrogate in a key field, and (with a trigger standing in for anything else
Postgres may refuse) a record that passes validation and still fails its batch. Each is
dead-lettered with a reason that names its real fault, and the shard's checkpoint
reaches its end; a fault of the world (the database refusing everything) still fails
the run and dead-letters nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from pms_pipelines.aws import kinesis_client
from pms_pipelines.canonical.model import MAX_VERSION, version_at
from pms_pipelines.consumer.consume import consume_shard
from pms_pipelines.consumer.decode import InvalidEvent, decode_event
from pms_pipelines.db.dead_letters import list_dead_letters
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.records import OutgoingRecord
from pms_pipelines_tests.db.refusing_trigger import refuse_tenants_named
from pms_pipelines_tests.db.sample_events import event, tenant_record

pytestmark = pytest.mark.integration

KEY_FIELDS = ("source", "agency_id", "entity", "source_id")


def _doc(name: str, seconds: int = 1, **changes: object) -> dict:
    doc = json.loads(event("tenant", name, tenant_record(name), seconds).to_bytes())
    doc.update(changes)
    return doc


def _consume_all(stream: str, conn: psycopg.Connection, records: list[bytes]) -> list:
    """Publish `records` on one partition key (one shard, in order) and drain every shard."""
    client = kinesis_client()
    publish_records(client, stream, [OutgoingRecord("one-shard", raw) for raw in records])
    shards = [s["ShardId"] for s in client.list_shards(StreamName=stream)["Shards"]]
    return [consume_shard(client, conn, stream, shard) for shard in shards]


def _caught_up(client: object, conn: psycopg.Connection, stream: str, reports: list) -> None:
    assert sum(r.records for r in reports) == sum(r.loaded + r.stale + r.rejected
                                                  for r in reports)
    for report in reports:
        if report.records:
            stored = conn.execute("SELECT sequence_number FROM ingest.checkpoint "
                                  "WHERE stream_name = %s AND shard_id = %s",
                                  (stream, report.shard_id)).fetchone()
            assert stored == (report.checkpoint,)


HOSTILE_VERSIONS = {
    "2^63": 2**63,
    "2^64 + 5": 2**64 + 5,
    "2^63 - 1 (far future)": MAX_VERSION,
    "an hour ahead of observed_at": version_at(datetime(2026, 1, 1, 13, 0, 1, tzinfo=UTC)),
    "a string": "1",
    "true": True,
    "a float": 1.0,
}


@pytest.mark.parametrize("name", sorted(HOSTILE_VERSIONS))
def test_a_hostile_version_is_refused_and_the_reason_names_it(name: str) -> None:
    raw = json.dumps(_doc("T1", version=HOSTILE_VERSIONS[name])).encode()
    with pytest.raises(InvalidEvent) as refused:
        decode_event(raw)
    assert "version" in refused.value.reason and "event_id" not in refused.value.reason


def test_an_event_observed_after_it_arrived_is_refused() -> None:
    future = datetime(2099, 1, 1, tzinfo=UTC)
    good = event("tenant", "T1", tenant_record(), 1)
    doc = json.loads(good.to_bytes())
    doc.update(observed_at=future.isoformat(), version=version_at(future))
    arrived = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    with pytest.raises(InvalidEvent, match="after the record arrived"):
        decode_event(json.dumps(doc).encode(), arrived)
    assert decode_event(good.to_bytes(), arrived + timedelta(seconds=1)) == good
    # Within the clock skew a producer ahead of the stream's clock is still accepted.
    assert decode_event(good.to_bytes(), good.observed_at - timedelta(minutes=4)) == good


def test_hostile_versions_and_key_fields_are_dead_lettered_and_the_shard_moves(
        kinesis_stream: str, db_url: str) -> None:
    hostile: list[bytes] = [json.dumps(_doc(f"V{i}", version=value)).encode()
                            for i, value in enumerate(HOSTILE_VERSIONS.values())]
    for field in KEY_FIELDS:
        for bad in ("a\x00b", "a\ud800b", "\udfff"):
            hostile.append(json.dumps(_doc("K", **{field: bad})).encode())
    # A lone surrogate as the name of an unknown field: the reason quotes that name.
    hostile.append(json.dumps({**_doc("X"), "\ud800\x00": 1}).encode())
    later = event("tenant", "V0", tenant_record("Later"), 2).to_bytes()
    records = [event("tenant", "T1", tenant_record(), 1).to_bytes(), *hostile, later]
    with psycopg.connect(db_url) as conn:
        reports = _consume_all(kinesis_stream, conn, records)
        _caught_up(kinesis_client(), conn, kinesis_stream, reports)
        letters = list_dead_letters(conn, stage="consume", limit=100)
        names = conn.execute("SELECT source_id, first_name FROM pms.tenant "
                             "ORDER BY source_id").fetchall()
    assert sorted(letter.raw for letter in letters) == sorted(hostile)
    assert names == [("T1", "Ada"), ("V0", "Later")]  # the record a hostile version named
    for letter in letters:
        for value in (letter.reason, letter.source, letter.agency_id, letter.entity,
                      letter.source_id):
            assert value is None or ("\x00" not in value and value.isprintable())
    key_letters = [letter for letter in letters if b'"K"' in letter.raw]
    assert {letter.source_id for letter in key_letters} >= {"a\\x00b", "a\\ud800b", "\\udfff"}


def test_a_record_that_fails_its_batch_is_isolated_and_dead_lettered(
        kinesis_stream: str, db_url: str) -> None:
    good = [event("tenant", f"T{i}", tenant_record(f"N{i}"), i + 1) for i in range(40)]
    poison = [event("tenant", "P1", tenant_record("poison"), 1),
              event("tenant", "P2", tenant_record("poison"), 1)]
    records = [e.to_bytes() for e in good[:7] + poison[:1] + good[7:30] + poison[1:] + good[30:]]
    with psycopg.connect(db_url) as conn:
        refuse_tenants_named(conn, "poison", "22023")  # invalid_parameter_value: the data's
        reports = _consume_all(kinesis_stream, conn, records)
        _caught_up(kinesis_client(), conn, kinesis_stream, reports)
        letters = list_dead_letters(conn, stage="consume", limit=100)
        loaded = conn.execute("SELECT count(*) FROM pms.tenant").fetchone()
    assert sorted(letter.raw for letter in letters) == sorted(e.to_bytes() for e in poison)
    assert all(letter.reason.startswith("could not be applied: ") and "refused P" in letter.reason
               for letter in letters)
    assert loaded == (40,)
    assert sum(r.rejected for r in reports) == 2 and sum(r.loaded for r in reports) == 40
    assert sum(r.isolated for r in reports) == 2


def test_a_fault_of_the_world_fails_the_run_and_dead_letters_nothing(
        kinesis_stream: str, db_url: str) -> None:
    records = [event("tenant", f"T{i}", tenant_record("poison"), i + 1).to_bytes()
               for i in range(5)]
    with psycopg.connect(db_url) as conn:
        refuse_tenants_named(conn, "poison", "40001")  # serialization_failure: retry later
        with pytest.raises(psycopg.errors.SerializationFailure):
            _consume_all(kinesis_stream, conn, records)
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM ingest.dead_letter").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM ingest.checkpoint WHERE stream_name = %s "
                            "AND sequence_number IS NOT NULL", (kinesis_stream,)).fetchone() \
            == (0,)
