"""Scenario 8: secrets and personal data.

A Dagster pull, consume (sending to the lake's Firehose) and lake compaction run in
process (ephemeral instance, moto), then a pull with a wrong secret that fails: no
credential value (nor the lake's masking key) appears in Python logs, captured
stdout/stderr, run config, run tags, the event log (metadata, errors, stack traces), any
table, the raw Firehose objects or the compacted Parquet; the Parquet holds personal data
only masked (the lake's own checks pass, and the names sent do not appear in it). PMS
text fields carrying SQL, HTML, control characters and emoji arrive in Postgres exactly
as the PMS sent them."""

from __future__ import annotations

import base64
import io
import json
import logging
import secrets
import traceback
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import DagsterInstance
from dagster._serdes import serialize_value
import pyarrow.parquet as pq

from pms_pipelines import definitions
from pms_pipelines.aws import aws_client

from pms_pipelines.aws import kinesis_client
from pms_pipelines.canonical import Tenant, make_event
from pms_pipelines.db.connection import connect
from pms_pipelines.defs.lake_assets import LAKE_JOB
from pms_pipelines.integrations import REGISTRY, UNAVAILABLE
from pms_pipelines.integrations.buildium.sandbox import start_sandbox
from pms_pipelines.lake.checks import unmasked_problems
from pms_pipelines.local_stack.aws_emulator import create_delivery_stream
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.records import OutgoingRecord
from pms_pipelines_tests.defs.pipeline_env import (
    CRED_PREFIX,
    consume_until_caught_up,
    register_sandbox_agency,
    run_full_pull,
)
from pms_pipelines_tests.fixtures.sandbox import BUILDIUM_FIXTURE
from pms_pipelines_tests.lake.lake_env import new_bucket
from pms_pipelines_tests.reliability import figures
from pms_pipelines_tests.reliability.common import T0, drain, outgoing

pytestmark = pytest.mark.integration

HOSTILE = {
    "sql": "Robert'); DROP TABLE pms.tenant;-- \" OR 1=1 /* $$ %s %(x)s",
    "html": "<script>alert('x')</script> &amp; <b onmouseover=\"x()\">",
    "control": "tab\there\r\nline\x07bell\x1b[31mred\u200bzero\u2028sep\x7f",
    "emoji": "Zoë 🏠👩‍👩‍👧 ℞ 𝔘𝔫𝔦 ﷽",
}


def _hostile_fixture(tmp_path: Path) -> Path:
    fixture = json.loads(BUILDIUM_FIXTURE.read_text())
    tenant = fixture["/v1/leases/tenants"][0]
    tenant["FirstName"], tenant["LastName"] = HOSTILE["sql"], HOSTILE["html"]
    owner = fixture["/v1/rentals/owners"][0]
    owner["FirstName"], owner["LastName"] = HOSTILE["control"], HOSTILE["emoji"]
    path = tmp_path / "hostile_fixture.json"
    path.write_text(json.dumps(fixture))
    return path


def _everything_stored(db_url: str) -> str:
    with connect(db_url) as conn:
        tables = conn.execute(
            "SELECT schemaname || '.' || tablename FROM pg_tables "
            "WHERE schemaname IN ('pms', 'ingest')").fetchall()
        return "\n".join(
            str(row[0]) for (table,) in tables
            for row in conn.execute(f"SELECT to_jsonb(t)::text FROM {table} t"))


def _lake_with_the_definitions(monkeypatch: pytest.MonkeyPatch, mask_key: str) -> str:
    """A raw and lake bucket with its Firehose stream, and the definitions rebuilt with
    the lake's environment (they read which resources are set when built)."""
    bucket = new_bucket()
    create_delivery_stream(f"{bucket}-fh", bucket, "raw/")
    for name, value in (("PMS_FIREHOSE_STREAM", f"{bucket}-fh"), ("PMS_RAW_BUCKET", bucket),
                        ("PMS_LAKE_BUCKET", bucket), ("PMS_LAKE_MASK_KEY", mask_key)):
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(definitions, "defs",
                        definitions.build_definitions(REGISTRY, UNAVAILABLE))
    # Resolve them now, beside a live instance: resolving reads Dagster's current
    # defs-state storage, which an earlier test's instance may have left pointing at
    # itself after it was collected ("undefined DagsterInstance weakref", seen once in CI).
    with DagsterInstance.ephemeral():
        definitions.defs.get_repository_def()
    return bucket


def _everything_in_the_lake(bucket: str) -> tuple[str, int, str, list]:
    """(raw Firehose objects, their JSON leaves and decoded rejected bytes as text; their
    line count; every Parquet cell and `data` leaf as text; the Parquet tables)."""
    s3 = aws_client("s3")
    raw, cells, tables, lines = [], [], [], 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            if not item["Key"].endswith(".parquet"):  # Firehose: JSON lines
                raw.append(body.decode("utf-8", "replace"))
                for line in body.splitlines():
                    lines += 1
                    document = json.loads(line)
                    raw.extend(str(leaf) for leaf in _leaves(document))
                    if document.get("raw_base64"):  # a rejected record's own bytes
                        raw.append(base64.b64decode(document["raw_base64"]).decode(
                            "utf-8", "replace"))
                continue
            table = pq.read_table(io.BytesIO(body))
            tables.append(table)
            for row in table.to_pylist():
                for name, value in row.items():
                    cells.append(str(value))
                    if name == "data" and value:
                        cells.extend(str(leaf) for leaf in _leaves(json.loads(value)))
    return "\n".join(raw), lines, "\n".join(cells), tables


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for inner in value.values() for leaf in _leaves(inner)]
    if isinstance(value, list):
        return [leaf for inner in value for leaf in _leaves(inner)]
    return [value]


def test_no_secret_anywhere_and_text_stored_literally(
    kinesis_stream: str, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    credentials = {"client_id": f"id-{secrets.token_hex(6)}",
                   "client_secret": f"SeCrEt-{secrets.token_urlsafe(18)}"}
    wrong = f"WrOnG-{secrets.token_urlsafe(18)}"
    mask_key = f"MaSk-{secrets.token_hex(24)}"
    sandbox = start_sandbox([{"agency_id": "hostile", **credentials,
                              "fixture": str(_hostile_fixture(tmp_path))}],
                            rate_limit_per_s=None)
    try:
        register_sandbox_agency(monkeypatch, db_url, sandbox.base_url, "hostile", credentials)
        bucket = _lake_with_the_definitions(monkeypatch, mask_key)
        instance = DagsterInstance.ephemeral()
        run_full_pull(instance, "hostile")
        consume_until_caught_up(instance, db_url, kinesis_stream)
        compacted = definitions.defs.resolve_job_def(LAKE_JOB).execute_in_process(
            instance=instance, partition_key=datetime.now(UTC).date().isoformat())
        assert compacted.success
        # A pull that fails on auth: its error text and stack trace are scanned too.
        monkeypatch.setenv(f"{CRED_PREFIX}_CLIENT_SECRET", wrong)
        with pytest.raises(Exception) as raised:  # noqa: PT011 - whatever it is, scan it
            run_full_pull(instance, "hostile")
    finally:
        sandbox.stop()

    runs = instance.get_runs()
    failed = [r for r in runs if r.is_failure]
    assert failed, "the wrong-secret pull should have failed"
    out, err = capfd.readouterr()
    raw, raw_lines, parquet, parquet_tables = _everything_in_the_lake(bucket)
    lake_checks = {(e.asset_key.path[-1], e.check_name): e.passed
                   for e in compacted.get_asset_check_evaluations()}
    places = {
        "python logs": caplog.text,
        "stdout/stderr": out + err,
        "run config and tags": "\n".join(json.dumps(r.run_config, default=str)
                                         + json.dumps(r.tags) for r in runs),
        "event log (metadata, errors)": "\n".join(serialize_value(e) for r in runs
                                                  for e in instance.all_logs(r.run_id)),
        "tables": _everything_stored(db_url),
        "exception text": "".join(traceback.format_exception(raised.value)),
        "lake raw objects (Firehose)": raw,
        "lake Parquet": parquet,
    }
    assert "401" in places["event log (metadata, errors)"]  # the auth failure was logged
    leaks = [(place, name) for place, text in places.items()
             for name, value in (*credentials.items(), ("wrong secret", wrong),
                                 ("lake mask key", mask_key))
             if value in text]
    names_sent = [HOSTILE[k] for k in ("sql", "html", "control", "emoji")]
    assert all(name in raw for name in names_sent)  # the lake got them: masked, not missing
    unmasked = [p for table in parquet_tables for p in unmasked_problems(table)] + [
        f"a name sent in clear: {name!r}" for name in names_sent if name in parquet]

    with connect(db_url) as conn:
        tenant = conn.execute("SELECT first_name, last_name FROM pms.tenant "
                              "WHERE agency_id = 'hostile' AND source_id = '401'").fetchone()
        owner = conn.execute("SELECT first_name, last_name FROM pms.landlord "
                             "WHERE agency_id = 'hostile' AND source_id = '301'").fetchone()
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'pms'"
                              ).fetchone()[0]
    literal = [tenant == (HOSTILE["sql"], HOSTILE["html"]),
               owner == (HOSTILE["control"], HOSTILE["emoji"])]
    figures.record("8 secrets + hostile text", events=len(runs), faults=4 + 1,
                   lost=literal.count(False), duplicated=0, dead_lettered=0,
                   note=f"{len(runs)} runs, {sum(len(t) for t in places.values())} chars "
                        f"scanned in {len(places)} places (lake: {raw_lines} raw "
                        f"lines, {sum(t.num_rows for t in parquet_tables)} Parquet rows); leaks "
                        f"{len(leaks)}; unmasked personal data in the Parquet "
                        f"{len(unmasked)}")
    assert not leaks, leaks
    assert parquet_tables and raw and not unmasked, unmasked
    assert lake_checks and all(lake_checks.values()), lake_checks
    assert tenant == (HOSTILE["sql"], HOSTILE["html"])
    assert owner == (HOSTILE["control"], HOSTILE["emoji"])
    assert tables >= 4  # the DROP TABLE in a name did nothing


def test_a_nul_character_does_not_stall_the_shard(kinesis_stream: str, db_url: str) -> None:
    """Postgres `text` cannot hold U+0000. A PMS name carrying one must end up stored
    (cleaned) or dead-lettered; the shard must keep moving either way."""
    events = [make_event(source="buildium", agency_id="nul", entity="tenant", source_id="1",
                         data=Tenant(first_name="a\x00b"), observed_at=T0),
              make_event(source="buildium", agency_id="nul", entity="tenant", source_id="2",
                         data=Tenant(first_name="after"), observed_at=T0)]
    # A producer that is not this model: U+0000 straight in the JSON bytes.
    # Its event id was computed over different content, so it is refused, not stored.
    foreign = events[1].to_bytes().replace(b'"after"', b'"la\\u0000ter"')
    records = [*outgoing(events), OutgoingRecord(events[1].key, foreign)]
    client = kinesis_client()
    publish_records(client, kinesis_stream, records)
    drained = drain(client, db_url, kinesis_stream, max_runs=6)
    with connect(db_url) as conn:
        stored = conn.execute("SELECT count(*) FROM pms.tenant WHERE agency_id = 'nul'"
                              ).fetchone()[0]
        names = {r[0] for r in conn.execute(
            "SELECT first_name FROM pms.tenant WHERE agency_id = 'nul'").fetchall()}
        dead = conn.execute("SELECT count(*) FROM ingest.dead_letter").fetchone()[0]
    assert not drained.failed_runs, drained.errors
    assert stored == 2 and names == {"ab", "after"}  # the NUL dropped, the rest literal
    assert dead == 1  # the foreign copy: its event id no longer matches its content
    figures.record("8 NUL in a text field", events=3, faults=2, lost=0, duplicated=0,
                   dead_lettered=dead, note="U+0000 dropped by the model; the shard moved on")
