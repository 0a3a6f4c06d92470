"""The run queue takes a person's operation first, then consume runs, then webhook
workers, then scheduled pulls: Dagster's own dequeue order over runs queued with the
tags our sensors, schedules and jobs give them, under the local dagster.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus
from dagster._core.remote_origin import (
    GrpcServerCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.utils import make_new_run_id

# Private: the queue daemon's own choice of which queued runs to start next, asked
# without a workspace to launch them in (this test fails loudly if Dagster renames it).
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
    QueuedRunCoordinatorDaemon,
)

from pms_pipelines.defs import run_priority
from pms_pipelines.defs.consume_assets import SHARD_TAG
from pms_pipelines.local_stack.stack import dagster_storage_url
from pms_pipelines.pulls import names

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def test_an_operator_job_starts_ahead_of_queued_pulls(tmp_path, db_url, monkeypatch) -> None:
    from pms_pipelines.definitions import defs
    from pms_pipelines.integrations import REGISTRY

    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", dagster_storage_url(db_url))
    monkeypatch.setenv("PMS_DATABASE_URL", db_url)  # the jobs' resources, for run config
    monkeypatch.setenv("PMS_STREAM_NAME", "priority-test")
    instance = DagsterInstance.from_config(str(tmp_path))
    try:
        def queue(job_name: str, tags: dict[str, str], run_config: dict | None = None) -> str:
            job = defs.resolve_job_def(job_name)
            # As the UI and the daemon submit it: the job's own tags, then the request's.
            # A queued run names the code location it comes from: the gRPC code server of
            # production's workspace (deploy/workspace.prod.yaml).
            run = DagsterRun(job_name=job.name, run_id=make_new_run_id(),
                             run_config=run_config or {}, tags={**job.tags, **tags},
                             status=DagsterRunStatus.QUEUED,
                             remote_job_origin=RemoteJobOrigin(
                                 repository_origin=RemoteRepositoryOrigin(
                                     code_location_origin=GrpcServerCodeLocationOrigin(
                                         host="code.dagster.internal", port=4000,
                                         location_name="pms_pipelines"),
                                     repository_name="__repository__"),
                                 job_name=job.name))
            instance.add_run(run)
            return run.run_id

        buildium = REGISTRY["buildium"]
        pulls = [queue("buildium_pull_job", names.pull_run_tags(buildium, f"a{i}", full=False))
                 for i in range(3)]
        consume = queue("consume_shard", {SHARD_TAG: "shardId-000000000000",
                                          run_priority.PRIORITY_TAG: run_priority.CONSUME})
        operator = queue("ops_replay_stream", {}, {
            "ops": {"replay_stream": {"config": {"start": "TRIM_HORIZON"}}}})

        daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
        order = [run.run_id for run in daemon._get_runs_to_dequeue(
            instance, instance.get_concurrency_config(), fixed_iteration_time=None)]
        assert order[:2] == [operator, consume]
        assert set(order[2:]) <= set(pulls) and order[2:]
        assert instance.get_run_by_id(operator).tags[run_priority.PRIORITY_TAG] == "20"
    finally:
        instance.dispose()
