"""Scenario 12: webhooks dropped. The sandboxes of the PMSs with webhooks churn for
several rounds while dropping a third of their notices (vendors do not guarantee
delivery); notices that do arrive are served by targeted pulls as the webhook sensor's
runs serve them, incremental polls run every other round and the nightly full pulls at
the end, as the schedules run them. Then every record the vendor holds is in Postgres
with its latest content, and nothing it removed is shown as live: polling catches what
the webhooks lost."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from pms_pipelines.aws import kinesis_client
from pms_pipelines.canonical import Event
from pms_pipelines.db.connection import connect
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.kit import PullRequest
from pms_pipelines.pulls.pull_and_publish import pull_and_publish
from pms_pipelines_tests.fixtures.webhooks import WebhookStack
from pms_pipelines_tests.reliability import figures
from pms_pipelines_tests.reliability.common import drain, read_everything, table_rows

pytestmark = pytest.mark.integration
AGENCY = {"buildium": "acme", "reapit": "harbour"}
ROUNDS = 6
DROP_RATE = 0.33


def _pull(stack: WebhookStack, stream: str, pms: str, entity: str, **how) -> None:  # noqa: ANN003
    with connect(stack.db_url) as conn:
        pull_and_publish(REGISTRY[pms], agency_id=AGENCY[pms], entity=entity,
                         credentials=stack.credentials[pms],
                         base_url=stack.sandboxes[pms].base_url, conn=conn,
                         kinesis=kinesis_client(), stream=stream, **how)


def _settle(outbox) -> None:  # noqa: ANN001
    deadline = time.monotonic() + 20
    while (outbox.counts["sent"] + outbox.counts["dropped"] + outbox.counts["given up"]
           < outbox.counts["queued"]) and time.monotonic() < deadline:
        time.sleep(0.05)


def _serve_notices(stack: WebhookStack, stream: str, pms: str) -> int:
    return stack.serve_due(stream, pms, run_id="reliability").served


def _vendor_truth(stack: WebhookStack, pms: str) -> dict[tuple[str, str], str]:
    """(entity, id) -> event id of each live record, as a clean read of the vendor maps
    it now."""
    integration = REGISTRY[pms]
    truth = {}
    for entity in integration.entities:
        request = PullRequest(agency_id=AGENCY[pms], entity=entity,
                              base_url=stack.sandboxes[pms].base_url,
                              credentials=dict(stack.credentials[pms]), since=None,
                              observed_at=datetime.now(timezone.utc))
        for item in integration.pull(request):
            if isinstance(item, Event) and item.op == "upsert":
                truth[(entity, item.source_id)] = item.event_id
    return truth


@pytest.mark.parametrize("pms", ["buildium", "reapit"])
def test_dropped_webhooks_lose_nothing_while_polling_continues(
        webhook_stack: WebhookStack, kinesis_stream: str, pms: str) -> None:
    sandbox = webhook_stack.sandboxes[pms]
    entities = REGISTRY[pms].entities
    for entity in entities:
        _pull(webhook_stack, kinesis_stream, pms, entity, full=True)
    sandbox.webhooks.drop_rate = DROP_RATE
    served = 0
    for round_ in range(ROUNDS):
        sandbox.churn_once()
        _settle(sandbox.webhooks)
        served += _serve_notices(webhook_stack, kinesis_stream, pms)
        if round_ % 2 == 1:
            for entity in entities:
                _pull(webhook_stack, kinesis_stream, pms, entity, full=False)
    for _ in range(2):  # the nightly full pulls: a record two of them miss is deleted
        for entity in entities:
            _pull(webhook_stack, kinesis_stream, pms, entity, full=True)
    drained = drain(kinesis_client(), webhook_stack.db_url, kinesis_stream)
    counts = sandbox.webhooks.counts

    truth = _vendor_truth(webhook_stack, pms)
    rows = {(entity, source_id): (event_id, deleted) for (entity, source, _, source_id),
            (_, event_id, deleted) in table_rows(webhook_stack.db_url).items()
            if source == pms}
    lost = sorted(k for k, event_id in truth.items() if rows.get(k) != (event_id, False))
    stale = sorted(k for k, (_, deleted) in rows.items() if not deleted and k not in truth)
    applied_twice = sum(c - 1 for c in drained.loaded_ids.values() if c > 1)
    figures.record(f"12 webhooks dropped: {pms}", events=len(read_everything(
        kinesis_client(), kinesis_stream)), faults=counts["dropped"], lost=len(lost),
        duplicated=applied_twice, dead_lettered=drained.rejected,
        note=f"{counts['queued']} notices, {counts['dropped']} dropped, {served} served")
    assert counts["dropped"] > 0 and served > 0
    assert lost == [], f"records not at the vendor's latest content: {lost[:10]}"
    assert stale == [], f"records the vendor removed still live: {stale[:10]}"
    assert applied_twice == 0, "an event was applied twice"
