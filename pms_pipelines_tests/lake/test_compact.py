"""Compaction of a day: duplicates dropped, late objects read, re-runs replace, data masked."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from pms_pipelines.aws import aws_client
from pms_pipelines.lake.compact import compact_day, lake_key, read_day
from pms_pipelines.lake.mask import mask_value
from pms_pipelines.local_stack.aws_emulator import RunningEmulator
from pms_pipelines_tests.lake.lake_env import (
    DAY,
    KEY,
    line,
    loaded_tenancy,
    loaded_tenant,
    moment,
    new_bucket,
    put_raw,
    rejected,
)


@pytest.fixture
def bucket(moto_emulator: RunningEmulator) -> str:
    return new_bucket()


def _compact(bucket: str, key: bytes = KEY):
    return compact_day(aws_client("s3"), raw_bucket=bucket, lake_bucket=bucket, day=DAY,
                       mask_key=key)


def _rows(bucket: str, entity: str) -> list[dict]:
    table = read_day(aws_client("s3"), bucket, entity, DAY)
    assert table is not None
    return table.to_pylist()


def test_a_replayed_batch_and_a_retried_put_count_once(bucket: str) -> None:
    s3 = aws_client("s3")
    first, second = loaded_tenant(1), loaded_tenant(2, "Bob")
    put_raw(s3, bucket, moment(DAY, 9), [line(first, moment(DAY, 9)), line(second, moment(DAY, 9))])
    # The run crashed before its commit; the next run handled the same records again.
    put_raw(s3, bucket, moment(DAY, 10), [line(first, moment(DAY, 10), run_id="run-2"),
                                          line(second, moment(DAY, 10), run_id="run-2")])
    # The same record handled again with another outcome is another fact: kept.
    put_raw(s3, bucket, moment(DAY, 11), [line(loaded_tenant(1, outcome="stale"), moment(DAY, 11))])
    report = _compact(bucket)
    rows = _rows(bucket, "tenant")
    assert report.duplicates == 2 and report.rows["tenant"] == 3
    assert [(r["source_id"], r["outcome"], r["run_id"]) for r in rows] == [
        ("T1", "loaded", "run-1"), ("T2", "loaded", "run-1"), ("T1", "stale", "run-1")]


def test_late_objects_of_the_next_day_are_read_and_other_days_left_out(bucket: str) -> None:
    s3 = aws_client("s3")
    next_day = DAY + timedelta(days=1)
    # Consumed at 23:58, written by Firehose after midnight (buffering): belongs to DAY.
    put_raw(s3, bucket, moment(next_day, 0, 3), [
        line(loaded_tenant(1), moment(DAY, 23, 58)), line(loaded_tenant(2), moment(next_day, 0, 1))
    ], layout="dt")
    put_raw(s3, bucket, moment(DAY, 8), [line(loaded_tenant(3), moment(DAY, 8))])
    report = _compact(bucket)
    assert [r["source_id"] for r in _rows(bucket, "tenant")] == ["T3", "T1"]
    assert (report.late_lines, report.other_days) == (1, 1)


def test_a_rerun_replaces_the_day_and_every_entity_gets_a_file(bucket: str) -> None:
    s3 = aws_client("s3")
    key = put_raw(s3, bucket, moment(DAY, 9), [line(loaded_tenancy(1), moment(DAY, 9))])
    _compact(bucket)
    assert len(_rows(bucket, "tenancy")) == 1 and _rows(bucket, "property") == []
    s3.delete_object(Bucket=bucket, Key=key)
    put_raw(s3, bucket, moment(DAY, 12), [line(loaded_tenancy(2, "TY2"), moment(DAY, 12)),
                                          line(loaded_tenancy(3, "TY3"), moment(DAY, 12))])
    _compact(bucket)
    assert [r["source_id"] for r in _rows(bucket, "tenancy")] == ["TY2", "TY3"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="lake/tenancy/")["Contents"]
    assert [o["Key"] for o in listed] == [lake_key("tenancy", DAY)]  # one object a day


def test_personal_data_is_masked_the_same_way_under_one_key(bucket: str) -> None:
    s3 = aws_client("s3")
    put_raw(s3, bucket, moment(DAY, 9), [line(loaded_tenant(1, "Ada"), moment(DAY, 9)),
                                         line(loaded_tenant(2, "Ada"), moment(DAY, 9))])
    _compact(bucket)
    first, second = (json.loads(r["data"]) for r in _rows(bucket, "tenant"))
    assert first["first_name"] == second["first_name"] == mask_value(KEY, "Ada")
    assert first["contact"]["email"] == mask_value(KEY, "a@x.io")
    assert "Ada" not in json.dumps(first) and "a@x.io" not in json.dumps(first)
    _compact(bucket, key=b"another-key-of-16-bytes")
    assert json.loads(_rows(bucket, "tenant")[0]["data"])["first_name"] != first["first_name"]


def test_rejected_records_keep_their_key_and_reason_but_not_their_bytes(bucket: str) -> None:
    s3 = aws_client("s3")
    raw = (b'{"schema": "pms.event/v1", "entity": "tenant", "source": "buildium", '
           b'"agency_id": "acme", "source_id": "T9", "data": {"first_name": "Eve", "age": 3}}')
    put_raw(s3, bucket, moment(DAY, 9), [line(rejected(1, raw), moment(DAY, 9)),
                                         line(rejected(2, b"\xff not json"), moment(DAY, 9))])
    report = _compact(bucket)
    [row] = _rows(bucket, "tenant")
    assert (row["outcome"], row["reason"], row["source_id"]) == (
        "rejected", "invalid event: boom", "T9")
    assert json.loads(row["data"]) == {"first_name": mask_value(KEY, "Eve"), "age": 3}
    assert row["raw_size"] == len(raw)
    assert report.unknown_entity == 1  # the unreadable one names no entity
