"""The Definitions load, validate with Dagster's own command, and read as designed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey

from pms_pipelines.canonical import ENTITIES

def test_dagster_definitions_validate(tmp_path: Path) -> None:
    # Not from the repo root: there the command would pick up the local stack's
    # dagster.yaml, which needs the stack's Postgres.
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m",
         "pms_pipelines.definitions"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All code locations passed validation" in result.stdout + result.stderr


def test_lineage_reads_pull_to_stream_to_rds() -> None:
    from pms_pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    stream = AssetKey(["stream", "pms_events"])
    for entity in ENTITIES:
        pull = AssetKey(["buildium", entity])
        rds = AssetKey(["rds", entity])
        assert graph.get(pull).group_name == "buildium"
        assert pull in graph.get(stream).parent_keys
        assert stream in graph.get(rds).parent_keys
        assert graph.get(rds).group_name == "rds"
    assert graph.get(stream).group_name == "stream"


def test_sensors_and_schedules_start_running() -> None:
    from pms_pipelines.definitions import defs

    repo = defs.get_repository_def()
    names = {s.name for s in repo.sensor_defs} | {s.name for s in repo.schedule_defs}
    assert {"consumer_sensor", "agency_registry_sensor", "buildium_incremental_pull",
            "buildium_full_pull"} <= names
    for sensor in repo.sensor_defs:
        assert sensor.default_status.value == "RUNNING"
    for schedule in repo.schedule_defs:
        assert schedule.default_status.value == "RUNNING"


def test_jobs_bound_their_runtime() -> None:
    from pms_pipelines.definitions import defs

    for name in ("consume_shard", "buildium_pull_job"):
        assert int(defs.resolve_job_def(name).tags["dagster/max_runtime"]) > 0


def test_a_broken_integration_does_not_stop_the_others() -> None:
    from dagster import build_sensor_context

    from pms_pipelines.definitions import build_definitions
    from pms_pipelines.integrations.kit.registry import load_integrations

    registry, unavailable = load_integrations({
        "buildium": "pms_pipelines.integrations.buildium",
        "ghost": "pms_pipelines.integrations.ghost_that_does_not_exist",
    })
    assert list(registry) == ["buildium"]
    assert "ModuleNotFoundError" in unavailable["ghost"]
    defs = build_definitions(registry, unavailable)
    assert defs.resolve_job_def("buildium_pull_job")
    sensor = defs.get_sensor_def("ghost_unavailable")
    with pytest.raises(Exception, match="ghost failed to load: ModuleNotFoundError"):
        sensor(build_sensor_context())
