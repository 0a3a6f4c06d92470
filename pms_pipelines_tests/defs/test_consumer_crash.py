"""SIGKILL the consumer in the middle of a batch, rerun, and compare with a clean run.

The consume process is killed only while Postgres shows its batch transaction open,
so every kill lands mid-batch. After reruns the tables, links, dead letters and
checkpoints must equal those of an uninterrupted load of the same stream.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import sql

from pms_pipelines.canonical import Contact, Tenancy, Tenant, make_event
from pms_pipelines.consumer.consume import consume_shard
from pms_pipelines.db.connection import connect, url_for_database
from pms_pipelines.aws import kinesis_client
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.reader import list_shards
from pms_pipelines.stream.records import OutgoingRecord, sequence_order

pytestmark = pytest.mark.integration

KILLS = 5
T0 = datetime(2026, 3, 1, tzinfo=UTC)
TABLES = ("pms.tenant", "pms.tenancy", "pms.tenancy_tenant", "ingest.dead_letter")


def _stream_content(rng: random.Random) -> list[OutgoingRecord]:
    """Several versions per record in shuffled order, deletes, and 1% garbage."""
    records: list[OutgoingRecord] = []
    for step in range(4):
        for i in range(400):
            moment = T0 + timedelta(minutes=rng.randrange(10_000))
            if step == 3 and i % 7 == 0:
                data = None
            else:
                data = Tenant(first_name=f"Name{step}", last_name=f"T{i}",
                              contact=Contact(email=f"t{i}.{step}@example.org"))
            event = make_event(source="buildium", agency_id="crash", entity="tenant",
                               source_id=str(i), data=data, observed_at=moment)
            records.append(OutgoingRecord(event.key, event.to_bytes()))
        for i in range(100):
            event = make_event(
                source="buildium", agency_id="crash", entity="tenancy", source_id=str(i),
                observed_at=T0 + timedelta(minutes=rng.randrange(10_000)),
                data=Tenancy(property_id=str(i), tenant_ids=(str(i), str(i + step)),
                             is_periodic=step % 2 == 0, rent_frequency="monthly", status="active"),
            )
            records.append(OutgoingRecord(event.key, event.to_bytes()))
    rng.shuffle(records)
    for n in range(len(records) // 100):
        records.insert(rng.randrange(len(records)), OutgoingRecord(f"junk-{n}", b"\x00not json"))
    return records


def _clone(db_url: str) -> str:
    """An empty migrated database beside `db_url`, for the uninterrupted baseline."""
    name = f"pms_baseline_{uuid.uuid4().hex[:10]}"
    template = psycopg.connect(db_url).info.dbname
    with psycopg.connect(url_for_database(db_url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)))
    return url_for_database(db_url, name)


def _snapshot(db_url: str) -> dict[str, list[tuple]]:
    """Table contents without the wall-clock bookkeeping columns."""
    snapshot = {}
    with connect(db_url) as conn:
        for table in TABLES:
            drop = "- 'first_seen_at' - 'last_updated_at' - 'id' - 'received_at'"
            rows = conn.execute(f"SELECT to_jsonb(t) {drop} FROM {table} t").fetchall()
            snapshot[table] = sorted(str(r[0]) for r in rows)
        snapshot["checkpoints"] = sorted(conn.execute(
            "SELECT shard_id, sequence_number, shard_ended FROM ingest.checkpoint").fetchall())
    return snapshot


def _checkpoints(conn: psycopg.Connection) -> dict[str, int]:
    rows = conn.execute("SELECT shard_id, sequence_number FROM ingest.checkpoint").fetchall()
    conn.commit()
    return {shard: sequence_order(seq) for shard, seq in rows if seq is not None}


def _open_batch(conn: psycopg.Connection) -> bool:
    """The consumer holds a batch transaction: it has locked its checkpoint row (reading
    checkpoints outside a batch takes only AccessShareLock)."""
    row = conn.execute(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE a.application_name = 'pms-consumer' AND a.datname = current_database() "
        "AND l.relation = 'ingest.checkpoint'::regclass "
        "AND l.mode IN ('RowShareLock', 'RowExclusiveLock')"
    ).fetchone()
    conn.commit()
    return row[0] > 0


def _consumer(db_url: str) -> subprocess.Popen:
    env = {**os.environ, "PMS_DATABASE_URL": db_url}
    return subprocess.Popen(
        [sys.executable, "-m", "pms_pipelines.consumer", "--batch-limit", "50"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def test_killed_mid_batch_equals_uninterrupted(kinesis_stream, db_url) -> None:
    client = kinesis_client()
    publish_records(client, kinesis_stream, _stream_content(random.Random(20)))
    baseline_url = _clone(db_url)
    with connect(baseline_url) as conn:
        for shard in list_shards(client, kinesis_stream):
            consume_shard(client, conn, kinesis_stream, shard["ShardId"], batch_limit=50)

    kills = 0
    seen: dict[str, int] = {}
    with connect(db_url) as watcher:
        for _attempt in range(KILLS * 4):
            process = _consumer(db_url)
            deadline = time.monotonic() + 60
            while process.poll() is None and not _open_batch(watcher):
                assert time.monotonic() < deadline, "the consumer never opened a batch"
                time.sleep(0.001)
            if process.poll() is not None:
                break  # it finished everything before we caught it in a batch
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            kills += 1
            now = _checkpoints(watcher)
            for shard, position in seen.items():
                assert now[shard] >= position, "a checkpoint moved backwards"
            seen = now
            if kills == KILLS:
                break
    assert kills == KILLS

    final = _consumer(db_url)
    _, stderr = final.communicate(timeout=300)
    assert final.returncode == 0, stderr.decode()
    assert _snapshot(db_url) == _snapshot(baseline_url)
    with connect(db_url) as conn:
        dead = conn.execute("SELECT count(*) FROM ingest.dead_letter").fetchone()[0]
        assert dead == sum(1 for r in _stream_content(random.Random(20)) if r.data.startswith(b"\x00"))
