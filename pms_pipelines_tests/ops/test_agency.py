"""Register and disable agencies through the Dagster jobs and the command line; what the
agency sensor and the pull schedules then do."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from dagster import DagsterInstance, SensorResult, build_schedule_context, build_sensor_context

from pms_pipelines.db import agencies
from pms_pipelines.db.connection import connect
from pms_pipelines.defs.resources import resources
from pms_pipelines.ops.cli import main

pytestmark = pytest.mark.integration


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PMS_DATABASE_URL", db_url)
    monkeypatch.setenv("PMS_STREAM_NAME", "unused")
    return db_url


def _run(job_name: str, op_name: str, config: dict):  # noqa: ANN202
    from pms_pipelines.definitions import defs

    return defs.resolve_job_def(job_name).execute_in_process(
        run_config={"ops": {op_name: {"config": config}}},
        instance=DagsterInstance.ephemeral(), raise_on_error=False)


def _register_job(**config: object):  # noqa: ANN202
    return _run("ops_register_agency", "register_agency", {
        "pms": "buildium", "display_name": "Acme Lets", "credentials_ref": "env:PMS_CRED_ACME",
        "check": False, **config})


def _failure(result) -> str:  # noqa: ANN001
    event = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    return event.event_specific_data.error.message


def _sensor(instance: DagsterInstance):  # noqa: ANN202
    from pms_pipelines.definitions import defs

    sensor = defs.get_sensor_def("agency_registry_sensor")
    with build_sensor_context(instance=instance, resources=resources()) as context:
        return sensor(context)


def _full_pull_schedule(instance: DagsterInstance) -> list[str]:
    from pms_pipelines.definitions import defs

    schedule = next(s for s in defs.get_repository_def().schedule_defs
                    if s.name == "buildium_full_pull")
    with build_schedule_context(
        instance=instance, resources=resources(),
        scheduled_execution_time=datetime(2026, 11, 26, 2, tzinfo=UTC),
    ) as context:
        result = schedule(context)
    return sorted(r.partition_key for r in result) if isinstance(result, list) else []


def test_register_then_disable_changes_what_the_sensor_and_schedules_pull(
    env: str, tmp_path
) -> None:
    assert _register_job(agency_id="acme").success
    instance = DagsterInstance.local_temp(str(tmp_path))  # a schedule needs a real instance
    first = _sensor(instance)
    assert isinstance(first, SensorResult)
    assert [r.partition_keys for r in first.dynamic_partitions_requests] == [["acme"]]
    [pull] = first.run_requests
    assert (pull.partition_key, pull.run_config["ops"]["buildium_pull"]["config"]) == (
        "acme", {"full": True})
    instance.add_dynamic_partitions("buildium_agencies", ["acme"])
    assert _full_pull_schedule(instance) == ["acme"]

    assert _run("ops_set_agency_enabled", "set_agency_enabled",
                {"pms": "buildium", "agency_id": "acme", "enabled": False}).success
    assert _full_pull_schedule(instance) == []
    with connect(env) as conn:
        agency = agencies.get_agency(conn, "buildium", "acme")
    assert agency is not None and not agency.enabled
    assert _run("ops_set_agency_enabled", "set_agency_enabled",
                {"pms": "buildium", "agency_id": "acme", "enabled": True}).success
    assert _full_pull_schedule(instance) == ["acme"]


def test_the_jobs_refuse_unknown_pms_secrets_and_unregistered_agencies(env: str) -> None:
    unknown = _register_job(agency_id="acme", pms="yardi")
    assert not unknown.success and "unknown PMS 'yardi'" in _failure(unknown)
    secret = "sk_live_8f3a9d2e7c1b"
    pasted = _register_job(agency_id="acme", credentials_ref=secret)
    assert not pasted.success
    assert "not a secret" in _failure(pasted) and secret not in _failure(pasted)
    missing = _run("ops_set_agency_enabled", "set_agency_enabled",
                   {"pms": "buildium", "agency_id": "nobody", "enabled": False})
    assert not missing.success and "is not registered" in _failure(missing)
    with connect(env) as conn:
        assert agencies.list_agencies(conn, enabled_only=False) == []


def test_the_command_line_registers_disables_and_enables(
    env: str, capsys: pytest.CaptureFixture
) -> None:
    assert main(["register", "--pms", "buildium", "--agency", "acme", "--name", "Acme Lets",
                 "--credentials-ref", "secretsmanager:pms/buildium/acme", "--no-check"]) == 0
    assert "registered buildium/acme (Acme Lets): enabled" in capsys.readouterr().out
    assert main(["disable", "--pms", "buildium", "--agency", "acme",
                 "--dagster-url", "http://127.0.0.1:9"]) == 0
    captured = capsys.readouterr()
    assert "buildium/acme (Acme Lets): disabled" in captured.out
    # No webserver here: disabled all the same, and told what was not done.
    assert "its queued runs were not cancelled" in captured.err
    with connect(env) as conn:
        assert agencies.list_agencies(conn, pms="buildium") == []
    assert main(["enable", "--pms", "buildium", "--agency", "acme"]) == 0
    with connect(env) as conn:
        assert [a.agency_id for a in agencies.list_agencies(conn, pms="buildium")] == ["acme"]
    assert main(["disable", "--pms", "buildium", "--agency", "ghost",
                 "--dagster-url", "http://127.0.0.1:9"]) == 2
    assert "buildium/ghost is not registered" in capsys.readouterr().err
    assert main(["register", "--pms", "buildium", "--agency", "x", "--name", "X",
                 "--credentials-ref", "hunter2", "--no-check"]) == 2
    err = capsys.readouterr().err
    assert "not a secret" in err and "hunter2" not in err
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "replay" in capsys.readouterr().out


def test_the_module_runs_as_a_command() -> None:
    done = subprocess.run([sys.executable, "-m", "pms_pipelines.ops", "replay", "--help"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "--from {trim_horizon,timestamp,sequence_number}" in done.stdout


@pytest.fixture
def sandbox_env(env: str, buildium_sandbox, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001,ANN201
    """The Buildium sandbox as the PMS, and its agency's credentials under env:PMS_CRED_OK."""
    monkeypatch.setenv("PMS_BUILDIUM_BASE_URL", buildium_sandbox.base_url)
    for name, value in buildium_sandbox.credentials.items():
        monkeypatch.setenv(f"PMS_CRED_OK_{name.upper()}", value)
    monkeypatch.setenv("PMS_CRED_WRONG_CLIENT_ID", buildium_sandbox.credentials["client_id"])
    monkeypatch.setenv("PMS_CRED_WRONG_CLIENT_SECRET", "not-the-secret")
    monkeypatch.setenv("PMS_CRED_MISNAMED_CLIENTID", buildium_sandbox.credentials["client_id"])
    monkeypatch.setenv("PMS_CRED_MISNAMED_CLIENT_SECRET", "x")
    return buildium_sandbox


def _registered(db_url: str) -> list[str]:
    with connect(db_url) as conn:
        return [a.agency_id for a in agencies.list_agencies(conn, enabled_only=False)]


def test_register_tries_the_credentials_and_stores_nothing_that_would_fail(
    env: str, sandbox_env, tmp_path  # noqa: ANN001
) -> None:
    def register(agency_id: str, ref: str):  # noqa: ANN202
        return _register_job(agency_id=agency_id, credentials_ref=ref, check=True)

    refused = {
        "wrong secret": register("acme", "env:PMS_CRED_WRONG"),
        "misnamed fields": register("acme", "env:PMS_CRED_MISNAMED"),
        "missing file": register("acme", f"file:{tmp_path}/nowhere.json"),
        "bad id": register("Bad Agency/1", "env:PMS_CRED_OK"),
    }
    messages = {why: _failure(result) for why, result in refused.items()}
    assert not any(result.success for result in refused.values())
    assert "buildium refused the credentials 'env:PMS_CRED_WRONG'" in messages["wrong secret"]
    assert "401" in messages["wrong secret"] and "not-the-secret" not in messages["wrong secret"]
    assert "lack client_id" in messages["misnamed fields"]
    assert "cannot be used" in messages["missing file"]
    assert "'Bad Agency/1' cannot be a Dagster partition key" in messages["bad id"]
    assert "letters, digits" in messages["bad id"]
    assert _registered(env) == []

    assert register("acme", "env:PMS_CRED_OK").success
    assert _registered(env) == ["acme"]


def test_the_command_line_checks_the_same_way_and_can_skip_it(
    env: str, sandbox_env, capsys: pytest.CaptureFixture  # noqa: ANN001
) -> None:
    base = ["register", "--pms", "buildium", "--agency", "acme", "--name", "Acme"]
    assert main([*base, "--credentials-ref", "env:PMS_CRED_WRONG"]) == 2
    assert "buildium refused the credentials" in capsys.readouterr().err
    assert _registered(env) == []
    assert main([*base, "--credentials-ref", "env:PMS_CRED_WRONG", "--no-check"]) == 0
    assert _registered(env) == ["acme"]
    assert main([*base, "--credentials-ref", "env:PMS_CRED_OK"]) == 0
    assert "registered buildium/acme" in capsys.readouterr().out


def test_disabling_an_agency_cancels_its_queued_runs_only(
    env: str, tmp_path, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    from pms_pipelines.definitions import defs
    from pms_pipelines.integrations import REGISTRY
    from pms_pipelines.pulls import names
    from pms_pipelines_tests.defs.pipeline_env import add_submitted_run, local_instance

    assert _register_job(agency_id="acme").success
    assert _register_job(agency_id="other").success
    instance = local_instance(tmp_path, env, monkeypatch)
    try:
        job = defs.resolve_job_def("buildium_pull_job")
        buildium = REGISTRY["buildium"]
        acme = [add_submitted_run(instance, job, names.pull_run_tags(buildium, "acme", full=f))
                for f in (False, True)]
        other = add_submitted_run(instance, job, names.pull_run_tags(buildium, "other", full=False))
        result = defs.resolve_job_def("ops_set_agency_enabled").execute_in_process(
            run_config={"ops": {"set_agency_enabled": {"config": {
                "pms": "buildium", "agency_id": "acme", "enabled": False}}}},
            instance=instance)
        assert result.success
        status = {run_id: instance.get_run_by_id(run_id).status.value
                  for run_id in (*acme, other)}
        assert status == {acme[0]: "CANCELED", acme[1]: "CANCELED", other: "QUEUED"}
        logs = [e.user_message for e in instance.all_logs(result.run_id)]
        assert any(m.startswith("cancelled 2 queued run(s) of the agency") for m in logs)
    finally:
        instance.dispose()
