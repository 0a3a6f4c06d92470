"""Firehose delivery: batches within the limits, only failed records retried, moto round trip."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pms_pipelines.aws import aws_client
from pms_pipelines.lake.raw import list_day_objects, read_raw_lines
from pms_pipelines.local_stack.aws_emulator import RunningEmulator, create_delivery_stream
from pms_pipelines.stream.firehose import (
    MAX_BYTES_PER_RECORD,
    DeliveryFailed,
    RecordTooLarge,
    batches,
    deliver_records,
)
from pms_pipelines.stream.publisher import RetryPolicy
from pms_pipelines_tests.lake.lake_env import new_bucket


class FlakyFirehose:
    """Fails the records whose bytes are in `refuse` (each the given number of times)."""

    def __init__(self, refuse: dict[bytes, int], call_errors: int = 0) -> None:
        self.refuse = dict(refuse)
        self.call_errors = call_errors
        self.calls: list[list[bytes]] = []

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, Any]]) -> dict:
        self.calls.append([r["Data"] for r in Records])
        if self.call_errors:
            self.call_errors -= 1
            raise ClientError({"Error": {"Code": "ServiceUnavailableException"}}, "PutRecordBatch")
        responses = []
        for record in Records:
            if self.refuse.get(record["Data"], 0) > 0:
                self.refuse[record["Data"]] -= 1
                responses.append({"ErrorCode": "ServiceUnavailableException",
                                  "ErrorMessage": "slow down"})
            else:
                responses.append({"RecordId": "id"})
        failed = sum("ErrorCode" in r for r in responses)
        return {"FailedPutCount": failed, "RequestResponses": responses}


def _deliver(client: Any, records: list[bytes], attempts: int = 5, name: str = "handled"):
    return deliver_records(client, name, records, policy=RetryPolicy(max_attempts=attempts),
                           sleep=lambda s: None, rng=random.Random(1))


def test_batches_respect_count_and_size_limits() -> None:
    assert [len(b) for b in batches([b"x\n"] * 1201)] == [500, 500, 201]
    big = b"y" * (MAX_BYTES_PER_RECORD - 1) + b"\n"
    assert [len(b) for b in batches([big] * 9)] == [4, 4, 1]  # 4 MiB a call
    with pytest.raises(RecordTooLarge):
        list(batches([big + b"z"]))


def test_only_failed_records_are_sent_again() -> None:
    records = [f"{i}\n".encode() for i in range(6)]
    client = FlakyFirehose({b"2\n": 1, b"4\n": 2})
    stats = _deliver(client, records)
    assert client.calls == [records, [b"2\n", b"4\n"], [b"4\n"]]
    assert (stats.delivered, stats.calls, stats.retried_records) == (6, 3, 3)
    assert stats.error_codes == {"ServiceUnavailableException": 3}


def test_a_refused_call_is_retried_whole_and_exhaustion_raises() -> None:
    client = FlakyFirehose({}, call_errors=1)
    assert _deliver(client, [b"a\n"]).delivered == 1
    with pytest.raises(DeliveryFailed) as failure:
        _deliver(FlakyFirehose({b"b\n": 99}), [b"a\n", b"b\n"], attempts=3)
    assert failure.value.undelivered == [b"b\n"]


def test_moto_round_trip_lands_lines_in_one_object(moto_emulator: RunningEmulator) -> None:
    bucket = new_bucket()
    create_delivery_stream("round-trip", bucket, "raw/")
    lines = [b'{"n":1}\n', b'{"n":2}\n', b'{"n":3}\n']
    assert _deliver(aws_client("firehose"), lines, name="round-trip").delivered == 3
    s3 = aws_client("s3")
    keys = list_day_objects(s3, bucket, "raw/", datetime.now(UTC).date())
    assert len(keys) == 1 and keys[0].startswith("raw/")
    assert read_raw_lines(s3, bucket, keys).lines == [{"n": 1}, {"n": 2}, {"n": 3}]
