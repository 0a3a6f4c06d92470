"""Builders for lake tests: handled outcomes, raw Firehose objects, a fresh bucket."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from pms_pipelines.db.batch_result import Outcome
from pms_pipelines.lake.handled import handled_line
from pms_pipelines.local_stack.aws_emulator import create_bucket
from pms_pipelines.stream.records import StreamRecord
from pms_pipelines_tests.db.sample_events import event, tenancy_record, tenant_record

SHARD = "shardId-000000000000"
BASE = 49590338271490256608559692538361571095921575989136588800
KEY = b"k" * 32
DAY = date(2026, 3, 10)


def new_bucket() -> str:
    name = f"lake-test-{uuid.uuid4().hex[:10]}"
    create_bucket(name)
    return name


def moment(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def loaded_tenant(offset: int, name: str = "Ada", outcome: str = "loaded") -> Outcome:
    ev = event("tenant", f"T{offset}", tenant_record(name), offset)
    return Outcome(StreamRecord(SHARD, str(BASE + offset), ev.key, ev.to_bytes()), outcome, None, ev)


def loaded_tenancy(offset: int, source_id: str = "TY1", rent: str = "1200.50") -> Outcome:
    ev = event("tenancy", source_id, tenancy_record(rent=rent), offset)
    return Outcome(StreamRecord(SHARD, str(BASE + offset), ev.key, ev.to_bytes()), "loaded", None, ev)


def rejected(offset: int, raw: bytes, reason: str = "invalid event: boom") -> Outcome:
    return Outcome(StreamRecord(SHARD, str(BASE + offset), "key", raw), "rejected", reason, None)


def line(outcome: Outcome, consumed_at: datetime, run_id: str = "run-1") -> bytes:
    return handled_line(outcome, stream="pms-events", run_id=run_id, consumed_at=consumed_at)


def put_raw(s3: object, bucket: str, written: datetime, lines: Sequence[bytes],
            layout: str = "hourly") -> str:
    """One raw object as Firehose writes it: the lines joined with nothing between."""
    folder = (f"raw/{written:%Y/%m/%d/%H}/" if layout == "hourly"
              else f"raw/dt={written:%Y-%m-%d}/")
    key = f"{folder}pms-handled-events-1-{written:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}"
    s3.put_object(Bucket=bucket, Key=key, Body=b"".join(lines))  # type: ignore[attr-defined]
    return key
