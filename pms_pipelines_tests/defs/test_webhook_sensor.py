"""The webhook sensor and its runs: notices of one agency become one targeted pull run
(the entities they name, tagged with the notices), none while a pull of the agency is
on its way, and the run's events reach Postgres through the consumer."""

from __future__ import annotations

import time

import pytest
from dagster import DagsterInstance, RunRequest, build_sensor_context

from pms_pipelines.db.connection import connect
from pms_pipelines.defs.resources import resources
from pms_pipelines.pulls import names
from pms_pipelines_tests.defs.pipeline_env import consume_until_caught_up
from pms_pipelines_tests.fixtures.webhooks import WebhookStack

pytestmark = pytest.mark.integration


def _requested(instance: DagsterInstance) -> list[RunRequest]:
    from pms_pipelines.definitions import defs

    sensor = defs.resolve_sensor_def("webhook_sensor")
    with build_sensor_context(instance=instance, resources=resources(),
                              definitions=defs) as context:
        result = sensor(context)
    return result if isinstance(result, list) else []


def test_notices_become_one_targeted_run_per_agency(
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
    assert _requested(instance) == []  # no partition yet: the agency sensor adds it first

    instance.add_dynamic_partitions("buildium_agencies", ["acme"])
    in_flight = instance.create_run_for_job(
        defs.resolve_job_def("buildium_pull_job"), tags={names.AGENCY_TAG: "buildium/acme"})
    assert _requested(instance) == []  # a pull of the agency is on its way
    instance.report_run_failed(in_flight)

    failed = instance.create_run_for_job(  # a webhook run of the agency failed just now
        defs.resolve_job_def("buildium_pull_job"),
        tags={names.AGENCY_TAG: "buildium/acme", names.MODE_TAG: "webhook"})
    instance.report_run_failed(failed)
    assert _requested(instance) == []  # its notices wait a minute: not a failure a tick
    instance.delete_run(failed.run_id)

    [request] = _requested(instance)
    assert request.partition_key == "acme" and request.run_key is None
    assert request.tags[names.MODE_TAG] == "webhook"
    assert request.tags[names.NOTICES_TAG].endswith("(2)")
    assert sorted(k.path[-1] for k in request.asset_selection) == ["tenancy", "tenant"]

    job = defs.resolve_job_def(request.job_name).get_subset(
        asset_selection=set(request.asset_selection), asset_check_selection=set())
    result = job.execute_in_process(
        run_config=request.run_config, partition_key="acme", instance=instance,
        tags=request.tags)
    assert result.success
    assert all(served for *_, served in webhook_stack.notices())
    assert _requested(instance) == []  # served: nothing more to ask for

    consume_until_caught_up(instance, webhook_stack.db_url, kinesis_stream)
    with connect(webhook_stack.db_url) as conn:
        rows = conn.execute(
            "SELECT 'tenancy', source_id FROM pms.tenancy UNION ALL "
            "SELECT 'tenant', source_id FROM pms.tenant").fetchall()
    assert sorted(rows) == [("tenancy", lease_id), ("tenant", tenant_id)]
