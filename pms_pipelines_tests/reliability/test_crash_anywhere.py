"""Scenario 1: crash anywhere. The consume process (`python -m pms_pipelines.consumer`)
is SIGKILLed at 20 seeded points while it drains a 100k-event stream: half of the kills
land while Postgres shows its batch transaction open, half after a seeded random delay
(reading, between batches, committing). After a final uninterrupted run the tables hold
exactly the newest version of every record, every junk record is dead-lettered once,
and no checkpoint ever moved backwards.

`PMS_RELIABILITY_CRASH_EVENTS` changes the size (default 100k)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from pms_pipelines.aws import kinesis_client
from pms_pipelines.db.connection import connect
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.records import OutgoingRecord, sequence_order
from pms_pipelines_tests.reliability import figures
from pms_pipelines_tests.reliability.common import (
    expected_rows,
    lost_and_wrong,
    outgoing,
    read_everything,
    table_rows,
    tenant_events,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KILLS = 20
EVENTS = int(os.environ.get("PMS_RELIABILITY_CRASH_EVENTS", "100000"))


def _in_batch(conn) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE a.application_name = 'pms-consumer' AND a.datname = current_database() "
        "AND l.relation = 'ingest.checkpoint'::regclass "
        "AND l.mode IN ('RowShareLock', 'RowExclusiveLock')").fetchone()
    conn.commit()
    return row[0] > 0


def _checkpoints(conn) -> dict[str, int]:
    rows = conn.execute("SELECT shard_id, sequence_number FROM ingest.checkpoint").fetchall()
    conn.commit()
    return {shard: sequence_order(seq) for shard, seq in rows if seq is not None}


def test_twenty_kills_anywhere_lose_nothing(kinesis_stream: str, db_url: str) -> None:
    rng = random.Random(20)
    per_version = max(8, EVENTS // 5)  # 4 versions of n tenants + n/4 tenancies each
    valid = tenant_events(per_version, versions=4, delete_every=7, seed=20)
    records = outgoing(valid)
    junk = len(records) // 100
    for n in range(junk):
        records.insert(rng.randrange(len(records)), OutgoingRecord(f"junk-{n}",
                                                                  b"\x00junk %d" % n))
    client = kinesis_client()
    publish_records(client, kinesis_stream, records)

    env = {**os.environ, "PMS_DATABASE_URL": db_url}
    command = [sys.executable, "-m", "pms_pipelines.consumer", "--batch-limit", "500"]
    kills = mid_batch = backwards = 0
    seen: dict[str, int] = {}
    with connect(db_url) as watcher:
        while kills < KILLS:
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while process.poll() is None and not _in_batch(watcher):
                assert time.monotonic() < deadline, "the consumer never opened a batch"
                time.sleep(0.002)
            if process.poll() is not None:
                break  # it finished everything before we caught it
            if kills % 2:
                time.sleep(rng.uniform(0, 0.4))  # anywhere: reading, applying, committing
            else:
                mid_batch += 1
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            kills += 1
            now = _checkpoints(watcher)
            backwards += sum(1 for shard, position in seen.items() if now[shard] < position)
            seen = now
    final = subprocess.run(command, env=env, capture_output=True, timeout=600)
    assert final.returncode == 0, final.stderr.decode()[-2000:]

    lost, extra = lost_and_wrong(expected_rows(valid), table_rows(db_url))
    last: dict[str, str] = {}
    for record in read_everything(client, kinesis_stream):
        last[record.shard_id] = record.sequence_number
    with connect(db_url) as conn:
        letters = conn.execute("SELECT count(*), count(DISTINCT (shard_id, sequence_number)) "
                               "FROM ingest.dead_letter").fetchone()
        checkpoints = dict(conn.execute(
            "SELECT shard_id, sequence_number FROM ingest.checkpoint").fetchall())
    figures.record("1 crash anywhere", events=len(records), faults=kills,
                   lost=lost + (junk - letters[1]) + (checkpoints != last),
                   duplicated=extra + letters[0] - letters[1] + backwards,
                   dead_lettered=letters[0],
                   note=f"{kills} SIGKILLs ({mid_batch} inside a batch transaction); "
                        f"checkpoints backwards {backwards}")
    assert kills == KILLS, f"only {kills} kills before the consumer finished"
    assert backwards == 0
    assert (lost, extra) == (0, 0)
    assert letters == (junk, junk)
    assert checkpoints == last
