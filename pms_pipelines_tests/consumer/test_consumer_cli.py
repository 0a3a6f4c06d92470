"""`python -m pms_pipelines.consumer` as an operator runs it: one shard that keeps
failing does not keep the others from being consumed, and every failure and retention
gap is reported on stderr with a non-zero exit status."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from pms_pipelines.aws import kinesis_client
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.records import OutgoingRecord
from pms_pipelines_tests.db.refusing_trigger import refuse_tenants_named
from pms_pipelines_tests.db.sample_events import event, tenant_record
from pms_pipelines_tests.reliability.common import read_everything

pytestmark = pytest.mark.integration


def _consume(db_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pms_pipelines.consumer"],
                          env={**os.environ, "PMS_DATABASE_URL": db_url},
                          capture_output=True, text=True, timeout=120)


def test_a_failing_shard_does_not_stop_the_others(kinesis_stream: str, db_url: str) -> None:
    good = [event("tenant", f"T{i}", tenant_record(f"N{i}"), i + 1) for i in range(30)]
    poison = event("tenant", "P", tenant_record("poison"), 1)
    client = kinesis_client()
    publish_records(client, kinesis_stream,
                    [OutgoingRecord(e.key, e.to_bytes()) for e in [*good, poison]])
    records = read_everything(client, kinesis_stream)
    bad_shard = next(r.shard_id for r in records if r.data == poison.to_bytes())
    last = {r.shard_id: r.sequence_number for r in records}
    assert len(last) == 2, "the test needs records on both shards"
    with psycopg.connect(db_url) as conn:
        refuse_tenants_named(conn, "poison", "40001")  # a fault of the world, every time

    done = _consume(db_url)

    assert done.returncode == 1
    assert f"{bad_shard}: failed, the other shards go on: SerializationFailure" in done.stderr
    assert "1 shard(s) failed, 0 stopped by a retention gap" in done.stderr
    with psycopg.connect(db_url) as conn:
        checkpoints = dict(conn.execute(
            "SELECT shard_id, sequence_number FROM ingest.checkpoint WHERE stream_name = %s",
            (kinesis_stream,)).fetchall())
    (good_shard,) = set(last) - {bad_shard}
    assert checkpoints[good_shard] == last[good_shard]
    assert checkpoints.get(bad_shard) != last[bad_shard]


def test_a_retention_gap_is_reported(kinesis_stream: str, db_url: str) -> None:
    tenant = event("tenant", "T1", tenant_record(), 1)
    publish_records(kinesis_client(), kinesis_stream, [OutgoingRecord(tenant.key, tenant.to_bytes())])
    assert _consume(db_url).returncode == 0
    with psycopg.connect(db_url) as conn:
        conn.execute("UPDATE ingest.checkpoint SET last_arrival_at = %s WHERE stream_name = %s",
                     (datetime.now(UTC) - timedelta(days=3), kinesis_stream))
    later = event("tenant", "T1", tenant_record("Later"), 2)
    publish_records(kinesis_client(), kinesis_stream, [OutgoingRecord(later.key, later.to_bytes())])

    done = _consume(db_url)

    assert done.returncode == 1
    assert "retention gap: " in done.stderr and "acknowledge-gap" in done.stderr
    assert "0 shard(s) failed, 1 stopped by a retention gap" in done.stderr
