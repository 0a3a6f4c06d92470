"""The daily purge deletes finished runs older than the retention, with their event
logs, and never a run that has not finished."""

from __future__ import annotations

from dagster import DagsterInstance, DagsterRunStatus, job, op

from pms_pipelines.defs.run_purge import purge_old_runs


@op
def noop() -> None:
    pass


@job
def routine() -> None:
    noop()


def _purge(instance: DagsterInstance, keep_days: float) -> None:
    result = purge_old_runs.execute_in_process(
        run_config={"ops": {"delete_old_runs": {"config": {"keep_days": keep_days}}}},
        instance=instance)
    assert result.success


def test_finished_runs_past_the_retention_go_with_their_logs() -> None:
    instance = DagsterInstance.ephemeral()
    finished = [routine.execute_in_process(instance=instance).run_id for _ in range(3)]
    queued = instance.create_run_for_job(routine, run_config={}).run_id
    assert instance.get_run_by_id(queued).status == DagsterRunStatus.NOT_STARTED

    _purge(instance, keep_days=1)  # every run is younger than a day: all stay
    assert all(instance.get_run_by_id(run_id) for run_id in [*finished, queued])

    _purge(instance, keep_days=0)
    assert [instance.get_run_by_id(run_id) for run_id in finished] == [None] * 3
    assert all(not instance.all_logs(run_id) for run_id in finished)
    assert instance.get_run_by_id(queued) is not None  # not finished: never deleted
    # The purge runs themselves: the first is finished and old enough, so gone too.
    left = {r.job_name for r in instance.get_runs()}
    assert left == {"routine", "purge_old_runs"}
