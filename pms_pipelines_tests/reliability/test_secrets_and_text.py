"""Scenario 8: secrets and personal data.

A Dagster pull and consume run in process (ephemeral instance), then a pull with a
wrong secret that fails: no credential value appears in Python logs, captured
stdout/stderr, run config, run tags, the event log (metadata, errors, stack traces) or
any table. PMS text fields carrying SQL, HTML, control characters and emoji arrive in
Postgres exactly as the PMS sent them."""

from __future__ import annotations

import json
import logging
import secrets
import traceback
from pathlib import Path

import pytest
from dagster import DagsterInstance
from dagster._serdes import serialize_value

from pms_pipelines.aws import kinesis_client
from pms_pipelines.canonical import Tenant, make_event
from pms_pipelines.db.connection import connect
from pms_pipelines.integrations.buildium.sandbox import start_sandbox
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.records import OutgoingRecord
from pms_pipelines_tests.defs.pipeline_env import (
    CRED_PREFIX,
    consume_until_caught_up,
    register_sandbox_agency,
    run_full_pull,
)
from pms_pipelines_tests.fixtures.sandbox import BUILDIUM_FIXTURE
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


def test_no_secret_anywhere_and_text_stored_literally(
    kinesis_stream: str, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    credentials = {"client_id": f"id-{secrets.token_hex(6)}",
                   "client_secret": f"SeCrEt-{secrets.token_urlsafe(18)}"}
    wrong = f"WrOnG-{secrets.token_urlsafe(18)}"
    sandbox = start_sandbox([{"agency_id": "hostile", **credentials,
                              "fixture": str(_hostile_fixture(tmp_path))}],
                            rate_limit_per_s=None)
    try:
        register_sandbox_agency(monkeypatch, db_url, sandbox.base_url, "hostile", credentials)
        instance = DagsterInstance.ephemeral()
        run_full_pull(instance, "hostile")
        consume_until_caught_up(instance, db_url, kinesis_stream)
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
    places = {
        "python logs": caplog.text,
        "stdout/stderr": out + err,
        "run config and tags": "\n".join(json.dumps(r.run_config, default=str)
                                         + json.dumps(r.tags) for r in runs),
        "event log (metadata, errors)": "\n".join(serialize_value(e) for r in runs
                                                  for e in instance.all_logs(r.run_id)),
        "tables": _everything_stored(db_url),
        "exception text": "".join(traceback.format_exception(raised.value)),
    }
    assert "401" in places["event log (metadata, errors)"]  # the auth failure was logged
    leaks = [(place, name) for place, text in places.items()
             for name, value in (*credentials.items(), ("wrong secret", wrong))
             if value in text]

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
                        f"scanned in {len(places)} places; leaks {len(leaks)}")
    assert not leaks, leaks
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
