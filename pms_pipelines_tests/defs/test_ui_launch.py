"""A pull launched from the UI (a backfill, or Materialize on a partition), with none of
our sensors' config or tags, is a full re-pull of the agency and carries its tags."""

from __future__ import annotations

import pytest
from dagster import AssetKey, DagsterInstance

from pms_pipelines_tests.defs.pipeline_env import register_sandbox_agency

pytestmark = pytest.mark.integration


def test_a_pull_launched_without_config_is_full_and_tagged(
    buildium_sandbox, kinesis_stream, db_url, monkeypatch
) -> None:
    from pms_pipelines.definitions import defs

    agency = buildium_sandbox.agency_id
    register_sandbox_agency(monkeypatch, db_url, buildium_sandbox.base_url, agency,
                            buildium_sandbox.credentials)
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("buildium_agencies", [agency])
    result = defs.resolve_job_def("buildium_pull_job").execute_in_process(
        partition_key=agency, instance=instance)  # the launchpad's defaults, no tags
    assert result.success
    tags = instance.get_run_by_id(result.run_id).tags
    assert (tags["pms/agency"], tags["pms/mode"]) == (f"buildium/{agency}", "full")
    event = instance.get_latest_materialization_event(AssetKey(["buildium", "tenant"]))
    assert event.asset_materialization.metadata["mode"].value == "full"
