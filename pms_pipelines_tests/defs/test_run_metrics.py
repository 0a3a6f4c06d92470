"""A pull and a consume on the local stack write their CloudWatch metrics as EMF lines
in their output, with the values the runs' own records say (metrics/names.py)."""

from __future__ import annotations

from collections import Counter

import pytest
import requests
from dagster import DagsterInstance

from pms_pipelines.db.connection import connect
from pms_pipelines.metrics import names
from pms_pipelines.metrics.emf import parse
from pms_pipelines_tests.defs.pipeline_env import (
    consume_until_caught_up,
    register_sandbox_agency,
    run_full_pull,
)

pytestmark = pytest.mark.integration


def _sum(docs: list[dict], metric: names.Metric, **dims: str) -> float:
    return sum(d[metric.name] for d in docs
               if metric.name in d and all(d.get(k) == v for k, v in dims.items()))


def test_a_pull_and_a_consume_emit_their_counts_as_emf(
    buildium_sandbox, kinesis_stream, db_url, monkeypatch, capfd
) -> None:
    register_sandbox_agency(monkeypatch, db_url, buildium_sandbox.base_url,
                            buildium_sandbox.agency_id, buildium_sandbox.credentials)
    instance = DagsterInstance.ephemeral()
    sandbox = buildium_sandbox.sandbox
    before = Counter(sandbox.state.counts)
    faults = requests.post(f"{buildium_sandbox.base_url}/_sandbox/faults",
                           json={"p5xx": 0.2}, timeout=5)
    assert faults.status_code == 200
    try:
        run_full_pull(instance, buildium_sandbox.agency_id)
    finally:
        requests.post(f"{buildium_sandbox.base_url}/_sandbox/faults", json={"p5xx": 0},
                      timeout=5)
    answered = Counter(sandbox.state.counts) - before
    pulled = parse(capfd.readouterr().out.splitlines())

    pms = {"PMS": "buildium"}
    entities = ("property", "landlord", "tenant", "tenancy")
    for entity in entities:
        [line] = [d for d in pulled if d.get("Entity") == entity]
        assert line["PullsSucceeded"] == 1.0 and line["PullsFailed"] == 0.0
        assert line["agency_id"] == buildium_sandbox.agency_id and line["mode"] == "full"
        assert line["RecordsPublished"] + line["RecordsRejected"] <= line["RecordsPulled"]
    # The fixture's properties: 5 read, one of them unusable (test_run_metadata.py).
    assert (_sum(pulled, names.RECORDS_PULLED, Entity="property", **pms),
            _sum(pulled, names.RECORDS_REJECTED, Entity="property", **pms)) == (5, 1)
    # Every error answer the sandbox gave, retried or not, by status.
    errors = {s: n for s, n in answered.items() if int(s) >= 400}
    assert errors, "the sandbox answered no error: the fault setting did not take"
    assert {s: _sum(pulled, names.VENDOR_ERRORS, Status=s, **pms) for s in errors} == errors

    consume_until_caught_up(instance, db_url, kinesis_stream)
    consumed = parse(capfd.readouterr().out.splitlines())
    published = _sum(pulled, names.RECORDS_PUBLISHED)
    with connect(db_url) as conn:
        rows = dict(conn.execute(
            "SELECT entity, count(*) FROM (SELECT 'property' AS entity FROM pms.property "
            "UNION ALL SELECT 'landlord' FROM pms.landlord UNION ALL SELECT 'tenant' "
            "FROM pms.tenant UNION ALL SELECT 'tenancy' FROM pms.tenancy) t GROUP BY entity"
        ).fetchall())
    applied = {e: _sum(consumed, names.EVENTS_APPLIED, Entity=e, **pms) for e in entities}
    assert sum(applied.values()) + _sum(consumed, names.EVENTS_STALE) == published
    assert applied == {e: rows.get(e, 0) for e in entities}  # a fresh database: all new
    assert _sum(consumed, names.EVENTS_DEAD_LETTERED) == 0
    timings = [d for d in consumed if names.BATCH_SECONDS.name in d]
    assert timings and all(d["ConsumeLagSeconds"] >= 0 and d["BatchSeconds"] > 0
                           for d in timings)
    assert sum(d["records"] for d in timings) == published
