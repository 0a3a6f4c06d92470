"""Compact one UTC day of raw handled-event lines into one Parquet file per entity.

A day is the day the consumer handled the event (`consumed_at`), not the day Firehose
wrote the object: a line consumed at 23:59 may land in the next day's object, so the
next `late_days` days are read too and filtered. Each stream record's handling is kept
once, keyed by (shard, sequence number, event id, outcome, replay generation): a batch
sent again after a crash before its commit, or a Firehose retry, adds nothing, while a
replay (the checkpoint moved back, which bumps the shard's generation) handles the
records again as new facts, as the consumer's counts do. (Not by event id alone: the id
comes from the content, so an unchanged record pulled again keeps it, and each pull is a
fact worth keeping.) Every entity's file is written, empty or not, with a single
PUT, so a re-run replaces the whole day and readers never see half of it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pms_pipelines.canonical.model import ENTITIES
from pms_pipelines.lake.raw import list_day_objects, read_raw_lines
from pms_pipelines.lake.rows import lake_row
from pms_pipelines.lake.schema import LAKE_SCHEMA

LAKE_PREFIX = "lake"
RAW_PREFIX = "raw/"


@dataclass
class DayCompaction:
    """What compacting one day did, per entity and overall (Dagster metadata)."""

    day: date
    objects_read: int = 0
    lines_read: int = 0
    unreadable_lines: int = 0
    other_days: int = 0  # lines in the objects read that belong to another day
    late_lines: int = 0  # this day's lines found in a later day's objects
    duplicates: int = 0
    unknown_entity: int = 0  # rejected records that named no entity: no table holds them
    rows: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)


def lake_key(entity: str, day: date) -> str:
    return f"{LAKE_PREFIX}/{entity}/dt={day.isoformat()}/data.parquet"


def compact_day(
    s3: Any,
    *,
    raw_bucket: str,
    lake_bucket: str,
    day: date,
    mask_key: bytes,
    raw_prefix: str = RAW_PREFIX,
    late_days: int = 1,
) -> DayCompaction:
    report = DayCompaction(day)
    chosen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for offset in range(late_days + 1):
        read_day = day + timedelta(days=offset)
        found = read_raw_lines(s3, raw_bucket, list_day_objects(s3, raw_bucket, raw_prefix, read_day))
        report.objects_read += found.objects
        report.lines_read += len(found.lines)
        report.unreadable_lines += found.unreadable
        for line in found.lines:
            row = lake_row(line, mask_key)
            if row is None:
                report.unreadable_lines += 1
                continue
            if row["consumed_at"].date() != day:
                report.other_days += 1
                continue
            if row["entity"] not in ENTITIES:
                report.unknown_entity += 1
                continue
            report.late_lines += offset > 0
            dedup = (row["shard_id"], row["sequence_number"], row["event_id"], row["outcome"],
                     row["replay_generation"])
            kept = chosen.get(dedup)
            if kept is not None:
                report.duplicates += 1
                if kept["consumed_at"] <= row["consumed_at"]:
                    continue  # keep the first handling, so a re-run picks the same row
            chosen[dedup] = row
    by_entity: dict[str, list[dict[str, Any]]] = {entity: [] for entity in ENTITIES}
    for row in chosen.values():
        by_entity[row["entity"]].append(row)
    for entity, rows in by_entity.items():
        rows.sort(key=lambda r: (r["consumed_at"], r["shard_id"], int(r["sequence_number"])))
        key = lake_key(entity, day)
        s3.put_object(Bucket=lake_bucket, Key=key, Body=parquet_bytes(rows))
        report.rows[entity] = len(rows)
        report.keys[entity] = key
    return report


def parquet_bytes(rows: list[dict[str, Any]]) -> bytes:
    table = pa.Table.from_pylist(rows, schema=LAKE_SCHEMA)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="snappy")
    return buffer.getvalue()


def read_day(s3: Any, lake_bucket: str, entity: str, day: date) -> pa.Table | None:
    """The compacted table of `entity` on `day`, or None if the day was never compacted."""
    try:
        body = s3.get_object(Bucket=lake_bucket, Key=lake_key(entity, day))["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return pq.read_table(io.BytesIO(body))
