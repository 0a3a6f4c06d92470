"""The webhook sensor and the webhook worker: due notices of a PMS start its worker (none
while one is on its way, nor a minute after one failed); the worker's targeted pulls
are recorded on the pull assets, its run tagged with the notices it served, and their
events reach Postgres through the consumer."""

from __future__ import annotations

import time

import pytest
from dagster import AssetKey, DagsterInstance, RunRequest, build_sensor_context

from pms_pipelines.db.connection import connect
from pms_pipelines.defs.resources import resources
from pms_pipelines.pulls import names
from pms_pipelines_tests.defs.pipeline_env import consume_until_caught_up
from pms_pipelines_tests.fixtures.webhooks import WebhookStack

pytestmark = pytest.mark.integration
SERVE_DUE_ONCE = {"ops": {"buildium_serve_webhooks": {"config": {"linger_s": 0}}}}


def _requested(instance: DagsterInstance) -> list[RunRequest]:
    from pms_pipelines.definitions import defs

    sensor = defs.resolve_sensor_def("webhook_sensor")
    with build_sensor_context(instance=instance, resources=resources(),
                              definitions=defs) as context:
        result = sensor(context)
    return result if isinstance(result, list) else []


def test_due_notices_start_the_worker_which_serves_them(
        webhook_stack: WebhookStack, kinesis_stream: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pms_pipelines.definitions import defs

    monkeypatch.setenv("PMS_DATABASE_URL", webhook_stack.db_url)
    instance = DagsterInstance.ephemeral()
    buildium = webhook_stack.sandboxes["buildium"]
    lease_id = buildium.touch("acme", "tenancy")
    tenant_id = buildium.touch("acme", "tenant")
    deadline = time.monotonic() + 10
    while len(webhook_stack.notices()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    worker = defs.resolve_job_def("buildium_webhook_worker")

    in_flight = instance.create_run_for_job(worker, tags=worker.tags)
    assert _requested(instance) == []  # the worker is on its way: it serves them
    instance.report_run_failed(in_flight)
    assert _requested(instance) == []  # it failed just now: a minute, not a tick
    instance.delete_run(in_flight.run_id)

    [request] = _requested(instance)
    assert request.job_name == "buildium_webhook_worker" and request.run_key is None
    assert worker.tags[names.MODE_TAG] == names.WEBHOOK_MODE

    # No partition yet (the agency sensor adds it first): the notices wait.
    assert worker.execute_in_process(run_config=SERVE_DUE_ONCE, instance=instance).success
    assert not any(served for *_, served in webhook_stack.notices())

    instance.add_dynamic_partitions("buildium_agencies", ["acme"])
    result = worker.execute_in_process(run_config=SERVE_DUE_ONCE, instance=instance)
    assert result.success
    assert all(served for *_, served in webhook_stack.notices())
    assert instance.get_run_by_id(result.run_id).tags[names.NOTICES_TAG].endswith("(2)")
    for entity in ("tenancy", "tenant"):
        materialization = instance.get_latest_materialization_event(
            AssetKey(["buildium", entity])).asset_materialization
        assert materialization.partition == "acme"
        assert materialization.metadata["mode"].value == names.WEBHOOK_MODE
        assert materialization.metadata["published"].value == 1
    assert _requested(instance) == []  # served: nothing more to ask for

    consume_until_caught_up(instance, webhook_stack.db_url, kinesis_stream)
    with connect(webhook_stack.db_url) as conn:
        rows = conn.execute(
            "SELECT 'tenancy', source_id FROM pms.tenancy UNION ALL "
            "SELECT 'tenant', source_id FROM pms.tenant").fetchall()
    assert sorted(rows) == [("tenancy", lease_id), ("tenant", tenant_id)]
