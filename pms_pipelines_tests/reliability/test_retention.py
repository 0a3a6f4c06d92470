"""Scenario 7: a retention gap. The consumer was away longer than the stream keeps
records: changes published meanwhile were trimmed unread. On its next run the consumer
sees that its checkpoint's last record arrived before the trim horizon and stops with a
clear `CheckpointExpired` naming the re-sync, and the stream's `retention_gap` asset
check is ERROR, naming the shard and the re-sync (recorded by the failed consume run and
by the health_checks job); after the re-sync (a full pull of the agency) and the
acknowledgement, the check passes and the tables equal what the PMS holds.

moto never trims, so the trimmed changes are published to a stream nobody reads, and the
checkpoint's arrival time is moved back 25 hours."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timezone

import pytest
from dagster import AssetCheckSeverity, AssetKey, DagsterInstance

from pms_pipelines.aws import kinesis_client
from pms_pipelines.canonical import Event
from pms_pipelines.consumer.retention import acknowledge_retention_gap
from pms_pipelines.consumer.shard_probe import shards_to_consume
from pms_pipelines.db.connection import connect
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.buildium.sandbox import start_sandbox
from pms_pipelines.integrations.kit import PullRequest
from pms_pipelines.local_stack.aws_emulator import create_stream
from pms_pipelines.ops.cli import main as ops_cli
from pms_pipelines.pulls.pull_and_publish import pull_and_publish
from pms_pipelines.stream.reader import list_shards
from pms_pipelines_tests.reliability import figures
from pms_pipelines_tests.reliability.common import drain, table_rows

pytestmark = pytest.mark.integration
BUILDIUM = REGISTRY["buildium"]


STREAM = AssetKey(["stream", "pms_events"])


def _retention_check(instance: DagsterInstance):  # noqa: ANN202
    """The retention_gap evaluation of a health_checks run."""
    from pms_pipelines.definitions import defs

    result = defs.resolve_job_def("health_checks").execute_in_process(instance=instance)
    assert result.success
    (evaluation,) = [e for e in result.get_asset_check_evaluations()
                     if e.asset_key == STREAM and e.check_name == "retention_gap"]
    return evaluation


def test_checkpoint_past_retention_is_detected_and_resync_restores(
    kinesis_stream: str, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pms_pipelines.definitions import defs

    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    instance = DagsterInstance.ephemeral()
    credentials = {"client_id": f"id-{secrets.token_hex(4)}",
                   "client_secret": secrets.token_urlsafe(16)}
    sandbox = start_sandbox([{"agency_id": "ret", **credentials, "units": 12}],
                            rate_limit_per_s=None)
    trimmed_stream = f"trimmed-{uuid.uuid4().hex[:8]}"
    create_stream(trimmed_stream, shard_count=1)
    client = kinesis_client()

    def pull(stream: str, full: bool, republish: bool = False) -> int:
        with connect(db_url) as conn:
            return sum(pull_and_publish(BUILDIUM, agency_id="ret", entity=entity,
                                        credentials=dict(credentials),
                                        base_url=sandbox.base_url, conn=conn, kinesis=client,
                                        stream=stream, full=full, republish=republish).published
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
        sandbox.churn_once()
        published += pull(kinesis_stream, full=False)  # after the gap

        # The consumer's next tick: one consume run per shard, as the sensor asks.
        expired = []
        for shard in list_shards(client, kinesis_stream):
            run = defs.resolve_job_def("consume_shard").execute_in_process(
                run_config={"ops": {"consume_stream": {"config": {"shard_id": shard["ShardId"]}}}},
                instance=instance, raise_on_error=False)
            if run.success:
                continue
            (failure,) = [e for e in run.all_events if e.is_step_failure]
            assert failure.step_failure_data.error.cause.cls_name == "CheckpointExpired"
            (check,) = run.get_asset_check_evaluations()
            assert (check.asset_key, check.check_name) == (STREAM, "retention_gap")
            assert not check.passed and check.severity == AssetCheckSeverity.ERROR
            assert check.metadata["shards"].value == shard["ShardId"]
            message = check.metadata["gaps"].value
            assert "retention" in message and "full pull" in message
            assert "acknowledge-gap" in check.description
            assert "buildium/ret" in check.metadata["affected_agencies"].value.splitlines()
            expired.append((shard["ShardId"], message))
        assert expired, "no shard reported the retention gap"
        # The health_checks job sees the same gaps until they are acknowledged.
        health = _retention_check(instance)
        assert not health.passed and health.severity == AssetCheckSeverity.ERROR
        assert health.metadata["shards"].value.split(", ") == sorted(s for s, _ in expired)
        assert health.metadata["affected_agencies"].value == "buildium/ret"

        # The sensor asks no more runs of a stopped shard (each would only fail again).
        gapped = {s for s, _ in expired}
        with connect(db_url) as conn:
            planned, _ = shards_to_consume(client, conn, kinesis_stream, set(), 16)
        assert not gapped & set(planned)

        # The re-sync (as `ops resync` runs it): the trimmed events were published, so
        # only a re-publish of every record, unchanged ones too, brings them back.
        published += pull(kinesis_stream, full=True, republish=True)
        monkeypatch.setenv("PMS_STREAM_NAME", kinesis_stream)
        first = min(gapped)
        with connect(db_url) as conn:  # the library call and the operator's command
            acknowledge_retention_gap(conn, kinesis_stream, first)
        assert ops_cli(["acknowledge-gap", "--shard", first]) == 2  # no gap left there
        assert ops_cli(["acknowledge-gap", "--all"]) == 0
        assert _retention_check(instance).passed
        with connect(db_url) as conn:
            planned, _ = shards_to_consume(client, conn, kinesis_stream, set(), 16)
        assert gapped <= set(planned), "acknowledged shards are read again"
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
