"""Consumer lag and retention gaps from real shards (moto) and checkpoints (Postgres)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from pms_pipelines.aws import kinesis_client
from pms_pipelines.consumer.retention import acknowledge_retention_gap
from pms_pipelines.db.connection import connect
from pms_pipelines.db.watermarks import advance_watermark
from pms_pipelines.health.stream_position import consumer_lag, retention_gaps, shard_positions
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines_tests.reliability.common import drain, outgoing, tenant_events

pytestmark = pytest.mark.integration
WARN_S, ERROR_S = 900, 21600


def test_lag_warns_then_errors_as_unconsumed_records_age(kinesis_stream, db_url) -> None:
    client = kinesis_client()
    publish_records(client, kinesis_stream, outgoing(tenant_events(6)))
    with connect(db_url) as conn:
        positions = shard_positions(client, conn, kinesis_stream)
    assert {p.shard_id for p in positions} == {
        "shardId-000000000000", "shardId-000000000001"}
    now = datetime.now(UTC)
    assert consumer_lag(positions, now, WARN_S, ERROR_S).passed

    warn = consumer_lag(positions, now + timedelta(minutes=20), WARN_S, ERROR_S)
    assert not warn.passed and warn.severity == "WARN"
    behind = warn.metadata["shards_behind"]
    assert behind >= 1 and warn.metadata["shards_over_warn"] == behind
    assert warn.metadata["shards_over_error"] == 0
    assert warn.metadata["max_lag_s"] >= 1200
    assert "s behind (oldest unconsumed arrived 20" in warn.metadata["lag_by_shard"]

    error = consumer_lag(positions, now + timedelta(hours=7), WARN_S, ERROR_S)
    assert not error.passed and error.severity == "ERROR"
    assert error.metadata["shards_over_error"] == behind
    assert "the stream keeps records 24 h" in error.description

    drain(client, db_url, kinesis_stream)
    with connect(db_url) as conn:
        caught_up = shard_positions(client, conn, kinesis_stream)
    later = consumer_lag(caught_up, now + timedelta(hours=7), WARN_S, ERROR_S)
    assert later.passed and later.metadata["max_lag_s"] == 0.0
    assert later.metadata["shards_behind"] == 0


def test_retention_gap_names_the_shard_and_the_resync(kinesis_stream, db_url) -> None:
    client = kinesis_client()
    publish_records(client, kinesis_stream, outgoing(tenant_events(8)))
    drain(client, db_url, kinesis_stream)
    with connect(db_url) as conn:
        conn.execute("UPDATE ingest.checkpoint SET last_arrival_at = last_arrival_at "
                     "- interval '25 hours'")
        for agency, pulled_ago in (("acme", "1 minute"), ("quiet", "30 hours")):
            advance_watermark(conn, "buildium", agency, "tenant", datetime.now(UTC))
            conn.execute("UPDATE ingest.pull_watermark SET updated_at = now() - %s::interval "
                         "WHERE agency_id = %s", (pulled_ago, agency))
        conn.commit()
        idle = retention_gaps(client, conn, kinesis_stream,
                              shard_positions(client, conn, kinesis_stream))
        assert idle.passed, "an old checkpoint with nothing after it lost nothing"

        publish_records(client, kinesis_stream, outgoing(tenant_events(8, seed=9, start=datetime(
            2026, 4, 1, tzinfo=UTC))))
        gap = retention_gaps(client, conn, kinesis_stream,
                             shard_positions(client, conn, kinesis_stream))
        assert not gap.passed and gap.severity == "ERROR"
        shards = gap.metadata["shards"].split(", ")
        assert gap.metadata["shards_with_gap"] == len(shards) >= 1
        assert "full pull" in gap.description and "acknowledge-gap" in gap.description
        assert all(s in gap.metadata["gaps"] for s in shards)
        # Only an agency that published since the last consumed record needs a re-sync.
        assert gap.metadata["affected_agencies"] == "buildium/acme"
        assert gap.metadata["affected_agency_count"] == 1
        assert "ops_resync_agency" in gap.metadata["resync"]

        for shard in shards:
            acknowledge_retention_gap(conn, kinesis_stream, shard)
        assert retention_gaps(client, conn, kinesis_stream,
                              shard_positions(client, conn, kinesis_stream)).passed


class _ThrottledOnce:
    """The real client, but Kinesis refuses the first GetRecords for throughput."""

    def __init__(self, client) -> None:
        self._client, self.throttled = client, 0

    def __getattr__(self, name):
        return getattr(self._client, name)

    def get_records(self, **kwargs):
        if not self.throttled:
            self.throttled += 1
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException",
                                         "Message": "Rate exceeded for shard"}}, "GetRecords")
        return self._client.get_records(**kwargs)


def test_a_throttled_probe_is_reported_not_raised(kinesis_stream, db_url) -> None:
    client = _ThrottledOnce(kinesis_client())
    publish_records(client, kinesis_stream, outgoing(tenant_events(6)))
    with connect(db_url) as conn:
        positions = shard_positions(client, conn, kinesis_stream)
    assert client.throttled == 1 and len(positions) == 2
    assert [p.probed for p in positions].count(False) == 1
    lag = consumer_lag(positions, datetime.now(UTC) + timedelta(minutes=20), WARN_S, ERROR_S)
    assert lag.metadata["shards_not_probed"] == 1
    assert "not probed, Kinesis throttled" in lag.metadata["lag_by_shard"]
