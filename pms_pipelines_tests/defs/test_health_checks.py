"""The health_checks job evaluated by Dagster against the pipeline's real state: pass,
warn and fail results with their metadata, on the assets they are about."""

from __future__ import annotations

import pytest
from dagster import AssetCheckSeverity, DagsterInstance

from pms_pipelines.aws import kinesis_client
from pms_pipelines.canonical import ENTITIES
from pms_pipelines.db.connection import connect
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.records import OutgoingRecord
from pms_pipelines_tests.defs.pipeline_env import (
    consume_until_caught_up,
    register_sandbox_agency,
    run_full_pull,
    run_health_checks,
)

pytestmark = pytest.mark.integration
WARN, ERROR = AssetCheckSeverity.WARN, AssetCheckSeverity.ERROR


def _evaluate(instance: DagsterInstance) -> dict:
    return {(e.asset_key.to_user_string(), e.check_name): e
            for e in run_health_checks(instance).get_asset_check_evaluations()}


def _meta(evaluation) -> dict:  # noqa: ANN001
    return {name: value.value for name, value in evaluation.metadata.items()}


def test_health_checks_pass_warn_and_fail(
    buildium_sandbox, kinesis_stream, db_url, monkeypatch
) -> None:
    from pms_pipelines.integrations import REGISTRY

    agency = buildium_sandbox.agency_id
    register_sandbox_agency(monkeypatch, db_url, buildium_sandbox.base_url, agency,
                            buildium_sandbox.credentials)
    monkeypatch.setenv("PMS_INTEGRITY_GRACE_S", "0")
    instance = DagsterInstance.ephemeral()
    run_full_pull(instance, agency)
    consume_until_caught_up(instance, db_url, kinesis_stream)

    first = _evaluate(instance)
    from pms_pipelines.defs.health_checks import notified_entities

    health_view_checks = len(REGISTRY) + 1  # one per PMS and the stream's
    assert len(first) == sum(2 * len(i.entities) + len(notified_entities(i))
                             for i in REGISTRY.values()) + 3 + 2 + health_view_checks
    # No agency registered with a webhook account: nothing for webhooks_flowing to judge.
    flowing = first[("buildium/tenancy", "webhooks_flowing")]
    assert flowing.passed and _meta(flowing)["agencies"] == 0
    for entity in ENTITIES:
        fresh = first[(f"buildium/{entity}", "pull_fresh")]
        assert fresh.passed and _meta(fresh)["agencies"] == 1
    for name in ("consumer_lag", "retention_gap", "no_new_dead_letters"):
        assert first[("stream/pms_events", name)].passed, name
    for table in ("tenancy", "property"):
        assert first[(f"rds/{table}", "references_resolve")].passed
    # The fixture holds a property and a tenancy the mapping refuses.
    refused = first[("buildium/property", "no_new_dead_letters")]
    assert not refused.passed and refused.severity == WARN
    assert _meta(refused)["new_dead_letters"] == 1
    assert f"buildium/{agency}/property/205:" in _meta(refused)["examples"]
    assert first[("buildium/tenant", "no_new_dead_letters")].passed

    second = _evaluate(instance)  # the cursor comes from the last evaluation
    assert second[("buildium/property", "no_new_dead_letters")].passed
    assert _meta(second[("buildium/property", "no_new_dead_letters")])["pending_dead_letters"] == 1

    # A record the consumer cannot use, not consumed yet: the stream is behind.
    publish_records(kinesis_client(), kinesis_stream,
                    [OutgoingRecord("buildium/x/tenant/1", b"not an event")])
    monkeypatch.setenv("PMS_LAG_WARN_S", "0")
    lag = _evaluate(instance)[("stream/pms_events", "consumer_lag")]
    assert not lag.passed and lag.severity == WARN
    assert _meta(lag)["shards_behind"] == 1 and _meta(lag)["warn_s"] == 0
    monkeypatch.setenv("PMS_LAG_ERROR_S", "0")
    lag = _evaluate(instance)[("stream/pms_events", "consumer_lag")]
    assert not lag.passed and lag.severity == ERROR and _meta(lag)["shards_over_error"] == 1

    consume_until_caught_up(instance, db_url, kinesis_stream)
    with connect(db_url) as conn:  # a property that "never arrived"
        conn.execute("DELETE FROM pms.property WHERE source_id = '201'")
        conn.commit()
    monkeypatch.setenv("PMS_PULL_FRESHNESS_S", "0")
    failing = _evaluate(instance)
    assert failing[("stream/pms_events", "consumer_lag")].passed
    letters = failing[("stream/pms_events", "no_new_dead_letters")]
    assert not letters.passed and letters.severity == ERROR
    assert _meta(letters)["new_dead_letters"] == 1
    assert "not an event" not in str(_meta(letters))
    late = failing[("buildium/tenant", "pull_fresh")]
    assert not late.passed and late.severity == ERROR
    assert _meta(late)["late"].startswith(f"{agency}: last success 20")
    dangling = failing[("rds/tenancy", "references_resolve")]
    assert not dangling.passed and dangling.severity == WARN
    assert _meta(dangling)["dangling_tenancy_property"] >= 1
    assert "-> property 201" in _meta(dangling)["examples_tenancy_property"]


def test_every_check_is_evaluated_by_one_job() -> None:
    """Health checks run in `health_checks` on a schedule; the lake's in its compaction
    run; pull and consume runs carry none (a check per shard run would be noise)."""
    from pms_pipelines.definitions import defs
    from pms_pipelines.defs.lake_assets import LAKE_JOB

    graph = defs.resolve_asset_graph()
    checks = set(graph.asset_check_keys)
    health = set(defs.resolve_job_def("health_checks").asset_layer.asset_graph.asset_check_keys)
    lake = set(defs.resolve_job_def(LAKE_JOB).asset_layer.asset_graph.asset_check_keys)
    assert health | lake == checks and not health & lake
    assert {k.asset_key.path[0] for k in lake} == {"lake"}
    assert {(k.asset_key.to_user_string(), k.name) for k in health} >= {
        ("buildium/tenant", "pull_fresh"), ("buildium/tenant", "no_new_dead_letters"),
        ("stream/pms_events", "consumer_lag"), ("stream/pms_events", "retention_gap"),
        ("stream/pms_events", "no_new_dead_letters"), ("rds/tenancy", "references_resolve"),
        ("rds/property", "references_resolve")}
    for job in ("buildium_pull_job", "consume_shard"):
        assert not defs.resolve_job_def(job).asset_layer.asset_graph.asset_check_keys, job
    schedule = defs.get_schedule_def("health_checks_schedule")
    assert schedule.job_name == "health_checks"
    assert schedule.default_status.value == "RUNNING"


def test_the_schedule_skips_a_tick_while_a_health_run_is_still_waiting(monkeypatch) -> None:
    monkeypatch.setenv("PMS_DATABASE_URL", "postgresql://unused")  # the job's resources
    monkeypatch.setenv("PMS_STREAM_NAME", "unused")
    from dagster import DagsterRunStatus, RunRequest, build_schedule_context, instance_for_test

    from pms_pipelines.definitions import defs

    schedule = defs.get_schedule_def("health_checks_schedule")
    with instance_for_test() as instance:  # a stored instance: the tick reopens it by ref
        [request] = list(schedule.evaluate_tick(build_schedule_context(instance=instance))
                         .run_requests)
        assert isinstance(request, RunRequest)

        job = defs.resolve_job_def("health_checks")
        waiting = instance.create_run_for_job(job, status=DagsterRunStatus.NOT_STARTED)
        result = schedule.evaluate_tick(build_schedule_context(instance=instance))
        assert not result.run_requests
        assert f"{waiting.run_id[:8]} is still not_started" in result.skip_message

        instance.report_run_canceled(instance.get_run_by_id(waiting.run_id))
        assert schedule.evaluate_tick(build_schedule_context(instance=instance)).run_requests
