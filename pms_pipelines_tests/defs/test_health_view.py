"""The health view materialized by a real `health_checks` run: an agency the sandbox
refuses (wrong credentials) is failing with why, one that pulls is not, with the pull
counts the pull runs left in `ingest.pull_log`; its checks colour it by severity."""

from __future__ import annotations

import pytest
from dagster import AssetCheckSeverity, DagsterInstance

from pms_pipelines.db import agencies
from pms_pipelines.db.connection import connect
from pms_pipelines.defs.health_view import HEALTH_KEY, STREAM_CHECK, pms_check
from pms_pipelines_tests.defs.pipeline_env import (
    consume_until_caught_up,
    register_sandbox_agency,
    run_full_pull,
    run_health_checks,
)

pytestmark = pytest.mark.integration
WRONG = "wrong-credentials"


def _view(instance: DagsterInstance) -> tuple[dict, dict]:
    result = run_health_checks(instance)
    [materialization] = result.asset_materializations_for_node("on_call__health")
    metadata = {name: value.value for name, value in materialization.metadata.items()}
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()
              if e.asset_key == HEALTH_KEY}
    return metadata, checks


def test_a_failing_agency_is_red_and_one_that_pulls_is_not(
    buildium_sandbox, kinesis_stream, db_url, monkeypatch
) -> None:
    from pms_pipelines.integrations import REGISTRY

    good = buildium_sandbox.agency_id
    register_sandbox_agency(monkeypatch, db_url, buildium_sandbox.base_url, good,
                            buildium_sandbox.credentials)
    for field in buildium_sandbox.credentials:
        monkeypatch.setenv(f"PMS_CRED_WRONG_{field.upper()}", "not-the-secret")
    with connect(db_url) as conn:
        agencies.register_agency(conn, "buildium", WRONG, display_name="Wrong",
                                 credentials_ref="env:PMS_CRED_WRONG")
        conn.commit()
    instance = DagsterInstance.ephemeral()
    run_full_pull(instance, good)
    run_full_pull(instance, WRONG, succeeds=False)
    consume_until_caught_up(instance, db_url, kinesis_stream)

    metadata, checks = _view(instance)
    rows = {r.data["agency"]: r.data for r in metadata["agencies"].records}
    entities = len(REGISTRY["buildium"].entities)
    wrong = rows[WRONG]
    assert wrong["status"] == "🔴 failing", wrong
    assert "none succeeded since it was registered" in wrong["why"]
    assert "401" in wrong["why"], wrong["why"]
    assert (wrong["pulls_ok_24h"], wrong["pulls_failed_24h"]) == (0, entities)
    assert wrong["last_success_min"] is None
    # The fixture holds a property and a tenancy the mapping refuses: amber, not red.
    ok = rows[good]
    assert ok["status"] == "🟡 degraded" and "2 record(s) refused" in ok["why"], ok
    assert (ok["pulls_ok_24h"], ok["pulls_failed_24h"]) == (entities, 0)
    assert ok["records_per_s"] > 0 and ok["last_success_min"] < 5
    assert ok["dead_letters_24h"] == 2
    assert list(rows) == [WRONG, good]  # worst first
    assert metadata["buildium_failing"] == 1 and metadata["buildium_degraded"] == 1
    assert metadata["summary"].startswith("agencies: 🔴 1 failing, 🟡 1 degraded, 🟢 0 healthy")

    buildium = checks[pms_check("buildium")]
    assert not buildium.passed and buildium.severity == AssetCheckSeverity.ERROR
    assert f"{WRONG} 🔴 failing" in buildium.metadata["details"].value
    assert all(checks[pms_check(pms)].passed for pms in REGISTRY if pms != "buildium")
    assert checks[STREAM_CHECK].passed, checks[STREAM_CHECK].description

    # Disabled, the failing agency leaves the view: what is left is amber (WARN).
    with connect(db_url) as conn:
        agencies.set_agency_enabled(conn, "buildium", WRONG, False)
        conn.commit()
    metadata, checks = _view(instance)
    assert WRONG not in {r.data["agency"] for r in metadata["agencies"].records}
    buildium = checks[pms_check("buildium")]
    assert not buildium.passed and buildium.severity == AssetCheckSeverity.WARN
