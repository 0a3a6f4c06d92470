"""Figure 9, the whole path: PMS sandbox → Postgres rows, sandbox rate limit off.

The Buildium sandbox serves agencies holding about `e2e_records` records in all
(rentals, units, owners, tenants, leases, rents). Ours: for each agency and entity a full
`pull_and_publish` (client, mapping, canonical events, PutRecords into moto), then the
consumer drains every shard into Postgres (one thread per shard, as runs per shard
would); timed from the first request to the last commit. Baseline: dlt's `rest_api`
source over the same sandbox and collections into the same Postgres server (a merge on
`Id` per collection), run as a subprocess from its own virtualenv `.venv-bench`.
Both rates are the sandbox's records per second.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench.common import ROOT, Figure, Sizes, Stack, Timer, sandbox_agencies, shard_ids
from pms_pipelines.aws import kinesis_client
from pms_pipelines.consumer.consume import consume_shard
from pms_pipelines.db.connection import connect
from pms_pipelines.integrations.buildium import INTEGRATION
from pms_pipelines.integrations.buildium.sandbox import start_sandbox
from pms_pipelines.pulls.pull_and_publish import pull_and_publish

BENCH_VENV = ROOT / ".venv-bench"
RECORDS_PER_UNIT = 4.4  # rentals+units+owners+tenants+leases+rents per unit, generated data
UNITS_PER_AGENCY = 2000


def dlt_python() -> Path | None:
    python = BENCH_VENV / "bin" / "python"
    return python if python.exists() else None


def _ours(stack: Stack, sandbox, agencies: list[dict], shards: int) -> tuple[float, dict]:
    stream = stack.new_stream(shards, "f9")
    url = stack.new_database("f9ours")
    kinesis = kinesis_client()
    errors: list[BaseException] = []

    def drain(shard_id: str) -> None:
        try:
            with connect(url) as conn:
                consume_shard(kinesis_client(), conn, stream, shard_id, max_records=10**9)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    with Timer() as timer:
        with connect(url) as conn:
            for agency in agencies:
                creds = {"client_id": agency["client_id"],
                         "client_secret": agency["client_secret"]}
                for entity in INTEGRATION.entities:
                    pull_and_publish(INTEGRATION, agency_id=agency["agency_id"], entity=entity,
                                     credentials=creds, base_url=sandbox.base_url, conn=conn,
                                     kinesis=kinesis, stream=stream, full=True)
        threads = [threading.Thread(target=drain, args=(s,)) for s in shard_ids(stream)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    with connect(url) as conn:
        rows = {t: conn.execute(f"SELECT count(*) FROM pms.{t}").fetchone()[0]
                for t in ("property", "landlord", "tenant", "tenancy")}
    return timer.seconds, rows


def _dlt(stack: Stack, sandbox, agencies: list[dict]) -> tuple[float, dict]:
    python = dlt_python()
    if python is None:
        raise RuntimeError(f"{BENCH_VENV} missing: `make bench` creates it from "
                           "bench/requirements-dlt.txt")
    url = stack.new_database("f9dlt")
    parts = urlsplit(url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "127.0.0.1"])[0]
    config = {
        "base_url": sandbox.base_url, "dataset": "dlt_bench",
        "agencies": [{k: a[k] for k in ("agency_id", "client_id", "client_secret")}
                     for a in agencies],
        "postgres": {"host": host, "port": parts.port or 5432,
                     "database": parts.path.lstrip("/"),
                     "username": parts.username or "postgres", "password": parts.password},
        "page_size": 1000, "pipelines_dir": str(stack.tmp / "dlt-pipelines"),
    }
    path = stack.tmp / "dlt-config.json"
    path.write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["RUNTIME__LOG_LEVEL"] = "WARNING"
    proc = subprocess.run([str(python), str(ROOT / "bench" / "dlt_rest_api.py"), str(path)],
                          cwd=stack.tmp, env=env, capture_output=True, text=True,
                          timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"dlt failed: {proc.stderr[-1500:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["end"] - result["start"], result["rows"]


def run(stack: Stack, sizes: Sizes) -> Figure:
    units_total = max(1, round(sizes.e2e_records / RECORDS_PER_UNIT))
    count = max(1, -(-units_total // UNITS_PER_AGENCY))
    agencies = sandbox_agencies(count, units_total // count, "f9")
    sandbox = start_sandbox(agencies, rate_limit_per_s=None)
    try:
        records = sum(len(store.records[c]) for store in sandbox.state.stores
                      for c in store.records)
        ours_s, ours_rows = _ours(stack, sandbox, agencies, 4)
        name = "whole path: sandbox → Postgres rows, records/s"
        try:
            dlt_s, dlt_rows = _dlt(stack, sandbox, agencies)
        except Exception as error:  # noqa: BLE001 - the figure says why
            return Figure("9", name, records / ours_s, "rec/s", target="≥ 1.0",
                          target_value=1.0, how="baseline failed",
                          notes=f"dlt baseline could not run: {str(error)[-300:]}",
                          details={"records": records, "ours_s": ours_s,
                                   "ours_rows": ours_rows})
    finally:
        sandbox.stop()
    return Figure(
        "9", name, records / ours_s, "rec/s", baseline=records / dlt_s,
        baseline_name="dlt rest_api → postgres", target="≥ 1.0", target_value=1.0,
        details={"records": records, "agencies": count, "ours_s": ours_s, "dlt_s": dlt_s,
                 "ours_rows": ours_rows, "dlt_rows": dlt_rows},
    )
