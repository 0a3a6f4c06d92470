"""A consume run that lingers: caught up, it stays on its shard and applies what is
published meanwhile within a second or so, then ends once quiet for its linger."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from pms_pipelines.aws import kinesis_client
from pms_pipelines.consumer.consume import consume_shard
from pms_pipelines.db.connection import connect
from pms_pipelines.local_stack.aws_emulator import create_stream
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.reader import list_shards
from pms_pipelines_tests.reliability.common import outgoing, tenant_events

pytestmark = pytest.mark.integration


def test_a_lingering_run_applies_what_comes_while_it_waits(moto_emulator, db_url) -> None:
    stream = f"linger-{uuid.uuid4().hex[:8]}"
    create_stream(stream, shard_count=1)
    client = kinesis_client()
    [shard] = list_shards(client, stream)
    records = outgoing(tenant_events(4))
    publish_records(client, stream, records[:2])
    committed: dict[str, float] = {}
    published_late: list[float] = []

    def late() -> None:
        time.sleep(1.0)
        published_late.append(time.time())
        publish_records(client, stream, records[2:])

    def hook(_conn, result) -> None:  # noqa: ANN001
        for outcome in result.outcomes:
            committed[outcome.record.partition_key] = time.time()

    thread = threading.Thread(target=late)
    thread.start()
    started = time.monotonic()
    with connect(db_url) as conn:
        report = consume_shard(client, conn, stream, shard["ShardId"], before_commit=hook,
                               linger_s=3.0)
    thread.join()
    # One run applied both the records it found and those published after it caught up
    # (how soon is figure 11's to measure, not a test's); it ended by itself, and not
    # before three quiet seconds after the late ones.
    assert report.records == len(records) and len(committed) == len(records)
    assert all(committed[r.partition_key] >= published_late[0] for r in records[2:])
    assert time.monotonic() - started >= 1.0 + 3.0
