"""Webhook notices served by targeted pulls: sandbox change → signed webhook → receiver →
stored notice → pull by id → Kinesis (moto). What the webhook path publishes is what
polling would: the same events, through the same `pull_and_publish`."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

import pytest

from pms_pipelines.canonical import Event
from pms_pipelines.db import watermarks
from pms_pipelines.db.connection import connect
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.pulls.pull_and_publish import PullReport, pull_and_publish
from pms_pipelines.aws import kinesis_client
from pms_pipelines.stream.reader import StartPosition, list_shards, read_shard
from pms_pipelines_tests.fixtures.webhooks import WebhookStack

pytestmark = pytest.mark.integration
AGENCY = {"buildium": "acme", "reapit": "harbour"}


def _events(stream: str) -> list[Event]:
    client = kinesis_client()
    return [Event.model_validate_json(record.data)
            for shard in list_shards(client, stream)
            for batch in read_shard(client, stream, shard["ShardId"], StartPosition(),
                                    sleep=lambda s: None)
            for record in batch.records]


def _pull(stack: WebhookStack, stream: str, pms: str, entity: str, **how: Any) -> PullReport:
    with connect(stack.db_url) as conn:
        return pull_and_publish(
            REGISTRY[pms], agency_id=AGENCY[pms], entity=entity,
            credentials=stack.credentials[pms], base_url=stack.sandboxes[pms].base_url,
            conn=conn, kinesis=kinesis_client(), stream=stream, **how)


def _wait_for_notices(stack: WebhookStack, count: int) -> None:
    deadline = time.monotonic() + 15
    while len(stack.notices()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(stack.notices()) >= count, stack.notices()


def _serve(stack: WebhookStack, stream: str, pms: str) -> dict[str, PullReport]:
    """What the webhook worker does: every due notice of the PMS, served."""
    reports: dict[str, PullReport] = {}
    stack.serve_due(stream, pms, reports=reports)
    return reports


def test_a_changed_lease_travels_by_webhook_alone(webhook_stack: WebhookStack,
                                                  kinesis_stream: str) -> None:
    buildium = webhook_stack.sandboxes["buildium"]
    lease_id = buildium.touch("acme", "tenancy")
    _wait_for_notices(webhook_stack, 1)
    before = sum(buildium.state.counts.values())
    reports = _serve(webhook_stack, kinesis_stream, "buildium")
    requests = sum(buildium.state.counts.values()) - before
    report = reports["tenancy"]
    assert (report.mode, report.pulled, report.published, report.unaccounted) == (
        "webhook", 1, 1, 0)
    assert requests == 2  # the lease by id, and its rent schedule
    [event] = _events(kinesis_stream)
    assert (event.entity, event.source_id, event.op) == ("tenancy", lease_id, "upsert")
    with connect(webhook_stack.db_url) as conn:  # a targeted pull judges no watermark
        assert watermarks.read_watermark(conn, "buildium", "acme", "tenancy") is None
    assert all(served for *_, served in webhook_stack.notices())


def test_a_deleted_unit_is_read_then_deleted(webhook_stack: WebhookStack,
                                             kinesis_stream: str) -> None:
    buildium = webhook_stack.sandboxes["buildium"]
    unit_id = buildium.remove("acme", "property")
    _wait_for_notices(webhook_stack, 1)
    before = sum(buildium.state.counts.values())
    report = _serve(webhook_stack, kinesis_stream, "buildium")["property"]
    assert sum(buildium.state.counts.values()) == before + 1  # the unit by id: 404
    assert (report.deletes, report.published) == (1, 1)
    [event] = _events(kinesis_stream)
    assert (event.entity, event.source_id, event.op) == ("property", unit_id, "delete")


def test_a_delete_notice_of_a_record_still_there_publishes_the_record(
        webhook_stack: WebhookStack, kinesis_stream: str) -> None:
    """The PMS's answer decides, not the notice: a delete notice (a late one, a
    re-created record, a vendor's mistake) of a unit that exists republishes the unit,
    and a later delete of it is published, and forgotten by the snapshot, so that
    polling publishes it again if it comes back as it was."""
    buildium = webhook_stack.sandboxes["buildium"]
    _pull(webhook_stack, kinesis_stream, "buildium", "property", full=True)
    store, collection, key = buildium._first("acme", "property")
    unit_id = str(key)
    report = _pull(webhook_stack, kinesis_stream, "buildium", "property", full=False,
                   targets={"id": frozenset({unit_id})}, delete_ids={unit_id})
    assert (report.pulled, report.deletes, report.unchanged) == (1, 0, 1)
    with store.lock:  # gone, without a webhook of its own
        kept = store.records[collection].pop(key)
    report = _pull(webhook_stack, kinesis_stream, "buildium", "property", full=False,
                   targets={"id": frozenset({unit_id})}, delete_ids={unit_id})
    assert (report.pulled, report.deletes) == (0, 1)
    with store.lock:
        store.records[collection][key] = kept
    report = _pull(webhook_stack, kinesis_stream, "buildium", "property", full=True)
    assert report.published == 1, "a record back as it was before its delete stays deleted"


def test_reapit_archive_is_a_delete_read_by_id(webhook_stack: WebhookStack,
                                               kinesis_stream: str) -> None:
    reapit = webhook_stack.sandboxes["reapit"]
    tenancy_id = reapit.remove("harbour", "tenancy")  # archived: a `modified` notice
    _wait_for_notices(webhook_stack, 1)
    report = _serve(webhook_stack, kinesis_stream, "reapit")["tenancy"]
    assert (report.pulled, report.published) == (1, 1)
    [event] = _events(kinesis_stream)
    assert (event.source_id, event.op) == (tenancy_id, "delete")


@pytest.mark.parametrize("pms", ["buildium", "reapit"])
def test_webhook_path_publishes_what_polling_would(webhook_stack: WebhookStack,
                                                   kinesis_stream: str, pms: str) -> None:
    """After a churn step, every event the webhook path published is, id for id and
    content for content, the one an incremental pull of the same moment makes."""
    sandbox = webhook_stack.sandboxes[pms]
    entities = REGISTRY[pms].entities
    for entity in entities:
        _pull(webhook_stack, kinesis_stream, pms, entity, full=True)
    churned = datetime.now(timezone.utc)
    sandbox.churn_once()
    deadline = time.monotonic() + 15
    while sandbox.webhooks.counts["sent"] < sandbox.webhooks.counts["queued"] and (
            time.monotonic() < deadline):
        time.sleep(0.05)
    assert sandbox.webhooks.counts["queued"] > 0
    served = datetime.now(timezone.utc)
    reports = _serve(webhook_stack, kinesis_stream, pms)
    assert all(r.unaccounted == 0 and r.rejected == 0 for r in reports.values())
    polled = datetime.now(timezone.utc)
    with connect(webhook_stack.db_url) as conn:
        for entity in entities:  # polling as if the webhooks had not come
            watermarks.advance_watermark(conn, pms, AGENCY[pms], entity,
                                         churned, change_cursor=None)
        conn.commit()
    for entity in entities:
        _pull(webhook_stack, kinesis_stream, pms, entity, full=False, republish=True)
    events = _events(kinesis_stream)
    by_webhook = [e for e in events if served <= e.observed_at < polled]
    by_polling = {(e.entity, e.source_id, e.op): e for e in events if e.observed_at >= polled}
    assert by_webhook
    for event in by_webhook:
        if event.op == "upsert" or REGISTRY[pms].deletes == "signalled":
            twin = by_polling.get((event.entity, event.source_id, event.op))
            assert twin is not None, f"polling did not see {event.entity} {event.source_id}"
            assert (twin.data, twin.source_updated_at) == (event.data, event.source_updated_at)
