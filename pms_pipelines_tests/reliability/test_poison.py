"""Scenario 2: poison events. 1% of a stream is malformed in eleven ways; each lands in
the dead letters with its reason and original bytes, every valid event is loaded, every
shard's checkpoint reaches its last record (no stall). Then the dead letters are
inspected and re-driven after a fix, by the function and by the command line."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from pms_pipelines.aws import kinesis_client
from pms_pipelines.canonical import Tenant, make_event
from pms_pipelines.consumer.redrive import redrive
from pms_pipelines.db.connection import connect
from pms_pipelines.db.dead_letters import list_dead_letters
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.records import OutgoingRecord
from pms_pipelines_tests.reliability import figures
from pms_pipelines_tests.reliability.common import (
    T0,
    drain,
    expected_rows,
    lost_and_wrong,
    outgoing,
    read_everything,
    table_rows,
    tenant_events,
)

pytestmark = pytest.mark.integration


def _valid_doc(source_id: str, entity: str = "tenant") -> dict:
    event = make_event(source="buildium", agency_id="rel", entity="tenant",
                       source_id=source_id, data=Tenant(first_name="P", last_name=source_id),
                       observed_at=T0)
    return json.loads(event.to_bytes())


def _tenancy_doc(source_id: str, **changes: object) -> dict:
    doc = _valid_doc(source_id)
    doc["entity"] = "tenancy"
    doc["data"] = {"property_id": "P1", "tenant_ids": ["1"], "is_periodic": False,
                   "rent_frequency": "monthly", "status": "active", **changes}
    return doc


def _poison(n: int) -> tuple[str, bytes]:
    """The n-th poison record: (kind, bytes); kinds cycle so each appears often."""
    key = f"poison-{n}"
    kind = POISON_KINDS[n % len(POISON_KINDS)]
    doc = _valid_doc(key)
    if kind == "not JSON":
        return kind, b"\x00not json {" + key.encode()
    if kind == "not UTF-8":
        return kind, b'{"schema": "\xff\xfe' + key.encode() + b'"}'
    if kind == "JSON but not an object":
        return kind, json.dumps([key, 1, 2]).encode()
    if kind == "unknown schema version":
        doc["schema"] = "pms.event/v2"
    elif kind == "missing key field":
        del doc["source_id"]
    elif kind == "wrong type":
        doc["version"] = "not-a-number"
    elif kind == "unknown entity":
        doc["entity"] = "parking_space"
    elif kind == "oversized payload":
        doc["data"]["first_name"] = "x" * 900_000
    elif kind == "impossible date":
        doc = _tenancy_doc(key, start_date="2026-02-30")
    elif kind == "impossible currency":
        doc = _tenancy_doc(key, rent_amount="100.00", rent_currency="ZZZ")
    elif kind == "tampered content":
        doc["data"]["first_name"] = "Mallory"  # the event id no longer matches
    return kind, json.dumps(doc).encode()


POISON_KINDS = (
    "not JSON", "not UTF-8", "JSON but not an object", "unknown schema version",
    "missing key field", "wrong type", "unknown entity", "oversized payload",
    "impossible date", "impossible currency", "tampered content",
)


def _fix_schema_stamp(raw: bytes) -> bytes:
    """The 'fix' of the re-drive: a producer stamped v1 events as v2 by mistake."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(doc, dict) and doc.get("schema") == "pms.event/v2":
        doc["schema"] = "pms.event/v1"
        return json.dumps(doc).encode()
    return raw


def test_poison_is_dead_lettered_and_the_shards_never_stall(kinesis_stream: str,
                                                            db_url: str) -> None:
    valid = tenant_events(2500)  # 3125 events
    records = outgoing(valid)
    poison = [_poison(n) for n in range(max(len(POISON_KINDS), len(records) // 100))]
    rng = random.Random(2)
    for n, (_kind, raw) in enumerate(poison):
        records.insert(rng.randrange(len(records)), OutgoingRecord(f"poison-{n}", raw))
    client = kinesis_client()
    publish_records(client, kinesis_stream, records)
    drained = drain(client, db_url, kinesis_stream, batch_limit=250)

    lost, extra = lost_and_wrong(expected_rows(valid), table_rows(db_url))
    with connect(db_url) as conn:
        letters = list_dead_letters(conn, stage="consume", limit=10_000)
        checkpoints = dict(conn.execute(
            "SELECT shard_id, sequence_number FROM ingest.checkpoint").fetchall())
    by_raw = {letter.raw: letter for letter in letters}
    missing_letters = [kind for kind, raw in poison if raw not in by_raw]
    figures.record("2 poison events", events=len(records), faults=len(poison),
                   lost=lost + len(missing_letters), duplicated=extra + len(letters) - len(poison),
                   dead_lettered=len(letters),
                   note=f"{len(POISON_KINDS)} kinds; re-drive tested")
    assert (lost, extra) == (0, 0)
    assert not missing_letters, missing_letters
    assert len(letters) == len(poison) == drained.rejected
    for kind, raw in poison:
        letter = by_raw[raw]
        assert letter.reason and letter.stream_name == kinesis_stream and letter.sequence_number
        assert len(letter.reason) <= 500
    reasons = {kind: by_raw[raw].reason for kind, raw in poison}
    assert reasons["not JSON"].startswith("not JSON")
    assert reasons["not UTF-8"].startswith("not UTF-8")
    assert reasons["unknown schema version"].startswith("unknown schema version")
    assert "source_id" in reasons["missing key field"]
    assert "version" in reasons["wrong type"]
    assert "entity" in reasons["unknown entity"]
    assert "first_name" in reasons["oversized payload"]
    assert "start_date" in reasons["impossible date"]
    assert "ZZZ" in reasons["impossible currency"] or "currency" in reasons["impossible currency"]
    assert "event_id" in reasons["tampered content"]
    # No stall: every shard's checkpoint is its last record.
    last = {}
    for record in read_everything(client, kinesis_stream):
        last[record.shard_id] = record.sequence_number
    assert checkpoints == last

    # Re-drive after a fix: the v2-stamped ones load, the rest stay pending.
    v2 = [raw for kind, raw in poison if kind == "unknown schema version"]
    with connect(db_url) as conn:
        report = redrive(conn, repair=_fix_schema_stamp)
        assert report.loaded == len(v2) and report.stale == 0
        assert len(report.still_invalid) == len(poison) - len(v2)
        pending = list_dead_letters(conn, stage="consume", limit=10_000)
        assert {letter.raw for letter in pending} == {raw for _, raw in poison} - set(v2)
        again = redrive(conn, repair=_fix_schema_stamp)
        assert again.loaded == 0 and not again.redriven_ids  # re-driven ones are done
        loaded = conn.execute("SELECT count(*) FROM pms.tenant WHERE source_id LIKE 'poison-%'"
                              ).fetchone()[0]
        assert loaded == len(v2)
        kept = list_dead_letters(conn, stage="consume", include_redriven=True, limit=10_000)
        assert len(kept) == len(poison)  # re-driven letters are marked, never deleted


def test_redrive_command_line(db_url: str) -> None:
    """A letter rejected by a since-fixed bug (its bytes are valid today) is re-applied;
    one still invalid stays pending and is named with its reason."""
    good = make_event(source="buildium", agency_id="rel", entity="tenant", source_id="fixed",
                      data=Tenant(first_name="Fixed"), observed_at=T0)
    with connect(db_url) as conn:
        conn.execute(
            "INSERT INTO ingest.dead_letter (stage, reason, raw) VALUES "
            "('consume', 'rejected by a bug since fixed', %s), ('consume', 'not JSON', %s)",
            (good.to_bytes(), b"{broken"))
        conn.commit()
    env = {**os.environ, "PMS_DATABASE_URL": db_url}
    command = [sys.executable, "-m", "pms_pipelines.ops", "redrive"]
    dry = subprocess.run([*command, "--dry-run"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "would re-drive 1" in dry.stdout and "still invalid: dead letter" in dry.stdout
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "re-drove 1 (1 loaded, 0 stale); 1 still invalid" in done.stdout
    with connect(db_url) as conn:
        row = conn.execute("SELECT first_name, version FROM pms.tenant WHERE source_id = 'fixed'"
                           ).fetchone()
        assert row == ("Fixed", good.version)
        pending = [letter.reason for letter in list_dead_letters(conn)]
        assert pending == ["not JSON"]
