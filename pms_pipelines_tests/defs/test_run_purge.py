"""The daily purge deletes finished runs older than the retention, with their event
logs, and never a run that has not finished; and the pull log's rows as old."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance, DagsterRunStatus, job, op

from pms_pipelines.db.connection import connect
from pms_pipelines.db.pull_log import PullOutcome, record_pull
from pms_pipelines.definitions import defs
from pms_pipelines.defs.run_purge import PURGE_JOB

pytestmark = pytest.mark.integration


@op
def noop() -> None:
    pass


@job
def routine() -> None:
    noop()


def _purge(instance: DagsterInstance, keep_days: float) -> None:
    result = defs.resolve_job_def(PURGE_JOB).execute_in_process(
        run_config={"ops": {"delete_old_runs": {"config": {"keep_days": keep_days}}}},
        instance=instance)
    assert result.success


def test_finished_runs_past_the_retention_go_with_their_logs(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    with connect(db_url) as conn:
        for agency in ("old", "new"):
            record_pull(conn, PullOutcome("buildium", agency, "property", "full", 1.0, True))
        conn.execute("UPDATE ingest.pull_log SET finished_at = now() - interval '2 days' "
                     "WHERE agency_id = 'old'")
        conn.commit()
    instance = DagsterInstance.ephemeral()
    finished = [routine.execute_in_process(instance=instance).run_id for _ in range(3)]
    queued = instance.create_run_for_job(routine, run_config={}).run_id
    assert instance.get_run_by_id(queued).status == DagsterRunStatus.NOT_STARTED

    _purge(instance, keep_days=1)  # every run is younger than a day: all stay
    assert all(instance.get_run_by_id(run_id) for run_id in [*finished, queued])

    with connect(db_url) as conn:
        assert conn.execute("SELECT agency_id FROM ingest.pull_log").fetchall() == [("new",)]

    _purge(instance, keep_days=0)
    assert [instance.get_run_by_id(run_id) for run_id in finished] == [None] * 3
    assert all(not instance.all_logs(run_id) for run_id in finished)
    assert instance.get_run_by_id(queued) is not None  # not finished: never deleted
    # The purge runs themselves: the first is finished and old enough, so gone too.
    left = {r.job_name for r in instance.get_runs()}
    assert left == {"routine", "purge_old_runs"}
