"""The run queue takes a person's operation first, then consume runs, then webhook
workers, then scheduled pulls: Dagster's own dequeue order over runs queued with the
tags our sensors, schedules and jobs give them, under the local dagster.yaml."""

from __future__ import annotations

import pytest

# Private: the queue daemon's own choice of which queued runs to start next, asked
# without a workspace to launch them in (this test fails loudly if Dagster renames it).
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
    QueuedRunCoordinatorDaemon,
)

from pms_pipelines.defs import run_priority
from pms_pipelines.defs.consume_assets import SHARD_TAG
from pms_pipelines.pulls import names
from pms_pipelines_tests.defs.pipeline_env import add_submitted_run, local_instance

pytestmark = pytest.mark.integration


def test_an_operator_job_starts_ahead_of_queued_pulls(tmp_path, db_url, monkeypatch) -> None:
    from pms_pipelines.definitions import defs
    from pms_pipelines.integrations import REGISTRY

    monkeypatch.setenv("PMS_DATABASE_URL", db_url)  # the jobs' resources, for run config
    monkeypatch.setenv("PMS_STREAM_NAME", "priority-test")
    instance = local_instance(tmp_path, db_url, monkeypatch)
    try:
        def queue(job_name: str, tags: dict[str, str], run_config: dict | None = None) -> str:
            return add_submitted_run(instance, defs.resolve_job_def(job_name), tags, run_config)

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
