"""Re-sync an agency: the job (through the instance) and the CLI (through GraphQL) each
launch a backfill that a real `dagster dev` runs as a full pull of the agency's
partition from the Buildium sandbox, one pull of the agency at a time. Disabling the
agency through the CLI then cancels its queued runs through the same webserver."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from pms_pipelines.db import agencies
from pms_pipelines.db.connection import connect
from pms_pipelines.local_stack.stack import dagster_storage_url
from pms_pipelines.ops.cli import main
from pms_pipelines.ops.resync import FINISHED, GraphQL, GraphQLError, backfill_status
from pms_pipelines.integrations import REGISTRY
from pms_pipelines.pulls import names
from pms_pipelines_tests.defs.pipeline_env import add_submitted_run, register_sandbox_agency

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 300
RUNS_S = 300
_QUIET = {  # no sensor or schedule of this dagster dev launches anything during the test
    "PMS_CONSUMER_INTERVAL_S": "3600", "PMS_AGENCY_INTERVAL_S": "3600",
    "PMS_INCREMENTAL_CRON": "0 0 1 1 *", "PMS_FULL_CRON": "0 0 1 1 *",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dagster_dev(buildium_sandbox, kinesis_stream, db_url, tmp_path,
                monkeypatch) -> Iterator[tuple[str, DagsterInstance, str]]:
    """A `dagster dev` on the project (the repo's dagster.yaml: Postgres storage, run
    queue limits), with the sandbox agency registered and its partition known."""
    agency = buildium_sandbox.agency_id
    register_sandbox_agency(monkeypatch, db_url, buildium_sandbox.base_url, agency,
                            buildium_sandbox.credentials)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_URL", dagster_storage_url(db_url))
    for name, value in _QUIET.items():
        monkeypatch.setenv(name, value)
    instance = DagsterInstance.get()
    instance.add_dynamic_partitions("buildium_agencies", [agency])  # no first pull by the sensor
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "dagster_dev.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster", "dev", "-m", "pms_pipelines.definitions",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        _wait_until_loaded(url, process, tmp_path / "dagster_dev.log")
        yield url, instance, agency
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        instance.dispose()


def _wait_until_loaded(url: str, process: subprocess.Popen, log: Path) -> None:
    client = GraphQL(url, timeout_s=10)
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"dagster dev exited: {log.read_text()[-3000:]}")
        try:
            answer = client("{ repositoriesOrError { __typename "
                            "... on RepositoryConnection { nodes { name } } } }", {})
            if answer["repositoriesOrError"].get("nodes"):
                return
        except GraphQLError:
            pass
        time.sleep(2)
    raise AssertionError(f"dagster dev not up after {STARTUP_S}s: {log.read_text()[-3000:]}")


def _wait_for(url: str, backfill_id: str) -> str:
    client = GraphQL(url)
    deadline = time.monotonic() + RUNS_S
    while time.monotonic() < deadline:
        status = backfill_status(client, backfill_id)
        if status in FINISHED:
            return status
        time.sleep(2)
    raise AssertionError(f"backfill {backfill_id} not finished after {RUNS_S}s")


def test_the_job_and_the_cli_launch_full_pulls_one_at_a_time(
    dagster_dev, db_url: str, capsys: pytest.CaptureFixture
) -> None:
    from pms_pipelines.definitions import defs

    url, instance, agency = dagster_dev
    result = defs.resolve_job_def("ops_resync_agency").execute_in_process(
        run_config={"ops": {"resync_agency": {"config": {
            "pms": "buildium", "agency_ids": [agency]}}}}, instance=instance)
    assert result.success
    [by_job] = [b for b in instance.get_backfills() if b.tags.get("pms/ops") == "resync"]
    assert main(["resync", "--pms", "buildium", "--agency", agency, "--dagster-url", url,
                 "--wait"]) == 0
    captured = capsys.readouterr()
    by_cli = captured.out.split("backfill ")[1].split()[0]
    assert f"buildium/{agency}: COMPLETED_SUCCESS" in captured.out
    assert "finished: 100%" in captured.err  # the progress bar
    assert _wait_for(url, by_job.backfill_id) == "COMPLETED_SUCCESS"

    records = []
    for backfill_id in (by_job.backfill_id, by_cli):
        [record] = instance.get_run_records(RunsFilter(tags={"dagster/backfill": backfill_id}))
        run = record.dagster_run
        assert run.status == DagsterRunStatus.SUCCESS
        assert run.tags["dagster/partition"] == agency
        assert run.tags["pms/agency"] == f"buildium/{agency}"  # the queue's per-agency limit
        assert run.tags["pms/mode"] == "full"
        assert run.run_config["ops"]["buildium_pull"]["config"] == {"full": True,
                                                                    "republish": True}
        assert set(run.asset_selection or ()) == {
            key for key in defs.resolve_asset_graph().get_all_asset_keys()
            if key.path[0] == "buildium"}
        records.append(record)
    first, second = sorted(records, key=lambda r: r.start_time)
    assert first.end_time <= second.start_time  # one pull of the agency at a time
    with connect(db_url) as conn:
        snapshot = conn.execute("SELECT count(DISTINCT entity) FROM ingest.pull_snapshot "
                                "WHERE pms = 'buildium' AND agency_id = %s", (agency,)).fetchone()
    assert snapshot[0] == 4  # what only a full pull writes, for every entity

    # Disable through the CLI: the agency's queued runs are cancelled by the webserver.
    # They wait behind a run of the agency marked started (the queue's per-agency limit
    # of one), so the daemon of this dagster dev does not launch them meanwhile.
    job = defs.resolve_job_def("buildium_pull_job")
    tags = names.pull_run_tags(REGISTRY["buildium"], agency, full=False)
    add_submitted_run(instance, job, tags, status=DagsterRunStatus.STARTED)
    waiting = [add_submitted_run(instance, job, tags) for _ in range(2)]
    assert main(["disable", "--pms", "buildium", "--agency", agency,
                 "--dagster-url", url]) == 0
    assert "cancelled 2 queued run(s)" in capsys.readouterr().out
    assert {instance.get_run_by_id(r).status for r in waiting} == {DagsterRunStatus.CANCELED}


def test_a_resync_of_a_disabled_or_unknown_agency_is_refused(db_url, monkeypatch,
                                                             capsys) -> None:
    from pms_pipelines.definitions import defs

    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    monkeypatch.setenv("PMS_STREAM_NAME", "unused")
    with connect(db_url) as conn:
        agencies.register_agency(conn, "buildium", "off", display_name="Off",
                                 credentials_ref="env:PMS_CRED_OFF", enabled=False)
        conn.commit()
    instance = DagsterInstance.ephemeral()
    job = defs.resolve_job_def("ops_resync_agency")
    for agency_id, reason in (("off", "is disabled"), ("ghost", "is not registered")):
        result = job.execute_in_process(
            run_config={"ops": {"resync_agency": {"config": {
                "pms": "buildium", "agency_ids": [agency_id]}}}},
            instance=instance, raise_on_error=False)
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        assert reason in failure.event_specific_data.error.message
    assert instance.get_backfills() == []
    # The CLI checks the registry before it calls the webserver (none runs here).
    assert main(["resync", "--pms", "buildium", "--agency", "off",
                 "--dagster-url", "http://127.0.0.1:9"]) == 2
    assert "buildium/off is disabled" in capsys.readouterr().err
    with connect(db_url) as conn:
        agencies.set_agency_enabled(conn, "buildium", "off", True)
        conn.commit()
    assert main(["resync", "--pms", "buildium", "--agency", "off",
                 "--dagster-url", "http://127.0.0.1:9"]) == 2
    assert "cannot reach the Dagster webserver" in capsys.readouterr().err
