"""Pull schedules and the agency sensor: one run per enabled agency, new agencies pulled."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    SensorResult,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
)
from dagster._core.utils import make_new_run_id

from pms_pipelines.db import agencies
from pms_pipelines.db.connection import connect
from pms_pipelines.defs.resources import resources

pytestmark = pytest.mark.integration


def _register(db_url: str, *agency_ids: str, enabled: bool = True) -> None:
    with connect(db_url) as conn:
        for agency_id in agency_ids:
            agencies.register_agency(conn, "buildium", agency_id, display_name=agency_id,
                                     credentials_ref="env:PMS_CRED_X", enabled=enabled)
        conn.commit()


def _schedule(name: str):  # noqa: ANN202
    from pms_pipelines.definitions import defs

    return next(s for s in defs.get_repository_def().schedule_defs if s.name == name)


def test_agency_sensor_adds_partitions_and_first_full_pulls(db_url, monkeypatch) -> None:
    from pms_pipelines.definitions import defs

    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    monkeypatch.setenv("PMS_STREAM_NAME", "unused")
    _register(db_url, "a1", "a2")
    _register(db_url, "off", enabled=False)
    sensor = defs.get_sensor_def("agency_registry_sensor")
    instance = DagsterInstance.ephemeral()
    with build_sensor_context(instance=instance, resources=resources()) as context:
        result = sensor(context)
    assert isinstance(result, SensorResult)
    assert [r.partition_keys for r in result.dynamic_partitions_requests] == [["a1", "a2"]]
    assert sorted(r.partition_key for r in result.run_requests) == ["a1", "a2"]
    for request in result.run_requests:
        assert request.run_config["ops"]["buildium_pull"]["config"] == {"full": True}
        assert request.tags["pms/agency"] == f"buildium/{request.partition_key}"

    instance.add_dynamic_partitions("buildium_agencies", ["a1", "a2"])
    with build_sensor_context(instance=instance, resources=resources()) as context:
        again = sensor(context)
    assert not isinstance(again, SensorResult)  # nothing new: a skip


def test_incremental_schedule_keys_one_run_per_enabled_agency(db_url, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    monkeypatch.setenv("PMS_STREAM_NAME", "unused")
    _register(db_url, "a1", "a2")
    _register(db_url, "off", enabled=False)
    # A schedule context re-opens its instance from a reference: an ephemeral one has none.
    instance = DagsterInstance.local_temp(str(tmp_path))
    instance.add_dynamic_partitions("buildium_agencies", ["a1", "a2", "off"])
    tick = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    with build_schedule_context(
        instance=instance, scheduled_execution_time=tick, resources=resources()
    ) as context:
        requests = _schedule("buildium_incremental_pull")(context)
    assert sorted(r.partition_key for r in requests) == ["a1", "a2"]
    assert len({r.run_key for r in requests}) == 2
    assert all(r.run_config["ops"]["buildium_pull"]["config"] == {"full": False} for r in requests)


def test_incremental_schedule_skips_an_agency_with_a_pull_on_its_way(
    db_url, monkeypatch, tmp_path
) -> None:
    from pms_pipelines.definitions import defs
    from pms_pipelines.defs.agency_sensor import pull_run_request
    from pms_pipelines.integrations import REGISTRY

    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    monkeypatch.setenv("PMS_STREAM_NAME", "unused")
    _register(db_url, "a1", "a2")
    instance = DagsterInstance.local_temp(str(tmp_path))
    instance.add_dynamic_partitions("buildium_agencies", ["a1", "a2"])
    queued = pull_run_request(REGISTRY["buildium"], "a1", full=False)
    instance.create_run_for_job(
        defs.resolve_job_def("buildium_pull_job"), run_config=queued.run_config,
        tags={**queued.tags, "dagster/partition": "a1"},
    )
    with build_schedule_context(
        instance=instance, scheduled_execution_time=datetime(2026, 11, 26, 3, 2, tzinfo=UTC),
        resources=resources(),
    ) as context:
        assert [r.partition_key for r in _schedule("buildium_incremental_pull")(context)] == ["a2"]
        # The nightly full pull is never skipped: it queues behind the one on its way.
        full = _schedule("buildium_full_pull")(context)
        assert sorted(r.partition_key for r in full) == ["a1", "a2"]
        # A re-sync's backfill run (Dagster's asset job) holds its agency just the same.
        instance.add_run(DagsterRun(
            job_name="__ASSET_JOB", run_id=make_new_run_id(), status=DagsterRunStatus.STARTED,
            tags={"pms/agency": "buildium/a2", "dagster/partition": "a2"},
        ))
        skipped = _schedule("buildium_incremental_pull")(context)
        assert isinstance(skipped, SkipReason), skipped


def test_agency_fed_by_webhooks_is_polled_every_other_tick(db_url, monkeypatch,
                                                            tmp_path) -> None:
    from datetime import timedelta

    from pms_pipelines.db import watermarks, webhook_notices

    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    monkeypatch.setenv("PMS_STREAM_NAME", "unused")
    _register(db_url, "fed", "quiet")
    instance = DagsterInstance.local_temp(str(tmp_path))
    instance.add_dynamic_partitions("buildium_agencies", ["fed", "quiet"])
    now = datetime.now(UTC)
    with connect(db_url) as conn:
        for agency in ("fed", "quiet"):
            for entity in ("property", "landlord", "tenant", "tenancy"):
                watermarks.advance_watermark(conn, "buildium", agency, entity, now)
        conn.commit()
        webhook_notices.store_notice(
            conn, pms="buildium", agency_id="fed", dedupe_key="k", signature="s",
            event_name="Lease.Updated", body=b"{}",
            targets=[{"entity": "tenancy", "kind": "id", "ids": ["1"], "op": "upsert"}])

    def polled() -> list[str]:
        with build_schedule_context(instance=instance, scheduled_execution_time=now,
                                    resources=resources()) as context:
            return sorted(r.partition_key for r in _schedule("buildium_incremental_pull")(context))

    assert polled() == ["quiet"]  # polled a tick ago, its webhooks coming: not this tick
    with connect(db_url) as conn:  # the next tick: the last poll is two ticks old
        conn.execute("UPDATE ingest.pull_watermark SET updated_at = %s",
                     (now - timedelta(minutes=4),))
        conn.commit()
    assert polled() == ["fed", "quiet"]


def test_the_webhook_worker_on_its_way_does_not_hold_back_the_poll(db_url, monkeypatch,
                                                                    tmp_path) -> None:
    from pms_pipelines.definitions import defs

    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    monkeypatch.setenv("PMS_STREAM_NAME", "unused")
    _register(db_url, "a1")
    instance = DagsterInstance.local_temp(str(tmp_path))
    instance.add_dynamic_partitions("buildium_agencies", ["a1"])
    worker = defs.resolve_job_def("buildium_webhook_worker")
    instance.create_run_for_job(worker, tags=worker.tags)  # the webhook worker, queued
    with build_schedule_context(
        instance=instance, scheduled_execution_time=datetime(2026, 11, 26, 3, 2, tzinfo=UTC),
        resources=resources(),
    ) as context:
        assert [r.partition_key for r in _schedule("buildium_incremental_pull")(context)] == ["a1"]
