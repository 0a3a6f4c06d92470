"""Scenario 7: a retention gap. The consumer was away longer than the stream keeps
records: changes published meanwhile were trimmed unread. On its next run the consumer
sees that its checkpoint's last record arrived before the trim horizon and stops with a
clear `CheckpointExpired` naming the re-sync; after the re-sync (a full pull of the
agency) and the acknowledgement, the tables equal what the PMS holds.

moto never trims, so the trimmed changes are published to a stream nobody reads, and the
checkpoint's arrival time is moved back 25 hours."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timezone

import pytest

from pms_pipelines.aws import kinesis_client
from pms_pipelines.canonical import Event
from pms_pipelines.consumer.consume import (
    CheckpointExpired,
    acknowledge_retention_gap,
    consume_shard,
)
from pms_pipelines.db.connection import connect
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.buildium.sandbox import start_sandbox
from pms_pipelines.integrations.kit import PullRequest
from pms_pipelines.local_stack.aws_emulator import create_stream
from pms_pipelines.pulls.pull_and_publish import pull_and_publish
from pms_pipelines.stream.reader import list_shards
from pms_pipelines_tests.reliability import figures
from pms_pipelines_tests.reliability.common import drain, table_rows

pytestmark = pytest.mark.integration
BUILDIUM = REGISTRY["buildium"]


def test_checkpoint_past_retention_is_detected_and_resync_restores(
    kinesis_stream: str, db_url: str
) -> None:
    credentials = {"client_id": f"id-{secrets.token_hex(4)}",
                   "client_secret": secrets.token_urlsafe(16)}
    sandbox = start_sandbox([{"agency_id": "ret", **credentials, "units": 12}],
                            rate_limit_per_s=None)
    trimmed_stream = f"trimmed-{uuid.uuid4().hex[:8]}"
    create_stream(trimmed_stream, shard_count=1)
    client = kinesis_client()

    def pull(stream: str, full: bool) -> int:
        with connect(db_url) as conn:
            return sum(pull_and_publish(BUILDIUM, agency_id="ret", entity=entity,
                                        credentials=dict(credentials),
                                        base_url=sandbox.base_url, conn=conn, kinesis=client,
                                        stream=stream, full=full).published
                       for entity in BUILDIUM.entities)

    try:
        published = pull(kinesis_stream, full=True)
        drain(client, db_url, kinesis_stream)
        with connect(db_url) as conn:
            arrivals = conn.execute("SELECT count(last_arrival_at) FROM ingest.checkpoint "
                                    "WHERE stream_name = %s", (kinesis_stream,)).fetchone()[0]
            assert arrivals >= 1, "the last arrival time is kept with the checkpoint"
            conn.execute("UPDATE ingest.checkpoint SET last_arrival_at = last_arrival_at "
                         "- interval '25 hours'")
            conn.commit()
        for _ in range(3):
            sandbox.churn_once()
        trimmed = pull(trimmed_stream, full=False)  # published, then trimmed unread
        for entity in BUILDIUM.entities:
            sandbox.touch("ret", entity)
        published += pull(kinesis_stream, full=False)  # after the gap

        expired = []
        with connect(db_url) as conn:
            for shard in list_shards(client, kinesis_stream):
                try:
                    consume_shard(client, conn, kinesis_stream, shard["ShardId"])
                except CheckpointExpired as error:
                    expired.append((shard["ShardId"], str(error)))
        assert expired, "no shard reported the retention gap"
        for _shard, message in expired:
            assert "retention" in message and "full pull" in message

        published += pull(kinesis_stream, full=True)  # the re-sync
        with connect(db_url) as conn:
            for shard_id, _ in expired:
                acknowledge_retention_gap(conn, kinesis_stream, shard_id)
        drain(client, db_url, kinesis_stream)
        truth = {}
        for entity in BUILDIUM.entities:
            request = PullRequest(agency_id="ret", entity=entity, base_url=sandbox.base_url,
                                  credentials=dict(credentials), since=None,
                                  observed_at=datetime.now(timezone.utc))
            truth |= {(e.entity, e.source, e.agency_id, e.source_id): e.event_id
                      for e in BUILDIUM.pull(request) if isinstance(e, Event)}
    finally:
        sandbox.stop()
    rows = table_rows(db_url)
    lost = sum(1 for key, event_id in truth.items()
               if key not in rows or rows[key][1] != event_id or rows[key][2])
    figures.record("7 retention gap", events=published + trimmed, faults=trimmed, lost=lost,
                   duplicated=0, dead_lettered=0,
                   note=f"{trimmed} events trimmed unread; CheckpointExpired on "
                        f"{len(expired)} shard(s); full-pull re-sync restored every record")
    assert trimmed > 0
    assert lost == 0
